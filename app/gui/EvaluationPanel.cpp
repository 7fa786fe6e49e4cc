#include "EvaluationPanel.h"

#include "ConfusionMatrixView.h"
#include "ProgressRelay.h"
#include "eval/Evaluation.h"
#include "store/CheckpointDigests.h"
#include "store/RunStore.h"
#include "train/Checkpoint.h"
#include "train/Trainer.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace swav {

struct EvaluationPanel::Outcome {
    nlohmann::json result;
    std::vector<std::string> filesWritten; // feature caches
    QString error;
    bool cancelled = false;
};

namespace {

const char* const kCandidates[][2] = {{"trained", "trained network"},
                                      {"random_init", "same network, random init"},
                                      {"raw_pixels", "raw pixels"}};

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

    auto* options = new QHBoxLayout;
    m_knn = new QCheckBox(tr("kNN"), this);
    m_knn->setChecked(true);
    m_knn->setToolTip(tr("Weighted k-nearest-neighbour vote on frozen, normalised features "
                         "(k and temperature from the run's eval settings)."));
    m_linear = new QCheckBox(tr("Linear probe"), this);
    m_linear->setToolTip(tr("A linear classifier trained on frozen features (the run's "
                            "eval.linear_* settings)."));
    m_baselines = new QCheckBox(tr("Baselines"), this);
    m_baselines->setChecked(true);
    m_baselines->setToolTip(tr("Also evaluate the same network at random initialisation and raw "
                               "pixels, to see what training added."));
    m_run = new QPushButton(tr("Evaluate"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    for (QWidget* w : std::initializer_list<QWidget*>{m_knn, m_linear, m_baselines})
        options->addWidget(w);
    options->addStretch(1);
    options->addWidget(m_run);
    options->addWidget(m_cancel);
    layout->addLayout(options);
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
    auto* confusionBox = new QWidget(splitter);
    auto* confusionLayout = new QVBoxLayout(confusionBox);
    confusionLayout->setContentsMargins(0, 0, 0, 0);
    m_confusionOf = new QComboBox(confusionBox);
    confusionLayout->addWidget(m_confusionOf);
    m_confusion = new ConfusionMatrixView(confusionBox);
    confusionLayout->addWidget(m_confusion, 1);
    layout->addWidget(splitter, 1);

    connect(browseButton, &QPushButton::clicked, this, &EvaluationPanel::browse);
    connect(m_run, &QPushButton::clicked, this, &EvaluationPanel::start);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluationPanel::cancel);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Outcome>>::finished, this,
            &EvaluationPanel::showOutcome);
    connect(m_confusionOf, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_last)
            return;
        const auto& details = m_last->result["details"];
        const QStringList parts = m_confusionOf->currentData().toStringList();
        if (parts.size() != 2 || !details.contains(parts[0].toStdString()))
            return;
        const auto& report = details[parts[0].toStdString()][parts[1].toStdString()];
        QStringList names;
        for (const auto& name : details["class_names"])
            names << QString::fromStdString(name.get<std::string>());
        m_confusion->setMatrix(report["confusion"].get<std::vector<std::vector<long long>>>(),
                               names);
    });
    m_run->setEnabled(false);
}

EvaluationPanel::~EvaluationPanel() {
    cancel();
    m_watcher.waitForFinished();
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
}

void EvaluationPanel::browse() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Checkpoint to evaluate"), QString(),
                                                      tr("Checkpoints (*.pt)"));
    if (file.isEmpty())
        return;
    qint64 run = 0;
    if (m_runs)
        if (const auto record = m_runs->runOfCheckpoint(file.toStdString()))
            run = record->id;
    setCheckpoint(run, file);
}

void EvaluationPanel::cancel() {
    if (m_cancelFlag)
        m_cancelFlag->store(true);
}

