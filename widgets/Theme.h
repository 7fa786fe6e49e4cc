#pragma once
// Light and dark looks. "System" follows the desktop's palette (dark when its window colour
// is dark); Light and Dark force one. Plots follow the palette (see PlotPanel).

#include <QColor>
#include <QString>

namespace swav {

enum class ThemeChoice { System, Light, Dark };

/// Call once, before the first applyTheme(), to remember the desktop's own palette.
void rememberSystemPalette();
void applyTheme(ThemeChoice choice);
QString themeName(ThemeChoice choice);

/// WCAG contrast ratio of two opaque colours: 1 (same) to 21 (black on white).
double contrastRatio(const QColor& a, const QColor& b);
/// A series colour made light enough to read on a dark background (unchanged on light ones).
QColor readableOn(const QColor& series, const QColor& background);
/// The colour of a series' raw values under its smoothed line: the same hue, subdued towards
/// the background but kept at 3:1 contrast or more, so that it stays readable in both themes.
QColor rawSeriesColour(const QColor& series, const QColor& background);

} // namespace swav
