#include "ClustersPanel.h"

#include "ClusterGalleryView.h"
#include "CropRendering.h"
#include "CropsView.h"
#include "DatasetCache.h"
#include "EmbeddingMap.h"
#include "ProgressRelay.h"
#include "config/ConfigJson.h"
#include "eval/AnalyzeCheckpoint.h"
#include "store/RunStore.h"
#include "workflow/RunResults.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <optional>

namespace swav {

struct ClustersPanel::Result {
    nlohmann::json analysis;
    ExperimentConfig config; // of the checkpoint
    SavedResult saved;       // the analysis files beside the run
    int64_t runId = 0;       // the recorded run analysed; 0 = none (nothing kept)
    QString error;
};

ClustersPanel::ClustersPanel(store::RunStore* runs, QWidget* parent)
    : QWidget(parent)
    , m_runs(runs)
    , m_images(new DatasetCache(this)) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_source = new QLabel(tr("No checkpoint yet: start a run or pick one in Runs."), this);
    m_source->setWordWrap(true);
    m_space = new QComboBox(this);
    m_space->addItem(tr("map of trunk features"), QStringLiteral("features"));
    m_space->addItem(tr("map of head embeddings"), QStringLiteral("embeddings"));
    m_compute = new QPushButton(tr("Compute"), this);
    m_compute->setEnabled(false);
    m_follow = new QCheckBox(tr("Follow training"), this);
    m_follow->setToolTip(tr("Recompute from every new checkpoint of the running run"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setToolTip(tr("Stop the computation in progress"));
    m_cancel->setVisible(false);
    row->addWidget(m_source, 1);
    row->addWidget(m_compute);
    row->addWidget(m_cancel);
    layout->addLayout(row);
    auto* options = new QHBoxLayout;
    options->addWidget(m_space);
    options->addWidget(m_follow);
    options->addStretch(1);
    layout->addLayout(options);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    layout->addWidget(m_progress);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    QSplitter* splitter = m_splitter;
    auto* tabs = new QTabWidget(splitter);
    m_gallery = new ClusterGalleryView(tabs);
    tabs->addTab(m_gallery, tr("Gallery"));
    auto* mapBox = new QWidget(tabs);
    auto* mapLayout = new QVBoxLayout(mapBox);
    mapLayout->setContentsMargins(0, 0, 0, 0);
    m_colouring = new QComboBox(mapBox);
    m_colouring->addItem(tr("colour by label"));
    m_colouring->addItem(tr("colour by assigned prototype"));
    mapLayout->addWidget(m_colouring);
    m_map = new EmbeddingMap(mapBox);
    mapLayout->addWidget(m_map, 1);
    tabs->addTab(mapBox, tr("Embedding map"));

    auto* detailBox = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detailBox);
    m_detailImage = new QLabel(detailBox);
    m_detailImage->setAlignment(Qt::AlignCenter);
    m_detail = new QLabel(tr("Click a prototype or an image."), detailBox);
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_crops = new QPushButton(tr("Show its crops"), detailBox);
    m_crops->setToolTip(tr("Crops of this image as the run's augmentation makes them"));
    m_crops->setEnabled(false);
    m_cropsView = new CropsView(detailBox);
    m_cropsView->setVisible(false);
    detailLayout->addWidget(m_detailImage);
    detailLayout->addWidget(m_detail);
    detailLayout->addWidget(m_crops);
    detailLayout->addWidget(m_cropsView);
    detailLayout->addStretch(1);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    connect(m_compute, &QPushButton::clicked, this, &ClustersPanel::compute);
    connect(m_cancel, &QPushButton::clicked, this, &ClustersPanel::cancel);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Result>>::finished, this,
            &ClustersPanel::showResult);
    connect(m_gallery, &ClusterGalleryView::prototypeClicked, this, &ClustersPanel::showPrototype);
    connect(m_gallery, &ClusterGalleryView::imageClicked, this, &ClustersPanel::showImage);
    connect(m_map, &EmbeddingMap::pointClicked, this, &ClustersPanel::showImage);
    connect(m_colouring, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_map->setColouring(i == 0 ? EmbeddingMap::Colouring::Label
                                   : EmbeddingMap::Colouring::Prototype);
    });
    connect(m_crops, &QPushButton::clicked, this, &ClustersPanel::showCrops);
    connect(m_images, &DatasetCache::changed, this, &ClustersPanel::render);
}

ClustersPanel::~ClustersPanel() {
    cancel(); // closing the window does not wait for a whole analysis
    m_watcher.waitForFinished();
}

void ClustersPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // In a narrow dock the chosen image goes under the gallery instead of being cut at the side.
    constexpr int kSideBySideWidth = 640;
    m_splitter->setOrientation(width() < kSideBySideWidth ? Qt::Vertical : Qt::Horizontal);
}

bool ClustersPanel::thumbnailsReady() const {
    return m_images->ready();
}

void ClustersPanel::cancel() {
    if (m_cancelRequested)
        m_cancelRequested->store(true);
    m_pending = false;
}

