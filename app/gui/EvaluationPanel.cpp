#include "EvaluationPanel.h"

#include "ConfusionMatrixView.h"
#include "FileDialogs.h"
#include "MetricPlot.h"
#include "ProgressRelay.h"
#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "eval/Evaluation.h"
#include "runtime/Checkpoint.h"
#include "runtime/DeviceSetup.h"
#include "store/CheckpointDigests.h"
#include "store/RunStore.h"
#include "workflow/RunResults.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace swav {

struct EvaluationPanel::Target {
    QString checkpoint;
    std::string digest; // recorded SHA-256, "" = none
    int epoch = -1;     // epochs completed when it was written; -1 = unknown
};

struct EvaluationPanel::Outcome {
    struct Item {
        QString checkpoint;
        int epoch = -1;
        nlohmann::json result;
        SavedResult saved; // the result's file and the feature caches
    };
    bool curve = false; // every checkpoint of a run
    std::vector<Item> items;
    QString error;
    bool cancelled = false;
};

namespace {

const char* const kCandidates[][2] = {{"trained", "trained network"},
                                      {"random_init", "same network, random init"},
                                      {"raw_pixels", "raw pixels"}};

/// What the options ask for, read on the GUI thread and applied on the worker's.
struct EvalChoices {
    bool knn = true, linear = false, baselines = false;
    int k = 20;
    double temperature = 0.07;
    int probeEpochs = 100;
    double probeLr = 0.3;
    int probeBatch = 256;
    std::string protocol = "cached";
    std::string device = "auto";
    bool writeCache = false;
    std::string imagesFolder; // for a run that names no images; "" = the run's own

    /// The run's request (weight decay, seed, feature batch) with the choices applied.
    EvalRequest requestFor(const ExperimentConfig& config, const std::string& digest) const {
        EvalRequest request = evalRequestFor(config);
        request.knn = knn;
        request.linear = linear;
        request.baselines = baselines;
        request.knnOptions.k = k;
        request.knnOptions.temperature = temperature;
        request.linearOptions.epochs = probeEpochs;
        request.linearOptions.lr = probeLr;
        request.linearOptions.batchSize = probeBatch;
        request.linearProtocol = protocol;
        request.device = device;
        request.expectedSha256 = digest;
        request.writeCache = writeCache;
        if (!imagesFolder.empty()) {
            request.dataset = config.dataset;
            request.dataset->path = imagesFolder;
        }
        return request;
    }
};

QString percent(double fraction) {
    return QStringLiteral("%1 %").arg(100 * fraction, 0, 'f', 2);
}

/// A cell shown as text, sorted by a number (accuracy "85.20 %", image counts).
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(const QString& text, double value)
        : QTableWidgetItem(text) {
        setData(Qt::UserRole, value);
    }
    bool operator<(const QTableWidgetItem& other) const override {
        return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
    }
};

/// A combo box as narrow as a short item, so that a long one never widens its panel (the list
/// shows every item in full).
void fitToColumn(QComboBox* box) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
}

template <class Box> void setTip(Box* box, const char* text) {
    box->setToolTip(EvaluationPanel::tr(text));
}

} // namespace

