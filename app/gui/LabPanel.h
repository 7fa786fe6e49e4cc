#pragma once
// The teaching lab: one real batch through SwAV's mechanics, from the selected run's
// checkpoint, the paused run or the form's initial weights. Views: Sinkhorn iteration by
// iteration, and the swapped prediction image by image. Each view exports to PNG or PDF; a
// presenter mode enlarges everything for a projector.

#include "config/ExperimentConfig.h"

#include "ImagesForRuns.h"

#include <QFutureWatcher>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace swav {

class Dataset;
class LabSinkhornView;
class LabSwapView;
struct HeldModel;
struct LabResult;

class LabPanel : public QWidget {
    Q_OBJECT
public:
    enum class Source { Checkpoint, PausedRun, InitialWeights };

    explicit LabPanel(QWidget* parent = nullptr);
    ~LabPanel() override;

    /// The selected run's checkpoint (`sha256`: its recorded digest, checked before reading).
    void setCheckpoint(const QString& checkpoint, const QString& sha256 = {});
    /// The model a paused run of this window holds (null once the run ended); recomputes when
    /// that is the source.
    void setHeldModel(std::shared_ptr<const HeldModel> model);
    /// The form's configuration, for the initial-weights source.
    void setFormConfig(const ExperimentConfig& config);
    void setSource(Source source);
    Source source() const;

    /// The same images again through the source's current weights.
    void compute();
    /// Other images (a new seeded choice), then compute().
    void newBatch();
    bool computing() const { return m_watcher.isRunning(); }
    QString originText() const;

    LabSinkhornView* sinkhornView() const { return m_sinkhorn; }
    LabSwapView* swapView() const { return m_swap; }
    QTabWidget* views() const { return m_views; }
    QSpinBox* batchImages() const { return m_images; }

    /// Writes the view on show to `path` (.png or .pdf). False (and problem()) on failure.
    bool exportView(const QString& path);
    void setPresenterMode(bool on);
    bool presenterMode() const { return m_presenter; }

Q_SIGNALS:
    void computed(bool ok);
    void problem(const QString& message);
    void presenterModeChanged(bool on);

protected:
    /// A checkpoint that arrived while the lab was hidden is computed when it is shown.
    void showEvent(QShowEvent* event) override;

private:
    ImagesForRuns m_runImages; // for runs of weights imported without a dataset
    struct Job;
    void showResult();
    void updateSourceText();
    void exportWithDialog();

    QComboBox* m_sourceBox = nullptr;
    QLabel* m_sourceText = nullptr;
    QSpinBox* m_images = nullptr;
    QPushButton* m_compute = nullptr;
    QPushButton* m_newBatch = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_presenterButton = nullptr;
    QLabel* m_status = nullptr;
    QTabWidget* m_views = nullptr;
    LabSinkhornView* m_sinkhorn = nullptr;
    LabSwapView* m_swap = nullptr;

    QString m_checkpoint, m_checkpointSha256;
    QString m_computedCheckpoint; // the checkpoint of the batch on show
    std::shared_ptr<const HeldModel> m_held;
    std::unique_ptr<ExperimentConfig> m_formConfig;
    quint64 m_seed = 1;
    bool m_pending = false; // asked again while computing
    bool m_presenter = false;
    QFont m_normalFont;

    std::shared_ptr<Dataset> m_dataset; // of the last batch, reused for the same dataset
    std::string m_datasetKey;
    QFutureWatcher<std::shared_ptr<Job>> m_watcher;
    std::shared_ptr<const LabResult> m_result;
};

} // namespace swav
