#pragma once
// kNN and linear probe of a chosen checkpoint in the background, with progress and cancel;
// the results beside the random-init and raw-pixel baselines, and the confusion matrix with
// class names. Results are recorded with the run in the run database.

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace swav {

class ConfusionMatrixView;
namespace store {
class RunStore;
}

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    EvaluationPanel(store::RunStore* runs, QWidget* parent = nullptr);
    ~EvaluationPanel() override;

    /// Chooses the checkpoint (and the run it belongs to, 0 = unknown).
    void setCheckpoint(qint64 runId, const QString& checkpoint);
    void start();
    void cancel();
    bool running() const { return m_watcher.isRunning(); }
    /// Feature set -> {"knn": %, "linear": %} of the last result, for tests.
    QString resultText() const;
    ConfusionMatrixView* confusion() const { return m_confusion; }
    QCheckBox* knnBox() const { return m_knn; }
    QCheckBox* linearBox() const { return m_linear; }
    QCheckBox* baselinesBox() const { return m_baselines; }

Q_SIGNALS:
    void finished(bool ok);
    void problem(const QString& message);

private:
    struct Outcome;
    void showOutcome();
    void browse();

    store::RunStore* m_runs;
    qint64 m_runId = 0;
    QLabel* m_checkpoint = nullptr;
    QString m_checkpointPath;
    QCheckBox* m_knn = nullptr;
    QCheckBox* m_linear = nullptr;
    QCheckBox* m_baselines = nullptr;
    QComboBox* m_confusionOf = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_stage = nullptr;
    QTableWidget* m_table = nullptr;
    ConfusionMatrixView* m_confusion = nullptr;
    QFutureWatcher<std::shared_ptr<Outcome>> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    std::shared_ptr<Outcome> m_last;
};

} // namespace swav
