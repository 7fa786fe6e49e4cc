#include "StoredRunFollower.h"

#include "DashboardPanel.h"
#include "config/ConfigJson.h"
#include "store/RunReplay.h"
#include "store/RunStore.h"

#include <QTimer>

namespace swav {

namespace {

QString describe(const store::RunRecord& run, const QString& name) {
    QString where;
    if (store::isActive(run.status) && run.process.pid > 0)
        where = QObject::tr(" in process %1 on %2")
                    .arg(run.process.pid)
                    .arg(QString::fromStdString(run.process.host));
    return QObject::tr("Run %1 \u00b7 %2 \u00b7 %3%4")
        .arg(run.id)
        .arg(name, QString::fromLatin1(store::toString(run.status)), where);
}

} // namespace

StoredRunFollower::StoredRunFollower(store::RunStore* store, DashboardPanel* dashboard,
                                     int intervalMs, QObject* parent)
    : QObject(parent)
    , m_store(store)
    , m_dashboard(dashboard)
    , m_timer(new QTimer(this)) {
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &StoredRunFollower::poll);
}

StoredRunFollower::~StoredRunFollower() = default;

bool StoredRunFollower::follow(qint64 id, QString* error) {
    stop();
    try {
        const auto run = m_store ? m_store->run(id) : std::nullopt;
        if (!run) {
            *error = tr("No run %1 in the database").arg(id);
            return false;
        }
        auto config = loadConfig(run->configJson, m_store->path() + ", run " + std::to_string(id),
                                 {}, nullptr, DataUse::Later);
        if (!config) {
            *error = QString::fromStdString(config.error().message);
            return false;
        }
        m_replay = std::make_unique<store::RunReplay>(id, *config);
        m_runId = id;
        m_name = QString::fromStdString(run->name);
        m_prototypes = config->model.numPrototypes;
        m_dashboard->startRun(m_prototypes, describe(*run, m_name));
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
    m_timer->start();
    poll();
    return true;
}

void StoredRunFollower::stop() {
    m_timer->stop();
}

bool StoredRunFollower::following() const {
    return m_timer->isActive();
}

void StoredRunFollower::poll() {
    if (!m_replay)
        return;
    try {
        // The status first: a run that ends between the two reads is read once more.
        const auto run = m_store->run(m_runId);
        if (!run) {
            stop();
            Q_EMIT problem(tr("Run %1 was deleted from the database").arg(m_runId));
            return;
        }
        const store::StoredProgress progress = m_replay->readNew(*m_store);
        if (progress.restarted)
            m_dashboard->startRun(m_prototypes);
        for (const StepMetrics& step : progress.steps)
            m_dashboard->addStep(step);
        for (const EpochMetrics& epoch : progress.epochs)
            m_dashboard->addEpoch(epoch);
        const QString summary = describe(*run, m_name);
        m_dashboard->setTitle(summary);
        // A queued run is recorded but its process has not started training yet (it opens the
        // data and builds the model first, slowly on a busy machine): it is still to come.
        const bool ongoing = store::isActive(run->status) || run->status == store::RunState::Queued;
        if (!progress.steps.empty() || !progress.epochs.empty() || !ongoing)
            Q_EMIT updated(m_runId, summary);
        if (!ongoing) {
            stop();
            Q_EMIT ended(m_runId);
        }
    } catch (const std::exception& e) {
        stop();
        Q_EMIT problem(QString::fromStdString(e.what()));
    }
}

} // namespace swav
