#pragma once
// kNN and linear probe of a chosen checkpoint in the background, with progress and cancel: the
// settings (k, temperature, probe epochs, learning rate, batch, protocol, device) start from the
// run's own; the results beside the random-init and raw-pixel baselines, per-class accuracy and
// the confusion matrix with class names; or the accuracy of every checkpoint of a run as a
// curve. Results are recorded with the run in the run database.

#include "ImagesForRuns.h"

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace swav {

class ConfusionMatrixView;
class MetricPlot;
struct ExperimentConfig;
namespace store {
class RunStore;
}

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    EvaluationPanel(store::RunStore* runs, QWidget* parent = nullptr);
    ~EvaluationPanel() override;

    /// Chooses the checkpoint (and the run it belongs to, 0 = unknown); a recorded run's
    /// evaluation settings fill the options.
    void setCheckpoint(qint64 runId, const QString& checkpoint);
    /// Evaluates the chosen checkpoint.
    void start();
    /// Evaluates every checkpoint of the chosen run still on disk, oldest first, as a curve.
    void startEveryCheckpoint();
    void cancel();
    bool running() const { return m_watcher.isRunning(); }
    /// Feature set -> {"knn": %, "linear": %} of the last result, for tests.
    QString resultText() const;
    ConfusionMatrixView* confusion() const { return m_confusion; }
    QTableWidget* perClass() const { return m_perClass; }
    MetricPlot* checkpointCurve() const { return m_curve; }
    QCheckBox* knnBox() const { return m_knn; }
    QCheckBox* linearBox() const { return m_linear; }
    QCheckBox* baselinesBox() const { return m_baselines; }
    QSpinBox* kBox() const { return m_k; }
    QDoubleSpinBox* temperatureBox() const { return m_temperature; }
    QSpinBox* probeEpochsBox() const { return m_probeEpochs; }
    QDoubleSpinBox* probeLrBox() const { return m_probeLr; }
    QSpinBox* probeBatchBox() const { return m_probeBatch; }
    QComboBox* protocolBox() const { return m_protocol; }
    QComboBox* deviceBox() const { return m_device; }
    QPushButton* everyCheckpointButton() const { return m_every; }

Q_SIGNALS:
    void finished(bool ok);
    void problem(const QString& message);

private:
    ImagesForRuns m_images; // for runs of weights imported without a dataset
    /// The images folder chosen for a run that names none (empty otherwise); false: cancelled.
    bool imagesForRun(std::string& folder);
    struct Target;
    struct Outcome;
    QWidget* buildOptions();
    void useRunSettings(const ExperimentConfig& config);
    /// `curve`: every checkpoint of a run, drawn over the epochs (no baselines).
    void launch(std::vector<Target> targets, bool curve);
    void showOutcome();
    void showResult(const Outcome& outcome);
    void showCurve(const Outcome& outcome);
    void showPerClass();
    void record(const Outcome& outcome);
    void browse();

    store::RunStore* m_runs;
    qint64 m_runId = 0;
    QLabel* m_checkpoint = nullptr;
    QString m_checkpointPath;
    QCheckBox* m_knn = nullptr;
    QCheckBox* m_linear = nullptr;
    QCheckBox* m_baselines = nullptr;
    QSpinBox* m_k = nullptr;
    QDoubleSpinBox* m_temperature = nullptr;
    QSpinBox* m_probeEpochs = nullptr;
    QDoubleSpinBox* m_probeLr = nullptr;
    QSpinBox* m_probeBatch = nullptr;
    QComboBox* m_protocol = nullptr;
    QComboBox* m_device = nullptr;
    QComboBox* m_confusionOf = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_every = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_stage = nullptr;
    QTableWidget* m_table = nullptr;
    QTabWidget* m_details = nullptr;
    ConfusionMatrixView* m_confusion = nullptr;
    QTableWidget* m_perClass = nullptr;
    MetricPlot* m_curve = nullptr;
    QFutureWatcher<std::shared_ptr<Outcome>> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    std::shared_ptr<Outcome> m_last;
};

} // namespace swav
