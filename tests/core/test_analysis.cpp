#include "TestHarness.h"

#include "eval/Analysis.h"
#include "eval/ClusterMetrics.h"

#include <ATen/ATen.h>

using namespace swav;

namespace {

at::Tensor longs(std::vector<int64_t> values) {
    return at::tensor(values, at::kLong);
}

} // namespace

TEST(Analysis, NmiAndAriOfIdenticalAndRenamedPartitionsAreOne) {
    auto a = longs({0, 0, 1, 1, 2, 2, 2});
    auto renamed = longs({5, 5, 3, 3, 0, 0, 0});
    ASSERT_NEAR(normalizedMutualInformation(a, a), 1.0, 1e-12);
    ASSERT_NEAR(normalizedMutualInformation(a, renamed), 1.0, 1e-12);
    ASSERT_NEAR(adjustedRandIndex(a, renamed), 1.0, 1e-12);
}

TEST(Analysis, NmiAndAriMatchHandComputedValues) {
    // a = {0,0,1,1}, b = {0,0,1,2}: H(a) = ln 2, H(b) = 1.5 ln 2, MI = ln 2 -> NMI = 0.8.
    // ARI: index 1, expected 2*1/6 = 1/3, maximum 1.5 -> (2/3) / (7/6) = 4/7.
    auto a = longs({0, 0, 1, 1}), b = longs({0, 0, 1, 2});
    ASSERT_NEAR(normalizedMutualInformation(a, b), 0.8, 1e-12);
    ASSERT_NEAR(adjustedRandIndex(a, b), 4.0 / 7.0, 1e-12);
}

TEST(Analysis, IndependentPartitionsScoreNearZero) {
    at::manual_seed(1);
    auto a = at::randint(0, 10, {20000}, at::kLong), b = at::randint(0, 10, {20000}, at::kLong);
    ASSERT_TRUE(normalizedMutualInformation(a, b) < 0.01);
    ASSERT_NEAR(adjustedRandIndex(a, b), 0.0, 0.01);
}

TEST(Analysis, PcaFindsTheTwoMainDirections) {
    // Points on a plane in 5-D: variance 9 along one axis and 1 along the other.
    at::manual_seed(2);
    auto coefficients = at::randn({4000, 2}) * at::tensor({3.f, 1.f});
    auto basis = std::get<0>(at::linalg_qr(at::randn({5, 2}))).t(); // 2 orthonormal rows
    auto projection = pcaProjection(at::mm(coefficients, basis) + 7.0);
    ASSERT_TRUE(projection.points.sizes() == at::IntArrayRef({4000, 2}));
    ASSERT_NEAR(projection.explained[0], 0.9, 0.01);
    ASSERT_NEAR(projection.explained[1], 0.1, 0.01);
    // Distances are preserved (the data lives in the plane exactly).
    auto d1 = (coefficients[0] - coefficients[1]).norm().item<double>();
    auto d2 = (projection.points[0] - projection.points[1]).norm().item<double>();
    ASSERT_NEAR(d1, d2, 1e-4);
}

TEST(Analysis, GalleryGroupsImagesByTheirBestPrototype) {
    // 6 images, 3 prototypes; image i prefers prototype assignment[i] with score 1 - i/10.
    std::vector<int64_t> assignment{2, 2, 0, 2, 0, 2};
    auto scores = at::zeros({6, 3});
    for (int i = 0; i < 6; ++i)
        scores[i][assignment[i]] = 1.0 - i / 10.0;
    auto labels = longs({1, 1, 0, 1, 0, 0});
    auto gallery = clusterGallery(scores, labels, 2);
    ASSERT_EQ(gallery.clusters.size(), size_t(3));
    ASSERT_EQ(gallery.clusters[0].prototype, 2); // largest first
    ASSERT_EQ(gallery.clusters[0].size, int64_t(4));
    ASSERT_TRUE(gallery.clusters[0].topImages == std::vector<int64_t>({0, 1}));
    ASSERT_EQ(gallery.clusters[0].majorityLabel, 1);
    ASSERT_NEAR(gallery.clusters[0].purity, 0.75, 1e-12);
    ASSERT_EQ(gallery.clusters[1].prototype, 0);
    ASSERT_NEAR(gallery.clusters[1].purity, 1.0, 1e-12);
    ASSERT_EQ(gallery.clusters[2].size, int64_t(0));
    ASSERT_TRUE(gallery.nmi > 0 && gallery.nmi <= 1);
    auto unlabelled = clusterGallery(scores, at::Tensor(), 2);
    ASSERT_EQ(unlabelled.nmi, -1.0);
    ASSERT_EQ(unlabelled.clusters[0].majorityLabel, -1);
}

TEST(Analysis, PrototypeHealthFindsEmptyAndDuplicatePrototypes) {
    auto prototypes = at::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 0.001f, -1.f, 0.f}).view({4, 2});
    auto health = prototypeHealth(prototypes, longs({0, 0, 1, 3}));
    ASSERT_TRUE(health.usage == std::vector<int64_t>({2, 1, 0, 1}));
    ASSERT_EQ(health.emptyPrototypes, 1);
    ASSERT_EQ(health.nearDuplicates.size(), size_t(1));
    ASSERT_EQ(health.nearDuplicates[0].first, 0);
    ASSERT_EQ(health.nearDuplicates[0].second, 2);
    ASSERT_TRUE(health.maxCosine > 0.99);
}
