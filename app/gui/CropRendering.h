#pragma once
// The crops of one dataset image through the trainer's own multi-crop code, for display:
// each crop de-normalised, with its box in source pixels and what was applied to it.

#include "CropsView.h"
#include "config/ExperimentConfig.h"

#include <QStringList>

namespace swav {

class Dataset;

struct CropPreview {
    QImage original;
    int label = -1; // of the image; -1 when unknown
    QVector<CropTile> tiles;
    QStringList groupNames;
    QString error; // set when the crops could not be made
};

/// `config` gives the normalisation (and the dataset kind for its defaults); `groups` the crop
/// groups to apply. Thread: the one that owns `dataset`.
CropPreview renderCrops(Dataset& dataset, qint64 index, const ExperimentConfig& config,
                        const std::vector<CropGroupConfig>& groups, quint64 seed);

} // namespace swav
