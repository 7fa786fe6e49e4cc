#pragma once
// The kNN accuracy watched while training: held-out labelled images classified against a fixed,
// seeded sample of the training images every eval.knn_every_epochs epochs.

#include "config/ExperimentConfig.h"
#include "data/Dataset.h"
#include "train/Trainer.h"

#include <memory>
#include <string>

namespace swav {

/// The evaluator for a run (eval.knn_every_epochs > 0) on the hold-out part of `split`, else on
/// the source's test split; null when the option is off, and null with the reason in `problem`
/// when there are no labelled images to watch.
std::shared_ptr<EpochEvaluator> onlineKnnFor(const ExperimentConfig& config,
                                             const DatasetSplit& split, std::string* problem);

} // namespace swav
