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
    void startRun();
    void afterRun();
    void tourEvaluation();
    void tourRuns();
    void tourMenusAndDialogs();
    void tourLab();
    void shoot(const QString& name);
    /// The whole screen: menus and dialogs are windows of their own.
    void shootScreen(const QString& name);
    void raiseDock(const QString& objectName);

    MainWindow* m_window;
    QString m_folder;
    int m_evaluations = 0; // evaluations finished so far
    bool m_runStarted = false;
};

} // namespace swav
