#include "ConfigForm.h"

#include "config/ConfigSchema.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include <climits>
#include <cmath>

namespace swav {

using nlohmann::json;

namespace {

/// A number as a person writes it: 3072 rather than 3072.0, 0.05 rather than 0.050000000000000003.
QString numberText(const json& value) {
    if (!value.is_number_float())
        return QString::fromStdString(value.dump());
    const double v = value.get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e15)
        return QString::number(v, 'f', 0);
    return QString::number(v, 'g', 15);
}

QString listText(const json& array) {
    QStringList parts;
    for (const json& v : array)
        parts << numberText(v);
    return parts.join(QStringLiteral(", "));
}

QString prettyKey(const std::string& key) {
    QString text = QString::fromStdString(key);
    text.replace(QLatin1Char('_'), QLatin1Char(' '));
    return text;
}

/// "a.b[1].c" -> {"a", "b", 1, "c"} as a JSON pointer into the config.
json::json_pointer pointerFor(const QString& path) {
    QString pointer;
    for (QString part : path.split(QLatin1Char('.'))) {
        const int bracket = part.indexOf(QLatin1Char('['));
        if (bracket >= 0) {
            pointer += QLatin1Char('/') + part.left(bracket);
            pointer += QLatin1Char('/') + part.mid(bracket + 1, part.size() - bracket - 2);
        } else {
            pointer += QLatin1Char('/') + part;
        }
    }
    return json::json_pointer(pointer.toStdString());
}

} // namespace

ConfigForm::ConfigForm(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
}

void ConfigForm::setConfigJson(const json& config) {
    m_shape = config;
    m_fields.clear();
    m_order.clear();
    delete m_content;
    m_content = new QWidget(this);
    auto* layout = new QVBoxLayout(m_content);
    layout->setContentsMargins(0, 0, 0, 0);
    addFields(layout, configSchema(), config, QString());
    layout->addStretch(1);
    static_cast<QVBoxLayout*>(this->layout())->addWidget(m_content);
}

void ConfigForm::addFields(QVBoxLayout* layout, const std::vector<FieldInfo>& fields,
                           const json& values, const QString& prefix) {
    QFormLayout* form = nullptr;
    for (const FieldInfo& field : fields) {
        const QString path = prefix + QString::fromStdString(field.key);
        const QString help = QString::fromStdString(field.help);
        const json value = values.contains(field.key) ? values.at(field.key) : json();
        if (field.type == FieldType::Group) {
            auto* box = new QGroupBox(prettyKey(field.key), m_content);
            box->setToolTip(help);
            auto* inner = new QVBoxLayout(box);
            addFields(inner, field.children, value, path + QLatin1Char('.'));
            layout->addWidget(box);
            form = nullptr;
            continue;
        }
        if (field.type == FieldType::GroupList) {
            for (size_t i = 0; value.is_array() && i < value.size(); ++i) {
                const QString element = path + QStringLiteral("[%1]").arg(i);
                auto* box = new QGroupBox(tr("%1 group %2").arg(prettyKey(field.key)).arg(i + 1),
                                          m_content);
                box->setToolTip(help);
                auto* inner = new QVBoxLayout(box);
                addFields(inner, field.children, value[i], element + QLatin1Char('.'));
                layout->addWidget(box);
            }
            addCropGroupButtons(layout, path);
            form = nullptr;
            continue;
        }
        if (!form) {
            form = new QFormLayout;
            form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
            // In a narrow dock a field goes under its label rather than past the edge.
            form->setRowWrapPolicy(QFormLayout::WrapLongRows);
            layout->addLayout(form);
        }
        QWidget* editor = makeEditor(field, value);
        editor->setToolTip(help);
        editor->setObjectName(path);
        auto* message = new QLabel(m_content);
        message->setWordWrap(true);
        message->setVisible(false);
        auto* cell = new QVBoxLayout;
        cell->setSpacing(1);
        cell->addWidget(editor);
        cell->addWidget(message);
        auto* label = new QLabel(prettyKey(field.key), m_content);
        label->setToolTip(help);
        label->setBuddy(editor);
        form->addRow(label, cell);
        m_fields.insert(path, Field{&field, editor, message, label});
        m_order << path;
    }
}

