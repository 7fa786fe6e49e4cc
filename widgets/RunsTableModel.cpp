#include "RunsTableModel.h"

#include "util/Strings.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>

namespace swav {

namespace {

QString percentOrBlank(double fraction) {
    return fraction >= 0 ? QStringLiteral("%1 %").arg(100 * fraction, 0, 'f', 2) : QString();
}

} // namespace

std::vector<std::string> RunsTableModel::listedMetrics() {
    return {"loss", "epoch/knn_accuracy"};
}

void RunsTableModel::setRuns(std::vector<store::RunListEntry> runs) {
    // Same rows (the common refresh): update in place so selections and scroll stay put.
    bool sameRows = runs.size() == m_runs.size();
    for (size_t i = 0; sameRows && i < runs.size(); ++i)
        sameRows = runs[i].run.id == m_runs[i].run.id;
    if (sameRows) {
        m_runs = std::move(runs);
        if (!m_runs.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, Count - 1));
        return;
    }
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

const store::RunListEntry* RunsTableModel::entry(int row) const {
    return row >= 0 && row < int(m_runs.size()) ? &m_runs[size_t(row)] : nullptr;
}

int RunsTableModel::rowOf(qint64 runId) const {
    for (size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].run.id == runId)
            return int(i);
    return -1;
}

int RunsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : Count;
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {"ID",         "Name",          "Status",    "Preset",
                                        "Started",    "Duration",      "Last loss", "Online kNN",
                                        "kNN (eval)", "Linear (eval)", "Tags"};
    return tr(names[section]);
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    const store::RunListEntry* e = entry(index.row());
    if (!e)
        return {};
    const store::RunRecord& r = e->run;
    const auto metric = [&](const char* key) -> const store::MetricSummary* {
        const auto it = e->metrics.find(key);
        return it == e->metrics.end() ? nullptr : &it->second;
    };
    const double duration = r.durationSeconds();
    if (role == Qt::UserRole) { // sort key
        switch (index.column()) {
        case Id:
            return qint64(r.id);
        case Started:
            return r.startedAt;
        case Duration:
            return duration;
        case LastLoss:
            return metric("loss") ? metric("loss")->last : 1e300;
        case BestKnn:
            return metric("epoch/knn_accuracy") ? metric("epoch/knn_accuracy")->max : -1.0;
        case EvalKnn:
            return e->evaluation.knn;
        case EvalLinear:
            return e->evaluation.linear;
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status) {
        switch (r.status) {
        case store::RunState::Failed:
        case store::RunState::Interrupted:
            return QBrush(QColor(214, 39, 40));
        case store::RunState::Running:
            return QBrush(QColor(44, 160, 44));
        case store::RunState::Paused:
        case store::RunState::Stopped:
            return QBrush(QColor(217, 140, 0));
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == BestKnn)
            return tr("Best kNN top-1 measured on the hold-out images during training");
        if (index.column() == EvalKnn || index.column() == EvalLinear)
            return tr("Newest evaluation of the trained features (Evaluate, or swav eval)");
        return r.message.empty() ? QVariant() : QString::fromStdString(r.message);
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id:
        return qint64(r.id);
    case Name:
        return QString::fromStdString(r.name);
    case Status:
        return QString::fromLatin1(store::toString(r.status));
    case Preset:
        return QString::fromStdString(r.preset);
    case Started:
        return QString::fromStdString(formatLocalTime(r.startedAt));
    case Duration:
        return duration >= 0 ? QString::fromStdString(formatDuration(duration)) : QString();
    case LastLoss:
        return metric("loss") ? QString::number(metric("loss")->last, 'f', 4) : QString();
    case BestKnn:
        return percentOrBlank(metric("epoch/knn_accuracy") ? metric("epoch/knn_accuracy")->max
                                                           : -1.0);
    case EvalKnn:
        return percentOrBlank(e->evaluation.knn);
    case EvalLinear:
        return percentOrBlank(e->evaluation.linear);
    case Tags: {
        QStringList tags;
        for (const auto& tag : r.tags)
            tags << QString::fromStdString(tag);
        return tags.join(QStringLiteral(", "));
    }
    default:
        return {};
    }
}

} // namespace swav
