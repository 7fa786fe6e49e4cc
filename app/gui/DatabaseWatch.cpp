#include "DatabaseWatch.h"

#include "store/RunStore.h"

#include <QTimer>

namespace swav {

DatabaseWatch::DatabaseWatch(store::RunStore* store, int intervalMs, QObject* parent)
    : QObject(parent)
    , m_store(store)
    , m_timer(new QTimer(this)) {
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &DatabaseWatch::check);
    if (!m_store)
        return;
    // What the panels read as they were built: a change from here on is news.
    try {
        m_dataVersion = m_store->dataVersion();
    } catch (const std::exception&) {
    }
    m_timer->start();
}

void DatabaseWatch::check() {
    if (!m_store)
        return;
    try {
        const store::HoldRepair repair = m_store->keepHold();
        if (repair != store::HoldRepair::Intact) {
            ++m_repairs;
            Q_EMIT repaired(QString::fromStdString(m_store->path()) + QStringLiteral(": ") +
                            QString::fromUtf8(store::describe(repair)));
        }
        const long long version = m_store->dataVersion();
        // A reopened connection counts afresh: treat it as a change.
        if (version != m_dataVersion || repair == store::HoldRepair::Reopened) {
            m_dataVersion = version;
            Q_EMIT changed();
        }
    } catch (const std::exception& e) {
        Q_EMIT repaired(QString::fromStdString(e.what()));
    }
}

} // namespace swav
