#include "TestHarness.h"
#include "TinySynthetic.h"

#include "eval/AnalyzeCheckpoint.h"
#include "eval/Classification.h"
#include "eval/Evaluation.h"
#include "eval/Features.h"
#include "eval/Knn.h"
#include "eval/LinearClassifier.h"
#include "eval/LinearProbe.h"
#include "runtime/Checkpoint.h"
#include "train/Trainer.h"
#include "util/Sha256.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <limits>
#include <set>

using namespace swav;

namespace {

// Gaussian clusters around well-separated random centres.
FeatureSet clusters(int classes, int perClass, int dim, double noise, int seed) {
    at::manual_seed(seed);
    auto centres = at::randn({classes, dim});
    auto labels = at::arange(classes, at::kLong).repeat_interleave(perClass);
    auto features = centres.index_select(0, labels) + noise * at::randn({classes * perClass, dim});
    return {features, labels};
}

double accuracy(const at::Tensor& predictions, const at::Tensor& labels) {
    return predictions.eq(labels).to(at::kDouble).mean().item<double>();
}

} // namespace

TEST(Eval, KnnIsPerfectOnWellSeparatedClasses) {
    auto bank = clusters(5, 100, 16, 0.05, 1), queries = clusters(5, 40, 16, 0.05, 1);
    // Same centres (same seed), fresh noise for the queries.
    at::manual_seed(2);
    queries.features = queries.features + 0.05 * at::randn_like(queries.features);
    auto predictions = knnPredict(bank.features, bank.labels, queries.features, 5, KnnOptions{});
    ASSERT_EQ(accuracy(predictions, queries.labels), 1.0);
}

TEST(Eval, KnnOnShuffledLabelsIsNearChance) {
    auto bank = clusters(10, 200, 16, 0.5, 3), queries = clusters(10, 100, 16, 0.5, 3);
    auto shuffled = bank.labels.index_select(0, at::randperm(bank.labels.size(0)));
    auto predictions = knnPredict(bank.features, shuffled, queries.features, 10, KnnOptions{});
    ASSERT_NEAR(accuracy(predictions, queries.labels), 0.1, 0.05);
}

TEST(Eval, ChunkedAndUnchunkedKnnAgreeExactly) {
    auto bank = clusters(7, 150, 32, 1.0, 4), queries = clusters(7, 60, 32, 1.0, 5);
    KnnOptions whole;
    whole.chunk = 1 << 20;
    KnnOptions chunked;
    chunked.chunk = 37;
    auto a = knnPredict(bank.features, bank.labels, queries.features, 7, whole);
    auto b = knnPredict(bank.features, bank.labels, queries.features, 7, chunked);
    ASSERT_TRUE(at::equal(a, b));
}

TEST(Eval, KnnVotesAreWeightedBySimilarity) {
    // Two class-0 neighbours at cosine 0.6, one class-1 neighbour at cosine 1.0. A plain
    // majority says 0; with T = 0.07, exp(1/0.07) outweighs 2 exp(0.6/0.07).
    auto bank = at::tensor({1.f, 0.f, 0.6f, 0.8f, 0.6f, -0.8f}).view({3, 2});
    auto labels = at::tensor({1, 0, 0}, at::kLong);
    auto query = at::tensor({1.f, 0.f}).view({1, 2});
    KnnOptions options;
    options.k = 3;
    ASSERT_EQ(knnPredict(bank, labels, query, 2, options).item<int64_t>(), int64_t(1));
    options.temperature = 100.0; // nearly uniform weights: the majority wins
    ASSERT_EQ(knnPredict(bank, labels, query, 2, options).item<int64_t>(), int64_t(0));
}

TEST(Eval, LinearProbeLearnsALinearlySeparableSet) {
    auto train = clusters(4, 200, 8, 0.3, 6), test = clusters(4, 50, 8, 0.3, 6);
    LinearProbeOptions options;
    options.epochs = 20;
    options.batchSize = 64;
    auto result = trainLinearProbe(train, test, 4, options);
    ASSERT_TRUE(result.final.top1 > 0.95) << "top-1 " << result.final.top1;
    ASSERT_TRUE(result.bestTop1 >= result.final.top1);
    ASSERT_EQ(result.top1PerEpoch.size(), size_t(20));
    int64_t total = 0;
    for (const auto& row : result.final.confusion)
        for (auto count : row)
            total += count;
    ASSERT_EQ(total, int64_t(200));
}