EvaluationPanel::EvaluationPanel(store::RunStore* runs, QWidget* parent)
    : QWidget(parent)
    , m_runs(runs) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_checkpoint = new QLabel(tr("No checkpoint chosen: pick a run in Runs, or browse."), this);
    m_checkpoint->setWordWrap(true);
    auto* browseButton = new QPushButton(tr("Browse..."), this);
    row->addWidget(m_checkpoint, 1);
    row->addWidget(browseButton);
    layout->addLayout(row);
    layout->addWidget(buildOptions());

    auto* buttons = new QHBoxLayout;
    m_run = new QPushButton(tr("Evaluate"), this);
    m_every = new QPushButton(tr("Every checkpoint"), this);
    m_every->setToolTip(tr("Evaluate each checkpoint of the run still on disk (kNN and/or linear "
                           "as chosen, no baselines) and draw the accuracy over the epochs."));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    buttons->addStretch(1);
    buttons->addWidget(m_run);
    buttons->addWidget(m_every);
    buttons->addWidget(m_cancel);
    layout->addLayout(buttons);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_stage = new QLabel(this);
    layout->addWidget(m_progress);
    layout->addWidget(m_stage);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_table = new QTableWidget(0, 3, splitter);
    m_table->setHorizontalHeaderLabels({tr("Features"), tr("kNN top-1"), tr("Linear top-1")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // Asks for its rows' height, not a default 192 px: the panel then fits a 1280x800 window
    // without scrolling, the confusion matrix in view.
    m_table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    auto* detailBox = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    m_confusionOf = new QComboBox(detailBox);
    fitToColumn(m_confusionOf);
    m_confusionOf->setToolTip(tr("Which result the confusion matrix and per-class table show"));
    detailLayout->addWidget(m_confusionOf);
    m_details = new QTabWidget(detailBox);
    m_confusion = new ConfusionMatrixView(m_details);
    m_perClass = new QTableWidget(0, 3, m_details);
    m_perClass->setHorizontalHeaderLabels({tr("Class"), tr("Accuracy"), tr("Test images")});
    m_perClass->horizontalHeader()->setStretchLastSection(true);
    m_perClass->verticalHeader()->hide();
    m_perClass->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_perClass->setSortingEnabled(true);
    m_perClass->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder); // class order
    m_curve = new MetricPlot(tr("epoch"), tr("top-1 (%)"), m_details);
    m_curve->setMarkers(true);
    m_curve->setIntegerX();
    m_details->addTab(m_confusion, tr("Confusion matrix"));
    m_details->addTab(m_perClass, tr("Per class"));
    m_details->addTab(m_curve, tr("Checkpoints"));
    detailLayout->addWidget(m_details, 1);
    // The results keep their rows' height; the confusion matrix and its tabs take the rest.
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    connect(browseButton, &QPushButton::clicked, this, &EvaluationPanel::browse);
    connect(m_run, &QPushButton::clicked, this, &EvaluationPanel::start);
    connect(m_every, &QPushButton::clicked, this, &EvaluationPanel::startEveryCheckpoint);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluationPanel::cancel);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Outcome>>::finished, this,
            &EvaluationPanel::showOutcome);
    connect(m_confusionOf, &QComboBox::currentIndexChanged, this, &EvaluationPanel::showPerClass);
    m_run->setEnabled(false);
    m_every->setEnabled(false);
}

