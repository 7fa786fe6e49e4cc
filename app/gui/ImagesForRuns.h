#pragma once
// Images for runs that name none: weights imported without a dataset have an image-folder
// configuration with an empty dataset.path. The panels that read images (Clusters, Evaluation,
// Lab) ask for a folder the first time such a run needs one and keep the answer for that run.

#include "config/ExperimentConfig.h"

#include <QHash>
#include <QString>

class QWidget;

namespace swav {

class ImagesForRuns {
public:
    /// Leaves a `dataset` that names its images as it is; otherwise puts the folder chosen for
    /// `run` (asked now, over `parent`, the first time) in dataset.path. False when the user
    /// cancels: nothing can be computed.
    bool complete(QWidget* parent, const QString& run, const QString& purpose,
                  DatasetConfig& dataset);

private:
    QHash<QString, QString> m_folders; // run -> its images
};

} // namespace swav
