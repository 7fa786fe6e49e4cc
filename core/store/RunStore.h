#pragma once
// The run database: every run, its metrics, histograms, checkpoints, evaluations and artifacts
// in one SQLite file (WAL mode, foreign keys on, prepared statements). One RunStore is one
// connection: use it from one thread; open another for another thread.

#include "config/ExperimentConfig.h"
#include "store/MetricBlocks.h"
#include "store/ProcessIdentity.h"
#include "store/RunFolders.h"
#include "util/Expected.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace swav::store {

/// Imported: made from released weights, never trained here (one checkpoint, no metrics).
enum class RunState { Queued, Running, Paused, Stopped, Finished, Failed, Interrupted, Imported };

const char* toString(RunState state);
std::optional<RunState> parseRunState(const std::string& text);
/// True while a process may still be writing the run.
bool isActive(RunState state);

struct RunRecord {
    int64_t id = 0;
    std::string name;
    RunState status = RunState::Queued;
    double createdAt = 0;
    double startedAt = 0;  // 0 = not started
    double finishedAt = 0; // 0 = not finished
    double heartbeatAt = 0;
    std::string configJson;
    std::string preset;
    int64_t seed = 0;
    std::string device;
    ProcessIdentity process;
    std::string programVersion;
    std::string notes;
    std::string message; // failure reason or outcome summary
    std::string runDir;
    int64_t parentRun = 0; // 0 = none
    std::vector<std::string> tags;
    bool filesRecorded = false; // its files are listed (runs created since schema version 3)

    /// Seconds from start to finish (or to the last heartbeat while it runs); -1 before start.
    double durationSeconds() const;
};

struct NewRun {
    std::string name;
    std::string configJson;
    std::string preset;
    int64_t seed = 0;
    std::string runDir;
    int64_t parentRun = 0;
    std::vector<std::string> createdFolders; // made for the run: removed with it when empty
};

/// The record of a new run of `config` (name, full config JSON, seed) in its claimed folder.
NewRun newRunFor(const ExperimentConfig& config, const std::string& preset,
                 const ClaimedFolder& folder);

struct RunFilter {
    std::optional<RunState> status;
    std::string tag; // "" = any
};

struct MetricSummary {
    int64_t count = 0;
    int64_t lastStep = -1;
    double last = 0;
    double min = 0;
    double max = 0;
};

/// The newest top-1 accuracies of a run's trained features among its evaluations (fractions;
/// -1 = never evaluated that way).
struct EvaluationSummary {
    double knn = -1;
    double linear = -1;
};

struct RunListEntry {
    RunRecord run;
    std::map<std::string, MetricSummary> metrics; // the requested keys that have points
    EvaluationSummary evaluation;
};

struct MetricPoint {
    std::string key;
    int64_t step = 0;
    int epoch = 0;
    double value = 0;
    double wallTime = 0;
};

struct CheckpointRecord {
    int64_t id = 0;
    int epoch = 0;
    int64_t step = 0;
    std::string path;
    int64_t bytes = 0;
    std::string sha256;
    double createdAt = 0;
    bool exists = false; // the file is still on disk (older ones are pruned by the trainer)
};

struct EvaluationRecord {
    int64_t id = 0;
    std::string checkpointPath;
    std::string kind;
    std::string metricsJson;
    double createdAt = 0;
};

/// A file a run wrote, or a folder made for it.
struct RunFile {
    std::string path;
    bool folder = false;
    double createdAt = 0;
};

/// What deleting a run did on disk.
struct RunDeletion {
    std::vector<std::string> removed; // files and folders deleted
    std::vector<std::string> kept;    // "<path>: <why it was left in place>"
};

struct ArtifactRecord {
    int64_t id = 0;
    std::string checkpointPath;
    std::string kind;
    std::string path;
    double createdAt = 0;
};

/// What keepHold() found and did.
enum class HoldRepair { Intact, LocksRestored, Reopened, Lost };
/// One sentence for the user; "intact" for Intact.
const char* describe(HoldRepair repair);

/// ReadOnly: for commands that only read; works on a database this user may not write (a
/// read-only file, folder or file system, another user's), writes nothing: runs whose process
/// died read as interrupted without being marked (a status filter sees them as recorded).
enum class StoreAccess { ReadWrite, ReadOnly };