void ClustersPanel::setCheckpoint(const QString& checkpoint, bool computeNow,
                                  const QString& sha256) {
    m_checkpoint = checkpoint;
    m_checkpointSha256 = sha256;
    m_source->setText(checkpoint.isEmpty()
                          ? tr("No checkpoint on disk.")
                          : tr("Checkpoint: %1").arg(QFileInfo(checkpoint).fileName()));
    m_source->setToolTip(checkpoint);
    m_compute->setEnabled(!checkpoint.isEmpty() && !computing());
    if (computeNow)
        compute();
}

void ClustersPanel::onNewCheckpoint(const QString& checkpoint) {
    setCheckpoint(checkpoint, m_follow->isChecked());
}

void ClustersPanel::compute() {
    if (m_checkpoint.isEmpty())
        return;
    if (computing()) {
        m_pending = true;
        return;
    }
    AnalyzeRequest request;
    request.projectionImages = 2000;
    request.galleryTop = 24;
    request.space = m_space->currentData().toString().toStdString();
    request.expectedSha256 = m_checkpointSha256.toStdString();
    m_cancelRequested = std::make_shared<std::atomic<bool>>(false);
    const ProgressCallback progress = [relay = progressRelay(m_progress),
                                       cancelled = m_cancelRequested](int64_t done, int64_t total) {
        relay({}, done, total);
        return !cancelled->load(); // false stops the feature extraction
    };
    const std::string checkpoint = m_checkpoint.toStdString();
    // The analysis is kept as files only in a recorded run's folder: a checkpoint opened from
    // anywhere else may lie among a user's files.
    std::optional<store::RunRecord> run;
    if (m_runs) {
        try {
            run = m_runs->runOfCheckpoint(checkpoint);
        } catch (const std::exception& e) { // a damaged or vanished database
            Q_EMIT problem(QString::fromStdString(e.what()));
        }
    }
    const std::string runDir = run ? run->runDir : std::string();
    const int64_t runId = run ? run->id : 0;
    if (run)
        if (auto config = loadConfig(run->configJson, "run " + std::to_string(run->id), {}, nullptr,
                                     DataUse::Later)) {
            if (!m_runImages.complete(this, QString::fromStdString(run->name), tr("Clusters"),
                                      config->dataset))
                return;
            request.dataset = config->dataset;
        }
    m_compute->setEnabled(false);
    m_cancel->setVisible(true);
    m_watcher.setFuture(QtConcurrent::run([checkpoint, request, progress, runDir, runId] {
        auto result = std::make_shared<Result>();
        auto analysis = analyzeCheckpoint(checkpoint, request, progress);
        if (!analysis) {
            result->error = QString::fromStdString(analysis.error().message);
            return result;
        }
        result->analysis = std::move(*analysis);
        if (runId > 0) {
            result->saved = saveAnalysis(runDir, checkpoint, result->analysis);
            result->runId = runId;
        }
        ValidationReport ignored; // the checkpoint's config was validated when it was loaded
        result->config = configFromJson(result->analysis["config"], ignored);
        // The analysis covers the whole training split.
        result->config.dataset.subset = 0;
        result->config.dataset.holdout = 0;
        return result;
    }));
}

