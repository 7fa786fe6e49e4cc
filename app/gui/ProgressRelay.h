#pragma once
// Progress reported by a background task, shown on the GUI thread: the returned function may
// be called from any thread; it posts the values to the bar (and label), which may be gone.

#include <QLabel>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>

#include <algorithm>
#include <cstdint>
#include <functional>

namespace swav {

inline std::function<void(const QString&, int64_t, int64_t)>
progressRelay(QProgressBar* bar, QLabel* stage = nullptr) {
    QPointer<QProgressBar> safeBar(bar);
    QPointer<QLabel> safeStage(stage);
    return [safeBar, safeStage](const QString& text, int64_t done, int64_t total) {
        QMetaObject::invokeMethod(
            safeBar.data(),
            [safeBar, safeStage, text, done, total] {
                if (!safeBar)
                    return;
                safeBar->setRange(0, int(std::max<int64_t>(1, total)));
                safeBar->setValue(int(done));
                if (safeStage && !text.isEmpty())
                    safeStage->setText(text);
            },
            Qt::QueuedConnection);
    };
}

} // namespace swav