void ConfigForm::addCropGroupButtons(QVBoxLayout* layout, const QString& path) {
    auto* row = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add crop group"), m_content);
    auto* remove = new QPushButton(tr("Remove last group"), m_content);
    add->setToolTip(tr("Adds a group of small crops (the multi-crop of the paper)."));
    row->addWidget(add);
    row->addWidget(remove);
    row->addStretch(1);
    layout->addLayout(row);
    const auto pointer = pointerFor(path);
    remove->setEnabled(m_shape.contains(pointer) && m_shape.at(pointer).size() > 1);
    auto rebuild = [this, pointer](bool grow) {
        json config = configJson();
        json& groups = config[pointer];
        if (grow)
            groups.push_back(groups.back());
        else if (groups.size() > 1)
            groups.erase(groups.size() - 1);
        // Rebuilding deletes this button: do it once the click is handled.
        QTimer::singleShot(0, this, [this, config] {
            setConfigJson(config);
            Q_EMIT edited();
        });
    };
    connect(add, &QPushButton::clicked, this, [rebuild] { rebuild(true); });
    connect(remove, &QPushButton::clicked, this, [rebuild] { rebuild(false); });
}

QWidget* ConfigForm::makeEditor(const FieldInfo& field, const json& value) {
    switch (field.type) {
    case FieldType::Boolean: {
        auto* box = new QCheckBox(m_content);
        box->setChecked(value.is_boolean() && value.get<bool>());
        connect(box, &QCheckBox::toggled, this, &ConfigForm::edited);
        return box;
    }
    case FieldType::Integer: {
        auto* spin = new QSpinBox(m_content);
        spin->setRange(INT_MIN, INT_MAX);
        spin->setValue(value.is_number() ? value.get<int>() : 0);
        spin->setKeyboardTracking(false);
        connect(spin, qOverload<int>(&QSpinBox::valueChanged), this, &ConfigForm::edited);
        return spin;
    }
    case FieldType::Text:
        if (!field.choices.empty()) {
            auto* combo = new QComboBox(m_content);
            combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
            combo->setMinimumContentsLength(8);
            for (const auto& choice : field.choices)
                combo->addItem(QString::fromStdString(choice));
            combo->setCurrentText(
                QString::fromStdString(value.is_string() ? value.get<std::string>() : ""));
            connect(combo, &QComboBox::currentTextChanged, this, &ConfigForm::edited);
            return combo;
        }
        [[fallthrough]];
    default: {
        auto* line = new QLineEdit(m_content);
        if (field.type == FieldType::Text)
            line->setText(
                QString::fromStdString(value.is_string() ? value.get<std::string>() : ""));
        else if (field.type == FieldType::Real)
            line->setText(numberText(value));
        else
            line->setText(listText(value));
        line->setCursorPosition(0);
        connect(line, &QLineEdit::editingFinished, this, &ConfigForm::edited);
        return line;
    }
    }
}

json ConfigForm::readValue(const Field& field, const QString& path,
                           ValidationReport* problems) const {
    const FieldInfo& info = *field.info;
    const auto fail = [&](const QString& what) {
        if (problems)
            problems->error(path.toStdString(), what.toStdString());
        return m_shape.value(pointerFor(path), json());
    };
    switch (info.type) {
    case FieldType::Boolean:
        return static_cast<QCheckBox*>(field.editor)->isChecked();
    case FieldType::Integer:
        return static_cast<QSpinBox*>(field.editor)->value();
    case FieldType::Text:
        if (auto* combo = qobject_cast<QComboBox*>(field.editor))
            return combo->currentText().toStdString();
        return static_cast<QLineEdit*>(field.editor)->text().toStdString();
    case FieldType::Real: {
        bool ok = false;
        const double number = static_cast<QLineEdit*>(field.editor)->text().trimmed().toDouble(&ok);
        return ok ? json(number) : fail(tr("expected a number, e.g. 0.05 or 1e-4"));
    }
    case FieldType::IntegerList:
    case FieldType::RealList: {
        json array = json::array();
        const QString text = static_cast<QLineEdit*>(field.editor)->text();
        for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            if (info.type == FieldType::IntegerList) {
                const int number = part.trimmed().toInt(&ok);
                if (!ok)
                    return fail(tr("expected whole numbers separated by commas, e.g. 2, 2, 2"));
                array.push_back(number);
            } else {
                const double number = part.trimmed().toDouble(&ok);
                if (!ok)
                    return fail(tr("expected numbers separated by commas, e.g. 0.5, 0.5"));
                array.push_back(number);
            }
        }
        return array;
    }
    default:
        return json();
    }
}

