#include "RunsPanel.h"

#include "FileDialogs.h"
#include "MetricPlot.h"
#include "RunsTableModel.h"
#include "config/ConfigDiff.h"
#include "store/RunStore.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QDesktopServices>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace swav {

namespace {

/// Stopped, failed and interrupted runs continue; finished and imported ones have nothing to.
bool resumable(store::RunState status) {
    return !store::isActive(status) && status != store::RunState::Finished &&
           status != store::RunState::Imported;
}

/// Filters on status (exact) and on free text over name, preset and tags.
class RunFilterProxy : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    QString status;

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        const auto* model = sourceModel();
        if (!status.isEmpty() &&
            model->index(row, RunsTableModel::Status, parent).data().toString() != status)
            return false;
        const QRegularExpression pattern = filterRegularExpression();
        if (pattern.pattern().isEmpty())
            return true;
        for (int column : {RunsTableModel::Name, RunsTableModel::Preset, RunsTableModel::Tags,
                           RunsTableModel::Id})
            if (model->index(row, column, parent).data().toString().contains(pattern))
                return true;
        return false;
    }
};

} // namespace

RunsPanel::RunsPanel(store::RunStore* runs, QWidget* parent)
    : QWidget(parent)
    , m_runs(runs)
    , m_model(new RunsTableModel(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(buildFilterRow());
    auto* splitter = new QSplitter(Qt::Vertical, this);
    buildTable(splitter);
    auto* tabs = new QTabWidget(splitter);
    tabs->addTab(buildCurves(tabs), tr("Curves"));
    m_diff = new QPlainTextEdit(tabs);
    m_diff->setReadOnly(true);
    m_diff->setPlaceholderText(tr("Select two or more runs to see how their configurations "
                                  "differ."));
    tabs->addTab(m_diff, tr("Config differences"));
    tabs->addTab(buildDetails(tabs), tr("Run details"));
    layout->addWidget(splitter, 1);
    layout->addLayout(buildButtons());
    refresh();
}

QLayout* RunsPanel::buildFilterRow() {
    auto* row = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter by name, preset, tag or id"));
    m_filter->setClearButtonEnabled(true);
    m_status = new QComboBox(this);
    m_status->addItem(tr("any status"), QString());
    for (const char* state : {"running", "paused", "stopped", "finished", "failed", "interrupted",
                              "queued", "imported"})
        m_status->addItem(QString::fromLatin1(state), QString::fromLatin1(state));
    auto* refreshButton = new QPushButton(tr("Refresh"), this);
    auto* importButton = new QPushButton(tr("Import weights…"), this);
    importButton->setToolTip(tr("Make a run of released weights (SwAV release, torchvision "
                                "ResNet, an export)"));
    row->addWidget(m_filter, 1);
    row->addWidget(m_status);
    row->addWidget(refreshButton);
    row->addWidget(importButton);
    connect(importButton, &QPushButton::clicked, this, &RunsPanel::importRequested);
    connect(refreshButton, &QPushButton::clicked, this, &RunsPanel::refresh);
    return row;
}

void RunsPanel::buildTable(QWidget* parent) {
    m_table = new QTableView(parent);
    // A column per setting and result: the table scrolls sideways within itself, the dock not.
    m_table->setObjectName(QStringLiteral("runsTable"));
    auto* proxy = new RunFilterProxy(this);
    m_proxy = proxy;
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::UserRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(RunsTableModel::Id, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setToolTip(tr("Select several runs (Ctrl/Shift-click) to overlay their curves and "
                           "compare their configurations."));
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setFilterRegularExpression(QRegularExpression(
            QRegularExpression::escape(text), QRegularExpression::CaseInsensitiveOption));
    });
    connect(m_status, &QComboBox::currentIndexChanged, this, [this, proxy] {
        proxy->status = m_status->currentData().toString();
        proxy->invalidate();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunsPanel::selectionChanged);
    connect(m_table, &QTableView::doubleClicked, this, [this] {
        if (m_detailRun > 0)
            Q_EMIT showRequested(m_detailRun);
    });
}

QWidget* RunsPanel::buildCurves(QWidget* parent) {
    auto* box = new QWidget(parent);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    m_overlayMetric = new QComboBox(box);
    for (const char* key : {"loss", "lr", "images_per_second", "epoch/loss", "epoch/knn_accuracy",
                            "epoch/empty_prototypes", "epoch/usage_entropy"})
        m_overlayMetric->addItem(QString::fromLatin1(key));
    layout->addWidget(m_overlayMetric);
    m_overlay = new MetricPlot(tr("step"), tr("loss"), box);
    layout->addWidget(m_overlay, 1);
    connect(m_overlayMetric, &QComboBox::currentTextChanged, this, &RunsPanel::selectionChanged);
    return box;
}

QWidget* RunsPanel::buildDetails(QWidget* parent) {
    auto* details = new QWidget(parent);
    auto* layout = new QVBoxLayout(details);
    m_notes = new QPlainTextEdit(details);
    m_notes->setPlaceholderText(tr("Notes about the selected run"));
    m_notes->setMaximumHeight(80);
    m_tags = new QLineEdit(details);
    m_tags->setPlaceholderText(tr("tags, separated by commas"));
    auto* save = new QPushButton(tr("Save notes and tags"), details);
    m_files = new QTreeWidget(details);
    m_files->setHeaderLabels({tr("Checkpoint / evaluation"), tr("Details")});
    m_files->setToolTip(tr("Double-click a checkpoint to evaluate it."));
    layout->addWidget(m_notes);
    auto* tagRow = new QHBoxLayout;
    tagRow->addWidget(m_tags, 1);
    tagRow->addWidget(save);
    layout->addLayout(tagRow);
    layout->addWidget(m_files, 1);
    connect(save, &QPushButton::clicked, this, &RunsPanel::saveNotesAndTags);
    connect(m_files, &QTreeWidget::currentItemChanged, this, &RunsPanel::announceCheckpoint);
    connect(m_files, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        const QString path = item->data(0, Qt::UserRole).toString();
        if (!path.isEmpty())
            Q_EMIT evaluateRequested(m_detailRun, path);
    });
    return details;
}

