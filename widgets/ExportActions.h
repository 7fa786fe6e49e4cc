#pragma once
// The "Export PNG..." and "Export CSV..." entries that plots and maps offer in their context menus.

#include <QByteArray>
#include <QString>

#include <functional>

class QAction;
class QMenu;
class QWidget;

namespace swav {

/// Adds an action to `menu` that asks for a file name (a save dialog titled `title` proposing
/// `defaultName` with `filter`) and writes it with `write`; when that fails, a tooltip at the
/// cursor names the file.
QAction* addExportAction(QMenu& menu, QWidget* owner, const QString& text, const QString& title,
                         const QString& defaultName, const QString& filter,
                         std::function<bool(const QString&)> write);

/// Writes `bytes` to `file` whole or not at all (a user's existing file is kept on failure).
bool writeFileWhole(const QString& file, const QByteArray& bytes);

} // namespace swav