TEST(Eval, ConfusionMatrixAndPerClassAccuracy) {
    auto truth = at::tensor({0, 0, 1, 1, 1, 2}, at::kLong);
    auto predicted = at::tensor({0, 1, 1, 1, 0, 2}, at::kLong);
    auto report = classificationReport(predicted, truth, 4);
    ASSERT_NEAR(report.top1, 4.0 / 6.0, 1e-12);
    ASSERT_EQ(report.confusion[0][1], int64_t(1));
    ASSERT_EQ(report.confusion[1][0], int64_t(1));
    ASSERT_NEAR(report.perClassAccuracy[1], 2.0 / 3.0, 1e-12);
    ASSERT_TRUE(std::isnan(report.perClassAccuracy[3])); // class absent from the test set
    ASSERT_EQ(report.count, int64_t(6));
}

TEST(Eval, FeatureExtractionIsFrozenAndRestoresTheMode) {
    ModelConfig mc;
    mc.arch = "fashion-mnist";
    mc.stem = "cifar";
    mc.numPrototypes = 10;
    mc.head.hiddenDim = 16;
    SwavModel model(mc, 1);
    model->train();
    auto data = makeSyntheticShapes(40, 4, 28, 1, 3);
    const auto before = model->named_buffers()["trunk.bn1.running_mean"].clone();
    EvalTransform transform{28, {0.5}, {0.25}};
    int64_t lastDone = 0;
    auto set = extractFeatures(model, *data, transform, 16, at::kCPU, [&](int64_t done, int64_t) {
        lastDone = done;
        return true;
    });
    ASSERT_TRUE(set.features.sizes() == at::IntArrayRef({40, 128}));
    ASSERT_TRUE(at::equal(set.labels, data->labels()));
    ASSERT_TRUE(model->is_training());
    ASSERT_TRUE(at::equal(model->named_buffers()["trunk.bn1.running_mean"], before));
    ASSERT_EQ(lastDone, int64_t(40));
    ASSERT_THROWS_WITH(extractFeatures(model, *data, transform, 16, at::kCPU,
                                       [](int64_t, int64_t) { return false; }),
                       "cancelled");
    auto pixels = rawPixelFeatures(*data, transform, 16);
    ASSERT_TRUE(pixels.features.sizes() == at::IntArrayRef({40, 28 * 28}));
}

TEST(Eval, FeatureCacheIsReusedOnlyForTheSameKey) {
    swav::test::TempDir dir;
    FeatureSet set{at::rand({5, 3}), at::tensor({0, 1, 2, 1, 0}, at::kLong)};
    saveCachedFeatures(dir.file("cache.pt"), "key-1", set);
    FeatureSet back;
    const CachedFeaturesShape shape{5, 3, set.labels};
    ASSERT_TRUE(loadCachedFeatures(dir.file("cache.pt"), "key-1", shape, back));
    ASSERT_TRUE(at::equal(back.features, set.features));
    ASSERT_TRUE(at::equal(back.labels, set.labels));
    ASSERT_TRUE(!loadCachedFeatures(dir.file("cache.pt"), "key-2", shape, back));
    ASSERT_TRUE(!loadCachedFeatures(dir.file("absent.pt"), "key-1", shape, back));
}

// Issue 32: a well-formed cache with the right key but the wrong contents (NaN features, too
// few rows, no rows, extra columns, other or missing labels) is recomputed, not trusted.
TEST(Eval, AFeatureCacheIsUsedOnlyWithTheDatasetsRowsLabelsAndFiniteValues) {
    swav::test::TempDir dir;
    const at::Tensor labels = at::tensor({0, 1, 2, 1, 0}, at::kLong);
    const CachedFeaturesShape shape{5, 3, labels};
    at::Tensor nan = at::rand({5, 3});
    nan[2][1] = std::numeric_limits<float>::quiet_NaN();
    at::Tensor infinite = at::rand({5, 3});
    infinite[4][0] = std::numeric_limits<float>::infinity();
    const std::vector<std::pair<const char*, FeatureSet>> tampered = {
        {"nan", {nan, labels}},
        {"infinite", {infinite, labels}},
        {"one row", {at::rand({1, 3}), labels.slice(0, 0, 1)}},
        {"no rows", {at::rand({0, 3}), labels.slice(0, 0, 0)}},
        {"extra columns", {at::rand({5, 4}), labels}},
        {"other labels", {at::rand({5, 3}), at::tensor({0, 1, 2, 1, 9}, at::kLong)}},
        {"float labels", {at::rand({5, 3}), labels.to(at::kFloat)}},
        {"no labels", {at::rand({5, 3}), at::Tensor()}},
        {"integer features", {at::ones({5, 3}, at::kLong), labels}},
    };
    for (const auto& [name, set] : tampered) {
        saveCachedFeatures(dir.file("cache.pt"), "key", set);
        FeatureSet back;
        ASSERT_FALSE(loadCachedFeatures(dir.file("cache.pt"), "key", shape, back)) << name;
    }
    // And a dataset without labels takes only a cache without labels.
    saveCachedFeatures(dir.file("cache.pt"), "key", {at::rand({5, 3}), labels});
    FeatureSet back;
    ASSERT_FALSE(loadCachedFeatures(dir.file("cache.pt"), "key", {5, 3, at::Tensor()}, back));
    saveCachedFeatures(dir.file("cache.pt"), "key", {at::rand({5, 3}), at::Tensor()});
    ASSERT_TRUE(loadCachedFeatures(dir.file("cache.pt"), "key", {5, 3, at::Tensor()}, back));
}

