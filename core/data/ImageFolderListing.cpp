#include "data/ImageFolderListing.h"

#include "util/Expected.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <limits>
#include <memory>
#include <sys/stat.h>

namespace swav {

namespace {

constexpr int64_t kProgressEvery = 50000;
constexpr char kMagic[] = "swav-image-folder-listing 1\n";
constexpr size_t kMagicSize = sizeof kMagic - 1;
constexpr uint64_t kMaxListingBytes = uint64_t(4) << 30;

bool hasImageExtension(const char* name) {
    const char* dot = std::strrchr(name, '.');
    if (!dot)
        return false;
    std::string extension(dot);
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* known : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
        if (extension == known)
            return true;
    return false;
}

int64_t modificationTime(const struct stat& info) {
    return int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

std::string joined(const std::string& folder, const std::string& name) {
    return folder.empty() ? name : folder + "/" + name;
}

// Reads directory entries with their types, so that only links and entries of unknown type
// (some network file systems) cost a stat.
class Walker {
public:
    Walker(const std::string& root, ImageFolderListing& listing)
        : m_root(root)
        , m_listing(listing) {}

    /// Image files under `relative` (recursively when asked) and its sub-folders, in readdir
    /// order; records the folder's modification time.
    void list(const std::string& relative, bool recursive, std::vector<std::string>& files,
              std::vector<std::string>* folders = nullptr) {
        const std::string path = joined(m_root, relative);
        std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
        if (!dir) {
            if (relative.empty())
                throw UserError(m_root + ": cannot read the folder (" + std::strerror(errno) + ")");
            return; // an unreadable sub-folder is skipped, as permission-denied entries were
        }
        struct stat info {};
        if (::fstat(::dirfd(dir.get()), &info) == 0)
            m_listing.folderTimes.emplace_back(relative, modificationTime(info));
        std::vector<std::string> subFolders;
        while (const dirent* entry = ::readdir(dir.get())) {
            const char* name = entry->d_name;
            if (name[0] == '.')
                continue;
            const unsigned type = typeOf(*entry, path);
            if (type == DT_DIR)
                subFolders.push_back(joined(relative, name));
            else if (type == DT_REG && hasImageExtension(name))
                files.push_back(joined(relative, name));
        }
        dir.reset();
        if (folders)
            *folders = subFolders;
        if (recursive)
            for (const auto& sub : subFolders)
                list(sub, true, files);
    }

private:
    static unsigned typeOf(const dirent& entry, const std::string& folder) {
        if (entry.d_type != DT_LNK && entry.d_type != DT_UNKNOWN)
            return entry.d_type;
        struct stat info {};
        if (::stat((folder + "/" + entry.d_name).c_str(), &info) != 0)
            return DT_UNKNOWN;
        return S_ISDIR(info.st_mode) ? DT_DIR : S_ISREG(info.st_mode) ? DT_REG : DT_UNKNOWN;
    }

    std::string m_root;
    ImageFolderListing& m_listing;
};

// ---- encoding: NUL-terminated fields (no file name holds a NUL), compressed

void putField(std::string& out, const std::string& field) {
    out += field;
    out += '\0';
}

class FieldReader {
public:
    FieldReader(const std::string& bytes, const std::string& origin)
        : m_bytes(bytes)
        , m_origin(origin) {}

    std::string text() {
        const size_t end = m_bytes.find('\0', m_pos);
        if (end == std::string::npos)
            fail("it ends early");
        std::string field = m_bytes.substr(m_pos, end - m_pos);
        m_pos = end + 1;
        return field;
    }
    int64_t number(int64_t low, int64_t high) {
        const std::string field = text();
        char* end = nullptr;
        errno = 0;
        const long long value = std::strtoll(field.c_str(), &end, 10);
        if (field.empty() || *end != '\0' || errno != 0 || value < low || value > high)
            fail("'" + field + "' is not a number from " + std::to_string(low) + " to " +
                 std::to_string(high));
        return value;
    }
    /// A count of items that each take at least one byte of what is left.
    int64_t count() { return number(0, int64_t(m_bytes.size() - m_pos)); }
    /// A path inside the folder: relative, without "." or ".." parts.
    std::string relativePath(bool emptyAllowed) {
        std::string path = text();
        if (path.empty() && emptyAllowed)
            return path;
        if (path.empty() || path.front() == '/' || path.back() == '/' ||
            ("/" + path + "/").find("/../") != std::string::npos ||
            ("/" + path + "/").find("/./") != std::string::npos ||
            path.find("//") != std::string::npos)
            fail("'" + path + "' is not a path inside the folder");
        return path;
    }
    bool atEnd() const { return m_pos == m_bytes.size(); }
    [[noreturn]] void fail(const std::string& what) const {
        throw UserError(m_origin + ": not an image-folder listing (" + what + ")");
    }

private:
    const std::string& m_bytes;
    const std::string& m_origin;
    size_t m_pos = 0;
};

std::string plainText(const ImageFolderListing& listing) {
    std::string out;
    putField(out, listing.folder);
    putField(out, std::to_string(listing.classNames.size()));
    for (const auto& name : listing.classNames)
        putField(out, name);
    putField(out, std::to_string(listing.folderTimes.size()));
    for (const auto& [folder, time] : listing.folderTimes) {
        putField(out, std::to_string(time));
        putField(out, folder);
    }
    putField(out, std::to_string(listing.files.size()));
    for (size_t i = 0; i < listing.files.size(); ++i) {
        putField(out, std::to_string(listing.labels[i]));
        putField(out, listing.files[i]);
    }
    return out;
}

ImageFolderListing parsePlainText(const std::string& bytes, const std::string& origin) {
    FieldReader in(bytes, origin);
    ImageFolderListing listing;
    listing.folder = in.text();
    if (listing.folder.empty())
        in.fail("no folder");
    const int64_t classes = in.count();
    for (int64_t i = 0; i < classes; ++i)
        listing.classNames.push_back(in.relativePath(false));
    const int64_t folders = in.count();
    for (int64_t i = 0; i < folders; ++i) {
        const int64_t time =
            in.number(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
        listing.folderTimes.emplace_back(in.relativePath(true), time);
    }
    const int64_t files = in.count();
    listing.files.reserve(static_cast<size_t>(files));
    listing.labels.reserve(static_cast<size_t>(files));
    const int64_t lowest = classes == 0 ? -1 : 0;
    for (int64_t i = 0; i < files; ++i) {
        listing.labels.push_back(static_cast<int32_t>(in.number(lowest, classes - 1)));
        listing.files.push_back(in.relativePath(false));
    }
    if (!in.atEnd())
        in.fail("bytes after the last file");
    if (listing.files.empty())
        in.fail("no files");
    return listing;
}

} // namespace

ImageFolderListing listImageFolder(const std::string& folder, const ListingProgress& progress) {
    ImageFolderListing listing;
    listing.folder = folder;
    while (listing.folder.size() > 1 && listing.folder.back() == '/')
        listing.folder.pop_back();
    Walker walker(listing.folder, listing);
    std::vector<std::string> topFiles, classFolders;
    walker.list("", false, topFiles, &classFolders);
    std::sort(classFolders.begin(), classFolders.end());

    int64_t nextReport = kProgressEvery;
    for (size_t c = 0; c < classFolders.size(); ++c) {
        std::vector<std::string> files;
        walker.list(classFolders[c], true, files);
        if (files.empty())
            continue;
        std::sort(files.begin(), files.end());
        const auto label = static_cast<int32_t>(listing.classNames.size());
        listing.classNames.push_back(classFolders[c]);
        listing.files.insert(listing.files.end(), files.begin(), files.end());
        listing.labels.insert(listing.labels.end(), files.size(), label);
        if (progress && int64_t(listing.files.size()) >= nextReport) {
            progress(int64_t(listing.files.size()), int64_t(c + 1), int64_t(classFolders.size()));
            nextReport = int64_t(listing.files.size()) + kProgressEvery;
        }
    }
    if (listing.classNames.empty()) {
        std::sort(topFiles.begin(), topFiles.end());
        listing.files = std::move(topFiles);
        listing.labels.assign(listing.files.size(), -1);
    }
    if (listing.files.empty())
        throw UserError(folder + ": no image files found (expected .jpg, .jpeg, .png, .bmp, "
                                 ".webp, .tif or .tiff files, directly or in class sub-folders)");
    return listing;
}

bool listingIsCurrent(const ImageFolderListing& listing) {
    if (listing.folderTimes.empty())
        return false;
    for (const auto& [folder, time] : listing.folderTimes) {
        struct stat info {};
        if (::stat(joined(listing.folder, folder).c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
            modificationTime(info) != time)
            return false;
    }
    return true;
}

std::string encodeListing(const ImageFolderListing& listing) {
    const std::string plain = plainText(listing);
    uLongf packedSize = compressBound(plain.size());
    std::string out(kMagic, kMagicSize);
    for (int i = 0; i < 8; ++i)
        out += static_cast<char>((uint64_t(plain.size()) >> (8 * i)) & 0xff);
    const size_t header = out.size();
    out.resize(header + packedSize);
    if (compress2(reinterpret_cast<Bytef*>(&out[header]), &packedSize,
                  reinterpret_cast<const Bytef*>(plain.data()), plain.size(), 1) != Z_OK)
        throw UserError("image-folder listing: cannot compress it");
    out.resize(header + packedSize);
    return out;
}

ImageFolderListing decodeListing(const std::string& bytes, const std::string& origin) {
    if (bytes.size() < kMagicSize + 8 || bytes.compare(0, kMagicSize, kMagic) != 0)
        throw UserError(origin + ": not an image-folder listing");
    uint64_t plainSize = 0;
    for (int i = 7; i >= 0; --i)
        plainSize = (plainSize << 8) | static_cast<uint8_t>(bytes[kMagicSize + size_t(i)]);
    const size_t packed = bytes.size() - kMagicSize - 8;
    // Deflate shrinks at most about 1032:1.
    if (plainSize > kMaxListingBytes || plainSize / 1032 > packed + 1)
        throw UserError(origin + ": an image-folder listing claiming " + std::to_string(plainSize) +
                        " bytes in " + std::to_string(packed));
    std::string plain(static_cast<size_t>(plainSize), '\0');
    uLongf size = static_cast<uLongf>(plainSize);
    if (uncompress(reinterpret_cast<Bytef*>(plain.data()), &size,
                   reinterpret_cast<const Bytef*>(bytes.data() + kMagicSize + 8), packed) != Z_OK ||
        size != plainSize)
        throw UserError(origin + ": a damaged image-folder listing");
    return parsePlainText(plain, origin);
}

} // namespace swav