class RunStore {
public:
    /// Opens the database; ReadWrite creates it when missing (with its folder) and migrates it.
    /// A file that is not a run database, a damaged one (PRAGMA quick_check) or one from a newer
    /// program is refused with a message naming it and left untouched. ReadWrite marks runs whose
    /// process died as interrupted.
    static Expected<std::unique_ptr<RunStore>> open(const std::string& path,
                                                    StoreAccess access = StoreAccess::ReadWrite);
    ~RunStore();
    RunStore(const RunStore&) = delete;
    RunStore& operator=(const RunStore&) = delete;

    const std::string& path() const { return m_path; }
    bool readOnly() const { return m_readOnly; }
    /// Checks that this process still holds the database as SQLite needs it (store/
    /// DatabaseHold.h) and repairs what it can: lost locks are taken again; when another process
    /// has replaced the -wal and -shm meanwhile, this connection is reopened (Lost when another
    /// connection of this process still pins the old files). Cheap: reads /proc only.
    HoldRepair keepHold();
    int schemaVersion() const;
    /// SQLite's data_version: changes whenever another connection (of any process) commits.
    int64_t dataVersion();
    /// A short text that changes when the run list does (a run added or removed, a status,
    /// notes or tags changed, a checkpoint or evaluation recorded) but not with every metric
    /// point: what a list view needs to know before reloading. One cheap query.
    std::string runListStamp();

    // Runs. Every method throws UserError naming the database on an SQLite failure.
    int64_t createRun(const NewRun& run);
    std::optional<RunRecord> run(int64_t id);
    std::optional<RunRecord> runByDir(const std::string& runDir);
    /// The run whose folder holds `checkpoint` as <run folder>/checkpoints/<file>; none for a
    /// checkpoint anywhere else, whatever folder lies above it.
    std::optional<RunRecord> runOfCheckpoint(const std::string& checkpoint);
    std::vector<RunListEntry> listRuns(const RunFilter& filter = {},
                                       const std::vector<std::string>& metricKeys = {});
    /// The run now belongs to this process and is running.
    void markStarted(int64_t id, const std::string& device, const ProcessIdentity& process);
    void setStatus(int64_t id, RunState status, const std::string& message = {});
    /// Paused or running again, unless the run has ended meanwhile.
    void setPausedIfActive(int64_t id, bool paused);
    void heartbeat(int64_t id);
    void setNotes(int64_t id, const std::string& notes);
    void addTag(int64_t id, const std::string& tag);
    void removeTag(int64_t id, const std::string& tag);
    /// Deletes the run's rows (when the database cannot be written, nothing on disk is touched),
    /// then its files, then the folders made for it where they are then empty. Files are exactly
    /// the recorded ones (and the .tmp leftovers of their atomic writes); for a run recorded before
    /// files were listed, only files in its folder named as the program names them (config.json
    /// when it holds the run's configuration, checkpoints, their feature caches, evaluations,
    /// analyses, exports), never whole folders. A file that another run also recorded, or one
    /// outside the run folder, is kept. Refuses (UserError) a run that is running or paused.
    RunDeletion deleteRun(int64_t id);
    /// Runs left running/paused by a process that is gone become interrupted; returns how many.
    /// Liveness is checked by pid and process start time on this host, by the heartbeat for
    /// runs written from another host (a database shared that way must not be on a network
    /// file system: SQLite's WAL mode needs shared memory).
    int markInterruptedRuns();

    // Metrics.
    void appendMetrics(int64_t run, const std::vector<MetricPoint>& points);
    /// Removes points at step >= fromStep and histograms of epochs >= fromEpoch: a resumed run
    /// replays those steps.
    void truncateMetrics(int64_t run, int64_t fromStep, int fromEpoch);
    std::vector<std::string> metricKeys(int64_t run);
    /// Count, last, min and max of each of these metrics that has points.
    std::map<std::string, MetricSummary> metricSummaries(int64_t run,
                                                         const std::vector<std::string>& keys);
    int64_t metricCount(int64_t run, const std::string& key = {});
    /// At most about maxPoints buckets (min/max/mean per bucket) of one series over [from, to].
    std::vector<SeriesBucket> series(int64_t run, const std::string& key, int maxPoints,
                                     int64_t from = std::numeric_limits<int64_t>::min(),
                                     int64_t to = std::numeric_limits<int64_t>::max());
    /// Every point of a run at steps >= fromStep, in (key, step) order.
    void forEachMetric(int64_t run, const std::function<void(const MetricPoint&)>& visit,
                       int64_t fromStep = std::numeric_limits<int64_t>::min());

