#pragma once

#include <QString>

namespace swav {

/// "CPU, 2 threads" or "NVIDIA H100, 80 GiB": what a run with device "auto" would use.
QString defaultDeviceDescription();

} // namespace swav
