#include "LabPanel.h"

#include "FileDialogs.h"
#include "ImageConversion.h"
#include "LabResult.h"
#include "LabSinkhornView.h"
#include "LabSwapView.h"
#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "data/Dataset.h"
#include "runtime/HeldModel.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPdfWriter>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTime>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <set>

namespace swav {

QString LabResult::imageName(int image) const {
    const qint64 index = batch.indices[size_t(image)];
    const int label = batch.labels[size_t(image)];
    if (label >= 0 && label < classNames.size())
        return QStringLiteral("#%1 (%2)").arg(index).arg(classNames[label]);
    return QStringLiteral("#%1").arg(index);
}

namespace {

constexpr double kPresenterScale = 1.6;

std::string datasetKey(const DatasetConfig& config) {
    ExperimentConfig holder;
    holder.dataset = config;
    return toJson(holder)["dataset"].dump();
}

/// The batch's pictures, and each prototype's typical images, for the views.
void addPictures(LabResult& result, Dataset& data) {
    const LabBatch& batch = result.batch;
    for (const auto& name : data.classNames())
        result.classNames << QString::fromStdString(name);
    const at::Tensor images = data.gather(batch.indices).images;
    for (int64_t i = 0; i < images.size(0); ++i)
        result.images << imageFromUint8(images[i]);
    for (const auto& crop : batch.crops) {
        QVector<QImage> pictures;
        for (int64_t i = 0; i < crop.size(0); ++i)
            pictures << imageFromUnitFloat(crop[i]);
        result.crops << pictures;
    }
    std::set<int64_t> wanted;
    const int prototypes = int(batch.poolScores.size(1));
    for (int k = 0; k < prototypes; ++k) {
        QVector<qint64> best;
        for (int64_t index : typicalImages(batch, k, kTypicalPerPrototype)) {
            best << index;
            wanted.insert(index);
        }
        result.typical << best;
    }
    const std::vector<int64_t> indices(wanted.begin(), wanted.end());
    if (indices.empty())
        return;
    const at::Tensor pool = data.gather(indices).images;
    for (size_t i = 0; i < indices.size(); ++i)
        result.typicalImages.insert(indices[i], imageFromUint8(pool[int64_t(i)]));
}

} // namespace

struct LabPanel::Job {
    // In
    Expected<LabModel> model = Error{"no model"};
    LabRequest request;
    std::shared_ptr<Dataset> dataset; // the previous job's, when the key matches
    std::string key;
    // Out
    std::shared_ptr<LabResult> result;
    QString error;

    void run() {
        try {
            if (!model)
                throw UserError(model.error().message);
            if (!dataset) {
                auto split = openDataset(model->config.dataset);
                if (!split)
                    throw UserError(split.error().message);
                dataset = split->train;
            }
            auto made = std::make_shared<LabResult>();
            made->batch = makeLabBatch(*model, *dataset, request);
            addPictures(*made, *dataset);
            result = std::move(made);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
    }
};

LabPanel::LabPanel(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_sourceBox = new QComboBox(this);
    m_sourceBox->addItem(tr("Selected run's checkpoint"));
    m_sourceBox->addItem(tr("Paused run (this window)"));
    m_sourceBox->addItem(tr("Initial weights of the form"));
    m_sourceBox->setToolTip(tr("Whose weights score the batch"));
    m_images = new QSpinBox(this);
    m_images->setRange(2, 256);
    m_images->setValue(16);
    m_images->setPrefix(tr("B = "));
    m_images->setSuffix(tr(" images"));
    m_images->setToolTip(tr("Images in the batch: the codes spread each batch over the "
                            "prototypes, so B matters"));
    m_compute = new QPushButton(tr("Compute"), this);
    m_compute->setToolTip(tr("The same images through the source's current weights"));
    m_newBatch = new QPushButton(tr("New batch"), this);
    m_newBatch->setToolTip(tr("Draw other images of the training set"));
    m_export = new QPushButton(tr("Export view…"), this);
    m_export->setToolTip(tr("The view on show as PNG or PDF, for slides"));
    m_presenterButton = new QPushButton(tr("Presenter mode"), this);
    m_presenterButton->setCheckable(true);
    m_presenterButton->setToolTip(tr("Larger text and pictures for a projector; the other "
                                     "panels are hidden meanwhile"));
    // Two short rows: beside the docks of a 1280-pixel window the lab is under 500 px wide.
    row->addWidget(m_sourceBox);
    row->addWidget(m_images);
    row->addStretch(1);
    layout->addLayout(row);
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_compute);
    actions->addWidget(m_newBatch);
    actions->addStretch(1);
    actions->addWidget(m_export);
    actions->addWidget(m_presenterButton);
    layout->addLayout(actions);
    m_sourceText = new QLabel(this);
    m_sourceText->setWordWrap(true);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    auto* statusRow = new QHBoxLayout;
    statusRow->addWidget(m_sourceText, 1);
    statusRow->addWidget(m_status);
    layout->addLayout(statusRow);