void EvaluationPanel::start() {
    if (running() || m_checkpointPath.isEmpty())
        return;
    const bool knn = m_knn->isChecked() || !m_linear->isChecked();
    const bool linear = m_linear->isChecked();
    const bool baselines = m_baselines->isChecked();
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    const auto cancelled = m_cancelFlag;
    const EvalProgress progress = [relay = progressRelay(m_progress, m_stage), cancelled](
                                      const std::string& stage, int64_t done, int64_t total) {
        relay(QString::fromStdString(stage), done, total);
        return !cancelled->load();
    };
    const std::string checkpoint = m_checkpointPath.toStdString();
    const std::string digest = m_runs ? store::recordedDigest(*m_runs, m_runId, checkpoint) : "";
    // Feature caches go beside a recorded run's checkpoint only: a checkpoint elsewhere (a
    // download folder) is read, never written next to.
    const bool writeCache = m_runs && m_runId > 0;
    m_run->setEnabled(false);
    m_cancel->setEnabled(true);
    m_stage->setText(tr("starting..."));
    m_watcher.setFuture(QtConcurrent::run(
        [checkpoint, digest, knn, linear, baselines, writeCache, progress, cancelled] {
            auto outcome = std::make_shared<Outcome>();
            // Reading the checkpoint's settings loads the file: not on the GUI thread.
            auto config = configFromCheckpoint(checkpoint);
            if (!config) {
                outcome->error = QString::fromStdString(config.error().message);
                return outcome;
            }
            EvalRequest request = evalRequestFor(*config);
            request.knn = knn;
            request.linear = linear;
            request.baselines = baselines;
            request.expectedSha256 = digest;
            request.writeCache = writeCache;
            auto result = evaluateCheckpoint(checkpoint, request, progress, &outcome->filesWritten);
            if (result)
                outcome->result = *result;
            else if (cancelled->load())
                outcome->cancelled = true;
            else
                outcome->error = QString::fromStdString(result.error().message);
            return outcome;
        }));
}

void EvaluationPanel::showOutcome() {
    const auto outcome = m_watcher.result();
    m_run->setEnabled(!m_checkpointPath.isEmpty());
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(outcome->error.isEmpty() && !outcome->cancelled ? 1 : 0);
    if (outcome->cancelled) {
        m_stage->setText(tr("cancelled"));
        Q_EMIT finished(false);
        return;
    }
    if (!outcome->error.isEmpty()) {
        m_stage->setText(tr("failed"));
        Q_EMIT problem(tr("Evaluation failed: %1").arg(outcome->error));
        Q_EMIT finished(false);
        return;
    }
    m_last = outcome;
    const auto& result = outcome->result;
    m_table->setRowCount(0);
    m_confusionOf->clear();
    for (const auto& [key, label] : kCandidates) {
        const bool haveKnn = result.contains("knn") && result["knn"].contains(key);
        const bool haveLinear = result.contains("linear") && result["linear"].contains(key);
        if (!haveKnn && !haveLinear)
            continue;
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        m_table->setItem(row, 0, new QTableWidgetItem(tr(label)));
        const auto percent = [](double v) {
            return QStringLiteral("%1 %").arg(100 * v, 0, 'f', 2);
        };
        if (haveKnn) {
            m_table->setItem(row, 1,
                             new QTableWidgetItem(percent(result["knn"][key].get<double>())));
            m_confusionOf->addItem(tr("kNN, %1").arg(tr(label)),
                                   QStringList{QStringLiteral("knn"), QString::fromLatin1(key)});
        }
        if (haveLinear) {
            m_table->setItem(
                row, 2,
                new QTableWidgetItem(tr("%1 (best %2)")
                                         .arg(percent(result["linear"][key].get<double>()),
                                              percent(result["linear_best"][key].get<double>()))));
            m_confusionOf->addItem(tr("linear, %1").arg(tr(label)),
                                   QStringList{QStringLiteral("linear"), QString::fromLatin1(key)});
        }
    }
    // Only the columns of what was asked.
    m_table->setColumnHidden(1, !result.contains("knn"));
    m_table->setColumnHidden(2, !result.contains("linear"));
    m_stage->setText(tr("done"));
    if (m_runs && m_runId > 0) {
        try {
            m_runs->addRunFiles(m_runId, outcome->filesWritten);
            m_runs->addEvaluation(m_runId, m_checkpointPath.toStdString(), evaluationKind(result),
                                  result.dump());
        } catch (const std::exception& e) {
            Q_EMIT problem(QString::fromStdString(e.what()));
        }
    }
    Q_EMIT finished(true);
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
