#include "TestHarness.h"

#include "config/ExperimentConfig.h"
#include "swav/EmbeddingQueue.h"
#include "swav/Sinkhorn.h"
#include "swav/SwavLoss.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <vector>

using namespace swav;

namespace {

at::Tensor randomScores(int64_t rows, int64_t k, int seed) {
    at::manual_seed(seed);
    auto z = at::randn({rows, 16});
    auto c = at::randn({k, 16});
    z = z / z.norm(2, 1, true);
    c = c / c.norm(2, 1, true);
    return at::mm(z, c.t()); // cosines in [-1, 1], as in training
}

using Matrix = std::vector<std::vector<double>>;

/// Sinkhorn-Knopp as the authors wrote it (Q = exp(scores / eps)^T, normalised; then rows over
/// prototypes and columns over images in turn; codes = Q * B, transposed back), in doubles.
Matrix referenceCodes(const Matrix& scores, double epsilon, int iterations) {
    const size_t images = scores.size(), prototypes = scores[0].size();
    Matrix q(prototypes, std::vector<double>(images));
    double total = 0;
    for (size_t k = 0; k < prototypes; ++k)
        for (size_t b = 0; b < images; ++b)
            total += q[k][b] = std::exp(scores[b][k] / epsilon);
    for (auto& row : q)
        for (auto& value : row)
            value /= total;
    for (int it = 0; it < iterations; ++it) {
        for (auto& row : q) { // each prototype gets 1 / K of the mass
            double sum = 0;
            for (double value : row)
                sum += value;
            for (auto& value : row)
                value /= sum * static_cast<double>(prototypes);
        }
        for (size_t b = 0; b < images; ++b) { // each image gets 1 / B
            double sum = 0;
            for (size_t k = 0; k < prototypes; ++k)
                sum += q[k][b];
            for (size_t k = 0; k < prototypes; ++k)
                q[k][b] /= sum * static_cast<double>(images);
        }
    }
    Matrix codes(images, std::vector<double>(prototypes));
    for (size_t b = 0; b < images; ++b)
        for (size_t k = 0; k < prototypes; ++k)
            codes[b][k] = q[k][b] * static_cast<double>(images);
    return codes;
}

/// Mean over images of -sum_k code_k * log softmax(scores / temperature)_k.
double referenceLoss(const Matrix& codes, const Matrix& scores, double temperature) {
    double loss = 0;
    for (size_t b = 0; b < scores.size(); ++b) {
        double normaliser = 0;
        for (double score : scores[b])
            normaliser += std::exp(score / temperature);
        for (size_t k = 0; k < scores[b].size(); ++k)
            loss -= codes[b][k] * (scores[b][k] / temperature - std::log(normaliser));
    }
    return loss / static_cast<double>(scores.size());
}

} // namespace

TEST(Swav, SinkhornMatchesTheAuthorsFormulaOnReferenceScores) {
    std::ifstream file(swav::test::sourceDir() + "/data/sinkhorn_reference.json");
    ASSERT_TRUE(file) << "tests/data/sinkhorn_reference.json is missing";
    const auto reference = nlohmann::json::parse(file);
    int cases = 0;
    for (const auto& c : reference["cases"]) {
        const int64_t b = c["B"], k = c["K"];
        auto scores = at::tensor(c["scores"].get<std::vector<float>>()).view({b, k});
        auto expected = at::tensor(c["codes"].get<std::vector<float>>()).view({b, k});
        auto codes = sinkhornCodes(scores, c["eps"].get<double>(), c["iters"].get<int>());
        const double diff = (codes - expected).abs().max().item<double>();
        ASSERT_TRUE(diff <= 1e-6) << "case " << cases << " (B " << b << ", K " << k
                                  << "): max abs difference " << diff;
        ++cases;
    }
    ASSERT_TRUE(cases >= 1);
}

