#include "store/RunStore.h"
#include "SwavVersion.h"

#include "config/ConfigJson.h"
#include "runtime/CheckpointFiles.h"
#include "store/DatabaseHold.h"
#include "store/StoreErrors.h"
#include "store/StoreSchema.h"
#include "util/Strings.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>

namespace swav::store {

namespace fs = std::filesystem;

namespace {

// A run on another host is presumed dead when its writer has been silent this long.
constexpr double kForeignHeartbeatTimeout = 300;

const char* const kStateNames[] = {"queued",   "running", "paused",      "stopped",
                                   "finished", "failed",  "interrupted", "imported"};

const char* const kRunColumns =
    "id, name, status, created_at, started_at, finished_at, heartbeat_at, config_json, preset, "
    "seed, device, host, pid, pid_start, program_version, notes, message, run_dir, parent_run, "
    "files_recorded";

/// Whether the process recorded as writing a run still runs. Same host: the process itself tells
/// (its start time guards against a reused pid; rows without one fall back to the heartbeat).
/// Other hosts: the heartbeat only.
bool writerAlive(const ProcessIdentity& writer, double heartbeat) {
    const ProcessIdentity self = currentProcess();
    const bool sameHost = writer.host == self.host && writer.startTicks != 0;
    return sameHost ? processAlive(writer) : unixNow() - heartbeat < kForeignHeartbeatTimeout;
}

const char* const kWriterGone = "the process writing this run stopped without finishing it";

RunRecord readRun(SQLite::Statement& row) {
    RunRecord run;
    run.id = row.getColumn(0).getInt64();
    run.name = row.getColumn(1).getString();
    run.status = parseRunState(row.getColumn(2).getString()).value_or(RunState::Failed);
    run.createdAt = row.getColumn(3).getDouble();
    run.startedAt = row.getColumn(4).getDouble();
    run.finishedAt = row.getColumn(5).getDouble();
    run.heartbeatAt = row.getColumn(6).getDouble();
    run.configJson = row.getColumn(7).getString();
    run.preset = row.getColumn(8).getString();
    run.seed = row.getColumn(9).getInt64();
    run.device = row.getColumn(10).getString();
    run.process.host = row.getColumn(11).getString();
    run.process.pid = row.getColumn(12).getInt64();
    run.process.startTicks = row.getColumn(13).getInt64();
    run.programVersion = row.getColumn(14).getString();
    run.notes = row.getColumn(15).getString();
    run.message = row.getColumn(16).getString();
    run.runDir = row.getColumn(17).getString();
    run.parentRun = row.getColumn(18).getInt64();
    run.filesRecorded = row.getColumn(19).getInt() != 0;
    return run;
}

std::vector<std::string> tagsOf(SQLite::Database& db, int64_t run) {
    SQLite::Statement query(db, "SELECT tag FROM run_tags WHERE run = ? ORDER BY tag");
    query.bind(1, run);
    std::vector<std::string> tags;
    while (query.executeStep())
        tags.push_back(query.getColumn(0).getString());
    return tags;
}

} // namespace

const char* toString(RunState state) {
    return kStateNames[int(state)];
}

std::optional<RunState> parseRunState(const std::string& text) {
    for (int i = 0; i < int(std::size(kStateNames)); ++i)
        if (text == kStateNames[i])
            return RunState(i);
    return std::nullopt;
}

bool isActive(RunState state) {
    return state == RunState::Running || state == RunState::Paused;
}

std::string defaultDatabasePath() {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "swav-workbench" / "runs.db").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home ? home : ".") / ".local" / "share" / "swav-workbench" / "runs.db")
        .string();
}

std::string runsRootFor(const std::string& databasePath) {
    return (fs::absolute(databasePath).parent_path() / "runs").string();
}

Expected<ClaimedFolder> newRunFolder(const std::string& databasePath, const std::string& name) {
    return createRunFolder(runsRootFor(databasePath), name);
}

