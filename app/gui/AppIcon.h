#pragma once
// The application's icon, painted (the same drawing as resources/icons/swav-workbench.svg, which
// the desktop entry uses): no SVG plugin is needed at run time.

#include <QIcon>

namespace swav {

QIcon applicationIcon();

} // namespace swav