json ConfigForm::configJson(ValidationReport* problems) const {
    json config = m_shape;
    for (const QString& path : m_order)
        config[pointerFor(path)] = readValue(m_fields.value(path), path, problems);
    return config;
}

void ConfigForm::clearIssues() {
    for (const Field& field : m_fields) {
        field.editor->setStyleSheet(QString());
        field.message->clear();
        field.message->setVisible(false);
    }
}

std::vector<ConfigIssue> ConfigForm::showIssues(const ValidationReport& report) {
    clearIssues();
    std::vector<ConfigIssue> unplaced;
    const auto place = [&](const ConfigIssue& issue, bool error) {
        const auto it = m_fields.find(QString::fromStdString(issue.path));
        if (it == m_fields.end()) {
            unplaced.push_back(issue);
            return;
        }
        const QString colour = error ? QStringLiteral("#d62728") : QStringLiteral("#d98c00");
        // Errors win over warnings on the same field.
        if (error || it->message->text().isEmpty()) {
            it->editor->setStyleSheet(QStringLiteral("border: 2px solid %1;").arg(colour));
            it->message->setStyleSheet(QStringLiteral("color: %1;").arg(colour));
        }
        const QString previous = it->message->text();
        const QString text = QString::fromStdString(issue.message);
        it->message->setText(previous.isEmpty() ? text : previous + QLatin1Char('\n') + text);
        it->message->setVisible(true);
    };
    for (const auto& issue : report.errors)
        place(issue, true);
    for (const auto& issue : report.warnings)
        place(issue, false);
    return unplaced;
}

QWidget* ConfigForm::editor(const QString& path) const {
    return m_fields.value(path).editor;
}

QString ConfigForm::message(const QString& path) const {
    const Field field = m_fields.value(path);
    return field.message ? field.message->text() : QString();
}

bool ConfigForm::setValue(const QString& path, const json& value) {
    const Field field = m_fields.value(path);
    if (!field.editor)
        return false;
    if (auto* box = qobject_cast<QCheckBox*>(field.editor))
        box->setChecked(value.get<bool>());
    else if (auto* spin = qobject_cast<QSpinBox*>(field.editor))
        spin->setValue(value.get<int>());
    else if (auto* combo = qobject_cast<QComboBox*>(field.editor))
        combo->setCurrentText(QString::fromStdString(value.get<std::string>()));
    else if (auto* line = qobject_cast<QLineEdit*>(field.editor)) {
        line->setText(value.is_string()  ? QString::fromStdString(value.get<std::string>())
                      : value.is_array() ? listText(value)
                                         : numberText(value));
        line->setCursorPosition(0); // a long text shows its beginning, not its end
        Q_EMIT edited();
    }
    return true;
}

void ConfigForm::setFieldShown(const QString& path, bool shown) {
    auto it = m_fields.find(path);
    if (it == m_fields.end())
        return;
    it->shown = shown;
    it->label->setVisible(shown);
    it->editor->setVisible(shown);
    if (!shown)
        it->message->setVisible(false);
}

bool ConfigForm::fieldShown(const QString& path) const {
    return m_fields.value(path).shown;
}

} // namespace swav
