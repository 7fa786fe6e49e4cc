#include "store/StoreSchema.h"

#include "store/MetricBlockTable.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "util/Expected.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <vector>

namespace swav::store {

namespace {

const char* const kVersion1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK(status IN
        ('queued', 'running', 'paused', 'stopped', 'finished', 'failed', 'interrupted')),
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL,
    config_json TEXT NOT NULL,
    preset TEXT NOT NULL DEFAULT '',
    seed INTEGER NOT NULL DEFAULT 0,
    device TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0,
    program_version TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    run_dir TEXT NOT NULL DEFAULT '',
    parent_run INTEGER REFERENCES runs(id) ON DELETE SET NULL);
CREATE INDEX runs_by_dir ON runs(run_dir);
CREATE INDEX runs_by_parent ON runs(parent_run);
CREATE TABLE run_tags(
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY(run, tag)) WITHOUT ROWID;
CREATE TABLE metric_keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE metrics(
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key INTEGER NOT NULL REFERENCES metric_keys(id),
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    value REAL,
    wall_time REAL NOT NULL,
    PRIMARY KEY(run, key, step)) WITHOUT ROWID;
CREATE TABLE histograms(
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY(run, kind, epoch)) WITHOUT ROWID;
CREATE TABLE checkpoints(
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE(run, path));
CREATE TABLE evaluations(
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    checkpoint INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE INDEX evaluations_by_run ON evaluations(run);
CREATE INDEX evaluations_by_checkpoint ON evaluations(checkpoint);
CREATE TABLE artifacts(
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    checkpoint INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE INDEX artifacts_by_run ON artifacts(run);
CREATE INDEX artifacts_by_checkpoint ON artifacts(checkpoint);
)sql";

const char* const kVersion2 = R"sql(
ALTER TABLE runs ADD COLUMN pid_start INTEGER NOT NULL DEFAULT 0;
CREATE TABLE metric_blocks(
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key INTEGER NOT NULL,
    level INTEGER NOT NULL,
    block INTEGER NOT NULL,
    count INTEGER NOT NULL,
    sum REAL NOT NULL,
    min_value REAL NOT NULL,
    min_step INTEGER NOT NULL,
    max_value REAL NOT NULL,
    max_step INTEGER NOT NULL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    last_value REAL NOT NULL,
    PRIMARY KEY(run, key, level, block)) WITHOUT ROWID;
)sql";

// Every file and folder a run wrote, so that deleting the run removes exactly those. Runs from
// before (files_recorded 0) are deleted by the names the program gives its files.
const char* const kVersion3 = R"sql(
ALTER TABLE runs ADD COLUMN files_recorded INTEGER NOT NULL DEFAULT 0;
CREATE TABLE run_files(
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    is_folder INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    PRIMARY KEY(run, path)) WITHOUT ROWID;
CREATE INDEX run_files_by_path ON run_files(path);
)sql";

// Runs made from released weights: status "imported". SQLite cannot alter a CHECK constraint;
// the documented way for a change that leaves the stored rows valid is to edit the table's
// definition in sqlite_schema and bump schema_version so that every connection reloads it.
void allowImportedRuns(SQLite::Database& db) {
    const int schemaVersion = db.execAndGet("PRAGMA schema_version").getInt();
    db.exec("PRAGMA writable_schema = ON");
    db.exec("UPDATE sqlite_schema SET sql = replace(sql, '''interrupted'')', "
            "'''interrupted'', ''imported'')') WHERE type = 'table' AND name = 'runs'");
    db.exec("PRAGMA schema_version = " + std::to_string(schemaVersion + 1));
    db.exec("PRAGMA writable_schema = OFF");
}

using Migration = std::function<void(SQLite::Database&)>;

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> steps = {
        [](SQLite::Database& db) { db.exec(kVersion1); },
        [](SQLite::Database& db) {
            db.exec(kVersion2);
            rebuildBlocks(db, 0, 0);
        },
        [](SQLite::Database& db) { db.exec(kVersion3); },
        allowImportedRuns,
    };
    return steps;
}

} // namespace

int readSchemaVersion(SQLite::Database& db) {
    if (!db.tableExists("meta"))
        return 0;
    SQLite::Statement query(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (!query.executeStep())
        return 0;
    // Checked before it indexes the migrations: the file may have been edited or damaged.
    const std::string text = query.getColumn(0).getString();
    const bool digits =
        !text.empty() && text.size() <= 6 &&
        std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!digits || std::stoi(text) < 1)
        throw UserError("its meta.schema_version is '" + text.substr(0, 40) +
                        "', not a schema version (a whole number from 1); the file was left "
                        "untouched");
    return std::stoi(text);
}

void migrateSchema(SQLite::Database& db, int fromVersion, int targetVersion) {
    if (fromVersion < 0 || targetVersion > int(migrations().size()))
        throw UserError("no migration from schema version " + std::to_string(fromVersion) + " to " +
                        std::to_string(targetVersion));
    for (int version = fromVersion + 1; version <= targetVersion; ++version)
        migrations()[size_t(version - 1)](db);
    SQLite::Statement record(db, "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
                                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    record.bind(1, std::to_string(targetVersion));
    record.exec();
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
}

} // namespace swav::store