TEST(Eval, EvaluateCheckpointReportsTrainedAndBaselines) {
    swav::test::TempDir dir;
    ExperimentConfig c = test::tinySyntheticConfig(256);
    CropGroupConfig crop;
    crop.count = 2, crop.size = 16, crop.blurProb = 0;
    c.multicrop.crops = {crop};
    c.optim.epochs = 1;
    c.optim.batchSize = 64;
    c.runtime.device = "cpu";
    c.runtime.threads = 1;
    c.eval.linearEpochs = 3;
    auto data = openDataset(c.dataset);
    ASSERT_TRUE(data);
    TrainerOptions options;
    options.runDir = dir.path();
    Trainer trainer(c, data->train, options);
    TrainingControl control;
    ASSERT_TRUE(trainer.run(control).status == RunStatus::Finished);

    auto request = evalRequestFor(c);
    request.linear = true;
    request.baselines = true;
    const auto checkpoint = listCheckpoints(dir.path()).back();
    auto result = evaluateCheckpoint(checkpoint, request);
    ASSERT_TRUE(result) << (result ? "" : result.error().message);
    for (const char* group : {"knn", "linear", "linear_best"})
        for (const char* name : {"trained", "random_init", "raw_pixels"}) {
            const double value = (*result)[group][name].get<double>();
            ASSERT_TRUE(value >= 0 && value <= 1) << group << "." << name << " = " << value;
        }
    ASSERT_EQ((*result)["dataset"]["test_images"].get<int64_t>(), int64_t(51));
    ASSERT_TRUE(std::filesystem::exists(checkpoint + ".test.features"));
    // The raw pixels of clean synthetic shapes are far above chance (0.25).
    ASSERT_TRUE((*result)["knn"]["raw_pixels"].get<double>() > 0.5);

    // Issue 10: a checkpoint that no longer matches its recorded digest is not evaluated.
    request.expectedSha256 = sha256OfFile(checkpoint);
    ASSERT_TRUE(evaluateCheckpoint(checkpoint, request));
    request.expectedSha256[0] = request.expectedSha256[0] == '0' ? '1' : '0';
    const auto changed = evaluateCheckpoint(checkpoint, request);
    ASSERT_TRUE(!changed);
    ASSERT_CONTAINS(changed.error().message, "changed since it was written");
    AnalyzeRequest analysis;
    analysis.projectionImages = 64;
    analysis.expectedSha256 = request.expectedSha256;
    const auto refused = analyzeCheckpoint(checkpoint, analysis);
    ASSERT_TRUE(!refused);
    ASSERT_CONTAINS(refused.error().message, "changed since it was written");
    analysis.expectedSha256 = sha256OfFile(checkpoint);
    auto analysed = analyzeCheckpoint(checkpoint, analysis);
    ASSERT_TRUE(analysed) << (analysed ? "" : analysed.error().message);
    // Shown images carry both their Sinkhorn code (over the shown images as one batch) and
    // their prediction; codes spread over the prototypes, each row's top-5 sums to at most 1.
    const auto& codes = (*analysed)["codes"];
    const auto& predictions = (*analysed)["predictions"];
    ASSERT_EQ(codes.size(), predictions.size());
    ASSERT_EQ((*analysed)["codes_batch"].get<size_t>(), codes.size());
    ASSERT_TRUE(codes.size() >= 64);
    std::set<int> topCodePrototypes;
    for (const auto& [image, entries] : codes.items()) {
        ASSERT_TRUE(predictions.contains(image));
        double sum = 0;
        for (const auto& entry : entries)
            sum += entry[1].get<double>();
        ASSERT_TRUE(sum <= 1.0 + 1e-4);
        topCodePrototypes.insert(entries[0][0].get<int>());
    }
    // The equal partition sends the shown images to more than one prototype.
    ASSERT_TRUE(topCodePrototypes.size() > 1);

    auto missing = evaluateCheckpoint(dir.file("none.pt"), request);
    ASSERT_TRUE(!missing);
    ASSERT_CONTAINS(missing.error().message, "none.pt: cannot open the checkpoint");
}

