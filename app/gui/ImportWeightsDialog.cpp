#include "ImportWeightsDialog.h"

#include "FileDialogs.h"
#include "config/Presets.h"
#include "workflow/ImportRun.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>

namespace swav {

ImportWeightsDialog::ImportWeightsDialog(QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Import weights"));
    auto* form = new QFormLayout(this);
    auto* intro = new QLabel(tr("The authors' released SwAV checkpoints, torchvision ResNet state "
                                "dicts and this program's exports become a run with status "
                                "<i>imported</i> that can be evaluated, analysed and opened in "
                                "the Lab."),
                             this);
    intro->setWordWrap(true);
    form->addRow(intro);
    m_file = new QLineEdit(this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);
    form->addRow(tr("Weights file"), fileRow);
    m_preset = new QComboBox(this);
    for (const auto& preset : allPresets())
        m_preset->addItem(QString::fromStdString(preset.name),
                          QString::fromStdString(preset.description));
    m_preset->setCurrentText(QString::fromStdString(defaultImportPreset("resnet50")));
    m_preset->setToolTip(tr("The configuration the weights were trained with: architecture, "
                            "head, prototypes, dataset"));
    form->addRow(tr("Configuration"), m_preset);
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText(tr("the file's name"));
    form->addRow(tr("Run name"), m_name);
    m_overrides = new QLineEdit(this);
    m_overrides->setPlaceholderText(tr("dataset.path=/data/imagenet  multicrop.crops.0.size=160"));
    m_overrides->setToolTip(tr("Fields to change, separated by spaces, as for swav train --set"));
    form->addRow(tr("Settings"), m_overrides);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Import"));
    form->addRow(buttons);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file =
            chooseFileToOpen(this, tr("Weights to import"), QString(),
                             tr("PyTorch files (*.pt *.pth *.tar *.bin);;All files (*)"));
        if (!file.isEmpty())
            m_file->setText(file);
    });
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(560, sizeHint().height());
}

ImportChoice ImportWeightsDialog::choice() const {
    ImportChoice c;
    c.file = m_file->text().trimmed();
    c.preset = m_preset->currentText();
    c.name = m_name->text().trimmed();
    c.overrides =
        m_overrides->text().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    return c;
}

} // namespace swav
