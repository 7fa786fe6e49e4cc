#pragma once
// Shows a run of the database on the dashboard: a finished one at once, an active or queued one
// (written by another process of this host or another) followed by polling the database until
// it ends.

#include <QObject>
#include <QString>

#include <memory>

class QTimer;

namespace swav {

class DashboardPanel;
namespace store {
class RunReplay;
class RunStore;
} // namespace store

class StoredRunFollower : public QObject {
    Q_OBJECT
public:
    /// `store`: the GUI thread's connection. `intervalMs`: how often an active run is polled.
    StoredRunFollower(store::RunStore* store, DashboardPanel* dashboard, int intervalMs = 1000,
                      QObject* parent = nullptr);
    ~StoredRunFollower() override;

    /// Empties the dashboard and shows run `id` from its first step; keeps polling while the
    /// run is active. False (with `error`) when the run or its configuration cannot be read.
    bool follow(qint64 id, QString* error);
    /// Stops polling; the dashboard keeps what it shows.
    void stop();
    qint64 runId() const { return m_runId; }
    bool following() const;
    /// Reads what the run recorded since the last poll (the timer calls this).
    void poll();

Q_SIGNALS:
    /// After each poll that read something, or saw the run end: the dashboard's title text.
    void updated(qint64 runId, const QString& summary);
    void ended(qint64 runId);
    void problem(const QString& message);

private:
    store::RunStore* m_store;
    DashboardPanel* m_dashboard;
    QTimer* m_timer;
    std::unique_ptr<store::RunReplay> m_replay;
    qint64 m_runId = 0;
    QString m_name;
    int m_prototypes = 0;
};

} // namespace swav
