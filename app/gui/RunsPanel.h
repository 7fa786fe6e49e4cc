#pragma once
// The runs of the run database: a sortable, filterable table; the selected runs' loss curves
// overlaid (one colour per run) and their configuration differences; notes and tags; delete
// (after confirmation), CSV export, resume, and the selected run's checkpoints and evaluations.

#include <QElapsedTimer>
#include <QWidget>

#include <memory>
#include <string>

class QComboBox;
class QLayout;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTreeWidget;

namespace swav {

class MetricPlot;
class RunsTableModel;
namespace store {
class RunStore;
struct RunRecord;
} // namespace store

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    /// `runs` is the GUI thread's connection; it may be null (no database): the panel says so.
    RunsPanel(store::RunStore* runs, QWidget* parent = nullptr);

    void refresh();
    /// After the database changed (DatabaseWatch): reloads when the run list changed, and the
    /// figures of training runs every few seconds; nothing else.
    void followChanges();
    /// Selects these runs in the table (tests, and "show the new run").
    void selectRuns(const QList<qint64>& ids);
    QList<qint64> selectedRuns() const;
    MetricPlot* overlayPlot() const { return m_overlay; }
    RunsTableModel* model() const { return m_model; }
    QString diffText() const;
    /// Marks a run as the one training in this window (it cannot be deleted or resumed).
    void setActiveRun(qint64 id) { m_activeRun = id; }
    /// Deletes these runs (the Delete button asks first): each one's records and exactly the
    /// files it wrote (RunStore::deleteRun); what is kept is reported through problem(). Runs
    /// training here or in another process are skipped. Returns how many were deleted.
    int deleteRuns(const QList<qint64>& ids);

Q_SIGNALS:
    void resumeRequested(qint64 runId);
    void importRequested();
    /// "New run from this": the form should take this run's configuration.
    void newRunRequested(qint64 runId);
    /// "Show on dashboard" or a double-click on the run's row.
    void showRequested(qint64 runId);
    void evaluateRequested(qint64 runId, const QString& checkpoint);
    void analyzeRequested(qint64 runId, const QString& checkpoint);
    /// The checkpoint the panel now offers for the selected run (the chosen one in its list,
    /// else its newest on disk; "" when none): sources such as the Lab follow it.
    void checkpointSelected(qint64 runId, const QString& checkpoint);
    void problem(const QString& message);

private:
    QLayout* buildFilterRow();
    void buildTable(QWidget* parent);
    QWidget* buildCurves(QWidget* parent);
    QWidget* buildDetails(QWidget* parent);
    QLayout* buildButtons();
    /// A button that asks for something about the run shown in the details.
    QPushButton* detailButton(const QString& text, void (RunsPanel::*request)(qint64));
    /// The same for a request about its chosen checkpoint.
    QPushButton* checkpointButton(const QString& text,
                                  void (RunsPanel::*request)(qint64, const QString&));
    void openRunFolder();
    /// Reads the list again; `stamp` is the run-list stamp it matches.
    void reload(const std::string& stamp);
    void enableRunButtons(const store::RunRecord& run);
    void selectionChanged();
    void showDetails(qint64 id);
    /// The run's checkpoints and evaluations, read again; the chosen checkpoint stays chosen.
    void showFiles(qint64 id);
    void announceCheckpoint();
    void drawOverlay(const QList<qint64>& ids);
    bool anyActive(const QList<qint64>& ids) const;
    bool anyActiveListed() const;
    void saveNotesAndTags();
    void deleteSelected();
    void exportMetrics();
    void exportList();
    QString selectedCheckpoint() const;
    /// Each run's evaluations and training figures, one line per run (run comparisons).
    QString resultsText(const QList<qint64>& ids) const;

    store::RunStore* m_runs;
    RunsTableModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QComboBox* m_status = nullptr;
    MetricPlot* m_overlay = nullptr;
    QComboBox* m_overlayMetric = nullptr;
    QPlainTextEdit* m_diff = nullptr;
    QPlainTextEdit* m_notes = nullptr;
    QLineEdit* m_tags = nullptr;
    QTreeWidget* m_files = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_delete = nullptr;
    qint64 m_detailRun = 0;
    qint64 m_activeRun = 0;
    static constexpr int kFiguresEveryMs = 5000;
    std::string m_listStamp;    // RunStore::runListStamp() at the last reload
    QElapsedTimer m_lastReload; // when the list was last read
    qint64 m_announcedRun = 0;
    QString m_announcedCheckpoint;
};

} // namespace swav
