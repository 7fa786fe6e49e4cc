// Image folders decoded with OpenCV, streamed: prefetch() starts one background thread that
// decodes the planned batches in order into a bounded queue; gather() takes them from it.
#include "data/DataFiles.h"
#include "data/Dataset.h"
#include "data/ImageDecode.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;

namespace swav {
namespace {

bool isHidden(const fs::path& path) {
    const std::string name = path.filename().string();
    return !name.empty() && name[0] == '.';
}

bool hasImageExtension(const fs::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* known : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
        if (extension == known)
            return true;
    return false;
}

/// Image files in `folder` (and below it when `recursive`), hidden entries skipped, sorted.
std::vector<std::string> listImages(const fs::path& folder, bool recursive) {
    std::vector<std::string> files;
    std::error_code error;
    const auto options = fs::directory_options::skip_permission_denied;
    auto consider = [&](const fs::directory_entry& entry) {
        if (!isHidden(entry.path()) && entry.is_regular_file(error) &&
            hasImageExtension(entry.path()))
            files.push_back(entry.path().string());
    };
    if (recursive) {
        for (auto it = fs::recursive_directory_iterator(folder, options, error);
             it != fs::recursive_directory_iterator(); it.increment(error)) {
            if (error)
                break;
            if (isHidden(it->path()) && it->is_directory(error))
                it.disable_recursion_pending();
            else
                consider(*it);
        }
    } else {
        for (const auto& entry : fs::directory_iterator(folder, options, error))
            consider(entry);
    }
    std::sort(files.begin(), files.end());
    return files;
}

/// Cheap check of the file's first bytes: a format image folders decode.
bool looksReadable(const std::string& path) {
    uint8_t header[12] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(header), sizeof header);
    return hasSupportedImageSignature(header, static_cast<size_t>(in.gcount()));
}

class ImageFolderDataset final : public Dataset {
public:
    ImageFolderDataset(const std::string& folder, int side, int prefetchImages);
    ~ImageFolderDataset() override { stopWorker(); }

    int64_t size() const override { return static_cast<int64_t>(m_files.size()); }
    int channels() const override { return 3; }
    int height() const override { return m_side; }
    int width() const override { return m_side; }
    const std::vector<std::string>& classNames() const override { return m_classNames; }
    at::Tensor labels() const override { return m_labels; }
    ImageBatch gather(const std::vector<int64_t>& indices) override;
    std::string description() const override;
    int64_t skippedFiles() const override { return m_skippedAtOpen + m_skippedAtDecode.load(); }
    void prefetch(const std::vector<std::vector<int64_t>>& batches) override;

private:
    bool decodeFile(int64_t index, uint8_t* out) const;
    void decodeImage(int64_t index, uint8_t* out);
    bool isBad(int64_t index) const;
    void markBad(int64_t index);
    /// Decodes a batch; returns false when `m_stop` interrupted it.
    bool decodeBatch(const std::vector<int64_t>& indices, ImageBatch& batch);
    void checkIndices(const std::vector<int64_t>& indices) const;
    void workerLoop();
    void stopWorker();

    std::string m_folder;
    int m_side;
    int64_t m_capacity;
    std::vector<std::string> m_files;
    std::vector<int64_t> m_fileLabels; // -1 for flat folders
    at::Tensor m_labels;
    std::vector<std::string> m_classNames;
    int64_t m_skippedAtOpen = 0;

    mutable std::mutex m_badMutex; // files that passed the header check but failed to decode
    std::vector<char> m_bad;
    std::atomic<int64_t> m_skippedAtDecode{0};

