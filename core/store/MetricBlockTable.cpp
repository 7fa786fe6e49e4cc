#include "store/MetricBlockTable.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace swav::store {

void BlockUpdates::add(int64_t run, int64_t key, int64_t step, double value, int64_t fromStep) {
    for (int level = 0; level < int(kBlockShifts.size()); ++level) {
        const int64_t block = step >> kBlockShifts[size_t(level)];
        // Blocks before the first rebuilt one are intact; adding to them would count twice.
        if (block < (fromStep >> kBlockShifts[size_t(level)]))
            continue;
        addPoint(m_blocks[{run, key, level, block}], step, value);
    }
}

void BlockUpdates::write(SQLite::Database& db) {
    if (m_blocks.empty())
        return;
    // SET expressions see the row as it was before the update.
    SQLite::Statement upsert(
        db, "INSERT INTO metric_blocks(run, key, level, block, count, sum, min_value, min_step, "
            "max_value, max_step, first_step, last_step, last_value) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(run, key, level, block) DO UPDATE SET "
            "count = count + excluded.count, sum = sum + excluded.sum, "
            "min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step "
            "ELSE min_step END, "
            "min_value = min(min_value, excluded.min_value), "
            "max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step "
            "ELSE max_step END, "
            "max_value = max(max_value, excluded.max_value), "
            "first_step = min(first_step, excluded.first_step), "
            "last_value = CASE WHEN excluded.last_step >= last_step THEN excluded.last_value "
            "ELSE last_value END, "
            "last_step = max(last_step, excluded.last_step)");
    for (const auto& [id, b] : m_blocks) {
        const auto& [run, key, level, block] = id;
        upsert.bind(1, run);
        upsert.bind(2, key);
        upsert.bind(3, level);
        upsert.bind(4, block);
        upsert.bind(5, b.count);
        upsert.bind(6, b.sum);
        upsert.bind(7, b.min);
        upsert.bind(8, b.minStep);
        upsert.bind(9, b.max);
        upsert.bind(10, b.maxStep);
        upsert.bind(11, b.firstStep);
        upsert.bind(12, b.lastStep);
        upsert.bind(13, b.last);
        upsert.exec();
        upsert.reset();
    }
    m_blocks.clear();
}

void rebuildBlocks(SQLite::Database& db, int64_t run, int64_t fromStep) {
    const char* runClause = run != 0 ? "run = ? AND " : "";
    SQLite::Statement remove(db, std::string("DELETE FROM metric_blocks WHERE ") + runClause +
                                     "level = ? AND block >= ?");
    for (int level = 0; level < int(kBlockShifts.size()); ++level) {
        int index = 1;
        if (run != 0)
            remove.bind(index++, run);
        remove.bind(index++, level);
        remove.bind(index, fromStep >> kBlockShifts[size_t(level)]);
        remove.exec();
        remove.reset();
    }
    // The coarsest deleted block starts here; finer levels skip what they kept (see add()).
    const int64_t scanFrom = (fromStep >> kBlockShifts.back()) << kBlockShifts.back();
    SQLite::Statement points(db, std::string("SELECT run, key, step, value FROM metrics WHERE ") +
                                     runClause +
                                     "step >= ? AND value IS NOT NULL ORDER BY run, key, step");
    int index = 1;
    if (run != 0)
        points.bind(index++, run);
    points.bind(index, scanFrom);
    BlockUpdates updates;
    int64_t pending = 0;
    while (points.executeStep()) {
        updates.add(points.getColumn(0).getInt64(), points.getColumn(1).getInt64(),
                    points.getColumn(2).getInt64(), points.getColumn(3).getDouble(), fromStep);
        if (++pending % 100000 == 0)
            updates.write(db); // bounded memory on large databases
    }
    updates.write(db);
}

} // namespace swav::store
