// RunStore: metric series, their downsampled reads, histograms and the run list.
#include "store/MetricBlockTable.h"
#include "store/RunStore.h"
#include "store/StoreErrors.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace swav::store {

namespace {

std::optional<int64_t> existingKeyId(SQLite::Database& db, const std::string& key) {
    SQLite::Statement query(db, "SELECT id FROM metric_keys WHERE name = ?");
    query.bind(1, key);
    if (!query.executeStep())
        return std::nullopt;
    return query.getColumn(0).getInt64();
}

std::optional<int64_t> edgeStep(SQLite::Database& db, int64_t run, int64_t key, int64_t from,
                                int64_t to, bool first) {
    SQLite::Statement query(db, std::string("SELECT step FROM metrics WHERE run = ? AND key = ? "
                                            "AND step BETWEEN ? AND ? ORDER BY step ") +
                                    (first ? "ASC" : "DESC") + " LIMIT 1");
    query.bind(1, run);
    query.bind(2, key);
    query.bind(3, from);
    query.bind(4, to);
    if (!query.executeStep())
        return std::nullopt;
    return query.getColumn(0).getInt64();
}

SeriesBucket readBlock(SQLite::Statement& row) {
    SeriesBucket block;
    block.count = row.getColumn(0).getInt64();
    block.sum = row.getColumn(1).getDouble();
    block.min = row.getColumn(2).getDouble();
    block.minStep = row.getColumn(3).getInt64();
    block.max = row.getColumn(4).getDouble();
    block.maxStep = row.getColumn(5).getInt64();
    block.firstStep = row.getColumn(6).getInt64();
    block.lastStep = row.getColumn(7).getInt64();
    block.last = row.getColumn(8).getDouble();
    return block;
}

} // namespace

int64_t RunStore::keyId(const std::string& key) {
    if (auto cached = m_keyIds.find(key); cached != m_keyIds.end())
        return cached->second;
    SQLite::Statement insert(*m_db, "INSERT OR IGNORE INTO metric_keys(name) VALUES(?)");
    insert.bind(1, key);
    insert.exec();
    const int64_t id = existingKeyId(*m_db, key).value();
    m_keyIds[key] = id;
    return id;
}

