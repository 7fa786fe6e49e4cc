#pragma once
// The crops viewer: pick an image (by index or at random), see every crop's box on it and each
// crop as the network sees it, resample, and move the scale and jitter sliders to see their
// effect at once. The pictures come from the trainer's own augmentation code and its returned
// boxes and parameters.

#include "config/ExperimentConfig.h"

#include <QWidget>

class QLabel;
class QSlider;
class QSpinBox;

namespace swav {

class CropsView;
class DatasetCache;

class CropsPanel : public QWidget {
    Q_OBJECT
public:
    CropsPanel(DatasetCache* datasets, QWidget* parent = nullptr);

    /// The crop groups and normalisation of the configuration being edited.
    void setConfig(const ExperimentConfig& config);
    void resample();
    CropsView* view() const { return m_view; }
    /// The crop groups as the sliders have changed them.
    std::vector<CropGroupConfig> previewGroups() const;
    QSlider* jitterSlider() const { return m_jitter; }

Q_SIGNALS:
    /// "Use in configuration": the slider values for the form.
    void applyRequested(const std::vector<swav::CropGroupConfig>& groups);

private:
    void loadSliders();
    void render();

    DatasetCache* m_datasets;
    ExperimentConfig m_config;
    CropsView* m_view = nullptr;
    QSpinBox* m_index = nullptr;
    QSlider* m_largeMin = nullptr;
    QSlider* m_smallMin = nullptr;
    QSlider* m_smallMax = nullptr;
    QSlider* m_jitter = nullptr;
    QLabel* m_sliderValues = nullptr;
    quint64 m_seed = 1;
};

} // namespace swav
