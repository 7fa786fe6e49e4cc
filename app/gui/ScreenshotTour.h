#pragma once
// `swav-workbench --screenshot-tour DIR`: trains a short Fashion-MNIST run, then shows each
// panel in turn and saves a PNG of the window for it (used by tests/gui/screenshots.sh to check
// the look at several window sizes). Quits when done.

#include <QObject>
#include <QString>

namespace swav {

class MainWindow;

class ScreenshotTour : public QObject {
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, QString folder);
    void start();

private:
    void afterRun();
    void tourLab();
    void shoot(const QString& name);
    void raiseDock(const QString& objectName);

    MainWindow* m_window;
    QString m_folder;
};

} // namespace swav
