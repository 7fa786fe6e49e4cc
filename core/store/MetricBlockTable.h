#pragma once
// Keeps the metric_blocks table in step with the metrics table (see MetricBlocks.h).

#include "store/MetricBlocks.h"

#include <cstdint>
#include <map>
#include <tuple>

namespace SQLite {
class Database;
}

namespace swav::store {

/// Block changes for a batch of new points, written with one upsert per touched block.
class BlockUpdates {
public:
    /// Points of one series must arrive in step order.
    void add(int64_t run, int64_t key, int64_t step, double value, int64_t fromStep = 0);
    /// Writes and forgets the accumulated changes (inside the caller's transaction).
    void write(SQLite::Database& db);
    bool empty() const { return m_blocks.empty(); }

private:
    // (run, key, level, block) -> summary of the new points in that block
    std::map<std::tuple<int64_t, int64_t, int, int64_t>, SeriesBucket> m_blocks;
};

/// Recomputes the blocks of `run`'s points at step >= fromStep (every run when run == 0), after
/// points were removed or when blocks are created for existing data.
void rebuildBlocks(SQLite::Database& db, int64_t run, int64_t fromStep);

} // namespace swav::store
