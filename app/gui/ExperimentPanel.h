#pragma once
// Configure a run: a preset (with its description), the dataset (with a preview of a few
// images and the count) and a form for every configuration field, validated live by the core
// validator. Errors block Start; warnings show but allow it.

#include "config/ExperimentConfig.h"

#include <nlohmann/json_fwd.hpp>

#include <QWidget>

#include <optional>
#include <string>

class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QHBoxLayout;
class QTimer;

namespace swav {

class ConfigForm;
class DatasetCache;
class DevicePicker;
class DurationLabel;
struct DevicePlan;

class ExperimentPanel : public QWidget {
    Q_OBJECT
public:
    ExperimentPanel(DatasetCache* datasets, QWidget* parent = nullptr);

    /// Loads a built-in preset into the form.
    void selectPreset(const QString& name);
    QString presetName() const;
    /// The configuration as edited, when it is valid (errors block; warnings do not).
    std::optional<ExperimentConfig> validConfig() const;
    /// The problems of the current form (errors first), one per line; "" when none.
    QString problemsText() const;
    bool isValid() const { return m_valid; }
    ConfigForm* form() const { return m_form; }
    /// Where the run trains (one process, or several through the launcher).
    DevicePicker* devicePicker() const { return m_devices; }
    /// Validates now instead of after the short typing delay.
    void validateNow();
    /// Locks editing while a run uses the configuration.
    void setEditable(bool editable);

    /// Writes the form's configuration (valid or not) as JSON; false and a problem on failure.
    bool saveConfig(const QString& file);
    /// Fills the form from a JSON configuration file (checked as swav train --config does).
    bool loadConfig(const QString& file);
    /// Fills the form with a configuration (a stored run's: "New run from this run").
    void loadConfigJson(const QString& json, const QString& origin);
    /// The `swav train` line for the form: its preset and a --set per changed field.
    QString commandLine() const;
    /// Recently saved or loaded configuration files, newest first.
    QStringList recentConfigs() const;
    /// The form differs from what was last loaded into it (preset, file or run).
    bool hasEdits() const;
    /// True when there are no edits, or the user agrees to lose them (asked, giving `why`).
    bool confirmDiscardEdits(const QString& why);
    QComboBox* presetBox() const { return m_presets; }
    /// The Configuration menu (save, load, recent, copy as command).
    QMenu* configMenu() const { return m_configMenu; }
    /// The expected duration of the form's configuration, measured on this machine.
    DurationLabel* duration() const { return m_duration; }

Q_SIGNALS:
    void validityChanged(bool valid);
    void problem(const QString& message);

private:
    void showPresetDescription();
    /// Hides the fields the configuration's dataset kind and trunk do not read.
    void showApplicableFields(const nlohmann::json& json);
    void chooseFolder();
    void updatePreview();
    void rememberConfig(const QString& file);
    /// The user picked another preset: asks before edits are replaced.
    void onPresetPicked(const QString& name);
    /// The form as loaded, to tell edits from it.
    void markLoaded();
    void fillConfigMenu();

    DatasetCache* m_datasets;
    QComboBox* m_presets = nullptr;
    QMenu* m_configMenu = nullptr;
    QLabel* m_description = nullptr;
    DurationLabel* m_duration = nullptr;
    QComboBox* m_datasetKind = nullptr;
    QLineEdit* m_datasetPath = nullptr;
    QLabel* m_datasetInfo = nullptr;
    QHBoxLayout* m_thumbnails = nullptr;
    QLabel* m_problems = nullptr;
    ConfigForm* m_form = nullptr;
    DevicePicker* m_devices = nullptr;
    QTimer* m_validateTimer = nullptr;
    std::optional<ExperimentConfig> m_config;
    QString m_problemsText;
    bool m_valid = false;
    bool m_syncing = false;
    bool m_selectingPreset = false; // selectPreset() changes the preset box itself
    QString m_loadedPreset;         // the preset the box showed when the form was loaded
    std::string m_loaded;           // the form's JSON as loaded
};

} // namespace swav