QPushButton* RunsPanel::detailButton(const QString& text, void (RunsPanel::*request)(qint64)) {
    auto* button = new QPushButton(text, this);
    connect(button, &QPushButton::clicked, this, [this, request] {
        if (m_detailRun > 0)
            Q_EMIT(this->*request)(m_detailRun);
    });
    return button;
}

QPushButton* RunsPanel::checkpointButton(const QString& text,
                                         void (RunsPanel::*request)(qint64, const QString&)) {
    auto* button = new QPushButton(text, this);
    connect(button, &QPushButton::clicked, this, [this, request] {
        if (m_detailRun > 0)
            Q_EMIT(this->*request)(m_detailRun, selectedCheckpoint());
    });
    return button;
}

QLayout* RunsPanel::buildButtons() {
    auto* show = detailButton(tr("Show on dashboard"), &RunsPanel::showRequested);
    show->setToolTip(tr("Draw this run's curves and prototype usage on the dashboard, following it "
                        "live while another process trains it (also: double-click the row)."));
    m_resume = detailButton(tr("Resume"), &RunsPanel::resumeRequested);
    m_resume->setToolTip(tr("Continue a stopped or interrupted run from its last checkpoint."));
    auto* evaluate = checkpointButton(tr("Evaluate"), &RunsPanel::evaluateRequested);
    auto* analyze = checkpointButton(tr("Clusters"), &RunsPanel::analyzeRequested);
    analyze->setToolTip(tr("Compute the cluster gallery and embedding map of the newest "
                           "checkpoint."));
    auto* again = detailButton(tr("New run from this"), &RunsPanel::newRunRequested);
    again->setToolTip(tr("Fill the Experiment form with this run's configuration"));
    m_delete = new QPushButton(tr("Delete..."), this);
    auto* openFolder = new QPushButton(tr("Open folder"), this);
    auto* exportMetrics = new QPushButton(tr("Export metrics CSV..."), this);
    auto* exportList = new QPushButton(tr("Export list CSV..."), this);
    connect(m_delete, &QPushButton::clicked, this, &RunsPanel::deleteSelected);
    connect(openFolder, &QPushButton::clicked, this, &RunsPanel::openRunFolder);
    connect(exportMetrics, &QPushButton::clicked, this, &RunsPanel::exportMetrics);
    connect(exportList, &QPushButton::clicked, this, &RunsPanel::exportList);
    // Three rows, so that the panel fits a narrow dock column.
    auto* buttons = new QGridLayout;
    int slot = 0;
    for (auto* button : {show, m_resume, evaluate, analyze, again, m_delete, openFolder,
                         exportMetrics, exportList}) {
        buttons->addWidget(button, slot / 3, slot % 3);
        ++slot;
    }
    return buttons;
}

