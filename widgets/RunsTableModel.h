#pragma once
// The run list of the run database as a table: name, status, preset, started, duration, last
// loss, best online kNN, the newest kNN and linear-probe evaluations, tags. Sortable through a
// QSortFilterProxyModel (numbers sort as numbers).

#include "store/RunStore.h"

#include <QAbstractTableModel>

#include <vector>

namespace swav {

class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Id,
        Name,
        Status,
        Preset,
        Started,
        Duration,
        LastLoss,
        BestKnn,
        EvalKnn,
        EvalLinear,
        Tags,
        Count
    };

    using QAbstractTableModel::QAbstractTableModel;

    /// Replaces the rows, keeping the view's selection stable by id where possible.
    void setRuns(std::vector<store::RunListEntry> runs);
    const store::RunListEntry* entry(int row) const;
    int rowOf(qint64 runId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    /// The metric keys the list needs from the store.
    static std::vector<std::string> listedMetrics();

private:
    std::vector<store::RunListEntry> m_runs;
};

} // namespace swav
