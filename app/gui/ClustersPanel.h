#pragma once
// What the prototypes gathered, computed in the background from a checkpoint: the gallery
// (prototypes by size, their typical images, label purity), the 2-D embedding map coloured by
// label or prototype, and for a clicked image its prediction over the prototypes and its crops.
// Thumbnails come from the analysed run's own training set, whatever the form shows. Each
// analysis is kept beside its run, as `swav analyze` keeps it.

#include "ImagesForRuns.h"

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSplitter;

namespace swav {

namespace store {
class RunStore;
}

class ClusterGalleryView;
class CropsView;
class DatasetCache;
class EmbeddingMap;

class ClustersPanel : public QWidget {
    Q_OBJECT
public:
    /// `runs`: where each analysis is recorded with its run (null = not recorded); the GUI
    /// thread's connection.
    explicit ClustersPanel(store::RunStore* runs = nullptr, QWidget* parent = nullptr);
    ~ClustersPanel() override;

    /// The checkpoint to analyse; computes at once when `compute` (or auto-refresh) is set.
    /// `sha256`: the digest the run database recorded for the file, checked before it is read.
    void setCheckpoint(const QString& checkpoint, bool compute, const QString& sha256 = {});
    /// A new checkpoint of the live run: recomputes when "follow training" is on.
    void onNewCheckpoint(const QString& checkpoint);
    /// The checkpoint Compute analyses ("" = none).
    QString checkpoint() const { return m_checkpoint; }
    /// The checkpoint's training images are open: the gallery and map show thumbnails.
    bool thumbnailsReady() const;
    void compute();
    bool computing() const { return m_watcher.isRunning(); }
    /// Stops the computation in progress at its next batch; computed(false) follows.
    void cancel();
    ClusterGalleryView* gallery() const { return m_gallery; }
    EmbeddingMap* map() const { return m_map; }
    /// Shows one image's prediction (after a computation).
    void showImage(qint64 index);
    void showPrototype(int prototype);
    QString detailText() const;

protected:
    void resizeEvent(QResizeEvent* event) override;

Q_SIGNALS:
    void computed(bool ok);
    void problem(const QString& message);

private:
    ImagesForRuns m_runImages; // for runs of weights imported without a dataset
    struct Result;
    void showResult();
    /// Records the analysis files with the run of the analysed checkpoint.
    void record();
    /// Fills the gallery and the map (again once the analysed images are open).
    void render();
    void showCrops();

    store::RunStore* m_runs;
    DatasetCache* m_images; // the checkpoint's own training images (not the form's)
    QString m_checkpoint;
    QString m_checkpointSha256;
    QLabel* m_source = nullptr;
    QSplitter* m_splitter = nullptr; // gallery | chosen image, stacked when narrow
    QPushButton* m_compute = nullptr;
    QPushButton* m_cancel = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelRequested; // of the computation in progress
    QCheckBox* m_follow = nullptr;
    QComboBox* m_space = nullptr;
    QComboBox* m_colouring = nullptr;
    QProgressBar* m_progress = nullptr;
    ClusterGalleryView* m_gallery = nullptr;
    EmbeddingMap* m_map = nullptr;
    QLabel* m_detailImage = nullptr;
    QLabel* m_detail = nullptr;
    QPushButton* m_crops = nullptr;
    CropsView* m_cropsView = nullptr;
    qint64 m_detailIndex = -1;
    QFutureWatcher<std::shared_ptr<Result>> m_watcher;
    std::shared_ptr<Result> m_result;
    bool m_pending = false; // a newer checkpoint arrived while computing
};

} // namespace swav
