#pragma once
// The whole description of an experiment: plain structs with defaults from design/SWAV.md.
// Each struct lists its fields once in `fields()`, with the JSON key, the field's documentation
// (its only one: the help of the command line, the form's tooltips, the schema) and, for
// enumerations, the allowed values; JSON I/O, validation messages and the GUI form all use it.

#include <string>
#include <vector>

namespace swav {

/// Allowed values of a string field ("" list = free text).
using Choices = std::vector<std::string>;

/// The dataset kinds (config/DatasetKinds.h holds what each one is).
const Choices& datasetKindNames();

struct DatasetConfig {
    std::string kind = "fashion-mnist";
    std::string path;
    std::string split = "train";
    double subset = 0;
    double holdout = 0;
    int subsetSeed = 0;
    int imageSize = 256;
    int prefetchImages = 4096;
    int decodeThreads = 0;
    std::string cropFinish = "auto";
    int syntheticCount = 2048;
    int syntheticClasses = 4;
    int syntheticSize = 32;
    int syntheticChannels = 3;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("kind", s.kind,
          "Dataset reader. Fashion-MNIST is found automatically when the Debian package "
          "dataset-fashion-mnist is installed.",
          datasetKindNames());
        v("path", s.path,
          "File or folder holding the data; empty uses the default location of the kind.");
        v("split", s.split, "Which part of the dataset to train on.",
          Choices{"train", "test", "unlabeled", "train+unlabeled"});
        v("subset", s.subset,
          "Train on part of the data: 0 = all, a fraction below 1, or a number of images.");
        v("holdout", s.holdout,
          "Images kept out of training for online kNN monitoring: a fraction below 1 or a "
          "count.");
        v("subset_seed", s.subsetSeed, "Seed of the subset and hold-out draw.");
        v("image_size", s.imageSize,
          "Image folders, evaluation images: the shorter side is resized to this and the centre "
          "square kept (256, then the centre 224 for ImageNet). Training crops are cut from the "
          "full-resolution originals.");
        v("prefetch_images", s.prefetchImages,
          "Image folders: memory for images decoded ahead, counted in image_size squares "
          "(training crops take their own size; at least two batches are kept ready).");
        v("decode_threads", s.decodeThreads,
          "Image folders: threads decoding and cutting images; 0 = one per core.");
        v("crop_finish", s.cropFinish,
          "Image folders: where colour jitter, grayscale, blur and normalisation of training "
          "crops run. 'workers': on the decoding threads, pixel by pixel (fastest on the CPU); "
          "'device': as batched tensor operations on the training device (fastest on a GPU); "
          "'auto': workers for CPU runs, device for GPU runs.",
          Choices{"auto", "workers", "device"});
        v("synthetic_count", s.syntheticCount, "Synthetic data: number of images.");
        v("synthetic_classes", s.syntheticClasses, "Synthetic data: number of shape classes.");
        v("synthetic_size", s.syntheticSize, "Synthetic data: image side in pixels.");
        v("synthetic_channels", s.syntheticChannels, "Synthetic data: 1 (grey) or 3 (colour).");
    }
};

struct HeadConfig {
    std::string kind = "mlp";
    int hiddenDim = 2048;
    int outputDim = 128;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("kind", s.kind,
          "Projection head: 'mlp' is Linear-BN-ReLU-Linear as in the paper, 'linear' a single "
          "layer, 'none' uses the trunk features directly.",
          Choices{"mlp", "linear", "none"});
        v("hidden_dim", s.hiddenDim, "Hidden width of the MLP head (2048 in the paper).");
        v("output_dim", s.outputDim, "Embedding size scored against the prototypes (128).");
    }
};

