#include "DevicePicker.h"

#include "runtime/DeviceSetup.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace swav {

namespace {

bool isCpu(const QListWidgetItem* item) {
    return item->data(Qt::UserRole).toString() == QLatin1String("cpu");
}

} // namespace

DevicePicker::DevicePicker(const std::vector<ComputeDevice>& devices, QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_list = new QListWidget(this);
    // Long GPU names wrap: the list never scrolls sideways in a narrow dock.
    m_list->setWordWrap(true);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setToolTip(tr("Train on the CPU or on one or more GPUs. Several GPUs start one "
                          "process each (data-parallel; batch_size is per process)."));
    for (const auto& device : devices) {
        auto* item = new QListWidgetItem(QString::fromStdString(device.description), m_list);
        item->setData(Qt::UserRole, QString::fromStdString(device.id));
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    // The default is what runtime.device "auto" picks: the first GPU, else the CPU.
    if (m_list->count() > 0)
        m_list->item(m_list->count() > 1 ? 1 : 0)->setCheckState(Qt::Checked);
    m_list->setMaximumHeight(m_list->sizeHintForRow(0) * std::min(m_list->count(), 5) + 8);
    layout->addWidget(m_list);

    auto* cpuRow = new QHBoxLayout;
    cpuRow->addWidget(new QLabel(tr("Processes on the CPU:"), this));
    m_cpuProcesses = new QSpinBox(this);
    m_cpuProcesses->setRange(1, 64);
    m_cpuProcesses->setToolTip(tr("Data-parallel processes sharing the CPU threads (each with "
                                  "its own batch of batch_size images)"));
    cpuRow->addWidget(m_cpuProcesses);
    cpuRow->addStretch(1);
    layout->addLayout(cpuRow);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);

    connect(m_list, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        if (m_updating)
            return;
        keepOneKind(m_list->row(item));
        updateSummary();
        Q_EMIT changed();
    });
    connect(m_cpuProcesses, &QSpinBox::valueChanged, this, [this] {
        updateSummary();
        Q_EMIT changed();
    });
    updateSummary();
}

void DevicePicker::keepOneKind(int changedRow) {
    // The CPU and GPUs do not mix in one run, and something stays chosen.
    m_updating = true;
    auto* changed = m_list->item(changedRow);
    if (changed->checkState() == Qt::Checked) {
        for (int row = 0; row < m_list->count(); ++row)
            if (isCpu(m_list->item(row)) != isCpu(changed))
                m_list->item(row)->setCheckState(Qt::Unchecked);
    } else {
        bool any = false;
        for (int row = 0; row < m_list->count(); ++row)
            any = any || m_list->item(row)->checkState() == Qt::Checked;
        if (!any)
            changed->setCheckState(Qt::Checked);
    }
    m_updating = false;
}

DevicePlan DevicePicker::plan() const {
    DevicePlan plan;
    QStringList gpus;
    for (int row = 0; row < m_list->count(); ++row) {
        const auto* item = m_list->item(row);
        if (item->checkState() != Qt::Checked || isCpu(item))
            continue;
        gpus << item->data(Qt::UserRole).toString().section(QLatin1Char(':'), 1);
    }
    if (gpus.isEmpty()) {
        plan.processes = m_cpuProcesses->value();
        return plan;
    }
    plan.processes = static_cast<int>(gpus.size());
    if (gpus.size() == 1) {
        plan.device = QStringLiteral("cuda:") + gpus.front();
    } else {
        plan.device = QStringLiteral("cuda");
        plan.visibleGpus = gpus.join(QLatin1Char(','));
    }
    return plan;
}

void DevicePicker::choose(const std::vector<std::string>& ids, int cpuProcesses) {
    m_updating = true;
    for (int row = 0; row < m_list->count(); ++row) {
        auto* item = m_list->item(row);
        const bool chosen =
            std::find(ids.begin(), ids.end(), item->data(Qt::UserRole).toString().toStdString()) !=
            ids.end();
        item->setCheckState(chosen ? Qt::Checked : Qt::Unchecked);
    }
    m_updating = false;
    m_cpuProcesses->setValue(cpuProcesses);
    updateSummary();
    Q_EMIT changed();
}

void DevicePicker::updateSummary() {
    const DevicePlan p = plan();
    const bool cpu = p.device == QLatin1String("cpu");
    m_cpuProcesses->setEnabled(cpu);
    if (!p.multiProcess())
        m_summary->setText(tr("One process, in the workbench."));
    else
        m_summary->setText(tr("%1 processes started by the swav launcher (%2), followed here from "
                              "the run database; the global batch is %1 x batch_size.")
                               .arg(p.processes)
                               .arg(cpu ? tr("sharing the CPU threads") : tr("one GPU each")));
}

} // namespace swav