    m_views = new QTabWidget(this);
    m_sinkhorn = new LabSinkhornView(m_views);
    m_swap = new LabSwapView(m_views);
    m_views->addTab(m_sinkhorn, tr("Sinkhorn, iteration by iteration"));
    m_views->addTab(m_swap, tr("Swapped prediction, image by image"));
    layout->addWidget(m_views, 1);
    m_normalFont = font();

    connect(m_sourceBox, &QComboBox::currentIndexChanged, this, [this] {
        updateSourceText();
        compute();
    });
    connect(m_compute, &QPushButton::clicked, this, &LabPanel::compute);
    connect(m_newBatch, &QPushButton::clicked, this, &LabPanel::newBatch);
    connect(m_export, &QPushButton::clicked, this, &LabPanel::exportWithDialog);
    connect(m_presenterButton, &QPushButton::toggled, this, &LabPanel::setPresenterMode);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Job>>::finished, this,
            &LabPanel::showResult);
    updateSourceText();
}

LabPanel::~LabPanel() {
    m_watcher.waitForFinished();
}

LabPanel::Source LabPanel::source() const {
    return Source(m_sourceBox->currentIndex());
}

void LabPanel::setSource(Source source) {
    m_sourceBox->setCurrentIndex(int(source)); // computes when it changes
}

void LabPanel::setCheckpoint(const QString& checkpoint, const QString& sha256) {
    m_checkpoint = checkpoint;
    m_checkpointSha256 = sha256;
    updateSourceText();
    if (source() == Source::Checkpoint && isVisible())
        compute();
}

void LabPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (source() == Source::Checkpoint && !m_checkpoint.isEmpty() &&
        m_checkpoint != m_computedCheckpoint && !computing())
        compute();
}

void LabPanel::setHeldModel(std::shared_ptr<const HeldModel> model) {
    m_held = std::move(model);
    updateSourceText();
    if (m_held && source() == Source::PausedRun)
        compute(); // the lab follows the stepping
}

void LabPanel::setFormConfig(const ExperimentConfig& config) {
    m_formConfig = std::make_unique<ExperimentConfig>(config);
    updateSourceText();
}

QString LabPanel::originText() const {
    return m_sourceText->text();
}

void LabPanel::updateSourceText() {
    switch (source()) {
    case Source::Checkpoint:
        m_sourceText->setText(m_checkpoint.isEmpty()
                                  ? tr("No checkpoint yet: finish a run, or select one in "
                                       "Runs and press Clusters (it opens here too).")
                                  : tr("Checkpoint %1").arg(QFileInfo(m_checkpoint).fileName()));
        m_compute->setEnabled(!m_checkpoint.isEmpty());
        break;
    case Source::PausedRun:
        m_sourceText->setText(
            m_held ? tr("The paused run, before step %1").arg(shownStepNumber(m_held->step))
                   : tr("No paused run: start a run here and pause it (Step "
                        "then trains a few iterations and shows them)."));
        m_compute->setEnabled(m_held != nullptr);
        break;
    case Source::InitialWeights:
        m_sourceText->setText(m_formConfig ? tr("Initial weights of “%1” (seed %2): before any "
                                                "training")
                                                 .arg(QString::fromStdString(m_formConfig->name))
                                                 .arg(m_formConfig->runtime.seed)
                                           : tr("The form has errors."));
        m_compute->setEnabled(m_formConfig != nullptr);
        break;
    }
    m_newBatch->setEnabled(m_compute->isEnabled());
}

