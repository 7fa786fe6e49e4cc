#include "ImagesForRuns.h"

#include "FileDialogs.h"
#include "config/DatasetKinds.h"

#include <QObject>

namespace swav {

bool ImagesForRuns::complete(QWidget* parent, const QString& run, const QString& purpose,
                             DatasetConfig& dataset) {
    if (imagesNamed(dataset))
        return true;
    QString folder = m_folders.value(run);
    if (folder.isEmpty()) {
        folder =
            chooseFolder(parent, QObject::tr("%1: images for %2 (its weights came without a "
                                             "dataset: a folder of images or of class folders)")
                                     .arg(purpose, run));
        if (folder.isEmpty())
            return false;
        m_folders.insert(run, folder);
    }
    dataset.path = folder.toStdString();
    return true;
}

} // namespace swav