QWidget* EvaluationPanel::buildOptions() {
    auto* box = new QWidget(this);
    auto* grid = new QGridLayout(box);
    grid->setContentsMargins(0, 0, 0, 0);
    m_knn = new QCheckBox(tr("kNN"), box);
    m_knn->setChecked(true);
    setTip(m_knn, "Weighted k-nearest-neighbour vote on frozen, normalised features.");
    m_k = new QSpinBox(box);
    m_k->setRange(1, 1000);
    m_k->setValue(20);
    m_k->setPrefix(tr("k "));
    setTip(m_k, "Neighbours that vote (20 in the paper's kNN evaluations).");
    m_temperature = new QDoubleSpinBox(box);
    m_temperature->setDecimals(3);
    m_temperature->setRange(0.001, 10);
    m_temperature->setSingleStep(0.01);
    m_temperature->setValue(0.07);
    m_temperature->setPrefix(tr("T "));
    setTip(m_temperature, "Votes are weighted by exp(cosine / T).");
    m_linear = new QCheckBox(tr("Linear probe"), box);
    setTip(m_linear, "A linear classifier trained on the frozen features.");
    m_probeEpochs = new QSpinBox(box);
    m_probeEpochs->setRange(1, 1000);
    m_probeEpochs->setValue(100);
    m_probeEpochs->setSuffix(tr(" epochs"));
    m_probeLr = new QDoubleSpinBox(box);
    m_probeLr->setDecimals(4);
    m_probeLr->setRange(0.0001, 100);
    m_probeLr->setValue(0.3);
    m_probeLr->setPrefix(tr("lr "));
    setTip(m_probeLr, "Learning rate at batch 256, scaled linearly with the batch.");
    m_probeBatch = new QSpinBox(box);
    m_probeBatch->setRange(1, 65536);
    m_probeBatch->setValue(256);
    m_probeBatch->setPrefix(tr("batch "));
    m_protocol = new QComboBox(box);
    m_protocol->addItem(tr("cached features"), QStringLiteral("cached"));
    m_protocol->addItem(tr("fresh crops (official)"), QStringLiteral("official"));
    setTip(m_protocol, "Cached: the probe trains on the standardised features of the centre "
                       "crops (fast). Official: the authors' eval_linear.py: random-resized crops "
                       "and flips through the frozen trunk every epoch, the features as they are, "
                       "a cosine per epoch, weight decay on the bias too (eval.linear_protocol).");
    m_baselines = new QCheckBox(tr("Baselines"), box);
    m_baselines->setChecked(true);
    setTip(m_baselines, "Also evaluate the same network at random initialisation and raw "
                        "pixels, to see what training added.");
    m_device = new QComboBox(box);
    m_device->addItem(tr("auto (a GPU when present)"), QStringLiteral("auto"));
    for (const ComputeDevice& device : computeDevices())
        m_device->addItem(QString::fromStdString(device.description),
                          QString::fromStdString(device.id));
    setTip(m_device, "Where features are computed and the probe trains.");

    // Three columns, so that the panel fits a narrow dock.
    grid->addWidget(m_knn, 0, 0);
    grid->addWidget(m_k, 0, 1);
    grid->addWidget(m_temperature, 0, 2);
    grid->addWidget(m_linear, 1, 0);
    grid->addWidget(m_probeEpochs, 1, 1);
    grid->addWidget(m_probeLr, 1, 2);
    grid->addWidget(m_probeBatch, 2, 1);
    grid->addWidget(m_protocol, 2, 2);
    grid->addWidget(m_baselines, 3, 0);
    grid->addWidget(m_device, 3, 1, 1, 2);
    // The combo boxes take the column's width rather than setting it by their longest item.
    for (QComboBox* box : {m_protocol, m_device})
        fitToColumn(box);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(2, 1);
    const auto linearOn = [this] {
        for (QWidget* w :
             std::initializer_list<QWidget*>{m_probeEpochs, m_probeLr, m_probeBatch, m_protocol})
            w->setEnabled(m_linear->isChecked());
    };
    connect(m_linear, &QCheckBox::toggled, this, linearOn);
    connect(m_knn, &QCheckBox::toggled, this, [this] {
        m_k->setEnabled(m_knn->isChecked());
        m_temperature->setEnabled(m_knn->isChecked());
    });
    linearOn();
    return box;
}

EvaluationPanel::~EvaluationPanel() {
    cancel();
    m_watcher.waitForFinished();
}

void EvaluationPanel::useRunSettings(const ExperimentConfig& config) {
    m_k->setValue(config.eval.knnK);
    m_temperature->setValue(config.eval.knnTemperature);
    m_probeEpochs->setValue(config.eval.linearEpochs);
    m_probeLr->setValue(config.eval.linearLr);
    m_probeBatch->setValue(config.eval.linearBatchSize);
    m_protocol->setCurrentIndex(
        std::max(0, m_protocol->findData(QString::fromStdString(config.eval.linearProtocol))));
}

