#include "util/Npy.h"

#include "util/AtomicFile.h"

#include <cstring>
#include <ostream>

namespace swav {

std::string npyFloat32Header(const std::vector<int64_t>& shape) {
    std::string dims;
    for (size_t i = 0; i < shape.size(); ++i)
        dims += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1)
        dims += ','; // Python's one-element tuple: "(N,)"
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    const size_t prefix = 10; // magic (6), version (2), header length (2)
    const size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
    dict.append(total - prefix - dict.size() - 1, ' ');
    dict += '\n';
    std::string header("\x93NUMPY\x01\x00", 8);
    header += char(dict.size() & 0xff);
    header += char((dict.size() >> 8) & 0xff);
    return header + dict;
}

void writeNpyFloat32(const std::string& path, const float* data,
                     const std::vector<int64_t>& shape) {
    int64_t count = 1;
    for (const int64_t d : shape)
        count *= d;
    const std::string header = npyFloat32Header(shape);
    static_assert(sizeof(float) == 4, "float32");
    writeFileAtomically(path, "NumPy array", [&](std::ostream& out) {
        out.write(header.data(), std::streamsize(header.size()));
        // x86-64 and the other targets are little-endian, as '<f4' says.
        out.write(reinterpret_cast<const char*>(data), std::streamsize(count * 4));
    });
}

} // namespace swav
