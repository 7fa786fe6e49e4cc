#pragma once
// The database layout and its history. Version 1: runs, tags, metrics, histograms, checkpoints,
// evaluations, artifacts. Version 2: per-level metric blocks for fast downsampled series, and
// the writer's process start time (so a reused pid is not mistaken for a live run). Version 3:
// the files and folders each run wrote (run_files), and which runs have that list. Version 4:
// the status "imported" (runs made from released weights).

#include <cstdint>

namespace SQLite {
class Database;
}

namespace swav::store {

constexpr int kSchemaVersion = 4;
/// PRAGMA application_id of our databases ("SwAV" in ASCII): tells them from other SQLite files.
constexpr int32_t kApplicationId = 0x53774156;

/// Brings an empty or older database up to `targetVersion` inside the caller's transaction.
/// Tests pass a lower target to build an old database.
void migrateSchema(SQLite::Database& db, int fromVersion, int targetVersion = kSchemaVersion);

/// The version recorded in `meta`, or 0 for a database without our tables.
int readSchemaVersion(SQLite::Database& db);

} // namespace swav::store
