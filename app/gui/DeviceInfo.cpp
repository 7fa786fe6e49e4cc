#include "DeviceInfo.h"

#include "runtime/DeviceSetup.h"

namespace swav {

QString defaultDeviceDescription() {
    try {
        return QString::fromStdString(setUpDevice(RuntimeConfig{}).description);
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
}

} // namespace swav
