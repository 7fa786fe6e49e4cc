#pragma once
// Where a run trains: the CPU or one or more GPUs (name and memory), with check boxes. Several
// GPUs, or several processes sharing the CPU, make a data-parallel run of one process each.

#include <QString>
#include <QWidget>

#include <string>
#include <vector>

class QListWidget;
class QSpinBox;
class QLabel;

namespace swav {

struct ComputeDevice;

struct DevicePlan {
    QString device = QStringLiteral("cpu"); // runtime.device: "cpu", "cuda:N", or "cuda" (several)
    int processes = 1;
    QString visibleGpus; // CUDA_VISIBLE_DEVICES of the ranks when several GPUs are chosen
    bool multiProcess() const { return processes > 1; }
};

class DevicePicker : public QWidget {
    Q_OBJECT
public:
    /// `devices`: what the machine has (core computeDevices()), the CPU first.
    explicit DevicePicker(const std::vector<ComputeDevice>& devices, QWidget* parent = nullptr);

    DevicePlan plan() const;
    /// Checks the devices with these runtime.device ids (for tests and restored settings).
    void choose(const std::vector<std::string>& ids, int cpuProcesses = 1);

Q_SIGNALS:
    void changed();

private:
    void keepOneKind(int changedRow);
    void updateSummary();

    QListWidget* m_list = nullptr;
    QSpinBox* m_cpuProcesses = nullptr;
    QLabel* m_summary = nullptr;
    bool m_updating = false;
};

} // namespace swav