    // Per-epoch histograms (prototype usage), stored as little-endian int64 blobs.
    void putHistogram(int64_t run, int epoch, const std::string& kind,
                      const std::vector<int64_t>& counts);
    /// The histogram of `epoch`, or of the newest epoch when epoch < 0; empty when none.
    std::vector<int64_t> histogram(int64_t run, const std::string& kind, int epoch = -1);

    // Checkpoints, evaluations, artifacts.
    int64_t addCheckpoint(int64_t run, int epoch, int64_t step, const std::string& path,
                          int64_t bytes, const std::string& sha256);
    std::vector<CheckpointRecord> checkpoints(int64_t run);
    int64_t addEvaluation(int64_t run, const std::string& checkpointPath, const std::string& kind,
                          const std::string& metricsJson);
    std::vector<EvaluationRecord> evaluations(int64_t run);
    int64_t addArtifact(int64_t run, const std::string& checkpointPath, const std::string& kind,
                        const std::string& path);
    std::vector<ArtifactRecord> artifacts(int64_t run);

    // The files a run wrote (config.json, checkpoints, feature caches, evaluations, analyses,
    // exports) and the folders made for them: what deleteRun removes.
    void addRunFiles(int64_t run, const std::vector<std::string>& files,
                     const std::vector<std::string>& createdFolders = {});
    /// Files deleted meanwhile (pruned checkpoints and their caches): no longer the run's.
    void forgetRunFiles(int64_t run, const std::vector<std::string>& files);
    std::vector<RunFile> runFiles(int64_t run);

    /// Refuses (UserError naming `file`) an output that is this database (or its -wal, -shm,
    /// -journal) or a file a run recorded (a checkpoint, a configuration, ...), whatever
    /// `overwrite` says, then applies checkOutputTarget (util/OutputTarget.h).
    void checkOutputFile(const std::string& file, bool overwrite);

    // Export, after checkOutputFile. Throw UserError naming the output file when it cannot be
    // written.
    void exportMetricsCsv(int64_t run, const std::string& file, bool overwrite);
    void exportRunsCsv(const std::vector<RunListEntry>& runs,
                       const std::vector<std::string>& metricKeys, const std::string& file,
                       bool overwrite);

    /// The underlying connection, for the schema code and tests.
    SQLite::Database& database() { return *m_db; }

private:
    RunStore(std::string path, std::unique_ptr<SQLite::Database> db);
    int64_t keyId(const std::string& key);
    /// Inserts run_files rows; the caller holds the transaction.
    void insertRunFiles(int64_t run, const std::vector<std::string>& paths, bool folders);
    int64_t checkpointId(int64_t run, const std::string& path);
    /// The id of another run than `run` that recorded `path` (a file, checkpoint, artifact or its
    /// folder); 0 for none.
    int64_t otherOwner(const std::string& path, int64_t run);
    /// Through a read-only connection nothing is marked: a run whose writer is gone reads as
    /// interrupted all the same.
    void showDeadWriter(RunRecord& record) const;

    std::string m_path;
    std::unique_ptr<SQLite::Database> m_db;
    std::map<std::string, int64_t> m_keyIds;
    bool m_readOnly = false;
};

/// Refuses (UserError) `file` when it is the database at `databasePath` or its -wal, -shm or
/// -journal file; reads nothing but the files' identities.
void refuseDatabaseFile(const std::string& databasePath, const std::string& file);

/// $XDG_DATA_HOME/swav-workbench/runs.db (or ~/.local/share/swav-workbench/runs.db).
std::string defaultDatabasePath();
/// Folder for the run folders of a database: "runs" beside it.
std::string runsRootFor(const std::string& databasePath);
/// A new run's folder, created: "<runs root>/<name>-<local time>[-N]" (see createRunFolder).
Expected<ClaimedFolder> newRunFolder(const std::string& databasePath, const std::string& name);

} // namespace swav::store