TEST(Swav, SinkhornRowsSumToOneAndColumnsApproachEqualPartition) {
    const int64_t b = 256, k = 32;
    auto codes = sinkhornCodes(randomScores(b, k, 1), 0.05, 3);
    ASSERT_TRUE(codes.sizes() == at::IntArrayRef({b, k}));
    ASSERT_TRUE(codes.scalar_type() == at::kFloat);
    ASSERT_TRUE((codes.sum(1) - 1).abs().max().item<double>() < 1e-5);
    // The prototype marginals (column sums) approach B/K as the iterations go on.
    double previous = 1e9;
    for (const int iterations : {1, 3, 10, 50}) {
        auto q = sinkhornCodes(randomScores(b, k, 1), 0.05, iterations);
        const double deviation = (q.sum(0) / (double(b) / k) - 1).abs().max().item<double>();
        ASSERT_TRUE(deviation < previous) << iterations << " iterations: deviation " << deviation;
        previous = deviation;
    }
    ASSERT_TRUE(previous < 1e-3) << "after 50 iterations the deviation is " << previous;
    ASSERT_TRUE(codes.min().item<double>() >= 0);
}

TEST(Swav, SinkhornIgnoresAConstantAddedToEveryScore) {
    auto scores = randomScores(64, 10, 2) * 0.5;
    auto a = sinkhornCodes(scores, 0.05, 3);
    auto b = sinkhornCodes(scores + 0.3, 0.05, 3);
    ASSERT_TRUE((a - b).abs().max().item<double>() < 1e-5);
}

namespace {

/// The authors' sinkhorn() of main_swav.py as written (exp of score / eps, then normalisations),
/// in `dtype`.
at::Tensor authorsSinkhorn(const at::Tensor& scores, double epsilon, int iterations,
                           at::ScalarType dtype) {
    at::Tensor q = at::exp(scores.to(dtype) / epsilon).t();
    const double b = double(q.size(1)), k = double(q.size(0));
    q = q / q.sum();
    for (int it = 0; it < iterations; ++it) {
        q = q / q.sum(1, true) / k;
        q = q / q.sum(0, true) / b;
    }
    return (q * b).t().to(at::kFloat);
}

} // namespace

// Where the authors' float32 arithmetic overflows or underflows: teach-small-batch-queue's size
// (2056 rows with the queue, K 500) at eps 0.01 with scores near 1, where exp(score / eps) alone
// overflows, and one image scoring -1 on every prototype while the others score near 1 at the
// fashion-mnist preset's eps, whose column underflows to zeros once divided by the total.
TEST(Swav, SinkhornStaysFiniteWhereTheAuthorsFloat32DoesNot) {
    at::manual_seed(9);
    auto farImage = 0.9 + 0.1 * at::rand({128, 30});
    farImage[5].fill_(-1.0);
    const std::vector<std::pair<at::Tensor, double>> cases{
        {0.95 + 0.05 * at::rand({2056, 500}), 0.01}, {farImage, 0.0125}};
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto& [scores, epsilon] = cases[i];
        const auto theirs = authorsSinkhorn(scores, epsilon, 3, at::kFloat);
        ASSERT_FALSE(at::isfinite(theirs).all().item<bool>()) << "case " << i;
        const auto codes = sinkhornCodes(scores, epsilon, 3);
        ASSERT_TRUE(at::isfinite(codes).all().item<bool>()) << "case " << i;
        ASSERT_TRUE((codes.sum(1) - 1).abs().max().item<double>() < 1e-4) << "case " << i;
        // The same arithmetic in float64, where it stays finite, gives the same codes.
        const auto exact = authorsSinkhorn(scores, epsilon, 3, at::kDouble);
        ASSERT_TRUE(at::isfinite(exact).all().item<bool>()) << "case " << i;
        const double diff = (codes - exact).abs().max().item<double>();
        ASSERT_TRUE(diff < 1e-5) << "case " << i << ": max |log-domain - float64| = " << diff;
    }
}

// Where the authors' float32 arithmetic is finite the codes are theirs, at the presets' settings
// and at the edges: eps 0.0125 with cosines spanning [-1, 1] (fashion-mnist), K 3000, a single
// prototype, and eps 0.0113, just above where exp(1 / eps) overflows.
TEST(Swav, SinkhornEqualsTheAuthorsArithmeticWhereItIsFinite) {
    struct Case {
        at::Tensor scores;
        double epsilon;
    };
    const std::vector<Case> cases{
        {randomScores(128, 30, 4), 0.0125},
        {randomScores(256, 3000, 5), 0.05},
        {randomScores(64, 1, 6), 0.02},
        {randomScores(2, 2, 7) * 0.9, 0.0113},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto theirs = authorsSinkhorn(cases[i].scores, cases[i].epsilon, 3, at::kFloat);
        ASSERT_TRUE(at::isfinite(theirs).all().item<bool>()) << "case " << i;
        const auto codes = sinkhornCodes(cases[i].scores, cases[i].epsilon, 3);
        const double diff = (codes - theirs).abs().max().item<double>();
        ASSERT_TRUE(diff < 1e-5) << "case " << i << ": max |difference| " << diff;
    }
}

