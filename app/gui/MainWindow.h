#pragma once
// The workbench window: choose a preset, start and stop a run, watch the loss and the
// prototype statistics live.

#include "TrainingWorker.h" // the metatype declarations the signals below need
#include "config/ExperimentConfig.h"
#include "train/TrainingObserver.h"

#include <QMainWindow>

#include <memory>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QThread;

namespace swav {

class LossPlot;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Starts a run of `config` writing to `runDir` (used by Start and by tests).
    void startRun(const ExperimentConfig& config, const QString& runDir);
    void stopRun();
    bool isRunning() const { return m_thread != nullptr; }
    LossPlot* lossPlot() const { return m_lossPlot; }

Q_SIGNALS:
    void runFinished(const swav::RunOutcome& outcome);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void startFromPreset();
    void showPresetDescription();
    void onStarted(const RunStarted& info);
    void onStep(const StepMetrics& m);
    void onEpoch(const EpochMetrics& m);
    void onFinished(const RunOutcome& outcome);
    void updateButtons();
    /// Stops the run (checkpoint first) and blocks until its thread has ended.
    void stopAndWait();

    QComboBox* m_presets = nullptr;
    QLabel* m_description = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    LossPlot* m_lossPlot = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QLabel* m_status = nullptr;
    QThread* m_thread = nullptr;
    TrainingWorker* m_worker = nullptr;
    int m_epochs = 0;
    int m_prototypes = 0;
};

} // namespace swav
