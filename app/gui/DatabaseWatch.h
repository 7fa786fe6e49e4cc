#pragma once
// Watches the window's run database once a second: keeps this process's hold on it (lost locks
// taken again, a replaced write-ahead log reopened: store/DatabaseHold.h) and tells when another
// connection, of this process or another, has committed something (SQLite's data_version, a
// change counter: nothing is read while nothing changed).

#include <QObject>
#include <QString>

class QTimer;

namespace swav {

namespace store {
class RunStore;
}

class DatabaseWatch : public QObject {
    Q_OBJECT
public:
    /// `store`: the GUI thread's connection (may be null: nothing to watch).
    DatabaseWatch(store::RunStore* store, int intervalMs = 1000, QObject* parent = nullptr);

    /// One look now (the timer calls this); emits what it found.
    void check();
    /// How often the hold had to be repaired since the window opened.
    int repairs() const { return m_repairs; }

Q_SIGNALS:
    /// Another connection committed since the last look.
    void changed();
    /// The hold was repaired (or could not be): a sentence for the user.
    void repaired(const QString& what);

private:
    store::RunStore* m_store;
    QTimer* m_timer;
    long long m_dataVersion = -1;
    int m_repairs = 0;
};

} // namespace swav