TEST(Swav, SinkhornRunsInFp32ForHalfInputs) {
    auto scores = randomScores(32, 8, 3);
    auto fromHalf = sinkhornCodes(scores.to(at::kBFloat16), 0.05, 3);
    ASSERT_TRUE(fromHalf.scalar_type() == at::kFloat);
    ASSERT_TRUE(at::isfinite(fromHalf).all().item<bool>());
    ASSERT_TRUE((fromHalf.sum(1) - 1).abs().max().item<double>() < 1e-5);
}

TEST(Swav, LossEqualsAPlainArithmeticDerivationForTwoCropsThreePrototypes) {
    // The expected values come from referenceCodes / referenceLoss above: the authors'
    // formula in doubles and loops, no tensor library. For these scores they are codes crop 0 =
    // [[0.499997, 0.000006, 0.499997], [0.000181, 0.999637, 0.000181]] and a loss of 3.27318.
    const std::vector<std::vector<double>> rows{
        {0.5, -0.2, 0.1}, {0.0, 0.3, -0.4}, {0.4, 0.1, -0.3}, {-0.1, 0.2, 0.6}};
    SwavConfig config;
    config.cropsForAssign = {0, 1};
    const std::vector<std::vector<double>> crop0(rows.begin(), rows.begin() + 2);
    const std::vector<std::vector<double>> crop1(rows.begin() + 2, rows.end());
    const auto codes0 = referenceCodes(crop0, config.epsilon, config.sinkhornIterations);
    const auto codes1 = referenceCodes(crop1, config.epsilon, config.sinkhornIterations);
    // Each assignment crop's codes against the other crop's prediction, averaged.
    const double expected = (referenceLoss(codes0, crop1, config.temperature) +
                             referenceLoss(codes1, crop0, config.temperature)) /
                            2;
    ASSERT_NEAR(expected, 3.27318, 1e-5); // the derivation itself, against the figure above
    ASSERT_NEAR(codes0[1][1], 0.999637, 1e-6);

    std::vector<float> flat;
    for (const auto& row : rows)
        flat.insert(flat.end(), row.begin(), row.end());
    auto scores = at::tensor(flat).view({4, 3});
    auto out = swavLoss(scores, at::zeros({4, 2}), 2, config, nullptr, at::zeros({3, 2}));
    ASSERT_NEAR(out.loss.item<double>(), expected, 1e-5);
    ASSERT_EQ(out.codes.size(), size_t(2));
    for (size_t i = 0; i < 2; ++i)
        for (size_t k = 0; k < 3; ++k) {
            ASSERT_NEAR(
                out.codes[0][static_cast<int64_t>(i)][static_cast<int64_t>(k)].item<double>(),
                codes0[i][k], 1e-5);
            ASSERT_NEAR(
                out.codes[1][static_cast<int64_t>(i)][static_cast<int64_t>(k)].item<double>(),
                codes1[i][k], 1e-5);
        }
}

TEST(Swav, GradientsDoNotFlowIntoTheCodes) {
    // With 2 crops and one assignment crop, the gradient w.r.t. the assignment crop's scores
    // must be zero: its codes are constants and it is not a prediction crop.
    auto scores = randomScores(2 * 8, 5, 4).requires_grad_(true);
    SwavConfig config;
    config.cropsForAssign = {0};
    auto out = swavLoss(scores, at::zeros({16, 2}), 8, config, nullptr, at::zeros({5, 2}));
    out.loss.backward();
    auto grad = scores.grad();
    ASSERT_EQ(grad.slice(0, 0, 8).abs().max().item<double>(), 0.0);
    ASSERT_TRUE(grad.slice(0, 8, 16).abs().max().item<double>() > 0);
    ASSERT_TRUE(!out.codes[0].requires_grad());
    // Gradient of the prediction crop equals (softmax - q) / (tau * B), as for cross-entropy.
    auto predicted = at::softmax(scores.detach().slice(0, 8, 16) / 0.1, 1);
    auto expected = (predicted - out.codes[0]) / (0.1 * 8);
    ASSERT_TRUE((grad.slice(0, 8, 16) - expected).abs().max().item<double>() < 1e-5);
}

