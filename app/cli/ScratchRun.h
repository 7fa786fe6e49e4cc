#pragma once
// A run database in a temporary folder, removed afterwards: for benchmarks of the store.

#include "store/RunRecorder.h"

#include <memory>
#include <string>

namespace swav::cli {

class ScratchRun {
public:
    /// Creates the folder, the database and one run; throws UserError when it cannot.
    explicit ScratchRun(store::RecorderOptions options = {});
    ~ScratchRun();
    ScratchRun(const ScratchRun&) = delete;
    ScratchRun& operator=(const ScratchRun&) = delete;

    store::RunRecorder& recorder() { return *m_recorder; }
    store::RunStore& reader() { return *m_reader; }
    int64_t runId() const { return m_runId; }
    int64_t rowsRecorded();

private:
    std::string m_folder;
    std::unique_ptr<store::RunStore> m_reader;
    int64_t m_runId = 0;
    std::unique_ptr<store::RunRecorder> m_recorder;
};

} // namespace swav::cli
