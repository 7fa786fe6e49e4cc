// Issue 32: the prototype cosines in row blocks agree with the full K x K matrix, and a
// configuration at the prototype bound never builds that matrix.
#include "TestHarness.h"

#include "swav/PrototypeCosines.h"

#include <ATen/ATen.h>

using namespace swav;

TEST(PrototypeCosines, BlocksAgreeWithTheFullMatrix) {
    at::manual_seed(3);
    auto w = at::randn({300, 8});
    w[17] = w[4] * 3; // a duplicate of prototype 4, scaled
    w[250] = w[4] + 1e-4;
    const PrototypeCosines c = prototypeCosines(w, 0.99, 10);
    auto n = w / w.norm(2, 1, true);
    auto full = at::mm(n, n.t());
    auto off = full.masked_select(~at::eye(300, at::kBool));
    ASSERT_NEAR(c.max, off.max().item<double>(), 1e-6);
    ASSERT_NEAR(c.mean, off.to(at::kDouble).mean().item<double>(), 1e-6);
    const int64_t pairs = (at::triu(full, 1) > 0.99).sum().item<int64_t>();
    ASSERT_EQ(c.nearDuplicatePairs, pairs);
    ASSERT_GE(pairs, 3); // (4, 17), (4, 250), (17, 250)
    ASSERT_EQ(c.nearDuplicates.size(), size_t(pairs));
    ASSERT_EQ(c.nearDuplicates.front(), std::make_pair(4, 17));
}

// Blocks of a few rows that do not divide K give the same figures: a configuration at the
// prototype bound (100,000: K x K float32 would be 40 GB) holds one 64 MiB block at a time.
TEST(PrototypeCosines, SmallBlocksThatDoNotDivideKGiveTheSameFigures) {
    at::manual_seed(5);
    auto w = at::randn({1000, 6});
    w[999] = w[0];
    w[500] = w[3] * 2;
    const PrototypeCosines whole = prototypeCosines(w, 0.99, 100, 1000 * 1000);
    const PrototypeCosines blocked = prototypeCosines(w, 0.99, 100, 1000 * 7);
    ASSERT_NEAR(blocked.max, whole.max, 1e-6);
    ASSERT_NEAR(blocked.mean, whole.mean, 1e-9);
    ASSERT_EQ(blocked.nearDuplicatePairs, whole.nearDuplicatePairs);
    ASSERT_TRUE(blocked.nearDuplicates == whole.nearDuplicates);
    ASSERT_TRUE(std::find(blocked.nearDuplicates.begin(), blocked.nearDuplicates.end(),
                          std::make_pair(0, 999)) != blocked.nearDuplicates.end());
    ASSERT_TRUE(std::find(blocked.nearDuplicates.begin(), blocked.nearDuplicates.end(),
                          std::make_pair(3, 500)) != blocked.nearDuplicates.end());
}

TEST(PrototypeCosines, FewerThanTwoPrototypesHaveNoPairs) {
    const PrototypeCosines c = prototypeCosines(at::ones({1, 4}), 0.99, 10);
    ASSERT_EQ(c.max, 0.0);
    ASSERT_EQ(c.nearDuplicatePairs, 0);
}