TEST(Swav, QueueIsFifoNewestFirstAndCountsFill) {
    EmbeddingQueue queue(2, 6, 3, at::kCPU);
    ASSERT_TRUE(queue.exists() && !queue.full());
    auto batch = [](float base) { return at::arange(6, at::kFloat).view({2, 3}) + base; };
    queue.push({batch(0), batch(100)});
    ASSERT_EQ(queue.filled(), int64_t(2));
    queue.push({batch(10), batch(110)});
    queue.push({batch(20), batch(120)});
    ASSERT_TRUE(queue.full());
    // Newest first: rows 0-1 from the last push, rows 4-5 from the first.
    ASSERT_TRUE(at::equal(queue.rows(0).slice(0, 0, 2), batch(20)));
    ASSERT_TRUE(at::equal(queue.rows(0).slice(0, 4, 6), batch(0)));
    ASSERT_TRUE(at::equal(queue.rows(1).slice(0, 2, 4), batch(110)));
    queue.push({batch(30), batch(130)});
    ASSERT_TRUE(at::equal(queue.rows(0).slice(0, 4, 6), batch(10))); // oldest dropped
}

TEST(Swav, FullQueueIsRescoredWithCurrentPrototypesAndPrepended) {
    const int64_t b = 4, k = 3, d = 2;
    at::manual_seed(5);
    auto embeddings = at::randn({2 * b, d});
    embeddings = embeddings / embeddings.norm(2, 1, true);
    auto prototypes = at::randn({k, d});
    prototypes = prototypes / prototypes.norm(2, 1, true);
    auto scores = at::mm(embeddings, prototypes.t());
    SwavConfig config;
    config.cropsForAssign = {0};

    EmbeddingQueue queue(1, 8, d, at::kCPU);
    auto stored = at::randn({8, d});
    stored = stored / stored.norm(2, 1, true);
    queue.restore(stored.unsqueeze(0).clone(), 8);
    auto out = swavLoss(scores, embeddings, b, config, &queue, prototypes);
    ASSERT_TRUE(out.queueUsed);
    // Expected: Sinkhorn over [queue scores; batch scores] with the queue rescored now.
    auto joint = at::cat({at::mm(stored, prototypes.t()), scores.slice(0, 0, b)}, 0);
    auto expected = sinkhornCodes(joint, config.epsilon, 3).slice(0, 8, 8 + b);
    ASSERT_TRUE((out.codes[0] - expected).abs().max().item<double>() < 1e-6);
    // Without the queue the codes differ.
    auto alone = sinkhornCodes(scores.slice(0, 0, b), config.epsilon, 3);
    ASSERT_TRUE((out.codes[0] - alone).abs().max().item<double>() > 1e-4);
    // The batch embeddings of the assignment crop were pushed to the front.
    ASSERT_TRUE(at::equal(queue.rows(0).slice(0, 0, b), embeddings.slice(0, 0, b)));
}

TEST(Swav, QueueNotUsedUntilFull) {
    const int64_t b = 4;
    auto scores = randomScores(2 * b, 3, 6);
    SwavConfig config;
    EmbeddingQueue queue(2, 8, 16, at::kCPU);
    auto out = swavLoss(scores, at::randn({2 * b, 16}), b, config, &queue, at::randn({3, 16}));
    ASSERT_TRUE(!out.queueUsed);
    ASSERT_EQ(queue.filled(), b);
    auto alone = sinkhornCodes(scores.slice(0, 0, b), config.epsilon, 3);
    ASSERT_TRUE((out.codes[0] - alone).abs().max().item<double>() < 1e-7);
}

