#pragma once
// Measures how long the GUI thread's event loop stalls: a 5 ms timer notes the largest gap
// between its ticks beyond the period. Used by the tests and by Help > Responsiveness.

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace swav {

class EventLoopProbe : public QObject {
    Q_OBJECT
public:
    explicit EventLoopProbe(QObject* parent = nullptr)
        : QObject(parent) {
        m_timer.setInterval(5);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last > 0)
                m_maxStallMs = std::max(m_maxStallMs, (now - m_last) / 1e6 - 5.0);
            m_last = now;
        });
    }
    void start() {
        m_maxStallMs = 0;
        m_last = 0;
        m_clock.start();
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    /// Longest time the loop was busy beyond the timer period, in milliseconds.
    double maxStallMs() const { return m_maxStallMs; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    double m_maxStallMs = 0;
};

} // namespace swav
