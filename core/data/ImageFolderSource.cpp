#include "data/ImageFolderSource.h"

#include "data/DataFiles.h"
#include "util/AtomicFile.h"
#include "util/ReadOnlyFile.h"
#include "util/Strings.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace swav::data {

namespace {

constexpr uint64_t kMaxListingFileBytes = uint64_t(1) << 30;
constexpr double kProgressSeconds = 5;

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string seconds(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", value);
    return text;
}

void tell(const DatasetOpening& opening, const std::string& text) {
    if (opening.report)
        opening.report(text);
}

/// The listing kept in `file`, or null (said why through the report) when it is absent,
/// unreadable, of another folder or out of date.
std::shared_ptr<const ImageFolderListing>
keptListing(const std::string& folder, const std::string& file, const DatasetOpening& opening) {
    if (!isFile(file))
        return nullptr;
    try {
        const ReadOnlyFile kept(file);
        if (kept.size() > kMaxListingFileBytes)
            throw UserError(file + ": larger than " + formatBytes(double(kMaxListingFileBytes)));
        std::string bytes(static_cast<size_t>(kept.size()), '\0');
        kept.readAt(0, bytes.data(), bytes.size(), "cut short");
        auto listing = std::make_shared<ImageFolderListing>(decodeListing(bytes, file));
        if (listing->folder != folder || !listingIsCurrent(*listing)) {
            tell(opening, folder + " changed since the run listed it: listing it again");
            return nullptr;
        }
        tell(opening, "image folder " + folder + ": " + std::to_string(listing->files.size()) +
                          " files as the run listed them (no folder changed since)");
        return listing;
    } catch (const UserError& e) {
        tell(opening, std::string(e.what()) + ": listing the folder again");
        return nullptr;
    }
}

/// Whether `file` may be (re)written: absent, or a listing this program wrote.
bool ownListingFile(const std::string& file) {
    if (!isFile(file))
        return !isFolder(file);
    try {
        const ReadOnlyFile kept(file);
        std::string head(static_cast<size_t>(std::min<uint64_t>(kept.size(), 64)), '\0');
        kept.readAt(0, head.data(), head.size(), "cut short");
        return head.rfind("swav-image-folder-listing ", 0) == 0;
    } catch (const UserError&) {
        return false;
    }
}

} // namespace

std::shared_ptr<const ImageFolderListing>
imageFolderListing(const std::string& folder, const DatasetOpening& opening, std::string* written) {
    if (opening.listing) {
        if (opening.listing->folder != folder)
            throw UserError("image-folder: the listing given is of " + opening.listing->folder +
                            ", not of " + folder);
        tell(opening, "image folder " + folder + ": " +
                          std::to_string(opening.listing->files.size()) +
                          " files as listed by rank 0");
        return opening.listing;
    }
    if (!opening.listingFile.empty())
        if (auto kept = keptListing(folder, opening.listingFile, opening))
            return kept;

    // Progress every few seconds only: a local disk lists ImageNet in two, a network file
    // system may take minutes.
    const auto start = Clock::now();
    double told = 0;
    auto listing = std::make_shared<ImageFolderListing>(
        listImageFolder(folder, [&](int64_t files, int64_t listed, int64_t classes) {
            if (secondsSince(start) - told < kProgressSeconds)
                return;
            told = secondsSince(start);
            tell(opening, "listing " + folder + ": " + std::to_string(files) + " image files in " +
                              std::to_string(listed) + " of " + std::to_string(classes) +
                              " class folders, " + formatDuration(told));
        }));
    if (listing->files.size() >= 50000)
        tell(opening, "listed " + folder + ": " + std::to_string(listing->files.size()) +
                          " image files in " + std::to_string(listing->classNames.size()) +
                          " classes in " + seconds(secondsSince(start)));
    if (!opening.listingFile.empty() && ownListingFile(opening.listingFile)) {
        const std::string bytes = encodeListing(*listing);
        writeFileAtomically(opening.listingFile, "image-folder listing", bytes.data(),
                            bytes.size());
        if (written)
            *written = opening.listingFile;
    }
    return listing;
}

int decodeThreadsPerProcess(int configured, int processesOnHost) {
    if (configured > 0)
        return configured;
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    return std::max(1, cores / std::max(1, processesOnHost));
}

} // namespace swav::data
