#pragma once
// Summaries of metric series at several resolutions. Every point also updates one block per
// level (16, 256, 4096 and 65536 steps wide) holding count, sum, min and max with their steps,
// so a series of a million points is drawn from a few thousand blocks instead of a full scan,
// and min/max per bucket keep every spike visible.

#include <array>
#include <cstdint>
#include <vector>

namespace swav::store {

/// A run of consecutive points of one series: a raw point, a stored block or a plot bucket.
struct SeriesBucket {
    int64_t firstStep = 0;
    int64_t lastStep = 0;
    int64_t count = 0;
    double sum = 0;
    double min = 0;
    int64_t minStep = 0;
    double max = 0;
    int64_t maxStep = 0;
    double last = 0; // value at lastStep

    double mean() const { return count > 0 ? sum / double(count) : 0.0; }
};

constexpr std::array<int, 4> kBlockShifts{4, 8, 12, 16};

/// Adds a point that comes after (or at) every point already in the bucket.
void addPoint(SeriesBucket& bucket, int64_t step, double value);

/// Folds `next` (whose points follow those of `into`) into `into`.
void mergeBucket(SeriesBucket& into, const SeriesBucket& next);

/// Block level to read when plot buckets span `bucketSteps` steps, or -1 for raw points: the
/// coarsest level whose blocks are at most half a bucket wide.
int chooseLevel(double bucketSteps);

/// Merges step-sorted pieces into at most `maxPoints` equal-width buckets over [from, to].
std::vector<SeriesBucket> downsample(const std::vector<SeriesBucket>& sorted, int64_t from,
                                     int64_t to, int maxPoints);

} // namespace swav::store