struct ModelConfig {
    std::string arch = "resnet50";
    std::string stem = "imagenet";
    std::string block = "bottleneck";
    std::vector<int> stageDepths{3, 4, 6, 3};
    std::vector<int> stageWidths{64, 128, 256, 512};
    std::vector<int> stageStrides{1, 2, 2, 2};
    int stemWidth = 64;
    double widthMultiplier = 1.0;
    int featureWidth = 0;
    int inChannels = 0;
    HeadConfig head;
    int numPrototypes = 3000;
    bool channelsLast = true;
    bool syncBatchnorm = true;
    int syncBatchnormGroup = 0;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("arch", s.arch,
          "Trunk network. 'fashion-mnist' is a small 4-stage ResNet for 28 px images; "
          "'custom' uses the block, depth and width fields below.",
          Choices{"resnet18", "resnet34", "resnet50", "fashion-mnist", "custom"});
        v("stem", s.stem,
          "First layers: 'imagenet' is a 7x7 stride-2 conv plus max-pool; 'cifar' a 3x3 stride-1 "
          "conv without pooling, standard for small images.",
          Choices{"imagenet", "cifar"});
        v("block", s.block, "Custom trunk: residual block type.", Choices{"basic", "bottleneck"});
        v("stage_depths", s.stageDepths, "Custom trunk: number of blocks in each stage.");
        v("stage_widths", s.stageWidths, "Custom trunk: base channel width of each stage.");
        v("stage_strides", s.stageStrides, "Custom trunk: stride of each stage's first block.");
        v("stem_width", s.stemWidth, "Custom trunk: channels produced by the stem.");
        v("width_multiplier", s.widthMultiplier, "Multiplies every channel width (1 = standard).");
        v("feature_width", s.featureWidth,
          "0: the features are the last stage's channels. N > 0: a 1x1 convolution to N channels "
          "with batch norm and ReLU after the last stage (on its small map, so cheap) gives N "
          "features to the head, kNN and the linear probe.");
        v("in_channels", s.inChannels, "Input channels; 0 takes them from the dataset.");
        v("head", s.head, "Projection head between trunk features and prototypes.");
        v("num_prototypes", s.numPrototypes,
          "Number of prototypes K (3000 on ImageNet). Batch plus queue should be at least K.");
        v("channels_last", s.channelsLast,
          "Convolutions in the channels-last memory layout: tensor cores on CUDA and oneDNN on "
          "the CPU take it without transposes (about 1.4x the CPU step, experiments/speed).");
        v("sync_batchnorm", s.syncBatchnorm,
          "Multi-process runs: batch norm statistics and their gradients span the processes of "
          "a group (sync_batchnorm_group), as the official scripts' --sync_bn does. Off: each "
          "process normalises its own batch.");
        v("sync_batchnorm_group", s.syncBatchnormGroup,
          "Processes per synchronised batch-norm group, consecutive ranks; 0 = all of them. The "
          "authors' 4096-image runs (--sync_bn apex) use groups of 8 GPUs "
          "(--syncbn_process_group_size 8), their 256-image runs all ranks. The process count "
          "must be a multiple of it.");
    }
};

/// One group of crops sharing a resolution and augmentation settings.
struct CropGroupConfig {
    int count = 2;
    int size = 224;
    double minScale = 0.14;
    double maxScale = 1.0;
    double flipProb = 0.5;
    double jitterProb = 0.8;
    double jitterStrength = 1.0;
    double grayscaleProb = 0.2;
    double blurProb = 0.5;
    double blurSigmaMin = 0.1;
    double blurSigmaMax = 2.0;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("count", s.count, "Number of crops in this group.");
        v("size", s.size, "Side of each crop in pixels (224/96 on ImageNet, 32/16 on CIFAR).");
        v("min_scale", s.minScale, "Smallest crop area as a fraction of the image (0.14).");
        v("max_scale", s.maxScale, "Largest crop area as a fraction of the image (1.0).");
        v("flip_prob", s.flipProb, "Probability of a horizontal flip (0.5).");
        v("jitter_prob", s.jitterProb, "Probability of colour jitter (0.8).");
        v("jitter_strength", s.jitterStrength,
          "Colour jitter strength s: brightness, contrast and saturation 0.8 s, hue 0.2 s.");
        v("grayscale_prob", s.grayscaleProb, "Probability of converting to grey (0.2).");
        v("blur_prob", s.blurProb, "Probability of Gaussian blur (0.5; usually 0 for CIFAR).");
        v("blur_sigma_min", s.blurSigmaMin, "Smallest blur sigma in pixels (0.1).");
        v("blur_sigma_max", s.blurSigmaMax, "Largest blur sigma in pixels (2.0).");
    }
};

struct MultiCropConfig {
    std::vector<CropGroupConfig> crops{CropGroupConfig{}, [] {
                                           CropGroupConfig small;
                                           small.count = 6;
                                           small.size = 96;
                                           small.minScale = 0.05;
                                           small.maxScale = 0.14;
                                           return small;
                                       }()};
    std::vector<double> mean;
    std::vector<double> std;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("crops", s.crops,
          "Crop groups, large ones first. Crops are numbered across groups in this order.");
        v("mean", s.mean, "Normalisation mean per channel; empty uses the dataset's values.");
        v("std", s.std, "Normalisation std per channel; empty uses the dataset's values.");
    }
};

