#include "ExperimentPanel.h"

#include "ConfigForm.h"
#include "DatasetCache.h"
#include "DevicePicker.h"
#include "DurationLabel.h"
#include "FileDialogs.h"
#include "config/ConfigJson.h"
#include "config/ConfigSchema.h"
#include "config/Presets.h"
#include "config/TrainCommandLine.h"
#include "runtime/DeviceSetup.h"

#include <nlohmann/json.hpp>

#include <QClipboard>
#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSignalBlocker>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace swav {

namespace {

const char* const kDatasetKinds[][2] = {{"fashion-mnist", "Fashion-MNIST (found automatically)"},
                                        {"mnist", "MNIST"},
                                        {"cifar10", "CIFAR-10"},
                                        {"cifar100", "CIFAR-100"},
                                        {"stl10", "STL-10"},
                                        {"image-folder", "Image folder..."},
                                        {"synthetic", "Synthetic shapes"}};

/// The trunk fields that only the custom architecture reads.
bool modelFieldApplies(const std::string& arch, const std::string& field) {
    static const char* const customOnly[] = {"block", "stage_depths", "stage_widths",
                                             "stage_strides", "stem_width"};
    for (const char* name : customOnly)
        if (field == name)
            return arch == "custom";
    return true;
}

/// A combo box narrower than its longest entry, so that it never widens the dock.
void letShrink(QComboBox* box) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(12);
}

} // namespace

