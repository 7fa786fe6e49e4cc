#pragma once
// Where an opened image folder's listing comes from (internal to core/data): given by the caller
// (rank 0's), kept in the run's folder from an earlier opening while the tree is unchanged, or
// made now (and then kept for a resume).

#include "data/Dataset.h"
#include "data/ImageFolderListing.h"

#include <memory>
#include <string>

namespace swav::data {

/// The listing of `folder` per `opening`; `written` receives the listing file written, if any.
std::shared_ptr<const ImageFolderListing>
imageFolderListing(const std::string& folder, const DatasetOpening& opening, std::string* written);

/// Decoding threads of one process: dataset.decode_threads, or the host's cores shared among the
/// run's processes on it when 0.
int decodeThreadsPerProcess(int configured, int processesOnHost);

} // namespace swav::data