NewRun newRunFor(const ExperimentConfig& config, const std::string& preset,
                 const ClaimedFolder& folder) {
    NewRun run;
    run.name = config.name.empty() ? "run" : config.name;
    run.configJson = toJson(config).dump();
    run.preset = preset;
    run.seed = config.runtime.seed;
    run.runDir = folder.path;
    run.createdFolders = folder.created;
    return run;
}

double RunRecord::durationSeconds() const {
    const double end = finishedAt > 0 ? finishedAt : heartbeatAt;
    return startedAt > 0 && end >= startedAt ? end - startedAt : -1;
}

RunStore::RunStore(std::string path, std::unique_ptr<SQLite::Database> db)
    : m_path(std::move(path))
    , m_db(std::move(db)) {}

RunStore::~RunStore() = default;

const char* describe(HoldRepair repair) {
    switch (repair) {
    case HoldRepair::Intact:
        return "intact";
    case HoldRepair::LocksRestored:
        return "a file of the run database was closed outside SQLite in this process, which "
               "dropped its locks; they were taken again";
    case HoldRepair::Reopened:
        return "another program replaced the run database's write-ahead log while this process "
               "had lost its locks; the database was reopened and changes of the last seconds "
               "may be missing";
    case HoldRepair::Lost:
        return "another program replaced the run database's write-ahead log while this process "
               "had lost its locks, and another connection of this process still uses the old "
               "one; restart the program";
    }
    return "";
}

int64_t RunStore::dataVersion() {
    return withStoreErrors(m_path, "read the data version",
                           [&] { return m_db->execAndGet("PRAGMA data_version").getInt64(); });
}

std::string RunStore::runListStamp() {
    return withStoreErrors(m_path, "read the run list's state", [&] {
        return m_db
            ->execAndGet(
                "SELECT (SELECT coalesce(group_concat(id || status || ':' || "
                "coalesce(finished_at, 0) || ':' || notes, ','), '') FROM runs) || '|' || "
                "(SELECT count(*) || ':' || coalesce(max(id), 0) FROM checkpoints) || '|' || "
                "(SELECT count(*) || ':' || coalesce(max(id), 0) FROM evaluations) || '|' || "
                "(SELECT count(*) || ':' || coalesce(group_concat(tag), '') FROM run_tags)")
            .getString();
    });
}