void RunsPanel::openRunFolder() {
    if (!m_runs || m_detailRun <= 0)
        return;
    try {
        if (const auto run = m_runs->run(m_detailRun))
            QDesktopServices::openUrl(QUrl::fromLocalFile(QString::fromStdString(run->runDir)));
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void RunsPanel::followChanges() {
    if (!m_runs)
        return;
    try {
        // The list itself changed: at once. Only metric points of a training run: its figures
        // and curve at a calmer pace, so that a run writing every second costs little.
        const std::string stamp = m_runs->runListStamp();
        const bool listChanged = stamp != m_listStamp;
        const bool figuresDue =
            !m_lastReload.isValid() || m_lastReload.elapsed() >= kFiguresEveryMs;
        if (listChanged || (figuresDue && anyActiveListed()))
            reload(stamp);
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

bool RunsPanel::anyActiveListed() const {
    for (int row = 0; row < m_model->rowCount(); ++row)
        if (const auto* e = m_model->entry(row); e && store::isActive(e->run.status))
            return true;
    return false;
}

void RunsPanel::refresh() {
    if (!m_runs) {
        m_table->setEnabled(false);
        return;
    }
    try {
        reload(m_runs->runListStamp());
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void RunsPanel::reload(const std::string& stamp) {
    m_listStamp = stamp;
    m_lastReload.start();
    const QList<qint64> selected = selectedRuns();
    const bool first = m_model->rowCount() == 0;
    m_model->setRuns(m_runs->listRuns({}, RunsTableModel::listedMetrics()));
    if (first)
        m_table->resizeColumnsToContents();
    if (!selected.isEmpty() && selectedRuns() != selected)
        selectRuns(selected);
    if (m_detailRun > 0)
        if (const auto run = m_runs->run(m_detailRun)) {
            enableRunButtons(*run);
            showFiles(m_detailRun);
        }
    if (anyActive(selectedRuns()))
        drawOverlay(selectedRuns()); // the curves of a training run grow
}

void RunsPanel::enableRunButtons(const store::RunRecord& run) {
    m_resume->setEnabled(run.id != m_activeRun && resumable(run.status));
    m_delete->setEnabled(run.id != m_activeRun && !store::isActive(run.status));
}

bool RunsPanel::anyActive(const QList<qint64>& ids) const {
    for (qint64 id : ids) {
        const store::RunListEntry* e = m_model->entry(m_model->rowOf(id));
        if (e && store::isActive(e->run.status))
            return true;
    }
    return false;
}

QList<qint64> RunsPanel::selectedRuns() const {
    QList<qint64> ids;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows()) {
        const auto* e = m_model->entry(m_proxy->mapToSource(index).row());
        if (e)
            ids << e->run.id;
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

void RunsPanel::selectRuns(const QList<qint64>& ids) {
    QItemSelection selection;
    for (qint64 id : ids) {
        const int row = m_model->rowOf(id);
        if (row < 0)
            continue;
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
        selection.select(index, index.siblingAtColumn(RunsTableModel::Count - 1));
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void RunsPanel::selectionChanged() {
    const QList<qint64> ids = selectedRuns();
    if (!m_runs) {
        m_overlay->clear();
        return;
    }
    try {
        drawOverlay(ids);
        std::vector<store::RunRecord> records;
        for (qint64 id : ids)
            if (const auto run = m_runs->run(id))
                records.push_back(*run);
        QString diff;
        if (records.size() >= 2) {
            diff += resultsText(ids);
            const auto base = nlohmann::json::parse(records[0].configJson, nullptr, false);
            for (size_t i = 1; i < records.size(); ++i) {
                const auto other = nlohmann::json::parse(records[i].configJson, nullptr, false);
                diff += tr("run %1 -> run %2\n").arg(records[0].id).arg(records[i].id);
                const auto differences = diffConfigs(base, other);
                for (const auto& d : differences)
                    diff += QStringLiteral("  %1: %2 -> %3\n")
                                .arg(QString::fromStdString(d.path),
                                     QString::fromStdString(d.left.empty() ? "-" : d.left),
                                     QString::fromStdString(d.right.empty() ? "-" : d.right));
                if (differences.empty())
                    diff += tr("  (identical configurations)\n");
            }
        }
        m_diff->setPlainText(diff);
        if (!ids.isEmpty())
            showDetails(ids.last());
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void RunsPanel::drawOverlay(const QList<qint64>& ids) {
    m_overlay->clear();
    const std::string key = m_overlayMetric->currentText().toStdString();
    m_overlay->setAxisLabels(tr("step"), m_overlayMetric->currentText());
    for (qint64 id : ids) {
        const auto run = m_runs->run(id);
        if (!run)
            continue;
        QVector<double> x, y, low, high;
        for (const auto& bucket : m_runs->series(id, key, 1500)) {
            x << double(bucket.firstStep);
            y << bucket.mean();
            low << bucket.min;
            high << bucket.max;
        }
        m_overlay->setSeries(QStringLiteral("%1 %2").arg(id).arg(QString::fromStdString(run->name)),
                             x, y, low, high);
    }
}

QString RunsPanel::resultsText(const QList<qint64>& ids) const {
    const auto percent = [](double fraction) {
        return fraction >= 0 ? QStringLiteral("%1 %").arg(100 * fraction, 0, 'f', 2)
                             : QStringLiteral("-");
    };
    QString text = tr("results (kNN eval | linear eval | best online kNN | last loss)\n");
    for (qint64 id : ids) {
        const store::RunListEntry* e = m_model->entry(m_model->rowOf(id));
        if (!e)
            continue;
        const auto knn = e->metrics.find("epoch/knn_accuracy");
        const auto loss = e->metrics.find("loss");
        text += QStringLiteral("  run %1 %2: %3 | %4 | %5 | %6\n")
                    .arg(id)
                    .arg(QString::fromStdString(e->run.name), percent(e->evaluation.knn),
                         percent(e->evaluation.linear),
                         percent(knn == e->metrics.end() ? -1.0 : knn->second.max),
                         loss == e->metrics.end() ? QStringLiteral("-")
                                                  : QString::number(loss->second.last, 'f', 4));
    }
    return text;
}

QString RunsPanel::diffText() const {
    return m_diff->toPlainText();
}

void RunsPanel::showDetails(qint64 id) {
    m_detailRun = id;
    const auto run = m_runs->run(id);
    if (!run)
        return;
    m_notes->setPlainText(QString::fromStdString(run->notes));
    QStringList tags;
    for (const auto& tag : run->tags)
        tags << QString::fromStdString(tag);
    m_tags->setText(tags.join(QStringLiteral(", ")));
    showFiles(id);
    enableRunButtons(*run);
}

void RunsPanel::showFiles(qint64 id) {
    // Read again while the run trains or is evaluated elsewhere: keep the user's choice.
    const QTreeWidgetItem* current = m_files->currentItem();
    const QString chosen = current ? current->data(0, Qt::UserRole).toString() : QString();
    m_files->clear();
    for (const auto& c : m_runs->checkpoints(id)) {
        auto* item = new QTreeWidgetItem(m_files);
        item->setText(0, tr("checkpoint, epoch %1 (step %2)").arg(c.epoch).arg(c.step));
        item->setText(1, c.exists
                             ? QString::fromStdString(formatBytes(double(c.bytes)) + "  " + c.path)
                             : tr("pruned from disk"));
        if (c.exists)
            item->setData(0, Qt::UserRole, QString::fromStdString(c.path));
    }
    for (const auto& e : m_runs->evaluations(id)) {
        auto* item = new QTreeWidgetItem(m_files);
        item->setText(0, tr("%1 evaluation, %2")
                             .arg(QString::fromStdString(e.kind),
                                  QString::fromStdString(formatLocalTime(e.createdAt))));
        const auto metrics = nlohmann::json::parse(e.metricsJson, nullptr, false);
        QString summary;
        for (const char* kind : {"knn", "linear"})
            if (metrics.is_object() && metrics.contains(kind))
                for (const auto& [name, value] : metrics[kind].items())
                    summary += QStringLiteral("%1 %2: %3 %  ")
                                   .arg(QLatin1String(kind), QString::fromStdString(name))
                                   .arg(100 * value.get<double>(), 0, 'f', 2);
        item->setText(1, summary);
    }
    if (!chosen.isEmpty())
        for (int i = 0; i < m_files->topLevelItemCount(); ++i)
            if (m_files->topLevelItem(i)->data(0, Qt::UserRole).toString() == chosen)
                m_files->setCurrentItem(m_files->topLevelItem(i));
    announceCheckpoint();
}

void RunsPanel::announceCheckpoint() {
    const QString checkpoint = selectedCheckpoint();
    if (checkpoint == m_announcedCheckpoint && m_detailRun == m_announcedRun)
        return;
    m_announcedCheckpoint = checkpoint;
    m_announcedRun = m_detailRun;
    Q_EMIT checkpointSelected(m_detailRun, checkpoint);
}

QString RunsPanel::selectedCheckpoint() const {
    const QTreeWidgetItem* item = m_files->currentItem();
    if (item && !item->data(0, Qt::UserRole).toString().isEmpty())
        return item->data(0, Qt::UserRole).toString();
    // The newest checkpoint still on disk.
    for (int i = m_files->topLevelItemCount() - 1; i >= 0; --i) {
        const QString path = m_files->topLevelItem(i)->data(0, Qt::UserRole).toString();
        if (!path.isEmpty())
            return path;
    }
    return {};
}

void RunsPanel::saveNotesAndTags() {
    if (!m_runs || m_detailRun <= 0)
        return;
    try {
        m_runs->setNotes(m_detailRun, m_notes->toPlainText().toStdString());
        const auto run = m_runs->run(m_detailRun);
        QStringList wanted;
        for (const QString& tag : m_tags->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
            wanted << tag.trimmed();
        for (const auto& tag : run->tags)
            if (!wanted.contains(QString::fromStdString(tag)))
                m_runs->removeTag(m_detailRun, tag);
        for (const QString& tag : wanted)
            if (!tag.isEmpty())
                m_runs->addTag(m_detailRun, tag.toStdString());
        refresh();
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void RunsPanel::deleteSelected() {
    const QList<qint64> ids = selectedRuns();
    if (!m_runs || ids.isEmpty() || ids.contains(m_activeRun))
        return;
    const auto answer = QMessageBox::question(
        this, tr("Delete runs"),
        tr("Delete %n run(s) with their records and the files they wrote (checkpoints, "
           "evaluations, analyses, exports)? Other files in their folders are kept. This cannot "
           "be undone.",
           nullptr, int(ids.size())));
    if (answer != QMessageBox::Yes)
        return;
    deleteRuns(ids);
}

int RunsPanel::deleteRuns(const QList<qint64>& ids) {
    if (!m_runs)
        return 0;
    int deleted = 0;
    for (qint64 id : ids) {
        if (id == m_activeRun)
            continue;
        try {
            const auto run = m_runs->run(id);
            if (!run || store::isActive(run->status))
                continue; // a live run elsewhere is never deleted under its writer
            const store::RunDeletion deletion = m_runs->deleteRun(id);
            ++deleted;
            for (const auto& kept : deletion.kept)
                Q_EMIT problem(
                    tr("Run %1 deleted; kept %2").arg(id).arg(QString::fromStdString(kept)));
        } catch (const std::exception& e) {
            Q_EMIT problem(QString::fromStdString(e.what()));
        }
    }
    m_detailRun = 0;
    refresh();
    return deleted;
}

void RunsPanel::exportMetrics() {
    if (!m_runs || m_detailRun <= 0)
        return;
    const QString file =
        chooseFileToSave(this, tr("Export the run's metrics"),
                         QStringLiteral("run-%1-metrics.csv").arg(m_detailRun), tr("CSV (*.csv)"));
    if (file.isEmpty())
        return;
    try {
        // The file dialog has asked before replacing a file.
        m_runs->exportMetricsCsv(m_detailRun, file.toStdString(), true);
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

void RunsPanel::exportList() {
    if (!m_runs)
        return;
    const QString file = chooseFileToSave(this, tr("Export the run list"),
                                          QStringLiteral("runs.csv"), tr("CSV (*.csv)"));
    if (file.isEmpty())
        return;
    try {
        m_runs->exportRunsCsv(m_runs->listRuns({}, RunsTableModel::listedMetrics()),
                              RunsTableModel::listedMetrics(), file.toStdString(), true);
    } catch (const std::exception& e) {
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

} // namespace swav
