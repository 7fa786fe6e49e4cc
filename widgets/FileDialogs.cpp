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

QString runDialog(QFileDialog& dialog) {
    // A native dialog (GTK's, in process) sniffs files as well: always Qt's own, with the icon
    // provider above.
    static NameOnlyIconProvider provider;
    dialog.setOption(QFileDialog::DontUseNativeDialog);
    dialog.setIconProvider(&provider);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return {};
    return dialog.selectedFiles().constFirst();
}

} // namespace

QString chooseFileToOpen(QWidget* parent, const QString& title, const QString& startIn,
                         const QString& filter) {
    QFileDialog dialog(parent, title, startIn, filter);
    dialog.setAcceptMode(QFileDialog::AcceptOpen);
    dialog.setFileMode(QFileDialog::ExistingFile);
    return runDialog(dialog);
}

QString chooseFileToSave(QWidget* parent, const QString& title, const QString& proposed,
                         const QString& filter) {
    QFileDialog dialog(parent, title, proposed, filter);
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    return runDialog(dialog);
}

QString chooseFolder(QWidget* parent, const QString& title, const QString& startIn) {
    QFileDialog dialog(parent, title, startIn);
    dialog.setFileMode(QFileDialog::Directory);
    dialog.setOption(QFileDialog::ShowDirsOnly);
    return runDialog(dialog);
}

} // namespace swav