int64_t RunStore::createRun(const NewRun& run) {
    return withStoreErrors(m_path, "create a run", [&] {
        SQLite::Transaction transaction(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
        // files_recorded: from now on every file the run writes is listed in run_files.
        SQLite::Statement insert(*m_db, "INSERT INTO runs(name, status, created_at, config_json, "
                                        "preset, seed, program_version, run_dir, parent_run, "
                                        "files_recorded) VALUES(?, 'queued', ?, ?, ?, ?, ?, ?, "
                                        "?, 1)");
        insert.bind(1, run.name);
        insert.bind(2, unixNow());
        insert.bind(3, run.configJson);
        insert.bind(4, run.preset);
        insert.bind(5, run.seed);
        insert.bind(6, SWAV_VERSION);
        // One spelling per folder, so that runByDir is a plain indexed lookup.
        insert.bind(7,
                    run.runDir.empty() ? std::string() : fs::weakly_canonical(run.runDir).string());
        if (run.parentRun > 0)
            insert.bind(8, run.parentRun);
        else
            insert.bind(8);
        insert.exec();
        const int64_t id = m_db->getLastInsertRowid();
        insertRunFiles(id, run.createdFolders, true);
        transaction.commit();
        return id;
    });
}

std::optional<RunRecord> RunStore::run(int64_t id) {
    return withStoreErrors(m_path, "read a run", [&]() -> std::optional<RunRecord> {
        SQLite::Statement query(*m_db,
                                std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
        query.bind(1, id);
        if (!query.executeStep())
            return std::nullopt;
        RunRecord record = readRun(query);
        record.tags = tagsOf(*m_db, id);
        showDeadWriter(record);
        return record;
    });
}

std::optional<RunRecord> RunStore::runByDir(const std::string& runDir) {
    const std::optional<int64_t> id = withStoreErrors(m_path, "find a run", [&] {
        SQLite::Statement query(*m_db, "SELECT id FROM runs WHERE run_dir = ? ORDER BY id DESC "
                                       "LIMIT 1");
        query.bind(1, fs::weakly_canonical(runDir).string());
        return query.executeStep() ? std::optional<int64_t>(query.getColumn(0).getInt64())
                                   : std::nullopt;
    });
    return id ? run(*id) : std::nullopt;
}

std::optional<RunRecord> RunStore::runOfCheckpoint(const std::string& checkpoint) {
    const std::string runDir = runDirOfCheckpoint(checkpoint);
    return runDir.empty() ? std::nullopt : runByDir(runDir);
}

std::vector<RunListEntry> RunStore::listRuns(const RunFilter& filter,
                                             const std::vector<std::string>& metricKeys) {
    std::vector<RunListEntry> entries = withStoreErrors(m_path, "list runs", [&] {
        // One query for the runs and one for all tags: the list is refreshed while runs train.
        std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE 1";
        if (filter.status)
            sql += " AND status = ?";
        if (!filter.tag.empty())
            sql += " AND id IN (SELECT run FROM run_tags WHERE tag = ?)";
        SQLite::Statement query(*m_db, sql + " ORDER BY id");
        int index = 1;
        if (filter.status)
            query.bind(index++, toString(*filter.status));
        if (!filter.tag.empty())
            query.bind(index, filter.tag);
        std::vector<RunListEntry> found;
        std::map<int64_t, size_t> position;
        while (query.executeStep()) {
            position[query.getColumn(0).getInt64()] = found.size();
            found.push_back({readRun(query), {}, {}});
            showDeadWriter(found.back().run);
        }
        SQLite::Statement tags(*m_db, "SELECT run, tag FROM run_tags ORDER BY run, tag");
        while (tags.executeStep())
            if (const auto it = position.find(tags.getColumn(0).getInt64()); it != position.end())
                found[it->second].run.tags.push_back(tags.getColumn(1).getString());
        // Newest last; a damaged result (not JSON) counts as none instead of failing the list.
        SQLite::Statement evaluations(
            *m_db, "SELECT run, CASE WHEN json_valid(metrics_json) THEN "
                   "json_extract(metrics_json, '$.knn.trained') END, CASE WHEN "
                   "json_valid(metrics_json) THEN json_extract(metrics_json, '$.linear.trained') "
                   "END FROM evaluations ORDER BY created_at, id");
        while (evaluations.executeStep()) {
            const auto it = position.find(evaluations.getColumn(0).getInt64());
            if (it == position.end())
                continue;
            EvaluationSummary& summary = found[it->second].evaluation;
            for (int column : {1, 2}) {
                const auto value = evaluations.getColumn(column);
                if (value.isFloat() || value.isInteger())
                    (column == 1 ? summary.knn : summary.linear) = value.getDouble();
            }
        }
        return found;
    });
    for (RunListEntry& entry : entries)
        entry.metrics = metricSummaries(entry.run.id, metricKeys);
    return entries;
}

void RunStore::markStarted(int64_t id, const std::string& device, const ProcessIdentity& process) {
    withStoreErrors(m_path, "mark a run as started", [&] {
        SQLite::Statement update(
            *m_db, "UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?), "
                   "finished_at = NULL, heartbeat_at = ?, device = ?, host = ?, pid = ?, "
                   "pid_start = ?, message = '' WHERE id = ?");
        const double now = unixNow();
        update.bind(1, now);
        update.bind(2, now);
        update.bind(3, device);
        update.bind(4, process.host);
        update.bind(5, process.pid);
        update.bind(6, process.startTicks);
        update.bind(7, id);
        update.exec();
    });
}

void RunStore::setStatus(int64_t id, RunState status, const std::string& message) {
    withStoreErrors(m_path, "change a run's status", [&] {
        const bool ended = !isActive(status) && status != RunState::Queued;
        SQLite::Statement update(*m_db,
                                 "UPDATE runs SET status = ?, message = ?, heartbeat_at = ?, "
                                 "finished_at = CASE WHEN ? THEN ? ELSE NULL END "
                                 "WHERE id = ?");
        const double now = unixNow();
        update.bind(1, toString(status));
        update.bind(2, message);
        update.bind(3, now);
        update.bind(4, ended ? 1 : 0);
        update.bind(5, now);
        update.bind(6, id);
        update.exec();
    });
}

void RunStore::setPausedIfActive(int64_t id, bool paused) {
    withStoreErrors(m_path, "pause or resume a run", [&] {
        SQLite::Statement update(*m_db, "UPDATE runs SET status = ?, heartbeat_at = ? WHERE id = ? "
                                        "AND status IN ('running', 'paused')");
        update.bind(1, paused ? "paused" : "running");
        update.bind(2, unixNow());
        update.bind(3, id);
        update.exec();
    });
}

void RunStore::heartbeat(int64_t id) {
    withStoreErrors(m_path, "record a heartbeat", [&] {
        SQLite::Statement update(*m_db, "UPDATE runs SET heartbeat_at = ? WHERE id = ?");
        update.bind(1, unixNow());
        update.bind(2, id);
        update.exec();
    });
}

void RunStore::setNotes(int64_t id, const std::string& notes) {
    withStoreErrors(m_path, "change a run's notes", [&] {
        SQLite::Statement update(*m_db, "UPDATE runs SET notes = ? WHERE id = ?");
        update.bind(1, notes);
        update.bind(2, id);
        update.exec();
    });
}

void RunStore::addTag(int64_t id, const std::string& tag) {
    withStoreErrors(m_path, "tag a run", [&] {
        SQLite::Statement insert(*m_db, "INSERT OR IGNORE INTO run_tags(run, tag) VALUES(?, ?)");
        insert.bind(1, id);
        insert.bind(2, tag);
        insert.exec();
    });
}

void RunStore::removeTag(int64_t id, const std::string& tag) {
    withStoreErrors(m_path, "untag a run", [&] {
        SQLite::Statement remove(*m_db, "DELETE FROM run_tags WHERE run = ? AND tag = ?");
        remove.bind(1, id);
        remove.bind(2, tag);
        remove.exec();
    });
}

void RunStore::showDeadWriter(RunRecord& record) const {
    if (m_readOnly && isActive(record.status) && !writerAlive(record.process, record.heartbeatAt)) {
        record.status = RunState::Interrupted;
        record.message = kWriterGone;
    }
}

int RunStore::markInterruptedRuns() {
    return withStoreErrors(m_path, "check for interrupted runs", [&] {
        SQLite::Statement query(*m_db, "SELECT id, host, pid, pid_start, heartbeat_at FROM runs "
                                       "WHERE status IN ('running', 'paused')");
        std::vector<std::pair<int64_t, ProcessIdentity>> dead;
        while (query.executeStep()) {
            ProcessIdentity writer;
            writer.host = query.getColumn(1).getString();
            writer.pid = query.getColumn(2).getInt64();
            writer.startTicks = query.getColumn(3).getInt64();
            if (!writerAlive(writer, query.getColumn(4).getDouble()))
                dead.emplace_back(query.getColumn(0).getInt64(), writer);
        }
        int marked = 0;
        for (const auto& [id, writer] : dead) {
            // Only if the same process still owns it: a resume may have taken it over meanwhile.
            SQLite::Statement update(
                *m_db, "UPDATE runs SET status = 'interrupted', message = ? "
                       "WHERE id = ? AND status IN ('running', 'paused') AND host = ? AND pid = ? "
                       "AND pid_start = ?");
            update.bind(1, kWriterGone);
            update.bind(2, id);
            update.bind(3, writer.host);
            update.bind(4, writer.pid);
            update.bind(5, writer.startTicks);
            marked += update.exec();
        }
        return marked;
    });
}

} // namespace swav::store
