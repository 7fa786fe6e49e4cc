#pragma once
// Runs > Import weights...: the file, the configuration the weights belong to (a preset, its
// architecture, overrides such as the dataset folder) and the run's name.

#include <QDialog>
#include <QStringList>

class QComboBox;
class QLineEdit;

namespace swav {

struct ImportChoice {
    QString file;
    QString preset;
    QString name;
    QStringList overrides; // "field=value"
};

class ImportWeightsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ImportWeightsDialog(QWidget* parent = nullptr);
    ImportChoice choice() const;

private:
    QLineEdit* m_file = nullptr;
    QComboBox* m_preset = nullptr;
    QLineEdit* m_name = nullptr;
    QLineEdit* m_overrides = nullptr;
};

} // namespace swav
