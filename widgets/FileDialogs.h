#pragma once
// Every file dialog of the program. They list folders without ever opening a file: the usual
// dialog opens files to guess their type for an icon, and opening and closing the run database's
// files inside the process that holds it drops SQLite's POSIX locks (store/DatabaseHold.h),
// after which another process may delete the write-ahead log this one still uses.

#include <QString>

class QWidget;

namespace swav {

/// An existing file to read; "" when cancelled. `startIn`: a folder or file ("" = the working
/// folder).
QString chooseFileToOpen(QWidget* parent, const QString& title, const QString& startIn,
                         const QString& filter);
/// A file to write, proposed as `proposed` (a name or path); "" when cancelled. The dialog asks
/// before an existing file is chosen.
QString chooseFileToSave(QWidget* parent, const QString& title, const QString& proposed,
                         const QString& filter);
/// An existing folder; "" when cancelled.
QString chooseFolder(QWidget* parent, const QString& title, const QString& startIn = {});

} // namespace swav