TEST(Eval, OfficialProtocolProbeTrainsOnAugmentedImagesThroughTheFrozenTrunk) {
    ModelConfig mc;
    mc.arch = "custom";
    mc.block = "basic";
    mc.stem = "cifar";
    mc.stageDepths = {1};
    mc.stageWidths = {16};
    mc.stageStrides = {1};
    mc.stemWidth = 16;
    mc.numPrototypes = 4;
    at::manual_seed(0);
    SwavModel model(mc, 1);
    // Dark and bright noise images: a random trunk's features separate them linearly.
    auto images = [](int64_t count, uint64_t seed) {
        auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
        const auto labels = at::arange(count, at::kLong) % 2;
        const auto noise = at::randint(0, 70, {count, 1, 16, 16}, generator, at::kLong);
        const auto pixels = (noise + labels.view({count, 1, 1, 1}) * 180).to(at::kByte);
        return std::make_shared<InMemoryDataset>(pixels, labels,
                                                 std::vector<std::string>{"dark", "bright"}, "");
    };
    auto train = images(128, 1);
    auto test = images(32, 2);
    EvalTransform transform{16, {0.5}, {0.25}};
    const auto before = model->named_parameters()["trunk.conv1.weight"].clone();
    const auto testFeatures = extractFeatures(model, *test, transform, 64, at::kCPU);
    LinearProbeOptions options;
    options.epochs = 8;
    options.batchSize = 32;
    auto result =
        trainLinearProbeOnImages(model, *train, testFeatures, 2, transform, options, at::kCPU);
    ASSERT_EQ(result.top1PerEpoch.size(), size_t(8));
    ASSERT_TRUE(result.final.top1 > 0.9) << "final top-1 " << result.final.top1;
    for (double top1 : result.top1PerEpoch)
        ASSERT_TRUE(top1 >= 0 && top1 <= 1);
    ASSERT_TRUE(at::equal(model->named_parameters()["trunk.conv1.weight"], before)); // frozen
}

// eval.linear_protocol=official trains the layer as the authors' eval_linear.py does:
// torch.optim.SGD (momentum, weight decay on weight and bias) with CosineAnnealingLR stepped per
// epoch, the last partial batch kept, the learning rate as given. Compared with LibTorch's own SGD.
TEST(Eval, TheOfficialProbeStepsAsTorchSgdWithACosinePerEpoch) {
    const int64_t n = 10, dim = 5, classes = 3;
    LinearProbeOptions options;
    options.epochs = 3;
    options.lr = 0.3;
    options.batchSize = 4;
    options.weightDecay = 0.05; // large, so that decaying the bias or not shows
    options.seed = 7;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
    const auto x = at::randn({n, dim}, generator);
    const auto y = at::randint(classes, {n}, generator, at::kLong);

    const ProbeSchedule authors{true};
    ASSERT_EQ(authors.stepsPerEpoch(n, 4), int64_t(3)); // 4 + 4 + 2
    ASSERT_EQ(ProbeSchedule{}.stepsPerEpoch(n, 4), int64_t(2));
    LinearClassifier probe(classes, dim, options, authors, 3);
    auto weight = probe.weight().detach().clone().requires_grad_(true);
    auto bias = probe.bias().detach().clone().requires_grad_(true);
    torch::optim::SGD sgd(
        {weight, bias},
        torch::optim::SGDOptions(options.lr).momentum(0.9).weight_decay(options.weightDecay));
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        const double lr = 0.5 * options.lr * (1 + std::cos(M_PI * epoch / options.epochs));
        for (auto& group : sgd.param_groups())
            static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
        for (int64_t begin = 0; begin < n; begin += options.batchSize) {
            const auto xb = x.slice(0, begin, std::min<int64_t>(n, begin + options.batchSize));
            const auto yb = y.slice(0, begin, std::min<int64_t>(n, begin + options.batchSize));
            ASSERT_NEAR(probe.learningRate(), lr, 1e-12);
            probe.step(xb, yb);
            sgd.zero_grad();
            at::cross_entropy_loss(at::addmm(bias, xb, weight.t()), yb).backward();
            sgd.step();
        }
    }
    ASSERT_TRUE((probe.weight() - weight).abs().max().item<double>() < 1e-6);
    ASSERT_TRUE((probe.bias() - bias).abs().max().item<double>() < 1e-6);

    // The cached variant is another schedule: no decay on the bias, a cosine per step.
    LinearClassifier cached(classes, dim, options, ProbeSchedule{}, 3);
    for (int step = 0; step < 9; ++step)
        cached.step(x.slice(0, (step % 3) * 4, std::min<int64_t>(n, (step % 3) * 4 + 4)),
                    y.slice(0, (step % 3) * 4, std::min<int64_t>(n, (step % 3) * 4 + 4)));
    ASSERT_TRUE((cached.bias() - bias).abs().max().item<double>() > 1e-4);
}
