#include "CropsPanel.h"

#include "CropRendering.h"
#include "CropsView.h"
#include "DatasetCache.h"
#include "data/Dataset.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

namespace swav {

namespace {

QSlider* percentSlider(QWidget* parent, const QString& tooltip) {
    auto* slider = new QSlider(Qt::Horizontal, parent);
    slider->setRange(1, 100);
    slider->setToolTip(tooltip);
    return slider;
}

} // namespace

CropsPanel::CropsPanel(DatasetCache* datasets, QWidget* parent)
    : QWidget(parent)
    , m_datasets(datasets) {
    auto* layout = new QVBoxLayout(this);
    auto* controls = new QHBoxLayout;
    m_index = new QSpinBox(this);
    m_index->setRange(0, 0);
    m_index->setToolTip(tr("Index of the image in the training set"));
    auto* random = new QPushButton(tr("Random image"), this);
    auto* resampleButton = new QPushButton(tr("Resample crops"), this);
    resampleButton->setToolTip(tr("Draw new random crops of the same image"));
    auto* apply = new QPushButton(tr("Use in configuration"), this);
    apply->setToolTip(tr("Copy the slider values into the experiment's crop groups"));
    controls->addWidget(new QLabel(tr("Image:"), this));
    controls->addWidget(m_index);
    controls->addWidget(random);
    controls->addWidget(resampleButton);
    controls->addStretch(1);
    layout->addLayout(controls);

    auto* sliders = new QFormLayout;
    m_largeMin = percentSlider(this, tr("Smallest area of a large crop, as a share of the image"));
    m_smallMin = percentSlider(this, tr("Smallest area of a small crop"));
    m_smallMax = percentSlider(this, tr("Largest area of a small crop"));
    m_jitter = new QSlider(Qt::Horizontal, this);
    m_jitter->setRange(0, 200);
    m_jitter->setToolTip(tr("Colour jitter strength s (brightness, contrast, saturation 0.8 s, "
                            "hue 0.2 s); 1.0 in the paper"));
    sliders->addRow(tr("Large crops: min scale"), m_largeMin);
    sliders->addRow(tr("Small crops: min scale"), m_smallMin);
    sliders->addRow(tr("Small crops: max scale"), m_smallMax);
    sliders->addRow(tr("Jitter strength"), m_jitter);
    layout->addLayout(sliders);
    m_sliderValues = new QLabel(this);
    m_sliderValues->setWordWrap(true);
    auto* valuesRow = new QHBoxLayout;
    valuesRow->addWidget(m_sliderValues, 1);
    valuesRow->addWidget(apply);
    layout->addLayout(valuesRow);
    // No scroll area of its own: the dock's scrolls the sliders and the crops together.
    m_view = new CropsView(this);
    layout->addWidget(m_view, 1);

    connect(m_index, qOverload<int>(&QSpinBox::valueChanged), this, &CropsPanel::render);
    connect(random, &QPushButton::clicked, this, [this] {
        if (m_datasets->size() > 0)
            m_index->setValue(int(QRandomGenerator::global()->bounded(m_datasets->size())));
    });
    connect(resampleButton, &QPushButton::clicked, this, &CropsPanel::resample);
    for (QSlider* slider : {m_largeMin, m_smallMin, m_smallMax, m_jitter})
        connect(slider, &QSlider::valueChanged, this, &CropsPanel::render);
    connect(apply, &QPushButton::clicked, this, [this] { Q_EMIT applyRequested(previewGroups()); });
    connect(m_datasets, &DatasetCache::changed, this, [this] {
        m_index->setRange(0, int(std::max<qint64>(0, m_datasets->size() - 1)));
        render();
    });
}

void CropsPanel::setConfig(const ExperimentConfig& config) {
    m_config = config;
    loadSliders();
    render();
}

void CropsPanel::loadSliders() {
    const auto& groups = m_config.multicrop.crops;
    const QSignalBlocker a(m_largeMin), b(m_smallMin), c(m_smallMax), d(m_jitter);
    if (!groups.empty()) {
        m_largeMin->setValue(int(groups.front().minScale * 100 + 0.5));
        m_jitter->setValue(int(groups.front().jitterStrength * 100 + 0.5));
    }
    const bool small = groups.size() > 1;
    m_smallMin->setEnabled(small);
    m_smallMax->setEnabled(small);
    if (small) {
        m_smallMin->setValue(int(groups.back().minScale * 100 + 0.5));
        m_smallMax->setValue(int(groups.back().maxScale * 100 + 0.5));
    }
}

std::vector<CropGroupConfig> CropsPanel::previewGroups() const {
    std::vector<CropGroupConfig> groups = m_config.multicrop.crops;
    for (size_t g = 0; g < groups.size(); ++g) {
        groups[g].jitterStrength = m_jitter->value() / 100.0;
        if (g == 0) {
            groups[g].minScale = std::min(m_largeMin->value() / 100.0, groups[g].maxScale);
        } else {
            groups[g].minScale = m_smallMin->value() / 100.0;
            groups[g].maxScale = std::max(groups[g].minScale, m_smallMax->value() / 100.0);
        }
    }
    return groups;
}

void CropsPanel::resample() {
    ++m_seed;
    render();
}

void CropsPanel::render() {
    const auto groups = previewGroups();
    if (!groups.empty())
        m_sliderValues->setText(
            tr("large crops %1-%2 of the area, small crops %3-%4, jitter strength %5")
                .arg(groups.front().minScale, 0, 'f', 2)
                .arg(groups.front().maxScale, 0, 'f', 2)
                .arg(groups.size() > 1 ? groups.back().minScale : 0, 0, 'f', 2)
                .arg(groups.size() > 1 ? groups.back().maxScale : 0, 0, 'f', 2)
                .arg(m_jitter->value() / 100.0, 0, 'f', 2));
    const auto dataset = m_datasets->dataset();
    if (!dataset || groups.empty()) {
        m_view->showMessage(m_datasets->loading()
                                ? tr("opening the dataset...")
                                : tr("No dataset open: %1").arg(m_datasets->error()));
        return;
    }
    const qint64 index = std::min<qint64>(m_index->value(), dataset->size() - 1);
    const CropPreview preview =
        renderCrops(*dataset, index, m_config, groups, m_seed * 7919 + quint64(index));
    if (!preview.error.isEmpty()) {
        m_view->showMessage(tr("Cannot show the crops: %1").arg(preview.error));
        return;
    }
    m_view->setPreview(preview.original, preview.tiles, preview.groupNames);
    const QStringList classes = m_datasets->classNames();
    const int label = preview.label;
    m_view->showMessage(tr("image %1 of %L2%3")
                            .arg(index)
                            .arg(dataset->size())
                            .arg(label >= 0 && label < classes.size()
                                     ? QStringLiteral(" (%1)").arg(classes[label])
                                     : QString()));
}

} // namespace swav