void RunStore::appendMetrics(int64_t run, const std::vector<MetricPoint>& points) {
    if (points.empty())
        return;
    withStoreErrors(m_path, "record metrics", [&] {
        try {
            SQLite::Transaction transaction(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
            // Points that replace stored ones (a step written again) would count twice in the
            // blocks: then the blocks from the first such step on are rebuilt instead.
            std::map<int64_t, int64_t> firstStepOfKey;
            for (const MetricPoint& point : points) {
                const int64_t key = keyId(point.key);
                auto [it, inserted] = firstStepOfKey.emplace(key, point.step);
                if (!inserted)
                    it->second = std::min(it->second, point.step);
            }
            int64_t rebuildFrom = std::numeric_limits<int64_t>::max();
            SQLite::Statement overlap(*m_db, "SELECT 1 FROM metrics WHERE run = ? AND key = ? AND "
                                             "step >= ? LIMIT 1");
            for (const auto& [key, firstStep] : firstStepOfKey) {
                overlap.bind(1, run);
                overlap.bind(2, key);
                overlap.bind(3, firstStep);
                if (overlap.executeStep())
                    rebuildFrom = std::min(rebuildFrom, firstStep);
                overlap.reset();
            }
            const bool rebuild = rebuildFrom != std::numeric_limits<int64_t>::max();

            SQLite::Statement insert(*m_db, "INSERT OR REPLACE INTO metrics(run, key, step, "
                                            "epoch, value, wall_time) VALUES(?, ?, ?, ?, ?, ?)");
            BlockUpdates blocks;
            for (const MetricPoint& point : points) {
                const int64_t key = keyId(point.key);
                insert.bind(1, run);
                insert.bind(2, key);
                insert.bind(3, point.step);
                insert.bind(4, point.epoch);
                if (std::isfinite(point.value)) {
                    insert.bind(5, point.value);
                    if (!rebuild)
                        blocks.add(run, key, point.step, point.value);
                } else {
                    insert.bind(5); // NULL: SQLite has no NaN; summaries skip it
                }
                insert.bind(6, point.wallTime);
                insert.exec();
                insert.reset();
            }
            if (rebuild)
                rebuildBlocks(*m_db, run, rebuildFrom);
            else
                blocks.write(*m_db);
            transaction.commit();
        } catch (...) {
            m_keyIds.clear(); // ids created in the rolled-back transaction are gone
            throw;
        }
    });
}

void RunStore::truncateMetrics(int64_t run, int64_t fromStep, int fromEpoch) {
    withStoreErrors(m_path, "remove replayed metrics", [&] {
        SQLite::Transaction transaction(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement remove(*m_db, "DELETE FROM metrics WHERE run = ? AND step >= ?");
        remove.bind(1, run);
        remove.bind(2, fromStep);
        remove.exec();
        rebuildBlocks(*m_db, run, fromStep);
        SQLite::Statement histograms(*m_db, "DELETE FROM histograms WHERE run = ? AND epoch >= ?");
        histograms.bind(1, run);
        histograms.bind(2, fromEpoch);
        histograms.exec();
        transaction.commit();
    });
}

std::vector<std::string> RunStore::metricKeys(int64_t run) {
    return withStoreErrors(m_path, "list metric names", [&] {
        // The coarsest blocks name every key with points cheaply.
        SQLite::Statement query(*m_db, "SELECT DISTINCT k.name FROM metric_blocks b JOIN "
                                       "metric_keys k ON k.id = b.key WHERE b.run = ? AND "
                                       "b.level = ? ORDER BY k.name");
        query.bind(1, run);
        query.bind(2, int(kBlockShifts.size()) - 1);
        std::vector<std::string> keys;
        while (query.executeStep())
            keys.push_back(query.getColumn(0).getString());
        return keys;
    });
}

int64_t RunStore::metricCount(int64_t run, const std::string& key) {
    return withStoreErrors(m_path, "count metrics", [&]() -> int64_t {
        if (key.empty()) {
            SQLite::Statement query(*m_db, "SELECT count(*) FROM metrics WHERE run = ?");
            query.bind(1, run);
            query.executeStep();
            return query.getColumn(0).getInt64();
        }
        const auto id = existingKeyId(*m_db, key);
        if (!id)
            return 0;
        SQLite::Statement query(*m_db, "SELECT count(*) FROM metrics WHERE run = ? AND key = ?");
        query.bind(1, run);
        query.bind(2, *id);
        query.executeStep();
        return query.getColumn(0).getInt64();
    });
}

std::vector<SeriesBucket> RunStore::series(int64_t run, const std::string& key, int maxPoints,
                                           int64_t from, int64_t to) {
    return withStoreErrors(m_path, "read a metric series", [&] {
        std::vector<SeriesBucket> pieces;
        const auto id = existingKeyId(*m_db, key);
        if (!id || maxPoints <= 0)
            return pieces;
        const auto first = edgeStep(*m_db, run, *id, from, to, true);
        const auto last = edgeStep(*m_db, run, *id, from, to, false);
        if (!first || !last)
            return pieces;
        const auto rawPoints = [&](int64_t from, int64_t to) {
            SQLite::Statement query(*m_db, "SELECT step, value FROM metrics WHERE run = ? AND "
                                           "key = ? AND step BETWEEN ? AND ? AND value IS NOT "
                                           "NULL ORDER BY step");
            query.bind(1, run);
            query.bind(2, *id);
            query.bind(3, from);
            query.bind(4, to);
            while (query.executeStep()) {
                SeriesBucket point;
                addPoint(point, query.getColumn(0).getInt64(), query.getColumn(1).getDouble());
                pieces.push_back(point);
            }
        };
        const int level = chooseLevel(double(*last - *first + 1) / double(maxPoints));
        const int shift = level >= 0 ? kBlockShifts[size_t(level)] : 0;
        // Whole blocks inside [first, last]; partial blocks at the edges come from the raw
        // points, so that nothing outside the range leaks in.
        const int64_t firstBlock = level >= 0 ? (*first + (int64_t(1) << shift) - 1) >> shift : 1;
        const int64_t lastBlock = level >= 0 ? ((*last + 1) >> shift) - 1 : 0;
        if (firstBlock > lastBlock) {
            rawPoints(*first, *last);
        } else {
            rawPoints(*first, (firstBlock << shift) - 1);
            SQLite::Statement query(*m_db, "SELECT count, sum, min_value, min_step, max_value, "
                                           "max_step, first_step, last_step, last_value FROM "
                                           "metric_blocks WHERE run = ? AND key = ? AND level = "
                                           "? AND block BETWEEN ? AND ? ORDER BY block");
            query.bind(1, run);
            query.bind(2, *id);
            query.bind(3, level);
            query.bind(4, firstBlock);
            query.bind(5, lastBlock);
            while (query.executeStep())
                pieces.push_back(readBlock(query));
            rawPoints((lastBlock + 1) << shift, *last);
        }
        return downsample(pieces, *first, *last, maxPoints);
    });
}

void RunStore::forEachMetric(int64_t run, const std::function<void(const MetricPoint&)>& visit,
                             int64_t fromStep) {
    withStoreErrors(m_path, "read metrics", [&] {
        // Keys outermost (CROSS JOIN fixes the order): each key is one range of the
        // (run, key, step) primary key, so a poll for new steps does not scan the whole run.
        SQLite::Statement query(*m_db, "SELECT k.name, m.step, m.epoch, m.value, m.wall_time FROM "
                                       "metric_keys k CROSS JOIN metrics m ON m.key = k.id WHERE "
                                       "m.run = ? AND m.step >= ? ORDER BY k.name, m.step");
        query.bind(1, run);
        query.bind(2, fromStep);
        MetricPoint point;
        while (query.executeStep()) {
            point.key = query.getColumn(0).getString();
            point.step = query.getColumn(1).getInt64();
            point.epoch = query.getColumn(2).getInt();
            point.value =
                query.getColumn(3).isNull() ? std::nan("") : query.getColumn(3).getDouble();
            point.wallTime = query.getColumn(4).getDouble();
            visit(point);
        }
    });
}

void RunStore::putHistogram(int64_t run, int epoch, const std::string& kind,
                            const std::vector<int64_t>& counts) {
    withStoreErrors(m_path, "record a histogram", [&] {
        std::string blob(counts.size() * 8, '\0');
        for (size_t i = 0; i < counts.size(); ++i)
            for (int byte = 0; byte < 8; ++byte)
                blob[i * 8 + size_t(byte)] = char(uint64_t(counts[i]) >> (8 * byte));
        SQLite::Statement insert(*m_db, "INSERT OR REPLACE INTO histograms(run, kind, epoch, data) "
                                        "VALUES(?, ?, ?, ?)");
        insert.bind(1, run);
        insert.bind(2, kind);
        insert.bind(3, epoch);
        insert.bind(4, blob.data(), int(blob.size()));
        insert.exec();
    });
}

std::vector<int64_t> RunStore::histogram(int64_t run, const std::string& kind, int epoch) {
    return withStoreErrors(m_path, "read a histogram", [&] {
        SQLite::Statement query(*m_db, epoch >= 0
                                           ? "SELECT data FROM histograms WHERE run = ? AND kind "
                                             "= ? AND epoch = ?"
                                           : "SELECT data FROM histograms WHERE run = ? AND kind "
                                             "= ? ORDER BY epoch DESC LIMIT 1");
        query.bind(1, run);
        query.bind(2, kind);
        if (epoch >= 0)
            query.bind(3, epoch);
        std::vector<int64_t> counts;
        if (!query.executeStep())
            return counts;
        const auto* bytes = static_cast<const unsigned char*>(query.getColumn(0).getBlob());
        const int size = query.getColumn(0).getBytes();
        counts.resize(size_t(size / 8));
        for (size_t i = 0; i < counts.size(); ++i) {
            uint64_t value = 0;
            for (int byte = 0; byte < 8; ++byte)
                value |= uint64_t(bytes[i * 8 + size_t(byte)]) << (8 * byte);
            counts[i] = int64_t(value);
        }
        return counts;
    });
}

std::map<std::string, MetricSummary>
RunStore::metricSummaries(int64_t run, const std::vector<std::string>& keys) {
    return withStoreErrors(m_path, "summarise metrics", [&] {
        std::map<std::string, MetricSummary> summaries;
        for (const std::string& key : keys) {
            const auto keyId = existingKeyId(*m_db, key);
            if (!keyId)
                continue;
            SQLite::Statement last(*m_db, "SELECT step, value FROM metrics WHERE run = ? AND "
                                          "key = ? AND value IS NOT NULL ORDER BY step DESC "
                                          "LIMIT 1");
            last.bind(1, run);
            last.bind(2, *keyId);
            if (!last.executeStep())
                continue;
            MetricSummary summary;
            summary.lastStep = last.getColumn(0).getInt64();
            summary.last = last.getColumn(1).getDouble();
            // The coarsest blocks give count, min and max without reading the points.
            SQLite::Statement range(*m_db, "SELECT sum(count), min(min_value), max(max_value) "
                                           "FROM metric_blocks WHERE run = ? AND key = ? AND "
                                           "level = ?");
            range.bind(1, run);
            range.bind(2, *keyId);
            range.bind(3, int(kBlockShifts.size()) - 1);
            range.executeStep();
            summary.count = range.getColumn(0).getInt64();
            summary.min = range.getColumn(1).getDouble();
            summary.max = range.getColumn(2).getDouble();
            summaries[key] = summary;
        }
        return summaries;
    });
}

} // namespace swav::store
