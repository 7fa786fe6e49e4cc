#pragma once
// An editor for every configuration field, grouped as in the config, built from the schema
// (config/ConfigSchema.h): combo boxes for fields with fixed values, check boxes, number and
// list fields, one box per crop group. Every field has the config's help text as tooltip.
// Validation problems are shown next to their field (red for errors, amber for warnings).

#include "config/ConfigJson.h"

#include <nlohmann/json.hpp>

#include <QHash>
#include <QWidget>

class QLabel;
class QVBoxLayout;

namespace swav {

struct FieldInfo;

class ConfigForm : public QWidget {
    Q_OBJECT
public:
    explicit ConfigForm(QWidget* parent = nullptr);

    /// Rebuilds the editors for this configuration (a full JSON form of ExperimentConfig).
    void setConfigJson(const nlohmann::json& config);
    /// The values as edited. Fields the form cannot parse are reported in `problems`.
    nlohmann::json configJson(ValidationReport* problems = nullptr) const;

    /// Marks the fields named by the issues; returns the issues that name no field here.
    std::vector<ConfigIssue> showIssues(const ValidationReport& report);

    /// The editor of a field ("optim.batch_size", "multicrop.crops[1].size"), or null.
    QWidget* editor(const QString& path) const;
    /// The message shown beside a field ("" when none).
    QString message(const QString& path) const;
    /// Sets a field's editor from a JSON value (as the user would type it).
    bool setValue(const QString& path, const nlohmann::json& value);
    QStringList paths() const { return m_order; }
    /// Shows or hides a field's row (label, editor, message); its value stays in the config.
    void setFieldShown(const QString& path, bool shown);
    bool fieldShown(const QString& path) const;

Q_SIGNALS:
    /// Any field changed (by the user or by setValue).
    void edited();

private:
    struct Field {
        const FieldInfo* info = nullptr;
        QWidget* editor = nullptr;
        QLabel* message = nullptr;
        QLabel* label = nullptr;
        bool shown = true;
    };

    void addFields(QVBoxLayout* layout, const std::vector<FieldInfo>& fields,
                   const nlohmann::json& values, const QString& prefix);
    void addCropGroupButtons(QVBoxLayout* layout, const QString& path);
    QWidget* makeEditor(const FieldInfo& field, const nlohmann::json& value);
    nlohmann::json readValue(const Field& field, const QString& path,
                             ValidationReport* problems) const;
    void clearIssues();

    QWidget* m_content = nullptr;
    QHash<QString, Field> m_fields;
    QStringList m_order;
    nlohmann::json m_shape; // the config last set: array sizes and untouched values
};

} // namespace swav
