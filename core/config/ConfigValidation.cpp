#include "config/ConfigJson.h"

#include <nlohmann/json.hpp>

#include <regex>
#include <set>
#include <sstream>

namespace swav {

namespace {

std::string str(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

class Checker {
public:
    explicit Checker(ValidationReport& report)
        : m_report(report) {}

    void positive(const std::string& path, double value) {
        if (!(value > 0))
            m_report.error(path, "must be greater than 0, got " + str(value));
    }
    void nonNegative(const std::string& path, double value) {
        if (!(value >= 0))
            m_report.error(path, "must be 0 or more, got " + str(value));
    }
    void atLeast(const std::string& path, double value, double minimum) {
        if (!(value >= minimum))
            m_report.error(path, "must be at least " + str(minimum) + ", got " + str(value));
    }
    void probability(const std::string& path, double value) {
        if (!(value >= 0 && value <= 1))
            m_report.error(path, "must be a probability between 0 and 1, got " + str(value));
    }
    void halfOpenUnit(const std::string& path, double value) {
        if (!(value >= 0 && value < 1))
            m_report.error(path, "must be in [0, 1), got " + str(value));
    }

private:
    ValidationReport& m_report;
};

void validateDataset(const DatasetConfig& d, ValidationReport& report, Checker& check) {
    check.nonNegative("dataset.subset", d.subset);
    check.nonNegative("dataset.holdout", d.holdout);
    check.atLeast("dataset.image_size", d.imageSize, 8);
    check.atLeast("dataset.prefetch_images", d.prefetchImages, 1);
    if (d.kind == "synthetic") {
        check.atLeast("dataset.synthetic_count", d.syntheticCount, 2);
        if (d.syntheticClasses < 1 || d.syntheticClasses > 8)
            report.error("dataset.synthetic_classes",
                         "must be between 1 and 8 (one per shape), got " +
                             std::to_string(d.syntheticClasses));
        check.atLeast("dataset.synthetic_size", d.syntheticSize, 8);
        if (d.syntheticChannels != 1 && d.syntheticChannels != 3)
            report.error("dataset.synthetic_channels",
                         "must be 1 or 3, got " + std::to_string(d.syntheticChannels));
    }
    if ((d.split == "unlabeled" || d.split == "train+unlabeled") && d.kind != "stl10")
        report.error("dataset.split", "'" + d.split + "' exists only for stl10");
    if (d.kind == "image-folder" && d.path.empty())
        report.error("dataset.path", "an image folder dataset needs a folder path");
}

void validateModel(const ModelConfig& m, ValidationReport& report, Checker& check) {
    if (m.arch == "custom") {
        const size_t stages = m.stageDepths.size();
        if (stages == 0)
            report.error("model.stage_depths", "needs at least one stage");
        if (m.stageWidths.size() != stages || m.stageStrides.size() != stages)
            report.error(
                "model.stage_widths",
                "stage_depths, stage_widths and stage_strides must have the same length (" +
                    std::to_string(stages) + ")");
        for (size_t i = 0; i < m.stageDepths.size(); ++i)
            check.atLeast("model.stage_depths[" + std::to_string(i) + "]", m.stageDepths[i], 1);
        for (size_t i = 0; i < m.stageWidths.size(); ++i)
            check.atLeast("model.stage_widths[" + std::to_string(i) + "]", m.stageWidths[i], 1);
        for (size_t i = 0; i < m.stageStrides.size(); ++i)
            if (m.stageStrides[i] != 1 && m.stageStrides[i] != 2)
                report.error("model.stage_strides[" + std::to_string(i) + "]",
                             "must be 1 or 2, got " + std::to_string(m.stageStrides[i]));
        check.atLeast("model.stem_width", m.stemWidth, 1);
    } else {
        const ModelConfig defaults;
        if (m.stageDepths != defaults.stageDepths || m.stageWidths != defaults.stageWidths ||
            m.stageStrides != defaults.stageStrides || m.block != defaults.block ||
            m.stemWidth != defaults.stemWidth)
            report.warning("model.arch", "block, stage_* and stem_width are ignored unless arch "
                                         "is 'custom'");
    }
    check.positive("model.width_multiplier", m.widthMultiplier);
    if (m.inChannels != 0 && m.inChannels != 1 && m.inChannels != 3)
        report.error("model.in_channels",
                     "must be 0 (from the dataset), 1 or 3, got " + std::to_string(m.inChannels));
    if (m.head.kind == "mlp")
        check.atLeast("model.head.hidden_dim", m.head.hiddenDim, 1);
    if (m.head.kind != "none")
        check.atLeast("model.head.output_dim", m.head.outputDim, 1);
    check.atLeast("model.num_prototypes", m.numPrototypes, 2);
}

void validateMultiCrop(const ExperimentConfig& c, ValidationReport& report, Checker& check) {
    const auto& mc = c.multicrop;
    if (mc.crops.empty())
        report.error("multicrop.crops", "needs at least one crop group");
    const int side = datasetImageSide(c.dataset);
    for (size_t i = 0; i < mc.crops.size(); ++i) {
        const auto& g = mc.crops[i];
        const std::string p = "multicrop.crops[" + std::to_string(i) + "]";
        check.atLeast(p + ".count", g.count, 1);
        check.atLeast(p + ".size", g.size, 2);
        if (g.size > side)
            report.error(p + ".size", "crop size " + std::to_string(g.size) +
                                          " is larger than the " + std::to_string(side) +
                                          " px images of " + c.dataset.kind);
        if (!(g.minScale > 0 && g.minScale <= 1))
            report.error(p + ".min_scale", "must be in (0, 1], got " + str(g.minScale));
        if (!(g.maxScale > 0 && g.maxScale <= 1))
            report.error(p + ".max_scale", "must be in (0, 1], got " + str(g.maxScale));
        if (g.minScale > g.maxScale)
            report.error(p + ".min_scale", "min_scale " + str(g.minScale) +
                                               " is larger than max_scale " + str(g.maxScale));
        check.probability(p + ".flip_prob", g.flipProb);
        check.probability(p + ".jitter_prob", g.jitterProb);
        check.probability(p + ".grayscale_prob", g.grayscaleProb);
        check.probability(p + ".blur_prob", g.blurProb);
        check.nonNegative(p + ".jitter_strength", g.jitterStrength);
        if (g.jitterStrength > 1.25)
            report.error(p + ".jitter_strength",
                         "must be at most 1.25 (brightness factor 0.8 s must stay below 1), got " +
                             str(g.jitterStrength));
        check.positive(p + ".blur_sigma_min", g.blurSigmaMin);
        if (g.blurSigmaMin > g.blurSigmaMax)
            report.error(p + ".blur_sigma_min",
                         "is larger than blur_sigma_max " + str(g.blurSigmaMax));
    }
    const size_t channels =
        static_cast<size_t>(c.model.inChannels ? c.model.inChannels : datasetChannels(c.dataset));
    if (!mc.mean.empty() && mc.mean.size() != channels)
        report.error("multicrop.mean", "needs " + std::to_string(channels) +
                                           " values (one per channel), got " +
                                           std::to_string(mc.mean.size()));
    if (!mc.std.empty() && mc.std.size() != channels)
        report.error("multicrop.std", "needs " + std::to_string(channels) +
                                          " values (one per channel), got " +
                                          std::to_string(mc.std.size()));
    for (size_t i = 0; i < mc.std.size(); ++i)
        check.positive("multicrop.std[" + std::to_string(i) + "]", mc.std[i]);
}

void validateSwav(const ExperimentConfig& c, ValidationReport& report, Checker& check) {
    const auto& s = c.swav;
    check.positive("swav.epsilon", s.epsilon);
    check.atLeast("swav.sinkhorn_iterations", s.sinkhornIterations, 1);
    check.positive("swav.temperature", s.temperature);
    const int crops = c.totalCrops();
    if (crops < 2)
        report.error("multicrop.crops",
                     "SwAV needs at least 2 crops in total, got " + std::to_string(crops));
    if (s.cropsForAssign.empty())
        report.error("swav.crops_for_assign", "needs at least one crop index");
    std::set<int> seen;
    for (size_t i = 0; i < s.cropsForAssign.size(); ++i) {
        const int crop = s.cropsForAssign[i];
        const std::string p = "swav.crops_for_assign[" + std::to_string(i) + "]";
        if (crop < 0 || crop >= crops)
            report.error(p, "crop " + std::to_string(crop) + " does not exist; crops are 0.." +
                                std::to_string(crops - 1));
        else if (!seen.insert(crop).second)
            report.error(p, "crop " + std::to_string(crop) + " is listed twice");
    }
    check.nonNegative("swav.queue_length", s.queueLength);
    check.nonNegative("swav.epoch_queue_starts", s.epochQueueStarts);
    check.nonNegative("swav.freeze_prototypes_niters", s.freezePrototypesNiters);
    if (s.queueLength > 0 && c.optim.batchSize > 0 && s.queueLength % c.optim.batchSize != 0)
        report.error("swav.queue_length", "must be a multiple of the batch size " +
                                              std::to_string(c.optim.batchSize) + ", got " +
                                              std::to_string(s.queueLength));
    if (s.queueLength > 0 && s.epochQueueStarts >= c.optim.epochs)
        report.warning("swav.epoch_queue_starts",
                       "the queue starts at epoch " + std::to_string(s.epochQueueStarts) +
                           " but training has only " + std::to_string(c.optim.epochs) +
                           " epochs: it will never be used");
    const int codesPerStep = c.optim.batchSize + s.queueLength;
    if (codesPerStep < c.model.numPrototypes)
        report.warning(
            "model.num_prototypes",
            "batch_size + queue_length = " + std::to_string(codesPerStep) +
                " is smaller than num_prototypes = " + std::to_string(c.model.numPrototypes) +
                ": some prototypes will stay empty");
    if (s.epsilon < 0.01 && s.epsilon > 0)
        report.warning("swav.epsilon", "values below 0.01 risk overflow in exp(score / eps)");
}

void validateOptim(const OptimConfig& o, ValidationReport& report, Checker& check) {
    check.atLeast("optim.epochs", o.epochs, 1);
    check.atLeast("optim.batch_size", o.batchSize, 2);
    check.nonNegative("optim.base_lr", o.baseLr);
    check.nonNegative("optim.final_lr", o.finalLr);
    check.nonNegative("optim.start_warmup", o.startWarmup);
    check.nonNegative("optim.warmup_epochs", o.warmupEpochs);
    check.halfOpenUnit("optim.momentum", o.momentum);
    check.nonNegative("optim.weight_decay", o.weightDecay);
    check.positive("optim.lars_trust", o.larsTrust);
    check.halfOpenUnit("optim.adam_beta1", o.adamBeta1);
    check.halfOpenUnit("optim.adam_beta2", o.adamBeta2);
    check.positive("optim.adam_eps", o.adamEps);
    if (o.warmupEpochs > o.epochs)
        report.warning("optim.warmup_epochs", "warm-up is longer than training (" +
                                                  str(o.warmupEpochs) + " > " +
                                                  std::to_string(o.epochs) + " epochs)");
    if (o.finalLr > o.baseLr)
        report.warning("optim.final_lr", "is larger than base_lr: the schedule increases");
}

void validateRuntime(const RuntimeConfig& r, ValidationReport& report, Checker& check) {
    static const std::regex device("^(auto|cpu|cuda|cuda:[0-9]+)$");
    if (!std::regex_match(r.device, device))
        report.error("runtime.device",
                     "'" + r.device + "' is not a device; expected auto, cpu, cuda or cuda:N");
    check.nonNegative("runtime.threads", r.threads);
    check.atLeast("runtime.metrics_every", r.metricsEvery, 1);
    check.atLeast("runtime.checkpoint_every_epochs", r.checkpointEveryEpochs, 1);
    check.atLeast("runtime.keep_checkpoints", r.keepCheckpoints, 1);
}

void validateEval(const EvalConfig& e, ValidationReport&, Checker& check) {
    check.atLeast("eval.knn_k", e.knnK, 1);
    check.positive("eval.knn_temperature", e.knnTemperature);
    check.nonNegative("eval.knn_every_epochs", e.knnEveryEpochs);
    check.atLeast("eval.linear_epochs", e.linearEpochs, 1);
    check.positive("eval.linear_lr", e.linearLr);
    check.atLeast("eval.linear_batch_size", e.linearBatchSize, 1);
    check.nonNegative("eval.linear_weight_decay", e.linearWeightDecay);
    check.atLeast("eval.feature_batch_size", e.featureBatchSize, 1);
}

} // namespace

ValidationReport validateConfig(const ExperimentConfig& config) {
    ValidationReport report = validateChoices(config);
    Checker check(report);
    validateDataset(config.dataset, report, check);
    validateModel(config.model, report, check);
    validateMultiCrop(config, report, check);
    validateSwav(config, report, check);
    validateOptim(config.optim, report, check);
    validateRuntime(config.runtime, report, check);
    validateEval(config.eval, report, check);
    return report;
}

int ExperimentConfig::totalCrops() const {
    int total = 0;
    for (const auto& group : multicrop.crops)
        total += group.count;
    return total;
}

bool operator==(const ExperimentConfig& a, const ExperimentConfig& b) {
    return toJson(a) == toJson(b);
}

} // namespace swav