struct SwavConfig {
    double epsilon = 0.05;
    int sinkhornIterations = 3;
    double temperature = 0.1;
    std::vector<int> cropsForAssign{0, 1};
    int queueLength = 0;
    int epochQueueStarts = 15;
    int freezePrototypesNiters = 313;
    std::string assignment = "sinkhorn";

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("epsilon", s.epsilon,
          "Sinkhorn regularisation (0.05). Lower values (0.03) sharpen codes; the first knob "
          "when the loss sits at ln K.");
        v("sinkhorn_iterations", s.sinkhornIterations, "Sinkhorn-Knopp iterations (3).");
        v("temperature", s.temperature, "Softmax temperature tau of the prediction (0.1).");
        v("crops_for_assign", s.cropsForAssign,
          "Crops whose cluster codes are computed and predicted from the others (0 and 1).");
        v("queue_length", s.queueLength,
          "Embeddings kept from past batches for the codes (0 = off; 3840 at batch 256). A "
          "multiple of the global batch.");
        v("epoch_queue_starts", s.epochQueueStarts,
          "Epoch at which the queue starts filling (15).");
        v("freeze_prototypes_niters", s.freezePrototypesNiters,
          "Iterations during which the prototypes do not learn (about one epoch).");
        v("assignment", s.assignment,
          "How codes are computed: 'sinkhorn' spreads the batch equally over the prototypes as "
          "in the paper; 'softmax' (softmax of score / epsilon) drops that constraint, an "
          "ablation that collapses, for teaching.",
          Choices{"sinkhorn", "softmax"});
    }
};

struct OptimConfig {
    std::string optimizer = "lars";
    int epochs = 100;
    int batchSize = 256;
    double baseLr = 4.8;
    double finalLr = 0.0048;
    double startWarmup = 0.3;
    double warmupEpochs = 10;
    double momentum = 0.9;
    double weightDecay = 1e-6;
    double larsTrust = 0.001;
    bool larsClip = false;
    bool excludeBiasAndNorm = false;
    double adamBeta1 = 0.9;
    double adamBeta2 = 0.999;
    double adamEps = 1e-8;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("optimizer", s.optimizer,
          "LARS (SGD with layer-wise trust ratio) as in the paper, plain SGD, Adam or AdamW.",
          Choices{"lars", "sgd", "adam", "adamw"});
        v("epochs", s.epochs, "Number of passes over the training data.");
        v("batch_size", s.batchSize, "Images per step on each process (4096 total in the paper).");
        v("base_lr", s.baseLr,
          "Learning rate after warm-up: 4.8 at batch 4096, 0.6 at 256 (linear scaling).");
        v("final_lr", s.finalLr, "Learning rate at the end of the cosine (base_lr / 1000).");
        v("start_warmup", s.startWarmup, "Learning rate at the first step of the warm-up.");
        v("warmup_epochs", s.warmupEpochs, "Epochs of linear warm-up (10).");
        v("momentum", s.momentum, "Momentum of SGD and LARS (0.9).");
        v("weight_decay", s.weightDecay, "Weight decay (1e-6).");
        v("lars_trust", s.larsTrust, "LARS trust coefficient (0.001).");
        v("lars_clip", s.larsClip, "Clip the LARS rate so it never exceeds the scheduled one.");
        v("exclude_bias_and_norm", s.excludeBiasAndNorm,
          "Apply neither LARS nor weight decay to biases and BatchNorm parameters.");
        v("adam_beta1", s.adamBeta1, "Adam first-moment decay.");
        v("adam_beta2", s.adamBeta2, "Adam second-moment decay.");
        v("adam_eps", s.adamEps, "Adam denominator epsilon.");
    }
};