    // Prefetch state, guarded by m_mutex. m_plan is written only while no worker runs.
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<ImageBatch> m_ready;
    int64_t m_readyImages = 0;
    std::vector<std::vector<int64_t>> m_plan;
    size_t m_consumed = 0;
    std::atomic<bool> m_stop{false};
    bool m_workerDone = true;
    std::exception_ptr m_error;
    std::thread m_worker;
};

ImageFolderDataset::ImageFolderDataset(const std::string& folder, int side, int prefetchImages)
    : m_folder(folder)
    , m_side(side)
    , m_capacity(std::max(1, prefetchImages)) {
    if (side < 1 || side > 4096)
        throw UserError("image-folder: image size " + std::to_string(side) +
                        " (expected 1..4096 pixels)");
    data::requireFolder(folder, "image-folder");

    std::vector<fs::path> subFolders;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error))
        if (!isHidden(entry.path()) && entry.is_directory(error))
            subFolders.push_back(entry.path());
    std::sort(subFolders.begin(), subFolders.end());

    std::vector<std::string> candidates;
    std::vector<int64_t> candidateLabels;
    for (const auto& sub : subFolders) {
        const auto files = listImages(sub, true);
        if (files.empty())
            continue;
        const auto label = static_cast<int64_t>(m_classNames.size());
        m_classNames.push_back(sub.filename().string());
        candidates.insert(candidates.end(), files.begin(), files.end());
        candidateLabels.insert(candidateLabels.end(), files.size(), label);
    }
    const bool labelled = !m_classNames.empty();
    if (!labelled) {
        candidates = listImages(folder, false);
        candidateLabels.assign(candidates.size(), -1);
    }
    if (candidates.empty())
        throw UserError(folder + ": no image files found (expected .jpg, .jpeg, .png, .bmp, "
                                 ".webp, .tif or .tiff files, directly or in class sub-folders)");

    for (size_t i = 0; i < candidates.size(); ++i) {
        if (!looksReadable(candidates[i])) {
            ++m_skippedAtOpen;
            continue;
        }
        m_files.push_back(candidates[i]);
        m_fileLabels.push_back(candidateLabels[i]);
    }
    if (m_files.empty())
        throw UserError(folder + ": none of the " + std::to_string(candidates.size()) +
                        " image files could be read (all skipped as unreadable or corrupt)");
    m_bad.assign(m_files.size(), 0);
    if (labelled)
        m_labels = at::tensor(m_fileLabels, at::kLong);
}

std::string ImageFolderDataset::description() const {
    std::string text = "image folder " + m_folder + " (" + std::to_string(size()) + " images";
    if (!m_classNames.empty())
        text += ", " + std::to_string(m_classNames.size()) + " classes";
    if (const int64_t skipped = skippedFiles())
        text += ", " + std::to_string(skipped) + " unreadable skipped";
    return text + ")";
}

bool ImageFolderDataset::decodeFile(int64_t index, uint8_t* out) const {
    return decodeSquareImage(readImageFile(m_files[static_cast<size_t>(index)]), m_side, out);
}

bool ImageFolderDataset::isBad(int64_t index) const {
    std::lock_guard<std::mutex> lock(m_badMutex);
    return m_bad[static_cast<size_t>(index)] != 0;
}

void ImageFolderDataset::markBad(int64_t index) {
    std::lock_guard<std::mutex> lock(m_badMutex);
    if (!m_bad[static_cast<size_t>(index)]) {
        m_bad[static_cast<size_t>(index)] = 1;
        ++m_skippedAtDecode;
    }
}

void ImageFolderDataset::decodeImage(int64_t index, uint8_t* out) {
    if (!isBad(index) && decodeFile(index, out))
        return;
    markBad(index);
    // Stand-in: the next decodable file of the same class (else any), so size() and labels()
    // stay valid after a file turns out corrupt.
    const int64_t count = size();
    const int64_t label = m_fileLabels[static_cast<size_t>(index)];
    for (const bool sameClass : {true, false})
        for (int64_t step = 1; step < count; ++step) {
            const int64_t other = (index + step) % count;
            if (isBad(other) || (sameClass && m_fileLabels[static_cast<size_t>(other)] != label))
                continue;
            if (decodeFile(other, out))
                return;
            markBad(other);
        }
    throw UserError(m_folder + ": none of the " + std::to_string(count) +
                    " image files could be decoded");
}