void ClustersPanel::record() {
    const SavedResult& saved = m_result->saved;
    if (!m_runs || m_result->runId <= 0)
        return;
    try {
        recordAnalysis(*m_runs, m_result->runId, saved);
        if (!saved.problem.empty())
            Q_EMIT problem(QString::fromStdString(saved.problem));
    } catch (const std::exception& e) { // a damaged or vanished database
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void ClustersPanel::showResult() {
    const auto result = m_watcher.result();
    m_compute->setEnabled(!m_checkpoint.isEmpty());
    m_cancel->setVisible(false);
    const bool cancelled = m_cancelRequested && m_cancelRequested->load();
    m_cancelRequested.reset();
    if (cancelled && !result->error.isEmpty()) {
        m_progress->setValue(0);
        m_source->setText(tr("Cancelled: %1").arg(QFileInfo(m_checkpoint).fileName()));
        Q_EMIT computed(false);
    } else if (!result->error.isEmpty()) {
        Q_EMIT problem(tr("Clusters could not be computed: %1").arg(result->error));
        Q_EMIT computed(false);
    } else {
        m_result = result;
        record();
        m_images->request(result->config.dataset);
        render();
        Q_EMIT computed(true);
    }
    if (m_pending) {
        m_pending = false;
        compute();
    }
}

void ClustersPanel::render() {
    if (!m_result)
        return;
    const auto& a = m_result->analysis;
    QStringList classes;
    for (const auto& name : a["class_names"])
        classes << QString::fromStdString(name.get<std::string>());
    QVector<GalleryCluster> clusters;
    for (const auto& c : a["gallery"]["clusters"]) {
        GalleryCluster cluster;
        cluster.prototype = c["prototype"].get<int>();
        cluster.size = c["size"].get<qint64>();
        if (c.contains("purity"))
            cluster.purity = c["purity"].get<double>();
        if (c.contains("majority_class"))
            cluster.majorityClass = QString::fromStdString(c["majority_class"].get<std::string>());
        for (const auto& index : c["top_images"])
            cluster.topImages << index.get<qint64>();
        clusters << cluster;
    }
    // Empty thumbnails until the images are open; changed() renders again.
    DatasetCache* images = m_images;
    const auto thumbnail = [images](qint64 index) { return images->image(index); };
    m_gallery->setClusters(clusters, thumbnail);
    QVector<MapPoint> points;
    for (const auto& p : a["projection"]["points"]) {
        MapPoint point;
        point.x = p["x"].get<double>();
        point.y = p["y"].get<double>();
        point.index = p.value("index", qint64(-1));
        point.label = p.value("label", -1);
        point.prototype = p.value("prototype", -1);
        points << point;
    }
    m_map->setPoints(points, classes, thumbnail);
    QString summary = tr("%1 prototypes hold images").arg(m_gallery->rowCount());
    if (a["gallery"].contains("nmi"))
        summary += tr("; assignments vs labels: NMI %1, ARI %2")
                       .arg(a["gallery"]["nmi"].get<double>(), 0, 'f', 3)
                       .arg(a["gallery"]["ari"].get<double>(), 0, 'f', 3);
    if (m_detailIndex < 0)
        m_detail->setText(summary);
}

void ClustersPanel::showCrops() {
    const auto dataset = m_images->dataset();
    if (!m_result || !dataset || m_detailIndex < 0)
        return;
    const CropPreview preview =
        renderCrops(*dataset, m_detailIndex, m_result->config, m_result->config.multicrop.crops,
                    quint64(m_detailIndex) * 31 + 7);
    if (!preview.error.isEmpty()) {
        Q_EMIT problem(tr("Cannot show the crops: %1").arg(preview.error));
        return;
    }
    m_cropsView->setPreview(preview.original, preview.tiles, preview.groupNames);
    m_cropsView->setVisible(true);
}

void ClustersPanel::showPrototype(int prototype) {
    if (!m_result)
        return;
    for (const auto& c : m_result->analysis["gallery"]["clusters"]) {
        if (c["prototype"].get<int>() != prototype)
            continue;
        // A mosaic of all its typical images.
        const auto& images = c["top_images"];
        const int columns = 6;
        const int cell = 56;
        const int rows = (int(images.size()) + columns - 1) / columns;
        QImage mosaic(columns * cell, std::max(1, rows) * cell, QImage::Format_RGB32);
        mosaic.fill(Qt::white);
        QPainter painter(&mosaic);
        for (int i = 0; i < int(images.size()); ++i)
            painter.drawImage(QRect((i % columns) * cell, (i / columns) * cell, cell - 2, cell - 2),
                              m_images->image(images[size_t(i)].get<qint64>()));
        painter.end();
        m_detailImage->setPixmap(QPixmap::fromImage(mosaic));
        m_detail->setText(tr("prototype %1: %L2 images%3")
                              .arg(prototype)
                              .arg(c["size"].get<qint64>())
                              .arg(c.contains("purity")
                                       ? tr(", %1 % %2")
                                             .arg(100 * c["purity"].get<double>(), 0, 'f', 1)
                                             .arg(QString::fromStdString(
                                                 c.value("majority_class", std::string())))
                                       : QString()));
        m_detailIndex = -1;
        m_crops->setEnabled(false);
        m_cropsView->setVisible(false);
        return;
    }
}

void ClustersPanel::showImage(qint64 index) {
    if (!m_result)
        return;
    m_detailIndex = index;
    m_crops->setEnabled(true);
    m_cropsView->setVisible(false);
    int label = -1;
    m_detailImage->setPixmap(
        QPixmap::fromImage(m_images->image(index, &label)
                               .scaled(160, 160, Qt::KeepAspectRatio, Qt::FastTransformation)));
    const QStringList classes = m_images->classNames();
    QString text = tr("image %1%2\n")
                       .arg(index)
                       .arg(label >= 0 && label < classes.size() ? tr(" (%1)").arg(classes[label])
                                                                 : QString());
    const std::string key = std::to_string(index);
    auto listTop = [&](const char* field, const QString& title) {
        const auto& entries = m_result->analysis.value(field, nlohmann::json::object());
        if (!entries.contains(key))
            return;
        text += title;
        for (const auto& entry : entries[key])
            text += tr("  prototype %1: %2 %\n")
                        .arg(entry[0].get<int>())
                        .arg(100 * entry[1].get<double>(), 0, 'f', 1);
    };
    listTop("codes", tr("Sinkhorn code (equal partition over the %1 images shown, epsilon %2):\n")
                         .arg(m_result->analysis.value("codes_batch", 0))
                         .arg(m_result->analysis.value("epsilon", 0.05)));
    listTop("predictions", tr("prediction over the prototypes (softmax of scores / %1):\n")
                               .arg(m_result->analysis.value("temperature", 0.1)));
    m_detail->setText(text);
}

QString ClustersPanel::detailText() const {
    return m_detail->text();
}

} // namespace swav