struct RuntimeConfig {
    std::string device = "auto";
    int threads = 0;
    int seed = 31;
    std::string precision = "auto";
    int metricsEvery = 20;
    int statisticsEvery = 0;
    int checkpointEveryEpochs = 1;
    double checkpointEveryMinutes = 30;
    int keepCheckpoints = 3;
    std::string outDir;
    int tunedGlobalBatch = 0;
    int distTimeoutSeconds = 120;
    int distSetupTimeoutSeconds = 1800;
    int controlEverySteps = 8;
    int gradBucketMb = 25;
    bool gradOverlap = true;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("device", s.device, "Where to train: auto picks CUDA when available; cpu, cuda, cuda:N.");
        v("threads", s.threads, "CPU threads for tensor operations; 0 uses all cores.");
        v("seed", s.seed, "Seed of weights, data order and augmentation.");
        v("precision", s.precision,
          "Mixed precision of the trunk: auto (bf16 on CUDA and on CPUs with native bf16, "
          "else fp32), fp32, bf16, or fp16 with loss scaling (CUDA only). The head, the "
          "prototype scores, Sinkhorn and the loss always run in fp32.",
          Choices{"auto", "fp32", "bf16", "fp16"});
        v("metrics_every", s.metricsEvery,
          "Steps between the metrics that need a device synchronisation.");
        v("statistics_every", s.statisticsEvery,
          "Steps between reports of the epoch so far (prototype usage, code entropy, online "
          "kNN); 0 = only at the end of each epoch.");
        v("checkpoint_every_epochs", s.checkpointEveryEpochs, "Epochs between checkpoints.");
        v("checkpoint_every_minutes", s.checkpointEveryMinutes,
          "Also a checkpoint within an epoch when the last one is this many minutes old, so that "
          "a crash or a killed job loses at most that much of a long epoch; 0 = at epoch ends "
          "only.");
        v("keep_checkpoints", s.keepCheckpoints, "How many recent checkpoints stay on disk.");
        v("out_dir", s.outDir, "Run folder for checkpoints; empty lets the front end choose.");
        v("tuned_global_batch", s.tunedGlobalBatch,
          "Global batch (processes x batch_size) that the learning rate, warm-up and queue were "
          "tuned for; a run with another global batch is warned. 0 = not stated.");
        v("dist_timeout_s", s.distTimeoutSeconds,
          "Multi-process runs: seconds a rank may stay silent (dead, hung, unreachable) before "
          "every other rank stops with an error naming it.");
        v("dist_setup_timeout_s", s.distSetupTimeoutSeconds,
          "Multi-process runs: seconds the processes may take to meet and to be given rank 0's "
          "plan and image-folder listing (listing ImageNet on a network file system can take "
          "minutes); 1800 as PyTorch's default process-group timeout.");
        v("control_every_steps", s.controlEverySteps,
          "Multi-process runs: the ranks agree on stop and pause requests every N steps (a small "
          "all-reduce read on the host, which waits for the device); a request takes effect "
          "within N steps, at the same step on every rank.");
        v("grad_bucket_mb", s.gradBucketMb,
          "Multi-process runs: size of the gradient all-reduce buckets in MiB (25 as in PyTorch's "
          "DistributedDataParallel).");
        v("grad_overlap", s.gradOverlap,
          "Multi-process runs: all-reduce each gradient bucket as soon as the backward pass has "
          "filled it, overlapping communication with computation.");
    }
};

struct EvalConfig {
    int knnK = 20;
    double knnTemperature = 0.07;
    int knnEveryEpochs = 0;
    int linearEpochs = 100;
    double linearLr = 0.3;
    int linearBatchSize = 256;
    double linearWeightDecay = 1e-6;
    std::string linearProtocol = "cached";
    int featureBatchSize = 512;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("knn_k", s.knnK, "Neighbours of the kNN classifier (20; 200 in some papers).");
        v("knn_temperature", s.knnTemperature, "kNN vote temperature T: weight exp(cos / T).");
        v("knn_every_epochs", s.knnEveryEpochs,
          "Run kNN on the hold-out images every N epochs during training; 0 = off.");
        v("linear_epochs", s.linearEpochs, "Epochs of the linear probe.");
        v("linear_lr", s.linearLr, "Learning rate of the linear probe (0.3 at batch 256).");
        v("linear_batch_size", s.linearBatchSize, "Batch size of the linear probe.");
        v("linear_weight_decay", s.linearWeightDecay, "Weight decay of the linear probe.");
        v("linear_protocol", s.linearProtocol,
          "'cached': the probe trains on the cached features of the centre crops, standardised, "
          "its cosine learning rate per step, the last partial batch dropped (fast). "
          "'official': the authors' eval_linear.py: every epoch a fresh random-resized crop and "
          "flip of each training image through the frozen trunk, the features as they are, SGD "
          "with momentum 0.9 and weight decay on weights and bias, the learning rate as given "
          "(0.3 at batch 256) on a cosine per epoch to 0, the last partial batch kept.",
          Choices{"cached", "official"});
        v("feature_batch_size", s.featureBatchSize, "Batch size when extracting features.");
    }
};

struct ExperimentConfig {
    std::string name;
    std::string description;
    DatasetConfig dataset;
    ModelConfig model;
    MultiCropConfig multicrop;
    SwavConfig swav;
    OptimConfig optim;
    RuntimeConfig runtime;
    EvalConfig eval;

    template <class Self, class V> static void fields(Self& s, V& v) {
        v("name", s.name, "Short label of the run.");
        v("description", s.description, "One line describing the experiment.");
        v("dataset", s.dataset, "Training data.");
        v("model", s.model, "Trunk, projection head and prototypes.");
        v("multicrop", s.multicrop, "Multi-crop augmentation.");
        v("swav", s.swav, "SwAV objective: Sinkhorn codes, swapped prediction, queue.");
        v("optim", s.optim, "Optimiser and learning-rate schedule.");
        v("runtime", s.runtime, "Device, threads, seed, precision and checkpoints.");
        v("eval", s.eval, "kNN and linear-probe evaluation.");
    }

    /// Total number of crops over all groups.
    int totalCrops() const;
};

bool operator==(const ExperimentConfig& a, const ExperimentConfig& b);
inline bool operator!=(const ExperimentConfig& a, const ExperimentConfig& b) {
    return !(a == b);
}

} // namespace swav
