#pragma once
// Light and dark looks. "System" follows the desktop's palette (dark when its window colour
// is dark); Light and Dark force one. Plots follow the palette (see PlotPanel).

#include <QString>

namespace swav {

enum class ThemeChoice { System, Light, Dark };

/// Call once, before the first applyTheme(), to remember the desktop's own palette.
void rememberSystemPalette();
void applyTheme(ThemeChoice choice);
QString themeName(ThemeChoice choice);

} // namespace swav
