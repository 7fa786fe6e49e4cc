#include "LabExplanation.h"

#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

namespace swav {

LabExplanation::LabExplanation(const QString& html, QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_toggle = new QToolButton(this);
    m_toggle->setText(tr("What am I looking at?"));
    m_toggle->setCheckable(true);
    m_toggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toggle->setAutoRaise(true);
    m_text = new QLabel(html, this);
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_toggle, 0, Qt::AlignLeft);
    layout->addWidget(m_text);
    connect(m_toggle, &QToolButton::toggled, this, &LabExplanation::setExpanded);
    setExpanded(true);
}

void LabExplanation::setExpanded(bool expanded) {
    m_toggle->setChecked(expanded);
    m_toggle->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
    m_text->setVisible(expanded);
}

bool LabExplanation::expanded() const {
    return m_toggle->isChecked();
}

QString LabExplanation::text() const {
    return m_text->text();
}

void LabExplanation::setText(const QString& html) {
    m_text->setText(html);
}

} // namespace swav
