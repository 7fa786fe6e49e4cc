#pragma once
// A collapsible explanation under a lab view: a "What am I looking at?" toggle and two or
// three sentences with the paper's equation that the view shows.

#include <QWidget>

class QLabel;
class QToolButton;

namespace swav {

class LabExplanation : public QWidget {
    Q_OBJECT
public:
    LabExplanation(const QString& html, QWidget* parent = nullptr);
    void setExpanded(bool expanded);
    bool expanded() const;
    QString text() const;
    /// The explanation changes with what the view shows (its numbers, not fixed claims).
    void setText(const QString& html);

private:
    QToolButton* m_toggle = nullptr;
    QLabel* m_text = nullptr;
};

} // namespace swav
