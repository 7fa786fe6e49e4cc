#pragma once
// Layout checks for GUI tests: what a person would see cut off in a shown widget tree. Reports
// every visible label whose text does not fit its geometry, every scroll area showing a
// horizontal scroll bar and every scroll area nested in another one. Each problem names the
// widget and its text, so that a failing test says what is cut.

#include <QAbstractScrollArea>
#include <QFontMetrics>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QStringList>
#include <QTextDocument>
#include <QWidget>

namespace swav::test {

/// A widget's name for a failure message: its object name, else its class and text.
inline QString describeWidget(const QWidget* widget) {
    QString name = widget->objectName();
    if (name.isEmpty())
        name = QString::fromLatin1(widget->metaObject()->className());
    if (const auto* label = qobject_cast<const QLabel*>(widget)) {
        QString text = label->text().simplified();
        if (text.size() > 70)
            text = text.left(67) + QStringLiteral("...");
        name += QStringLiteral(" \"%1\"").arg(text);
    }
    return name;
}

/// The width a label has for its text: its contents less its margin and indent.
inline int labelTextWidth(const QLabel* label) {
    int indent = label->indent();
    if (indent < 0) // Qt's default: half an 'x' when the label has a frame
        indent = label->frameWidth() > 0
                     ? label->fontMetrics().horizontalAdvance(QLatin1Char('x')) / 2
                     : 0;
    return label->contentsRect().width() - 2 * label->margin() - indent;
}

/// The size a label's text needs on one line per paragraph (no wrapping).
inline QSize unwrappedTextSize(const QLabel* label) {
    if (Qt::mightBeRichText(label->text()) && label->textFormat() != Qt::PlainText) {
        QTextDocument document;
        document.setDefaultFont(label->font());
        document.setDocumentMargin(0);
        document.setHtml(label->text());
        return document.size().toSize();
    }
    const int flags = Qt::TextExpandTabs | (label->buddy() ? Qt::TextShowMnemonic : 0);
    return label->fontMetrics().size(flags, label->text());
}

/// Why a shown label's text is cut, or "" when it fits (1 px of rounding allowed).
inline QString labelCut(const QLabel* label) {
    if (label->text().isEmpty())
        return {};
    const int width = labelTextWidth(label);
    if (label->wordWrap()) {
        // Wrapped text may still hold a word (a path) longer than the line.
        if (label->minimumSizeHint().width() > label->width() + 1)
            return QStringLiteral("a word is wider than the label (%1 px > %2 px)")
                .arg(label->minimumSizeHint().width())
                .arg(label->width());
        const int needed = label->heightForWidth(label->width());
        if (needed > label->height() + 1)
            return QStringLiteral("wrapped text needs %1 px of height, has %2")
                .arg(needed)
                .arg(label->height());
        return {};
    }
    const QSize needed = unwrappedTextSize(label);
    if (needed.width() > width + 1)
        return QStringLiteral("text needs %1 px of width, has %2").arg(needed.width()).arg(width);
    const int height = label->contentsRect().height() - 2 * label->margin();
    if (needed.height() > height + 1)
        return QStringLiteral("text needs %1 px of height, has %2")
            .arg(needed.height())
            .arg(height);
    return {};
}

/// The scroll area around `area`'s content inside `root`, or null.
inline const QScrollArea* enclosingScrollArea(const QWidget* area, const QWidget* root) {
    for (const QWidget* w = area->parentWidget(); w; w = w->parentWidget()) {
        if (const auto* outer = qobject_cast<const QScrollArea*>(w))
            return outer;
        if (w == root)
            return nullptr;
    }
    return nullptr;
}

/// An exception by design, named "runsTable": a column per setting and result, too many for any
/// dock, so the table scrolls sideways within itself (the dock around it does not).
inline bool scrollsSidewaysByDesign(const QWidget* area) {
    return area->objectName() == QStringLiteral("runsTable");
}

/// An exception by design, named "galleryScroll": thirty prototypes' strips would make the
/// Clusters dock thousands of pixels tall, so the gallery scrolls within itself; allowed while
/// the dock's own scroll area has nothing to scroll, so that one scroll bar shows, never two.
inline bool nestedScrollByDesign(const QWidget* area, const QScrollArea* outer) {
    return area->objectName() == QStringLiteral("galleryScroll") &&
           !outer->verticalScrollBar()->isVisible() && !outer->horizontalScrollBar()->isVisible();
}

/// Every visible label under `root` (itself included) whose text does not fit, every scroll
/// area with a visible horizontal scroll bar, and every scroll area inside another one, less the
/// exceptions above.
/// Call with the window shown and laid out (QTest::qWaitForWindowExposed).
inline QStringList layoutProblems(const QWidget* root) {
    QStringList problems;
    QList<const QWidget*> widgets{root};
    for (const QWidget* w : root->findChildren<QWidget*>())
        widgets << w;
    for (const QWidget* w : widgets) {
        if (!w->isVisible())
            continue;
        if (const auto* label = qobject_cast<const QLabel*>(w)) {
            if (const QString cut = labelCut(label); !cut.isEmpty())
                problems << QStringLiteral("cut label %1: %2").arg(describeWidget(label), cut);
        }
        if (const auto* area = qobject_cast<const QAbstractScrollArea*>(w)) {
            if (area->horizontalScrollBar()->isVisible() && !scrollsSidewaysByDesign(area))
                problems << QStringLiteral(
                                "horizontal scroll bar on %1 (content %2 px, view %3 px)")
                                .arg(describeWidget(area))
                                .arg(area->horizontalScrollBar()->maximum() +
                                     area->viewport()->width())
                                .arg(area->viewport()->width());
        }
        if (qobject_cast<const QScrollArea*>(w) && w != root) {
            const QScrollArea* outer = enclosingScrollArea(w, root);
            if (outer && !nestedScrollByDesign(w, outer))
                problems << QStringLiteral("scroll area inside a scroll area: %1")
                                .arg(describeWidget(w));
        }
    }
    return problems;
}

} // namespace swav::test
