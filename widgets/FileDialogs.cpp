#include "FileDialogs.h"

#include <QFileDialog>
#include <QFileIconProvider>
#include <QMimeDatabase>

namespace swav {

namespace {

/// Icons and type names from the file's name alone: nothing is opened to sniff its content.
class NameOnlyIconProvider : public QFileIconProvider {
public:
    QIcon icon(const QFileInfo& info) const override {
        return QFileIconProvider::icon(info.isDir() ? Folder : File);
    }
    QString type(const QFileInfo& info) const override {
        if (info.isDir())
            return QObject::tr("Folder");
        return m_types.mimeTypeForFile(info, QMimeDatabase::MatchExtension).comment();
    }

private:
    QMimeDatabase m_types;
};

/// Qt's own dialog (a native one, GTK's in process, sniffs files as well) with the icon
/// provider above; "" when cancelled.
QString runDialog(QWidget* parent, const QString& title, const QString& start,
                  const QString& filter, QFileDialog::AcceptMode accept,
                  QFileDialog::FileMode mode) {
    static NameOnlyIconProvider provider;
    QFileDialog dialog(parent, title, start, filter);
    dialog.setOption(QFileDialog::DontUseNativeDialog);
    dialog.setIconProvider(&provider);
    dialog.setAcceptMode(accept);
    dialog.setFileMode(mode);
    if (mode == QFileDialog::Directory)
        dialog.setOption(QFileDialog::ShowDirsOnly);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return {};
    return dialog.selectedFiles().constFirst();
}

} // namespace

QString chooseFileToOpen(QWidget* parent, const QString& title, const QString& startIn,
                         const QString& filter) {
    return runDialog(parent, title, startIn, filter, QFileDialog::AcceptOpen,
                     QFileDialog::ExistingFile);
}

QString chooseFileToSave(QWidget* parent, const QString& title, const QString& proposed,
                         const QString& filter) {
    return runDialog(parent, title, proposed, filter, QFileDialog::AcceptSave,
                     QFileDialog::AnyFile);
}

QString chooseFolder(QWidget* parent, const QString& title, const QString& startIn) {
    return runDialog(parent, title, startIn, {}, QFileDialog::AcceptOpen, QFileDialog::Directory);
}

} // namespace swav