void EvaluationPanel::setCheckpoint(qint64 runId, const QString& checkpoint) {
    m_runId = runId;
    m_checkpointPath = checkpoint;
    m_checkpoint->setText(
        checkpoint.isEmpty()
            ? tr("This run has no checkpoint on disk yet.")
            : tr("Checkpoint: %1%2")
                  .arg(checkpoint, runId > 0 ? tr(" (run %1)").arg(runId) : QString()));
    m_run->setEnabled(!checkpoint.isEmpty() && !running());
    m_every->setEnabled(m_runs && runId > 0 && !running());
    if (!m_runs || runId <= 0)
        return;
    try {
        // The run's own evaluation settings (its stored configuration: no file to load).
        if (const auto record = m_runs->run(runId))
            if (auto config =
                    loadConfig(record->configJson, m_runs->path(), {}, nullptr, DataUse::Later))
                useRunSettings(*config);
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void EvaluationPanel::browse() {
    const QString file =
        chooseFileToOpen(this, tr("Checkpoint to evaluate"), QString(), tr("Checkpoints (*.pt)"));
    if (file.isEmpty())
        return;
    qint64 run = 0;
    try {
        if (m_runs)
            if (const auto record = m_runs->runOfCheckpoint(file.toStdString()))
                run = record->id;
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
    setCheckpoint(run, file);
}

void EvaluationPanel::cancel() {
    if (m_cancelFlag)
        m_cancelFlag->store(true);
}

void EvaluationPanel::start() {
    if (running() || m_checkpointPath.isEmpty())
        return;
    Target target;
    target.checkpoint = m_checkpointPath;
    try {
        if (m_runs)
            target.digest = store::recordedDigest(*m_runs, m_runId, m_checkpointPath.toStdString());
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
        return;
    }
    launch({target}, false);
}

void EvaluationPanel::startEveryCheckpoint() {
    if (running() || !m_runs || m_runId <= 0)
        return;
    std::vector<Target> targets;
    try {
        for (const store::CheckpointRecord& c : m_runs->checkpoints(m_runId))
            if (c.exists)
                targets.push_back({QString::fromStdString(c.path), c.sha256, c.epoch});
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
        return;
    }
    if (targets.empty()) {
        Q_EMIT problem(tr("Run %1 has no checkpoint on disk to evaluate.").arg(m_runId));
        return;
    }
    launch(std::move(targets), true);
}

bool EvaluationPanel::imagesForRun(std::string& folder) {
    if (!m_runs || m_runId <= 0)
        return true;
    try {
        const auto record = m_runs->run(m_runId);
        if (!record)
            return true;
        auto config = loadConfig(record->configJson, m_runs->path(), {}, nullptr, DataUse::Later);
        if (!config)
            return true;
        const bool named = imagesNamed(config->dataset);
        if (!m_images.complete(this, QString::fromStdString(record->name), tr("Evaluation"),
                               config->dataset))
            return false;
        if (!named)
            folder = config->dataset.path;
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

void EvaluationPanel::launch(std::vector<Target> targets, bool curve) {
    EvalChoices choices;
    choices.knn = m_knn->isChecked() || !m_linear->isChecked();
    choices.linear = m_linear->isChecked();
    choices.baselines = m_baselines->isChecked() && !curve;
    choices.k = m_k->value();
    choices.temperature = m_temperature->value();
    choices.probeEpochs = m_probeEpochs->value();
    choices.probeLr = m_probeLr->value();
    choices.probeBatch = m_probeBatch->value();
    choices.protocol = m_protocol->currentData().toString().toStdString();
    choices.device = m_device->currentData().toString().toStdString();
    // Feature caches go beside a recorded run's checkpoint only: a checkpoint elsewhere (a
    // download folder) is read, never written next to.
    choices.writeCache = m_runs && m_runId > 0;
    if (!imagesForRun(choices.imagesFolder))
        return;

    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    const auto cancelled = m_cancelFlag;
    const auto relay = progressRelay(m_progress, m_stage);
    m_run->setEnabled(false);
    m_every->setEnabled(false);
    m_cancel->setEnabled(true);
    m_stage->setText(tr("starting..."));
    // Results are kept as files only in a recorded run's folder, as the caches are: a
    // checkpoint opened from anywhere else may lie among a user's files.
    std::string runDir;
    if (m_runs && m_runId > 0) {
        try {
            if (const auto run = m_runs->run(m_runId))
                runDir = run->runDir;
        } catch (const std::exception& e) { // a damaged or vanished database
            Q_EMIT problem(QString::fromStdString(e.what()));
        }
    }
    m_watcher.setFuture(QtConcurrent::run([targets, choices, curve, relay, cancelled, runDir] {
        auto outcome = std::make_shared<Outcome>();
        outcome->curve = curve;
        for (size_t i = 0; i < targets.size() && !cancelled->load(); ++i) {
            const Target& target = targets[i];
            const QString prefix =
                targets.size() > 1
                    ? EvaluationPanel::tr("checkpoint %1/%2: ").arg(i + 1).arg(targets.size())
                    : QString();
            const EvalProgress progress = [&](const std::string& stage, int64_t done,
                                              int64_t total) {
                relay(prefix + QString::fromStdString(stage), done, total);
                return !cancelled->load();
            };
            const std::string checkpoint = target.checkpoint.toStdString();
            // Reading the checkpoint's settings loads the file: not on the GUI thread.
            auto config = configFromCheckpoint(checkpoint);
            if (!config) {
                outcome->error = QString::fromStdString(config.error().message);
                break;
            }
            Outcome::Item item;
            std::vector<std::string> caches;
            auto result = evaluateCheckpoint(checkpoint, choices.requestFor(*config, target.digest),
                                             progress, &caches);
            if (!result) {
                if (!cancelled->load())
                    outcome->error = QString::fromStdString(result.error().message);
                break;
            }
            item.checkpoint = target.checkpoint;
            item.epoch = target.epoch;
            item.result = *result;
            // Kept beside the run, as `swav eval` keeps it.
            item.saved = saveEvaluation(runDir, checkpoint, *result, caches);
            outcome->items.push_back(std::move(item));
        }
        outcome->cancelled = cancelled->load();
        return outcome;
    }));
}

void EvaluationPanel::showOutcome() {
    const auto outcome = m_watcher.result();
    m_run->setEnabled(!m_checkpointPath.isEmpty());
    m_every->setEnabled(m_runs && m_runId > 0);
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    const bool ok = outcome->error.isEmpty() && !outcome->cancelled;
    m_progress->setValue(ok ? 1 : 0);
    // What was computed is kept, also when a later checkpoint failed or the user cancelled.
    record(*outcome);
    if (!outcome->items.empty()) {
        m_last = outcome;
        showResult(*outcome);
        if (outcome->curve)
            showCurve(*outcome);
    }
    if (outcome->cancelled) {
        m_stage->setText(tr("cancelled"));
    } else if (!outcome->error.isEmpty()) {
        m_stage->setText(tr("failed"));
        Q_EMIT problem(tr("Evaluation failed: %1").arg(outcome->error));
    } else {
        m_stage->setText(tr("done"));
    }
    Q_EMIT finished(ok);
}

void EvaluationPanel::record(const Outcome& outcome) {
    if (!m_runs || m_runId <= 0)
        return;
    try {
        for (const Outcome::Item& item : outcome.items) {
            if (!item.saved.problem.empty())
                Q_EMIT problem(QString::fromStdString(item.saved.problem));
            recordEvaluation(*m_runs, m_runId, item.saved, item.result);
        }
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void EvaluationPanel::showResult(const Outcome& outcome) {
    // The newest checkpoint's result (the only one unless this was a curve).
    const auto& result = outcome.items.back().result;
    m_table->setRowCount(0);
    {
        const QSignalBlocker block(m_confusionOf);
        m_confusionOf->clear();
    }
    for (const auto& [key, label] : kCandidates) {
        const bool haveKnn = result.contains("knn") && result["knn"].contains(key);
        const bool haveLinear = result.contains("linear") && result["linear"].contains(key);
        if (!haveKnn && !haveLinear)
            continue;
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        m_table->setItem(row, 0, new QTableWidgetItem(tr(label)));
        if (haveKnn) {
            m_table->setItem(row, 1, new QTableWidgetItem(percent(result["knn"][key])));
            m_confusionOf->addItem(tr("kNN, %1").arg(tr(label)),
                                   QStringList{QStringLiteral("knn"), QString::fromLatin1(key)});
        }
        if (haveLinear) {
            m_table->setItem(row, 2,
                             new QTableWidgetItem(tr("%1 (best %2)")
                                                      .arg(percent(result["linear"][key]),
                                                           percent(result["linear_best"][key]))));
            m_confusionOf->addItem(tr("linear, %1").arg(tr(label)),
                                   QStringList{QStringLiteral("linear"), QString::fromLatin1(key)});
        }
    }
    // Only the columns of what was asked.
    m_table->setColumnHidden(1, !result.contains("knn"));
    m_table->setColumnHidden(2, !result.contains("linear"));
    showPerClass();
}

void EvaluationPanel::showPerClass() {
    if (!m_last || m_last->items.empty())
        return;
    const auto& details = m_last->items.back().result["details"];
    const QStringList parts = m_confusionOf->currentData().toStringList();
    if (parts.size() != 2 || !details.contains(parts[0].toStdString()))
        return;
    const auto& report = details[parts[0].toStdString()][parts[1].toStdString()];
    const auto confusion = report["confusion"].get<std::vector<std::vector<long long>>>();
    QStringList names;
    for (const auto& name : details["class_names"])
        names << QString::fromStdString(name.get<std::string>());
    m_confusion->setMatrix(confusion, names);
    m_perClass->setSortingEnabled(false);
    m_perClass->setRowCount(int(confusion.size()));
    for (int c = 0; c < int(confusion.size()); ++c) {
        // per_class is keyed by class name (or index when the data names none).
        const std::string key = c < names.size() ? names[c].toStdString() : std::to_string(c);
        const auto& value =
            report["per_class"].contains(key) ? report["per_class"][key] : nlohmann::json();
        long long images = 0;
        for (long long n : confusion[size_t(c)])
            images += n;
        auto* name = new QTableWidgetItem(c < names.size() ? names[c] : QString::number(c));
        // A class absent from the test images has no accuracy: it sorts first.
        auto* accuracy = value.is_number()
                             ? new NumberItem(percent(value.get<double>()), value.get<double>())
                             : new NumberItem(tr("no test images"), -1.0);
        auto* count = new NumberItem(QString::number(images), double(images));
        m_perClass->setItem(c, 0, name);
        m_perClass->setItem(c, 1, accuracy);
        m_perClass->setItem(c, 2, count);
    }
    m_perClass->setSortingEnabled(true);
}

void EvaluationPanel::showCurve(const Outcome& outcome) {
    m_curve->clear();
    for (const Outcome::Item& item : outcome.items)
        for (const char* kind : {"knn", "linear"})
            if (item.result.contains(kind) && item.result[kind].contains("trained"))
                m_curve->append(kind == std::string("knn") ? tr("kNN") : tr("linear probe"),
                                item.epoch, 100.0 * item.result[kind]["trained"].get<double>());
    m_details->setCurrentWidget(m_curve);
}

QString EvaluationPanel::resultText() const {
    QStringList lines;
    for (int r = 0; r < m_table->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < m_table->columnCount(); ++c)
            cells << (m_table->item(r, c) ? m_table->item(r, c)->text() : QString());
        lines << cells.join(QStringLiteral(" | "));
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace swav
