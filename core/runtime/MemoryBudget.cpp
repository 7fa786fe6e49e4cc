#include "runtime/MemoryBudget.h"

#include "config/DatasetKinds.h"
#include "model/ResNet.h"
#include "swav/PrototypeCosines.h"
#include "util/Strings.h"

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

constexpr double kFloatBytes = 4;

double conv(double in, double out, double kernel) {
    return in * out * kernel * kernel; // no bias: BatchNorm follows every convolution
}

double batchNorm(double channels) {
    return 2 * channels; // weight and bias (running statistics are buffers, counted apart)
}

/// Output side of a 3x3 (or 7x7) convolution with "same" padding and the given stride.
double downscale(double side, int stride) {
    return std::ceil(side / stride);
}

struct TrunkCount {
    double parameters = 0;
    double buffers = 0; // BatchNorm running mean and variance
    double featureDim = 0;
};

TrunkCount countTrunk(const ResNetSpec& spec) {
    TrunkCount count;
    const bool bottleneck = spec.block == "bottleneck";
    const double expansion = bottleneck ? 4 : 1;
    const double stem = spec.stemWidth;
    count.parameters += conv(spec.inChannels, stem, spec.stem == "imagenet" ? 7 : 3);
    count.parameters += batchNorm(stem);
    count.buffers += 2 * stem;
    double in = stem;
    for (size_t stage = 0; stage < spec.depths.size(); ++stage) {
        const double planes = spec.widths[stage];
        const double out = planes * expansion;
        for (int block = 0; block < spec.depths[stage]; ++block) {
            const int stride = block == 0 ? spec.strides[stage] : 1;
            if (bottleneck) {
                count.parameters += conv(in, planes, 1) + conv(planes, planes, 3) +
                                    conv(planes, out, 1) + 2 * batchNorm(planes) + batchNorm(out);
                count.buffers += 2 * (2 * planes + out);
            } else {
                count.parameters +=
                    conv(in, planes, 3) + conv(planes, planes, 3) + 2 * batchNorm(planes);
                count.buffers += 2 * 2 * planes;
            }
            if (stride != 1 || in != out) {
                count.parameters += conv(in, out, 1) + batchNorm(out);
                count.buffers += 2 * out;
            }
            in = out;
        }
    }
    if (spec.featureWidth > 0) {
        count.parameters += conv(in, spec.featureWidth, 1) + batchNorm(spec.featureWidth);
        count.buffers += 2 * spec.featureWidth;
        in = spec.featureWidth;
    }
    count.featureDim = in;
    return count;
}

/// Values the trunk keeps for the backward pass of one image of `side` pixels: each convolution
/// output with its BatchNorm and ReLU outputs, residual sums, pooling.
double trunkActivations(const ResNetSpec& spec, double side) {
    const bool bottleneck = spec.block == "bottleneck";
    const double expansion = bottleneck ? 4 : 1;
    double values = spec.inChannels * side * side;
    double h = side;
    if (spec.stem == "imagenet") {
        h = downscale(h, 2);
        values += 3 * spec.stemWidth * h * h; // conv, bn, relu
        h = downscale(h, 2);
        values += 3 * spec.stemWidth * h * h; // max-pool output and its int64 indices
    } else {
        values += 3 * spec.stemWidth * h * h;
    }
    double in = spec.stemWidth;
    for (size_t stage = 0; stage < spec.depths.size(); ++stage) {
        const double planes = spec.widths[stage];
        const double out = planes * expansion;
        for (int block = 0; block < spec.depths[stage]; ++block) {
            const int stride = block == 0 ? spec.strides[stage] : 1;
            const double next = downscale(h, stride);
            if (bottleneck)
                values += 3 * planes * h * h + 3 * planes * next * next + 2 * out * next * next;
            else
                values += 3 * planes * next * next + 2 * planes * next * next;
            values += 2 * out * next * next; // residual sum and ReLU
            if (stride != 1 || in != out)
                values += 2 * out * next * next;
            in = out;
            h = next;
        }
    }
    if (spec.featureWidth > 0)
        values += 3 * spec.featureWidth * h * h; // conv, bn, relu
    return values;
}

std::string sizeList(const MemoryEstimate& e) {
    return "parameters and gradients " + formatBytes(e.parameterBytes) + ", optimiser state " +
           formatBytes(e.optimizerBytes) + ", activations of one step " +
           formatBytes(e.activationBytes);
}

} // namespace

