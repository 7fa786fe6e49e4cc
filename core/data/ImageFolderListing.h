#pragma once
// What an image folder holds, found from directory entries alone: no image file is opened until
// it is decoded, so that ImageNet's 1.28 million files are listed in seconds, also on the network
// file systems of clusters. A listing is made once per run: rank 0 lists and shares it with the
// other ranks, and a resumed run reuses the one kept in its folder while no folder of the tree has
// changed. No torch dependency; any thread.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace swav {

struct ImageFolderListing {
    std::string folder;                  // as given, without a trailing slash
    std::vector<std::string> classNames; // sorted sub-folders holding images; empty: flat folder
    std::vector<std::string> files;      // relative to `folder`, sorted within each class
    std::vector<int32_t> labels;         // index into classNames per file; -1 in a flat folder
    /// Every folder read (relative, "" for `folder`) with its modification time in nanoseconds,
    /// which changes whenever an entry is added, removed or renamed in it.
    std::vector<std::pair<std::string, int64_t>> folderTimes;
};

/// (image files found so far, class folders listed, class folders in all).
using ListingProgress = std::function<void(int64_t files, int64_t listed, int64_t classes)>;

/// Lists `folder`: its non-hidden sub-folders (sorted) are the classes, each listed recursively;
/// without any image in a sub-folder, the images directly in `folder` form an unlabelled set.
/// Image files are recognised by extension (.jpg, .jpeg, .png, .bmp, .webp, .tif, .tiff, any
/// case); hidden entries are skipped. `progress` is told every 50,000 files. Throws UserError
/// naming the folder when it cannot be read or holds no image file.
ImageFolderListing listImageFolder(const std::string& folder, const ListingProgress& progress = {});

/// Whether every folder of the listing still has the modification time it had when listed.
bool listingIsCurrent(const ImageFolderListing& listing);

/// The listing as bytes (compressed) for another process or a file, and back. readListing checks
/// the structure (counts, labels, relative paths inside the folder) and throws UserError naming
/// `origin` when the bytes are not a listing.
std::string encodeListing(const ImageFolderListing& listing);
ImageFolderListing decodeListing(const std::string& bytes, const std::string& origin);

} // namespace swav
