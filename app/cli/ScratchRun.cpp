#include "cli/ScratchRun.h"

#include <cstdlib>
#include <filesystem>

namespace swav::cli {

ScratchRun::ScratchRun(store::RecorderOptions options) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/swav-bench-XXXXXX";
    if (!mkdtemp(pattern.data()))
        throw UserError(pattern + ": cannot create a scratch folder");
    m_folder = pattern;
    auto store = store::RunStore::open(m_folder + "/runs.db");
    if (!store)
        throw UserError(store.error().message);
    m_reader = std::move(*store);
    store::NewRun run;
    run.name = "bench";
    run.configJson = "{}";
    run.runDir = m_folder + "/runs/bench";
    m_runId = m_reader->createRun(run);
    m_recorder = std::make_unique<store::RunRecorder>(m_folder + "/runs.db", m_runId, options);
}

ScratchRun::~ScratchRun() {
    m_recorder.reset();
    m_reader.reset();
    std::error_code ignored;
    std::filesystem::remove_all(m_folder, ignored);
}

int64_t ScratchRun::rowsRecorded() {
    m_recorder->flush();
    return m_reader->metricCount(m_runId);
}

} // namespace swav::cli
