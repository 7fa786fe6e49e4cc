#include "store/RunFolders.h"

#include "util/Strings.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace swav::store {

std::string storedPath(const std::string& path) {
    std::error_code error;
    std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
    if (error)
        canonical = std::filesystem::absolute(path).lexically_normal();
    return canonical.string();
}

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr int kMaxSuffix = 10000;

/// mkdir that fails when the path exists: 0, or the errno.
int makeFolder(const fs::path& path) {
    return ::mkdir(path.c_str(), 0777) == 0 ? 0 : errno;
}

std::string trimEnds(std::string text) {
    const auto isTrimmed = [](char c) { return c == '.' || c == '-'; };
    size_t begin = 0;
    while (begin < text.size() && isTrimmed(text[begin]))
        ++begin;
    size_t end = text.size();
    while (end > begin && isTrimmed(text[end - 1]))
        --end;
    return text.substr(begin, end - begin);
}

fs::path absoluteFolder(const std::string& folder) {
    fs::path path = fs::absolute(folder).lexically_normal();
    if (path.filename().empty()) // "dir/" normalises to "dir/" with an empty last part
        path = path.parent_path();
    return path;
}

} // namespace

std::string runFolderName(const std::string& name) {
    std::string safe;
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        const bool ascii =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        const bool kept = ascii || c == '-' || c == '_' || c == '.' || byte >= 0x80;
        char out = kept ? c : '-';
        // ".." and "--" collapse, so that no part of the name can climb out of a folder.
        if (!safe.empty() && (out == '.' || out == '-') && safe.back() == out)
            continue;
        safe += out;
    }
    safe = trimEnds(safe);
    if (safe.size() > kMaxNameBytes) {
        size_t cut = kMaxNameBytes;
        // Not inside a UTF-8 character: continuation bytes are 10xxxxxx.
        while (cut > 0 && (static_cast<unsigned char>(safe[cut]) & 0xC0) == 0x80)
            --cut;
        safe = trimEnds(safe.substr(0, cut));
    }
    return safe.empty() ? "run" : safe;
}

Expected<ClaimedFolder> createRunFolder(const std::string& runsRoot, const std::string& name) {
    const fs::path root = absoluteFolder(runsRoot);
    std::error_code error;
    fs::create_directories(root, error);
    if (error)
        return Error{root.string() +
                     ": cannot create the folder for run folders: " + error.message()};
    const std::string base = runFolderName(name) + "-" + timestampNow();
    for (int n = 1; n <= kMaxSuffix; ++n) {
        const fs::path candidate = root / (n == 1 ? base : base + "-" + std::to_string(n));
        const int made = makeFolder(candidate);
        if (made == EEXIST)
            continue; // taken: by a run started in the same second, or by anything else
        if (made != 0)
            return Error{candidate.string() +
                         ": cannot create the run folder: " + std::strerror(made)};
        ClaimedFolder claimed;
        claimed.path = fs::weakly_canonical(candidate).string();
        claimed.created.push_back(claimed.path);
        const fs::path checkpoints = fs::path(claimed.path) / "checkpoints";
        if (const int code = makeFolder(checkpoints); code != 0) {
            releaseRunFolder(claimed);
            return Error{checkpoints.string() +
                         ": cannot create the folder: " + std::strerror(code)};
        }
        claimed.created.push_back(checkpoints.string());
        return claimed;
    }
    return Error{root.string() + ": no free run folder name for '" + base + "' (tried " +
                 std::to_string(kMaxSuffix) + ")"};
}

Expected<ClaimedFolder> claimRunFolder(const std::string& folder) {
    const fs::path wanted = absoluteFolder(folder);
    ClaimedFolder claimed;
    // Missing parents are made one by one, so that each one made here is known.
    std::vector<fs::path> missing;
    std::error_code error;
    for (fs::path p = wanted; !p.empty() && !fs::exists(p, error); p = p.parent_path()) {
        missing.insert(missing.begin(), p);
        if (p == p.parent_path())
            break;
    }
    for (const fs::path& p : missing) {
        const int made = makeFolder(p);
        if (made == 0)
            claimed.created.push_back(p.string());
        else if (made != EEXIST) {
            releaseRunFolder(claimed);
            return Error{p.string() + ": cannot create the run folder: " + std::strerror(made)};
        }
    }
    if (!fs::is_directory(wanted, error)) {
        releaseRunFolder(claimed);
        return Error{wanted.string() + ": exists and is not a folder; a run needs a new or empty "
                                       "folder of its own"};
    }
    const bool madeHere = !claimed.created.empty() && claimed.created.back() == wanted.string();
    if (!madeHere && !fs::is_empty(wanted, error))
        return Error{wanted.string() + ": the folder is not empty (it holds " +
                     folderContents(wanted.string(), 2) +
                     "); a run needs a new or empty folder of its own, so that it never "
                     "overwrites, or later deletes, files it did not write"};
    // Recorded under the canonical spelling, as the run database keeps run folders.
    const fs::path canonical = fs::weakly_canonical(wanted);
    for (std::string& made : claimed.created)
        made = fs::weakly_canonical(made).string();
    claimed.path = canonical.string();
    const fs::path checkpoints = canonical / "checkpoints";
    if (const int code = makeFolder(checkpoints); code != 0) {
        releaseRunFolder(claimed);
        return Error{code == EEXIST
                         ? wanted.string() + ": another run has just taken this folder; a run "
                                             "needs a new or empty folder of its own"
                         : checkpoints.string() +
                               ": cannot create the folder: " + std::strerror(code)};
    }
    claimed.created.push_back(checkpoints.string());
    return claimed;
}

void releaseRunFolder(const ClaimedFolder& folder) {
    // Innermost first; rmdir removes only empty folders.
    for (auto it = folder.created.rbegin(); it != folder.created.rend(); ++it)
        ::rmdir(it->c_str());
}

std::string folderContents(const std::string& folder, size_t shown) {
    std::vector<std::string> names;
    size_t count = 0;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        if (names.size() < shown)
            names.push_back(entry.path().filename().string());
        ++count;
    }
    std::sort(names.begin(), names.end());
    std::string text;
    for (size_t i = 0; i < names.size(); ++i)
        text += (i ? ", " : "") + names[i];
    if (count > names.size())
        text += " and " + std::to_string(count - names.size()) + " more";
    return text;
}

} // namespace swav::store