void LabPanel::newBatch() {
    ++m_seed;
    compute();
}

void LabPanel::compute() {
    if (!m_compute->isEnabled())
        return;
    if (m_watcher.isRunning()) {
        m_pending = true;
        return;
    }
    auto job = std::make_shared<Job>();
    switch (source()) {
    case Source::Checkpoint:
        job->model =
            labModelFromCheckpoint(m_checkpoint.toStdString(), m_checkpointSha256.toStdString());
        m_computedCheckpoint = m_checkpoint;
        break;
    case Source::PausedRun:
        job->model = labModelFromHeld(*m_held);
        break;
    case Source::InitialWeights:
        job->model = labModelAtStart(*m_formConfig);
        break;
    }
    job->request.images = m_images->value();
    job->request.seed = m_seed;
    if (job->model && !m_runImages.complete(this,
                                            job->model->config.name.empty()
                                                ? m_computedCheckpoint
                                                : QString::fromStdString(job->model->config.name),
                                            tr("Lab"), job->model->config.dataset))
        return;
    if (job->model) {
        // Typical images cost a forward pass each: fewer for large images (ImageNet-sized).
        if (datasetImageSide(job->model->config.dataset) > 64)
            job->request.poolImages = 256;
        job->key = datasetKey(job->model->config.dataset);
        if (job->key == m_datasetKey)
            job->dataset = m_dataset;
    }
    m_status->setText(tr("computing…"));
    m_watcher.setFuture(QtConcurrent::run([job] {
        job->run();
        return job;
    }));
}

void LabPanel::showResult() {
    const auto job = m_watcher.result();
    if (job->dataset) {
        m_dataset = job->dataset;
        m_datasetKey = job->key;
    }
    if (!job->result) {
        m_status->setText(tr("failed"));
        Q_EMIT problem(tr("Lab: %1").arg(job->error));
        Q_EMIT computed(false);
    } else {
        m_result = job->result;
        // B is in the spin box beside: the time alone keeps this to one short line.
        m_status->setText(
            tr("computed %1").arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
        m_status->setToolTip(QString::fromStdString(m_result->batch.origin));
        m_sinkhorn->setResult(m_result);
        m_swap->setResult(m_result);
        Q_EMIT computed(true);
    }
    if (m_pending) {
        m_pending = false;
        compute();
    }
}

bool LabPanel::exportView(const QString& path) {
    QWidget* view = m_views->currentWidget();
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool ok = false;
    if (suffix == QStringLiteral("pdf")) {
        QPdfWriter pdf(path);
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(QSizeF(view->size()) * 72.0 / 96.0, QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter painter;
        ok = painter.begin(&pdf);
        if (ok) {
            view->render(&painter);
            ok = painter.end();
        }
    } else if (suffix == QStringLiteral("png")) {
        ok = view->grab().save(path, "PNG");
    } else {
        Q_EMIT problem(tr("Export: %1 must end in .png or .pdf").arg(path));
        return false;
    }
    if (!ok)
        Q_EMIT problem(tr("Export: could not write %1").arg(path));
    return ok;
}

void LabPanel::exportWithDialog() {
    const QString path =
        chooseFileToSave(this, tr("Export the view"), QStringLiteral("lab-view.png"),
                         tr("PNG image (*.png);;PDF document (*.pdf)"));
    if (!path.isEmpty())
        exportView(path);
}

void LabPanel::setPresenterMode(bool on) {
    if (on == m_presenter)
        return;
    m_presenter = on;
    QFont big = m_normalFont;
    if (on)
        big.setPointSizeF(m_normalFont.pointSizeF() * kPresenterScale);
    setFont(on ? big : m_normalFont);
    m_swap->setPictureScale(on ? kPresenterScale : 1.0);
    m_presenterButton->setChecked(on);
    Q_EMIT presenterModeChanged(on);
}

} // namespace swav
