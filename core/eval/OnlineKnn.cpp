#include "eval/OnlineKnn.h"

#include "eval/Features.h"
#include "eval/Knn.h"
#include "util/SeedMix.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace swav {

namespace {

constexpr size_t kBankImages = 10000;

class OnlineKnn : public EpochEvaluator {
public:
    OnlineKnn(const ExperimentConfig& config, std::shared_ptr<Dataset> train,
              std::shared_ptr<Dataset> monitor)
        : m_config(config)
        , m_bank(bankOf(std::move(train), config.runtime.seed))
        , m_monitor(std::move(monitor)) {}

    std::optional<double> afterEpoch(SwavModel& model, int epochsDone, at::Device device) override {
        if (epochsDone % m_config.eval.knnEveryEpochs != 0)
            return std::nullopt;
        const auto transform = evalTransformFor(m_config);
        const int batch = m_config.eval.featureBatchSize;
        const auto bank = extractFeatures(model, *m_bank, transform, batch, device);
        const auto query = extractFeatures(model, *m_monitor, transform, batch, device);
        const int classes = static_cast<int>(
            std::max(bank.labels.max().item<int64_t>(), query.labels.max().item<int64_t>()) + 1);
        KnnOptions options;
        options.k = m_config.eval.knnK;
        options.temperature = m_config.eval.knnTemperature;
        const auto predictions =
            knnPredict(bank.features, bank.labels, query.features, classes, options);
        return predictions.eq(query.labels).to(at::kDouble).mean().item<double>();
    }

private:
    /// Up to 10000 training images, the same ones every epoch (seeded by the run's seed).
    static std::shared_ptr<Dataset> bankOf(std::shared_ptr<Dataset> train, int64_t seed) {
        std::vector<int64_t> positions(static_cast<size_t>(train->size()));
        std::iota(positions.begin(), positions.end(), 0);
        std::mt19937_64 rng(mixSeed(static_cast<uint64_t>(seed), 99u));
        std::shuffle(positions.begin(), positions.end(), rng);
        positions.resize(std::min(positions.size(), kBankImages));
        return std::make_shared<SubsetDataset>(std::move(train), positions, "kNN bank");
    }

    ExperimentConfig m_config;
    std::shared_ptr<Dataset> m_bank;
    std::shared_ptr<Dataset> m_monitor;
};

} // namespace

std::shared_ptr<EpochEvaluator> onlineKnnFor(const ExperimentConfig& config,
                                             const DatasetSplit& split, std::string* problem) {
    if (config.eval.knnEveryEpochs <= 0)
        return nullptr;
    if (!split.train->labels().defined()) {
        if (problem)
            *problem = "the training images have no labels";
        return nullptr;
    }
    auto monitor = knnMonitorSet(config.dataset, split, problem);
    if (!monitor)
        return nullptr;
    if (!monitor->labels().defined()) {
        if (problem)
            *problem = "the held-out images have no labels";
        return nullptr;
    }
    return std::make_shared<OnlineKnn>(config, split.train, std::move(monitor));
}

} // namespace swav
