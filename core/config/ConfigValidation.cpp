#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "util/Strings.h"
#include "util/SystemMemory.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

namespace swav {

namespace {

// Upper bounds of sizes and counts. Each is far above what SwAV uses (design/SWAV.md), so no
// real experiment meets it, and low enough that a typo (an extra zero or three) is caught here
// rather than by an allocation failure or an endless loop inside the trainer. What actually fits
// the machine's memory is checked before allocation by the trainer (runtime/MemoryBudget.h).
constexpr double kMaxImageCount = 1e9;    // subset / hold-out counts
constexpr int kMaxImageSide = 1024;       // decoded image and crop sides (ImageNet: 224)
constexpr int kMaxPrefetchImages = 65536; // decoded images buffered ahead
constexpr int kMaxSyntheticImages = 1000000;
constexpr double kMaxSyntheticBytes = 8.0 * (1 << 30);
constexpr int kMaxStages = 8;              // ResNets have 4
constexpr int kMaxStageDepth = 256;        // ResNet-152's deepest stage has 36 blocks
constexpr int kMaxWidth = 4096;            // stem and stage base widths (ResNet-50: up to 512)
constexpr double kMaxWidthMultiplier = 16; // the widest SwAV model is ResNet-50 w5
constexpr int kMaxHeadDim = 65536;         // head widths (paper: 2048 and 128)
constexpr int kMaxProcesses = 65536;       // ranks of a data-parallel run
constexpr int kMaxPrototypes = 100000;     // K (paper: 3000)
constexpr int kMaxCropGroups = 16;
constexpr int kMaxCrops = 64;                // crops per image over all groups (paper: 2 + 6)
constexpr int kMaxSinkhornIterations = 1000; // paper: 3
constexpr int kMaxQueueLength = 262144;      // paper: 3840
constexpr int kMaxEpochs = 100000;           // paper: 800 at most
constexpr int kMaxBatch = 65536;             // per process (paper: 4096 over 64 GPUs)
constexpr int kMaxGlobalBatch = 1 << 24;     // processes x batch (paper: 4096)
constexpr int kThreadsPerCore = 4;
constexpr int kMinThreadLimit = 64; // so that a config travels to (or resumes on) a smaller machine

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
    /// Upper bound with the reason it exists ("... (why), got N").
    void atMost(const std::string& path, double value, double maximum, const std::string& why) {
        if (!(value <= maximum))
            m_report.error(path,
                           "must be at most " + str(maximum) + " (" + why + "), got " + str(value));
    }
    void between(const std::string& path, double value, double minimum, double maximum,
                 const std::string& why) {
        if (!(value >= minimum))
            atLeast(path, value, minimum);
        else
            atMost(path, value, maximum, why);
    }

private:
    ValidationReport& m_report;
};

void validateDataset(const DatasetConfig& d, ValidationReport& report, Checker& check) {
    const std::string countWhy = "a number of images; no dataset read here has more";
    check.nonNegative("dataset.subset", d.subset);
    check.atMost("dataset.subset", d.subset, kMaxImageCount, countWhy);
    check.nonNegative("dataset.holdout", d.holdout);
    check.atMost("dataset.holdout", d.holdout, kMaxImageCount, countWhy);
    check.between("dataset.image_size", d.imageSize, 8, kMaxImageSide,
                  "each decoded image takes image_size^2 x 3 bytes; ImageNet uses 256");
    check.between("dataset.prefetch_images", d.prefetchImages, 1, kMaxPrefetchImages,
                  "decoded images are held in memory; a few thousand keep any GPU fed");
    check.between("dataset.decode_threads", d.decodeThreads, 0, 1024, "0 uses one thread per core");
    if (d.kind == "synthetic") {
        check.between("dataset.synthetic_count", d.syntheticCount, 2, kMaxSyntheticImages,
                      "synthetic images are generated into memory before training");
        if (d.syntheticClasses < 1 || d.syntheticClasses > 8)
            report.error("dataset.synthetic_classes",
                         "must be between 1 and 8 (one per shape), got " +
                             std::to_string(d.syntheticClasses));
        check.between("dataset.synthetic_size", d.syntheticSize, 8, kMaxImageSide,
                      "synthetic images are generated into memory before training");
        if (d.syntheticChannels != 1 && d.syntheticChannels != 3)
            report.error("dataset.synthetic_channels",
                         "must be 1 or 3, got " + std::to_string(d.syntheticChannels));
        const double bytes = syntheticDataBytes(d);
        if (bytes > kMaxSyntheticBytes)
            report.error("dataset.synthetic_count",
                         "synthetic_count x synthetic_size^2 x synthetic_channels is " +
                             str(bytes / (1 << 30)) +
                             " GiB; the synthetic images are generated into memory before "
                             "training, so at most " +
                             str(kMaxSyntheticBytes / (1 << 30)) + " GiB");
    }
    if ((d.split == "unlabeled" || d.split == "train+unlabeled") && d.kind != "stl10")
        report.error("dataset.split", "'" + d.split + "' exists only for stl10");
}

void validateModel(const ModelConfig& m, ValidationReport& report, Checker& check) {
    if (m.arch == "custom") {
        const size_t stages = m.stageDepths.size();
        if (stages == 0)
            report.error("model.stage_depths", "needs at least one stage");
        else
            check.atMost("model.stage_depths", static_cast<double>(stages), kMaxStages,
                         "stages in the trunk; ResNets have 4, and each stride-2 stage halves "
                         "the feature map");
        if (m.stageWidths.size() != stages || m.stageStrides.size() != stages)
            report.error(
                "model.stage_widths",
                "stage_depths, stage_widths and stage_strides must have the same length (" +
                    std::to_string(stages) + ")");
        for (size_t i = 0; i < m.stageDepths.size(); ++i)
            check.between("model.stage_depths[" + std::to_string(i) + "]", m.stageDepths[i], 1,
                          kMaxStageDepth, "blocks in one stage; ResNet-152's deepest stage has 36");
        const std::string widthWhy = "channels; ResNet-50's widest stage base is 512";
        for (size_t i = 0; i < m.stageWidths.size(); ++i)
            check.between("model.stage_widths[" + std::to_string(i) + "]", m.stageWidths[i], 1,
                          kMaxWidth, widthWhy);
        for (size_t i = 0; i < m.stageStrides.size(); ++i)
            if (m.stageStrides[i] != 1 && m.stageStrides[i] != 2)
                report.error("model.stage_strides[" + std::to_string(i) + "]",
                             "must be 1 or 2, got " + std::to_string(m.stageStrides[i]));
        check.between("model.stem_width", m.stemWidth, 1, kMaxWidth, widthWhy);
    } else {
        const ModelConfig defaults;
        if (m.stageDepths != defaults.stageDepths || m.stageWidths != defaults.stageWidths ||
            m.stageStrides != defaults.stageStrides || m.block != defaults.block ||
            m.stemWidth != defaults.stemWidth)
            report.warning("model.arch", "block, stage_* and stem_width are ignored unless arch "
                                         "is 'custom'");
    }
    check.between("model.sync_batchnorm_group", m.syncBatchnormGroup, 0, kMaxProcesses,
                  "processes per batch-norm group; 0 synchronises all of them");
    check.between("model.feature_width", m.featureWidth, 0, kMaxWidth,
                  "channels of the feature layer; 0 leaves it out");
    check.positive("model.width_multiplier", m.widthMultiplier);
    check.atMost("model.width_multiplier", m.widthMultiplier, kMaxWidthMultiplier,
                 "it multiplies every channel width, and parameters grow with its square; the "
                 "widest SwAV model is ResNet-50 w5");
    if (m.inChannels != 0 && m.inChannels != 1 && m.inChannels != 3)
        report.error("model.in_channels",
                     "must be 0 (from the dataset), 1 or 3, got " + std::to_string(m.inChannels));
    const std::string headWhy = "the paper's head is 2048 wide with 128 outputs";
    if (m.head.kind == "mlp")
        check.between("model.head.hidden_dim", m.head.hiddenDim, 1, kMaxHeadDim, headWhy);
    if (m.head.kind != "none")
        check.between("model.head.output_dim", m.head.outputDim, 1, kMaxHeadDim, headWhy);
    check.between("model.num_prototypes", m.numPrototypes, 2, kMaxPrototypes,
                  "every crop is scored against all K prototypes and Sinkhorn normalises a "
                  "batch x K matrix each step; the paper uses 3000 on ImageNet");
}

void validateMultiCrop(const ExperimentConfig& c, ValidationReport& report, Checker& check) {
    const auto& mc = c.multicrop;
    if (mc.crops.empty())
        report.error("multicrop.crops", "needs at least one crop group");
    check.atMost("multicrop.crops", static_cast<double>(mc.crops.size()), kMaxCropGroups,
                 "crop groups; each resolution is a separate trunk pass");
    const int side = datasetImageSide(c.dataset);
    for (size_t i = 0; i < mc.crops.size(); ++i) {
        const auto& g = mc.crops[i];
        const std::string p = "multicrop.crops[" + std::to_string(i) + "]";
        check.between(p + ".count", g.count, 1, kMaxCrops,
                      "each crop is a forward and backward pass of the whole batch");
        check.between(p + ".size", g.size, 2, kMaxImageSide,
                      "crop side in pixels; ImageNet uses 224 and 96");
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

void validateSwav(const ExperimentConfig& c, int worldSize, ValidationReport& report,
                  Checker& check) {
    const auto& s = c.swav;
    check.positive("swav.epsilon", s.epsilon);
    check.between("swav.sinkhorn_iterations", s.sinkhornIterations, 1, kMaxSinkhornIterations,
                  "the paper uses 3; the codes settle within tens");
    check.positive("swav.temperature", s.temperature);
    const int crops = c.totalCrops();
    if (crops < 2)
        report.error("multicrop.crops",
                     "SwAV needs at least 2 crops in total, got " + std::to_string(crops));
    else
        check.atMost("multicrop.crops", crops, kMaxCrops,
                     "crops per image over all groups, each a forward and backward pass of the "
                     "batch; the paper uses 8");
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
    check.atMost("swav.queue_length", s.queueLength, kMaxQueueLength,
                 "Sinkhorn normalises a (batch + queue) x K matrix every step; the paper uses "
                 "3840");
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
    // Sinkhorn spreads the global batch (every process's) and the queues over the prototypes.
    const int64_t globalBatch = int64_t(c.optim.batchSize) * worldSize;
    const int64_t queueUsed = globalBatch > 0 ? s.queueLength - s.queueLength % globalBatch : 0;
    if (worldSize > 1 && s.queueLength > 0 && queueUsed != s.queueLength)
        report.warning("swav.queue_length", "with " + std::to_string(worldSize) +
                                                " processes the queue must be a "
                                                "multiple of the global batch " +
                                                std::to_string(globalBatch) + ": " +
                                                std::to_string(queueUsed) + " of " +
                                                std::to_string(s.queueLength) + " are used");
    const int64_t codesPerStep = globalBatch + queueUsed;
    const std::string batchName = worldSize > 1 ? "the global batch (" + std::to_string(worldSize) +
                                                      " processes x " +
                                                      std::to_string(c.optim.batchSize) + ")"
                                                : std::string("batch_size");
    if (codesPerStep < c.model.numPrototypes)
        report.warning(
            "model.num_prototypes",
            batchName + " + queue_length = " + std::to_string(codesPerStep) +
                " is smaller than num_prototypes = " + std::to_string(c.model.numPrototypes) +
                ": some prototypes will stay empty");
    if (s.epsilon < 0.01 && s.epsilon > 0)
        report.warning("swav.epsilon", "values below 0.01 make the codes nearly one-hot (the "
                                       "authors use 0.05, 0.03 for small batches)");
    if (s.assignment == "softmax")
        report.warning("swav.assignment",
                       "softmax codes drop the equal-partition constraint: an ablation that "
                       "collapses onto a few prototypes (for teaching, not for features)");
}

void validateOptim(const OptimConfig& o, ValidationReport& report, Checker& check) {
    check.between("optim.epochs", o.epochs, 1, kMaxEpochs,
                  "the paper's longest schedule is 800 epochs");
    check.between("optim.batch_size", o.batchSize, 2, kMaxBatch,
                  "images per step on each process; the paper uses 64 per GPU, 4096 in all");
    check.nonNegative("optim.base_lr", o.baseLr);
    check.nonNegative("optim.final_lr", o.finalLr);
    check.nonNegative("optim.start_warmup", o.startWarmup);
    check.nonNegative("optim.warmup_epochs", o.warmupEpochs);
    check.atMost("optim.warmup_epochs", o.warmupEpochs, kMaxEpochs,
                 "the paper's longest schedule is 800 epochs");
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
    const int cores = hardwareThreads();
    check.atMost("runtime.threads", r.threads, std::max(kMinThreadLimit, kThreadsPerCore * cores),
                 "the larger of " + std::to_string(kMinThreadLimit) + " and " +
                     std::to_string(kThreadsPerCore) + " per core, and this machine has " +
                     std::to_string(cores) +
                     " cores: more threads only contend for them and each costs memory; 0 uses "
                     "them all");
    check.atLeast("runtime.metrics_every", r.metricsEvery, 1);
    check.nonNegative("runtime.statistics_every", r.statisticsEvery);
    check.atLeast("runtime.checkpoint_every_epochs", r.checkpointEveryEpochs, 1);
    check.between("runtime.checkpoint_every_minutes", r.checkpointEveryMinutes, 0.0, 10080.0,
                  "minutes between checkpoints within an epoch (0 = none; at most a week)");
    check.atLeast("runtime.keep_checkpoints", r.keepCheckpoints, 1);
    check.between("runtime.tuned_global_batch", r.tunedGlobalBatch, 0, kMaxGlobalBatch,
                  "processes x batch_size (the paper's largest is 4096)");
    check.between("runtime.dist_timeout_s", r.distTimeoutSeconds, 1, 3600,
                  "seconds a rank may stay silent");
    check.between("runtime.dist_setup_timeout_s", r.distSetupTimeoutSeconds, 1, 86400,
                  "seconds for the processes to meet and share the run's plan");
    check.between("runtime.control_every_steps", r.controlEverySteps, 1, 100000,
                  "steps between the ranks' agreements on stop and pause");
    check.between("runtime.grad_bucket_mb", r.gradBucketMb, 1, 1024,
                  "MiB per gradient all-reduce bucket");
}

/// A configuration tuned for one global batch keeps its learning rate at another.
void validateWorldSize(const ExperimentConfig& c, int worldSize, ValidationReport& report) {
    const int group = c.model.syncBatchnormGroup;
    if (c.model.syncBatchnorm && group > 0 && group < worldSize && worldSize % group != 0)
        report.error("model.sync_batchnorm_group",
                     "groups of " + std::to_string(group) + " cannot divide " +
                         std::to_string(worldSize) +
                         " processes; choose a divisor of the process count, or 0 for all");
    const int64_t tuned = c.runtime.tunedGlobalBatch;
    const int64_t global = int64_t(worldSize) * c.optim.batchSize;
    if (tuned <= 0 || c.optim.batchSize <= 0 || tuned == global)
        return;
    // Only the product was tuned: how it splits into processes and batches is not known.
    report.warning("runtime.tuned_global_batch",
                   "these settings were tuned for a global batch of " + std::to_string(tuned) +
                       "; this run has " + std::to_string(worldSize) +
                       (worldSize == 1 ? " process" : " processes") + " x batch " +
                       std::to_string(c.optim.batchSize) + " = global batch " +
                       std::to_string(global) +
                       ", with the learning rate, warm-up and queue of the tuned batch");
}

void validateEval(const EvalConfig& e, ValidationReport&, Checker& check) {
    check.between("eval.knn_k", e.knnK, 1, 10000,
                  "neighbours per query; 20 or 200 are usual, and online kNN keeps 10000 "
                  "training images");
    check.positive("eval.knn_temperature", e.knnTemperature);
    check.nonNegative("eval.knn_every_epochs", e.knnEveryEpochs);
    check.between("eval.linear_epochs", e.linearEpochs, 1, kMaxEpochs,
                  "the usual linear probe trains 100 epochs");
    check.positive("eval.linear_lr", e.linearLr);
    check.between("eval.linear_batch_size", e.linearBatchSize, 1, kMaxBatch,
                  "images per step; the usual linear probe uses 256");
    check.nonNegative("eval.linear_weight_decay", e.linearWeightDecay);
    check.between("eval.feature_batch_size", e.featureBatchSize, 1, kMaxBatch,
                  "images per feature-extraction pass");
}

} // namespace

ValidationReport validateConfig(const ExperimentConfig& config, int worldSize, DataUse data) {
    ValidationReport report = validateChoices(config);
    Checker check(report);
    if (hasControlCharacters(config.name))
        report.error("name", "a run name is one line of text: no line breaks, tabs or escape "
                             "sequences");
    validateDataset(config.dataset, report, check);
    if (data == DataUse::Now && !imagesNamed(config.dataset))
        report.error("dataset.path", "an image folder dataset needs a folder path");
    validateModel(config.model, report, check);
    validateMultiCrop(config, report, check);
    validateSwav(config, std::max(1, worldSize), report, check);
    validateOptim(config.optim, report, check);
    validateRuntime(config.runtime, report, check);
    validateEval(config.eval, report, check);
    validateWorldSize(config, std::max(1, worldSize), report);
    return report;
}

int ExperimentConfig::totalCrops() const {
    // Summed wide and clamped: unvalidated counts may add up past INT_MAX.
    int64_t total = 0;
    for (const auto& group : multicrop.crops)
        total += group.count;
    return static_cast<int>(std::clamp<int64_t>(total, std::numeric_limits<int>::min(),
                                                std::numeric_limits<int>::max()));
}

bool operator==(const ExperimentConfig& a, const ExperimentConfig& b) {
    return toJson(a) == toJson(b);
}

} // namespace swav