MemoryEstimate estimateTrainingMemory(const ExperimentConfig& config, int inChannels,
                                      const std::string& precision) {
    const ModelConfig& m = config.model;
    const ResNetSpec spec = resolveResNetSpec(m, inChannels);
    const TrunkCount trunk = countTrunk(spec);

    double parameters = trunk.parameters;
    double embedding = trunk.featureDim;
    double headValuesPerRow = trunk.featureDim; // the pooled features
    if (m.head.kind == "mlp") {
        const double hidden = m.head.hiddenDim, out = m.head.outputDim;
        parameters += trunk.featureDim * hidden + hidden + batchNorm(hidden) + hidden * out + out;
        headValuesPerRow += 3 * hidden + out;
        embedding = out;
    } else if (m.head.kind == "linear") {
        const double out = m.head.outputDim;
        parameters += trunk.featureDim * out + out;
        headValuesPerRow += out;
        embedding = out;
    }
    const double prototypes = m.numPrototypes;
    parameters += embedding * prototypes;
    headValuesPerRow += embedding + 4 * prototypes; // normalised rows; scores, softmax, grads

    MemoryEstimate e;
    e.parameters = static_cast<int64_t>(std::min(parameters, 9e18));
    e.parameterBytes = (2 * parameters + trunk.buffers) * kFloatBytes;
    const std::string& optimizer = config.optim.optimizer;
    e.optimizerBytes =
        (optimizer == "adam" || optimizer == "adamw" ? 2 : 1) * parameters * kFloatBytes;

    const double batch = config.optim.batchSize;
    const double activationBytes = precision == "fp32" ? kFloatBytes : 2;
    double perImage = 0, cropInputs = 0;
    for (const auto& group : config.multicrop.crops) {
        const double side = group.size;
        perImage += group.count * (trunkActivations(spec, side) + headValuesPerRow);
        cropInputs += group.count * 2 * spec.inChannels * side * side; // sampling grid, output
    }
    // Codes: Sinkhorn works in fp32 on (batch + queue) x K per assignment crop; the queue holds
    // embeddings of past batches.
    const double assign = static_cast<double>(config.swav.cropsForAssign.size());
    const double queue = std::max(0, config.swav.queueLength);
    const double codes = assign * (batch + queue) * prototypes * 3 + assign * queue * embedding;
    // The epoch's prototype statistics hold one block of K x K cosines (swav/PrototypeCosines.h).
    const double cosineBlock =
        std::min(prototypes * prototypes, double(kPrototypeCosineBlockValues));
    e.activationBytes = batch * perImage * activationBytes +
                        (batch * cropInputs + codes + cosineBlock) * kFloatBytes +
                        batch * spec.inChannels * std::pow(datasetImageSide(config.dataset), 2);

    const DatasetConfig& d = config.dataset;
    if (d.kind == "synthetic")
        e.hostDataBytes = syntheticDataBytes(d);
    else if (d.kind == "image-folder")
        e.hostDataBytes = double(d.prefetchImages) * d.imageSize * d.imageSize * 3;
    return e;
}

ValidationReport checkMemoryBudget(const MemoryEstimate& e, const MemoryLimits& limits) {
    ValidationReport report;
    const std::string reduce = "reduce optim.batch_size, the crop counts or sizes, or the model "
                               "(width_multiplier, stage widths and depths, head dims, "
                               "num_prototypes)";
    if (limits.separateDevice) {
        if (limits.deviceBytes > 0 && e.deviceBytes() > limits.deviceBytes)
            report.error("memory", "this configuration needs about " +
                                       formatBytes(e.deviceBytes()) + " on " + limits.deviceName +
                                       " (" + sizeList(e) + ", a rough estimate) but it has " +
                                       formatBytes(limits.deviceBytes) + "; " + reduce);
        if (limits.hostBytes > 0 && e.hostDataBytes > limits.hostBytes)
            report.error("memory", "the images held in memory need about " +
                                       formatBytes(e.hostDataBytes) + " but this machine has " +
                                       formatBytes(limits.hostBytes) +
                                       "; reduce dataset.synthetic_count or "
                                       "dataset.prefetch_images");
        return report;
    }
    const double total = e.deviceBytes() + e.hostDataBytes;
    if (limits.hostBytes > 0 && total > limits.hostBytes)
        report.error("memory", "this configuration needs about " + formatBytes(total) + " (" +
                                   sizeList(e) + ", images in memory " +
                                   formatBytes(e.hostDataBytes) +
                                   ", a rough estimate) but this machine has " +
                                   formatBytes(limits.hostBytes) + "; " + reduce);
    return report;
}

} // namespace swav