bool ImageFolderDataset::decodeBatch(const std::vector<int64_t>& indices, ImageBatch& batch) {
    const auto count = static_cast<int64_t>(indices.size());
    batch.images = at::empty({count, 3, m_side, m_side}, at::kByte);
    batch.labels = at::empty({count}, at::kLong);
    batch.indices = at::empty({count}, at::kLong);
    auto* pixels = batch.images.data_ptr<uint8_t>();
    auto* labels = batch.labels.data_ptr<int64_t>();
    auto* positions = batch.indices.data_ptr<int64_t>();
    const int64_t imageBytes = 3 * int64_t(m_side) * m_side;
    for (int64_t i = 0; i < count; ++i) {
        if (m_stop.load())
            return false;
        const int64_t index = indices[static_cast<size_t>(i)];
        decodeImage(index, pixels + i * imageBytes);
        labels[i] = m_fileLabels[static_cast<size_t>(index)];
        positions[i] = index;
    }
    return true;
}

void ImageFolderDataset::checkIndices(const std::vector<int64_t>& indices) const {
    for (const int64_t index : indices)
        if (index < 0 || index >= size())
            throw UserError(m_folder + ": index " + std::to_string(index) +
                            " out of range (image folder has " + std::to_string(size()) +
                            " images)");
}

ImageBatch ImageFolderDataset::gather(const std::vector<int64_t>& indices) {
    checkIndices(indices);
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        // Only the next planned batch comes from the queue; anything else (an evaluation pass
        // in between, say) is decoded here and leaves the plan alone.
        if (m_consumed < m_plan.size() && m_plan[m_consumed] == indices) {
            ++m_consumed;
            m_changed.wait(lock, [this] { return !m_ready.empty() || m_workerDone; });
            if (!m_ready.empty()) {
                ImageBatch batch = std::move(m_ready.front());
                m_ready.pop_front();
                m_readyImages -= batch.images.size(0);
                lock.unlock();
                m_changed.notify_all();
                return batch;
            }
            if (m_error) {
                std::exception_ptr error = m_error;
                m_error = nullptr;
                m_plan.clear();
                m_consumed = 0;
                std::rethrow_exception(error);
            }
        }
    }
    ImageBatch batch;
    decodeBatch(indices, batch);
    return batch;
}

void ImageFolderDataset::workerLoop() {
    try {
        for (const auto& indices : m_plan) {
            const auto count = static_cast<int64_t>(indices.size());
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                // A batch larger than the capacity still goes in when the queue is empty.
                m_changed.wait(lock, [&] {
                    return m_stop.load() || m_ready.empty() || m_readyImages + count <= m_capacity;
                });
                if (m_stop.load())
                    break;
            }
            ImageBatch batch;
            if (!decodeBatch(indices, batch))
                break;
            std::lock_guard<std::mutex> lock(m_mutex);
            m_ready.push_back(std::move(batch));
            m_readyImages += count;
            m_changed.notify_all();
        }
    } catch (...) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_workerDone = true;
    m_changed.notify_all();
}

void ImageFolderDataset::stopWorker() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    if (m_worker.joinable())
        m_worker.join();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_ready.clear();
    m_readyImages = 0;
    m_plan.clear();
    m_consumed = 0;
    m_workerDone = true;
    m_error = nullptr;
    m_stop = false;
}

void ImageFolderDataset::prefetch(const std::vector<std::vector<int64_t>>& batches) {
    for (const auto& batch : batches)
        checkIndices(batch);
    stopWorker();
    if (batches.empty())
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_plan = batches;
        m_workerDone = false;
    }
    m_worker = std::thread([this] { workerLoop(); });
}

} // namespace

std::shared_ptr<Dataset> openImageFolder(const std::string& folder, int side, int prefetchImages) {
    return std::make_shared<ImageFolderDataset>(folder, side, prefetchImages);
}

} // namespace swav