TEST(Swav, SinkhornTraceEndsAtTheCodesAndEachStepEnforcesItsMarginal) {
    const auto scores = randomScores(24, 10, 8);
    const auto trace = sinkhornTrace(scores, 0.05, 3);
    ASSERT_TRUE(at::equal(trace.codes, sinkhornCodes(scores, 0.05, 3)));
    ASSERT_TRUE(at::allclose(trace.exponentiated, at::exp((scores - scores.max()) / 0.05)));
    ASSERT_EQ(trace.steps.size(), size_t(7)); // start, then prototypes and samples x 3
    ASSERT_TRUE(trace.steps[0].kind == SinkhornStep::Kind::Start);
    ASSERT_NEAR(trace.steps[0].q.sum().item<double>(), 1.0, 1e-5);
    for (size_t i = 1; i < trace.steps.size(); ++i) {
        const auto& step = trace.steps[i];
        ASSERT_EQ(step.iteration, int((i + 1) / 2));
        if (step.kind == SinkhornStep::Kind::Prototypes) {
            ASSERT_TRUE((step.prototypeMass - 1.0 / 10).abs().max().item<double>() < 1e-6);
        } else {
            ASSERT_TRUE(step.kind == SinkhornStep::Kind::Samples);
            ASSERT_TRUE((step.sampleMass - 1.0 / 24).abs().max().item<double>() < 1e-6);
        }
        ASSERT_TRUE(at::allclose(step.prototypeMass, step.q.sum(0)));
    }
    // The last iterate, scaled by B, is the codes.
    ASSERT_TRUE(at::allclose(trace.steps.back().q * 24, trace.codes, 1e-5, 1e-7));
    // The sample marginal was not yet exact after the first prototype step.
    ASSERT_TRUE((trace.steps[1].sampleMass - 1.0 / 24).abs().max().item<double>() > 1e-4);
}

TEST(Swav, SwappedPredictionTableAveragesToTheLoss) {
    SwavConfig config;
    config.cropsForAssign = {0, 1};
    const int64_t batch = 16, crops = 4, k = 12;
    const auto scores = randomScores(batch * crops, k, 3);
    const auto embeddings = at::randn({batch * crops, 16});
    const auto loss = swavLoss(scores, embeddings, batch, config, nullptr, at::randn({k, 16}));
    const auto table = swappedPrediction(scores, batch, config);
    ASSERT_NEAR(table.imageLoss.mean().item<double>(), loss.loss.item<double>(), 1e-6);
    ASSERT_TRUE(table.crossEntropy.sizes() == at::IntArrayRef({batch, 2, crops}));
    ASSERT_TRUE(at::isnan(table.crossEntropy.select(1, 0).select(1, 0)).all().item<bool>());
    ASSERT_TRUE(at::isnan(table.crossEntropy.select(1, 1).select(1, 1)).all().item<bool>());
    ASSERT_TRUE(!at::isnan(table.crossEntropy.select(1, 0).select(1, 1)).any().item<bool>());
    ASSERT_TRUE(at::allclose(table.codes[1], loss.codes[1]));
    // One cell by hand: image 5, code of crop 1, prediction of crop 3.
    const auto q = table.codes[1][5];
    const auto logP = at::log_softmax(scores[3 * batch + 5] / config.temperature, 0);
    ASSERT_NEAR(table.crossEntropy[5][1][3].item<double>(), -(q * logP).sum().item<double>(), 1e-5);
    ASSERT_TRUE(at::allclose(table.predictions.sum(2), at::ones({crops, batch})));
}

TEST(Swav, SoftmaxAssignmentDropsTheEqualPartition) {
    // Scores that all favour prototype 0: Sinkhorn still spreads the batch, softmax does not.
    auto scores = randomScores(32, 8, 5) * 0.2;
    scores.select(1, 0).add_(0.5);
    SwavConfig config;
    const auto balanced = assignmentCodes(scores, config);
    config.assignment = "softmax";
    const auto greedy = assignmentCodes(scores, config);
    ASSERT_TRUE(at::allclose(greedy, at::softmax(scores / config.epsilon, 1)));
    const double balancedShare = balanced.select(1, 0).sum().item<double>() / 32;
    const double greedyShare = greedy.select(1, 0).sum().item<double>() / 32;
    ASSERT_TRUE(balancedShare < 0.2) << "Sinkhorn gives prototype 0 " << balancedShare;
    ASSERT_TRUE(greedyShare > 0.9) << "softmax gives prototype 0 " << greedyShare;
}
