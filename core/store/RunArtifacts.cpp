// RunStore: checkpoints, evaluations and artifacts of a run.
#include "store/RunStore.h"
#include "store/StoreErrors.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>

namespace swav::store {

namespace {

// Evaluations and artifacts share one shape: (run, checkpoint, kind, text, created_at).
struct LinkedRow {
    int64_t id = 0;
    std::string checkpointPath;
    std::string kind;
    std::string text;
    double createdAt = 0;
};

int64_t insertLinked(SQLite::Database& db, const std::string& table, const std::string& column,
                     int64_t run, int64_t checkpointId, const std::string& kind,
                     const std::string& text) {
    SQLite::Statement insert(db, "INSERT INTO " + table + "(run, checkpoint, kind, " + column +
                                     ", created_at) VALUES(?, ?, ?, ?, ?)");
    insert.bind(1, run);
    if (checkpointId > 0)
        insert.bind(2, checkpointId);
    else
        insert.bind(2); // not a recorded checkpoint: kept without the link
    insert.bind(3, kind);
    insert.bind(4, text);
    insert.bind(5, unixNow());
    insert.exec();
    return db.getLastInsertRowid();
}

std::vector<LinkedRow> selectLinked(SQLite::Database& db, const std::string& table,
                                    const std::string& column, int64_t run) {
    SQLite::Statement query(db, "SELECT t.id, coalesce(c.path, ''), t.kind, t." + column +
                                    ", t.created_at FROM " + table +
                                    " t LEFT JOIN checkpoints c ON c.id = t.checkpoint WHERE "
                                    "t.run = ? ORDER BY t.id");
    query.bind(1, run);
    std::vector<LinkedRow> rows;
    while (query.executeStep())
        rows.push_back({query.getColumn(0).getInt64(), query.getColumn(1).getString(),
                        query.getColumn(2).getString(), query.getColumn(3).getString(),
                        query.getColumn(4).getDouble()});
    return rows;
}

} // namespace

int64_t RunStore::addCheckpoint(int64_t run, int epoch, int64_t step, const std::string& path,
                                int64_t bytes, const std::string& sha256) {
    return withStoreErrors(m_path, "record a checkpoint", [&] {
        SQLite::Statement insert(
            *m_db, "INSERT INTO checkpoints(run, epoch, step, path, bytes, sha256, created_at) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run, path) DO UPDATE SET "
                   "epoch = excluded.epoch, step = excluded.step, bytes = excluded.bytes, "
                   "sha256 = excluded.sha256, created_at = excluded.created_at");
        insert.bind(1, run);
        insert.bind(2, epoch);
        insert.bind(3, step);
        insert.bind(4, path);
        insert.bind(5, bytes);
        insert.bind(6, sha256);
        insert.bind(7, unixNow());
        insert.exec();
        return checkpointId(run, path);
    });
}

int64_t RunStore::checkpointId(int64_t run, const std::string& path) {
    if (path.empty())
        return 0;
    SQLite::Statement query(*m_db, "SELECT id FROM checkpoints WHERE run = ? AND path = ?");
    query.bind(1, run);
    query.bind(2, path);
    return query.executeStep() ? query.getColumn(0).getInt64() : 0;
}

std::vector<CheckpointRecord> RunStore::checkpoints(int64_t run) {
    return withStoreErrors(m_path, "list checkpoints", [&] {
        SQLite::Statement query(*m_db, "SELECT id, epoch, step, path, bytes, sha256, created_at "
                                       "FROM checkpoints WHERE run = ? ORDER BY step, id");
        query.bind(1, run);
        std::vector<CheckpointRecord> records;
        while (query.executeStep()) {
            CheckpointRecord record;
            record.id = query.getColumn(0).getInt64();
            record.epoch = query.getColumn(1).getInt();
            record.step = query.getColumn(2).getInt64();
            record.path = query.getColumn(3).getString();
            record.bytes = query.getColumn(4).getInt64();
            record.sha256 = query.getColumn(5).getString();
            record.createdAt = query.getColumn(6).getDouble();
            std::error_code error;
            record.exists = std::filesystem::is_regular_file(record.path, error);
            records.push_back(std::move(record));
        }
        return records;
    });
}

int64_t RunStore::addEvaluation(int64_t run, const std::string& checkpointPath,
                                const std::string& kind, const std::string& metricsJson) {
    return withStoreErrors(m_path, "record an evaluation", [&] {
        return insertLinked(*m_db, "evaluations", "metrics_json", run,
                            checkpointId(run, checkpointPath), kind, metricsJson);
    });
}

std::vector<EvaluationRecord> RunStore::evaluations(int64_t run) {
    return withStoreErrors(m_path, "list evaluations", [&] {
        std::vector<EvaluationRecord> records;
        for (auto& row : selectLinked(*m_db, "evaluations", "metrics_json", run))
            records.push_back({row.id, row.checkpointPath, row.kind, row.text, row.createdAt});
        return records;
    });
}

int64_t RunStore::addArtifact(int64_t run, const std::string& checkpointPath,
                              const std::string& kind, const std::string& path) {
    return withStoreErrors(m_path, "record an artifact", [&] {
        return insertLinked(*m_db, "artifacts", "path", run, checkpointId(run, checkpointPath),
                            kind, path);
    });
}

std::vector<ArtifactRecord> RunStore::artifacts(int64_t run) {
    return withStoreErrors(m_path, "list artifacts", [&] {
        std::vector<ArtifactRecord> records;
        for (auto& row : selectLinked(*m_db, "artifacts", "path", run))
            records.push_back({row.id, row.checkpointPath, row.kind, row.text, row.createdAt});
        return records;
    });
}

} // namespace swav::store