ExperimentPanel::ExperimentPanel(DatasetCache* datasets, QWidget* parent)
    : QWidget(parent)
    , m_datasets(datasets)
    , m_validateTimer(new QTimer(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    auto* presetRow = new QHBoxLayout;
    m_presets = new QComboBox(this);
    for (const auto& preset : allPresets())
        m_presets->addItem(QString::fromStdString(preset.name));
    m_presets->setToolTip(tr("Built-in experiments (experiments/presets). Choosing one replaces "
                             "every field below."));
    letShrink(m_presets);
    presetRow->addWidget(new QLabel(tr("Preset:"), this));
    presetRow->addStretch(1);
    auto* configButton = new QToolButton(this);
    configButton->setText(tr("Configuration"));
    configButton->setToolTip(tr("Save or load the configuration as JSON, or copy the equivalent "
                                "command line"));
    configButton->setPopupMode(QToolButton::InstantPopup);
    m_configMenu = new QMenu(configButton);
    configButton->setMenu(m_configMenu);
    connect(m_configMenu, &QMenu::aboutToShow, this, &ExperimentPanel::fillConfigMenu);
    presetRow->addWidget(configButton);
    layout->addLayout(presetRow);
    // The preset names are long: the box has a line of its own.
    layout->addWidget(m_presets);
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    layout->addWidget(m_description);
    m_duration = new DurationLabel(this);
    layout->addWidget(m_duration);

    auto* data = new QGroupBox(tr("Dataset"), this);
    auto* dataLayout = new QVBoxLayout(data);
    auto* kindRow = new QHBoxLayout;
    m_datasetKind = new QComboBox(data);
    for (const auto& kind : kDatasetKinds)
        m_datasetKind->addItem(tr(kind[1]), QString::fromLatin1(kind[0]));
    letShrink(m_datasetKind);
    m_datasetPath = new QLineEdit(data);
    m_datasetPath->setPlaceholderText(tr("default location"));
    m_datasetPath->setToolTip(tr("File or folder of the data; empty uses the default location "
                                 "(Fashion-MNIST: /usr/share/datasets/fashion-mnist)."));
    auto* browse = new QPushButton(tr("Browse..."), data);
    kindRow->addWidget(m_datasetKind, 1);
    dataLayout->addLayout(kindRow);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(m_datasetPath, 1);
    pathRow->addWidget(browse);
    dataLayout->addLayout(pathRow);
    m_datasetInfo = new QLabel(data);
    m_datasetInfo->setWordWrap(true);
    dataLayout->addWidget(m_datasetInfo);
    m_thumbnails = new QHBoxLayout;
    m_thumbnails->setSpacing(2);
    dataLayout->addLayout(m_thumbnails);
    layout->addWidget(data);

    auto* devices = new QGroupBox(tr("Devices"), this);
    auto* devicesLayout = new QVBoxLayout(devices);
    m_devices = new DevicePicker(computeDevices(), devices);
    devicesLayout->addWidget(m_devices);
    layout->addWidget(devices);

    m_problems = new QLabel(this);
    m_problems->setWordWrap(true);
    m_problems->setVisible(false);
    layout->addWidget(m_problems);

    // The dock scrolls the whole panel; a second scroll area here would show a few rows only.
    m_form = new ConfigForm(this);
    layout->addWidget(m_form);
    layout->addStretch(1);

    m_validateTimer->setSingleShot(true);
    m_validateTimer->setInterval(150);
    connect(m_validateTimer, &QTimer::timeout, this, &ExperimentPanel::validateNow);
    connect(m_form, &ConfigForm::edited, m_validateTimer, qOverload<>(&QTimer::start));
    connect(m_presets, &QComboBox::currentTextChanged, this, &ExperimentPanel::onPresetPicked);
    // The global batch, and with it the queue and tuned-batch warnings, follow the processes.
    connect(m_devices, &DevicePicker::changed, this, &ExperimentPanel::validateNow);
    connect(browse, &QPushButton::clicked, this, &ExperimentPanel::chooseFolder);
    connect(m_datasetKind, &QComboBox::currentIndexChanged, this, [this] {
        if (m_syncing)
            return;
        const QString kind = m_datasetKind->currentData().toString();
        m_form->setValue(QStringLiteral("dataset.kind"), kind.toStdString());
        if (kind == QLatin1String("image-folder") && m_datasetPath->text().isEmpty())
            chooseFolder();
        validateNow();
    });
    connect(m_datasetPath, &QLineEdit::editingFinished, this, [this] {
        m_form->setValue(QStringLiteral("dataset.path"), m_datasetPath->text().toStdString());
        validateNow();
    });
    connect(m_datasets, &DatasetCache::changed, this, &ExperimentPanel::updatePreview);
}

void ExperimentPanel::selectPreset(const QString& name) {
    const auto preset = findPreset(name.toStdString());
    if (!preset)
        return;
    if (m_presets->currentText() != name) {
        m_selectingPreset = true;
        m_presets->setCurrentText(name); // re-enters through the signal
        m_selectingPreset = false;
        return;
    }
    ValidationReport ignored;
    auto config = loadPreset(name.toStdString(), {}, &ignored);
    if (config)
        m_form->setConfigJson(toJson(*config));
    showPresetDescription();
    markLoaded();
    validateNow();
}

void ExperimentPanel::onPresetPicked(const QString& name) {
    if (!m_selectingPreset &&
        !confirmDiscardEdits(tr("Preset %1 replaces every field.").arg(name))) {
        const QSignalBlocker block(m_presets);
        m_presets->setCurrentText(m_loadedPreset);
        return;
    }
    selectPreset(name);
}

bool ExperimentPanel::confirmDiscardEdits(const QString& why) {
    if (!hasEdits())
        return true;
    const auto answer = QMessageBox::question(
        this, tr("Discard your edits?"),
        tr("%1 Discard the changes made in the form (save them first with Configuration > Save "
           "as JSON)?")
            .arg(why),
        QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
    return answer == QMessageBox::Discard;
}

void ExperimentPanel::markLoaded() {
    m_loaded = m_form->configJson().dump();
    m_loadedPreset = m_presets->currentText();
}

bool ExperimentPanel::hasEdits() const {
    return !m_loaded.empty() && m_form->configJson().dump() != m_loaded;
}

QString ExperimentPanel::presetName() const {
    return m_presets->currentText();
}

void ExperimentPanel::showPresetDescription() {
    const auto preset = findPreset(m_presets->currentText().toStdString());
    QString text = preset ? QString::fromStdString(preset->description) : QString();
    // Teaching presets say what to watch.
    if (preset && !preset->lesson.empty())
        text += QStringLiteral("\n\n") + QString::fromStdString(preset->lesson);
    m_description->setText(text);
}

void ExperimentPanel::chooseFolder() {
    const QString folder = ::swav::chooseFolder(
        this, tr("Image folder (one sub-folder per class, or images directly)"));
    if (folder.isEmpty())
        return;
    m_datasetPath->setText(folder);
    m_form->setValue(QStringLiteral("dataset.path"), folder.toStdString());
    validateNow();
}

void ExperimentPanel::validateNow() {
    m_validateTimer->stop();
    ValidationReport report;
    const nlohmann::json json = m_form->configJson(&report);
    ExperimentConfig config = configFromJson(json, report);
    if (report.ok())
        report.append(validateConfig(config, m_devices->plan().processes));
    m_form->showIssues(report);
    QStringList lines;
    for (const auto& issue : report.errors)
        lines << tr("error: %1: %2")
                     .arg(QString::fromStdString(issue.path),
                          QString::fromStdString(issue.message));
    for (const auto& issue : report.warnings)
        lines << tr("warning: %1: %2")
                     .arg(QString::fromStdString(issue.path),
                          QString::fromStdString(issue.message));
    m_problemsText = lines.join(QLatin1Char('\n'));
    // The summary at the top names every problem; the form marks the fields.
    m_problems->setText(report.ok() ? tr("Warnings (the run can start):\n%1").arg(m_problemsText)
                                    : tr("Fix these before starting:\n%1").arg(m_problemsText));
    m_problems->setStyleSheet(report.ok() ? QStringLiteral("color: #b07000;")
                                          : QStringLiteral("color: #d62728;"));
    m_problems->setVisible(!lines.isEmpty());

    showApplicableFields(json);

    const bool valid = report.ok();
    m_config = valid ? std::optional<ExperimentConfig>(config) : std::nullopt;
    // Keep the dataset chooser in step with the form.
    m_syncing = true;
    const int kindIndex = m_datasetKind->findData(QString::fromStdString(config.dataset.kind));
    if (kindIndex >= 0)
        m_datasetKind->setCurrentIndex(kindIndex);
    if (!m_datasetPath->hasFocus())
        m_datasetPath->setText(QString::fromStdString(config.dataset.path));
    m_syncing = false;
    if (valid)
        m_datasets->request(config.dataset);
    m_valid = valid;
    m_duration->setConfig(m_config);
    Q_EMIT validityChanged(valid);
    updatePreview();
}

void ExperimentPanel::showApplicableFields(const nlohmann::json& json) {
    // Only the dataset fields that mean something for its kind, the custom trunk's for it.
    const std::string kind = json.value("dataset", nlohmann::json::object()).value("kind", "");
    const std::string arch = json.value("model", nlohmann::json::object()).value("arch", "");
    for (const auto& field : configSchema())
        for (const auto& child : field.children) {
            const QString path = QString::fromStdString(field.key + "." + child.key);
            if (field.key == "dataset")
                m_form->setFieldShown(path, datasetFieldApplies(kind, child.key));
            else if (field.key == "model")
                m_form->setFieldShown(path, modelFieldApplies(arch, child.key));
        }
}

std::optional<ExperimentConfig> ExperimentPanel::validConfig() const {
    return m_config;
}

QString ExperimentPanel::problemsText() const {
    return m_problemsText;
}

void ExperimentPanel::setEditable(bool editable) {
    m_presets->setEnabled(editable);
    m_form->setEnabled(editable);
    m_datasetKind->setEnabled(editable);
    m_datasetPath->setEnabled(editable);
    m_devices->setEnabled(editable);
    m_duration->setActive(editable);
}

void ExperimentPanel::updatePreview() {
    while (QLayoutItem* item = m_thumbnails->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (m_datasets->loading() && !m_datasets->ready()) {
        m_datasetInfo->setText(tr("opening the dataset..."));
        return;
    }
    if (!m_datasets->ready()) {
        m_datasetInfo->setText(m_datasets->error().isEmpty()
                                   ? QString()
                                   : tr("<span style='color:#d62728'>%1</span>")
                                         .arg(m_datasets->error().toHtmlEscaped()));
        return;
    }
    m_datasetInfo->setText(
        tr("%1 — %L2 images").arg(m_datasets->description()).arg(m_datasets->size()));
    const QStringList classes = m_datasets->classNames();
    for (qint64 i = 0; i < std::min<qint64>(6, m_datasets->size()); ++i) {
        auto* thumb = new QLabel(this);
        const qint64 index = i * std::max<qint64>(1, m_datasets->size() / 6);
        int label = -1;
        const QImage image = m_datasets->image(index, &label);
        thumb->setPixmap(
            QPixmap::fromImage(image.scaled(44, 44, Qt::KeepAspectRatio, Qt::FastTransformation)));
        thumb->setToolTip(label >= 0 && label < classes.size() ? classes[label] : QString());
        m_thumbnails->addWidget(thumb);
    }
    m_thumbnails->addStretch(1);
}

namespace {

const QString kRecentKey = QStringLiteral("experiment/recent_configs");
constexpr int kRecentCount = 8;

} // namespace

void ExperimentPanel::fillConfigMenu() {
    m_configMenu->clear();
    m_configMenu->addAction(tr("Save as JSON…"), this, [this] {
        const QString file =
            chooseFileToSave(this, tr("Save the configuration"),
                             QString::fromStdString(m_form->configJson().value("name", "config")) +
                                 QStringLiteral(".json"),
                             tr("JSON (*.json)"));
        if (!file.isEmpty())
            saveConfig(file);
    });
    m_configMenu->addAction(tr("Load JSON…"), this, [this] {
        const QString file =
            chooseFileToOpen(this, tr("Load a configuration"), QString(), tr("JSON (*.json)"));
        if (!file.isEmpty())
            loadConfig(file);
    });
    QMenu* recent = m_configMenu->addMenu(tr("Recent"));
    for (const QString& file : recentConfigs())
        recent->addAction(file, this, [this, file] { loadConfig(file); });
    recent->setEnabled(!recent->isEmpty());
    m_configMenu->addSeparator();
    m_configMenu->addAction(tr("Copy as command"), this,
                            [this] { QGuiApplication::clipboard()->setText(commandLine()); });
}

bool ExperimentPanel::saveConfig(const QString& file) {
    QSaveFile out(file); // written whole or not at all
    const QByteArray text = QByteArray::fromStdString(m_form->configJson().dump(2) + "\n");
    if (!out.open(QIODevice::WriteOnly) || out.write(text) != text.size() || !out.commit()) {
        Q_EMIT problem(tr("Could not write %1: %2").arg(file, out.errorString()));
        return false;
    }
    rememberConfig(file);
    return true;
}

bool ExperimentPanel::loadConfig(const QString& file) {
    // Read and checked like swav train --config: bounded, regular files only, every field.
    const auto loaded = loadConfigFile(file.toStdString(), {});
    if (!loaded) {
        Q_EMIT problem(QString::fromStdString(loaded.error().message));
        return false;
    }
    m_form->setConfigJson(toJson(loaded.value()));
    markLoaded();
    rememberConfig(file);
    validateNow();
    return true;
}

void ExperimentPanel::loadConfigJson(const QString& json, const QString& origin) {
    const auto loaded = swav::loadConfig(json.toStdString(), origin.toStdString(), {});
    if (!loaded) {
        Q_EMIT problem(QString::fromStdString(loaded.error().message));
        return;
    }
    m_form->setConfigJson(toJson(loaded.value()));
    markLoaded();
    validateNow();
}

QString ExperimentPanel::commandLine() const {
    ValidationReport ignored;
    const ExperimentConfig config = configFromJson(m_form->configJson(), ignored);
    try {
        return QString::fromStdString(trainCommandLine(config, presetName().toStdString()));
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

QStringList ExperimentPanel::recentConfigs() const {
    return QSettings().value(kRecentKey).toStringList();
}

void ExperimentPanel::rememberConfig(const QString& file) {
    QStringList recent = recentConfigs();
    const QString absolute = QFileInfo(file).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    QSettings().setValue(kRecentKey, recent.mid(0, kRecentCount));
}

} // namespace swav
