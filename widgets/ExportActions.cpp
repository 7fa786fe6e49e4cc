#include "ExportActions.h"

#include "FileDialogs.h"
#include <QAction>
#include <QCursor>
#include <QMenu>
#include <QSaveFile>
#include <QToolTip>

namespace swav {

QAction* addExportAction(QMenu& menu, QWidget* owner, const QString& text, const QString& title,
                         const QString& defaultName, const QString& filter,
                         std::function<bool(const QString&)> write) {
    return menu.addAction(text, owner, [=] {
        const QString file = chooseFileToSave(owner, title, defaultName, filter);
        if (!file.isEmpty() && !write(file))
            QToolTip::showText(QCursor::pos(), QObject::tr("Could not write %1").arg(file), owner);
    });
}

bool writeFileWhole(const QString& file, const QByteArray& bytes) {
    QSaveFile out(file);
    return out.open(QIODevice::WriteOnly) && out.write(bytes) == bytes.size() && out.commit();
}

} // namespace swav
