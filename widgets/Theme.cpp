#include "Theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

QPalette& systemPalette() {
    static QPalette palette;
    return palette;
}

QPalette darkPalette() {
    QPalette p;
    const QColor window(45, 45, 48), base(30, 30, 32), text(230, 230, 230);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, QColor(90, 160, 240));
    p.setColor(QPalette::Highlight, QColor(42, 130, 218));
    p.setColor(QPalette::HighlightedText, Qt::black);
    p.setColor(QPalette::PlaceholderText, QColor(140, 140, 140));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 120));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 120));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(120, 120, 120));
    return p;
}

} // namespace

void rememberSystemPalette() {
    systemPalette() = QApplication::palette();
}

void applyTheme(ThemeChoice choice) {
    if (choice == ThemeChoice::System) {
        QApplication::setPalette(systemPalette());
        return;
    }
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(
        choice == ThemeChoice::Dark ? darkPalette() : QApplication::style()->standardPalette());
}

QString themeName(ThemeChoice choice) {
    switch (choice) {
    case ThemeChoice::Light:
        return QObject::tr("Light");
    case ThemeChoice::Dark:
        return QObject::tr("Dark");
    default:
        return QObject::tr("System");
    }
}

namespace {

double relativeLuminance(const QColor& colour) {
    const auto channel = [](double c) {
        return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) +
           0.0722 * channel(colour.blueF());
}

QColor mix(const QColor& a, const QColor& b, double shareOfA) {
    const auto blend = [shareOfA](int x, int y) {
        return int(std::lround(shareOfA * x + (1 - shareOfA) * y));
    };
    return QColor(blend(a.red(), b.red()), blend(a.green(), b.green()), blend(a.blue(), b.blue()));
}

} // namespace

double contrastRatio(const QColor& a, const QColor& b) {
    const double la = relativeLuminance(a), lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QColor readableOn(const QColor& series, const QColor& background) {
    if (background.lightnessF() >= 0.5)
        return series;
    QColor lighter = series;
    for (int i = 0; i < 8 && contrastRatio(lighter, background) < 4.5; ++i)
        lighter = mix(lighter, Qt::white, 0.8);
    return lighter;
}

QColor rawSeriesColour(const QColor& series, const QColor& background) {
    const QColor curve = readableOn(series, background);
    // As far towards the background as 3:1 contrast allows, at most halfway.
    for (double share = 0.5; share < 1.0; share += 0.05) {
        const QColor subdued = mix(curve, background, share);
        if (contrastRatio(subdued, background) >= 3.0)
            return subdued;
    }
    return curve;
}

} // namespace swav
