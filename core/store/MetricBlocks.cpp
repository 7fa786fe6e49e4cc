#include "store/MetricBlocks.h"

#include <algorithm>

namespace swav::store {

void addPoint(SeriesBucket& bucket, int64_t step, double value) {
    SeriesBucket point;
    point.firstStep = point.lastStep = point.minStep = point.maxStep = step;
    point.count = 1;
    point.sum = point.min = point.max = point.last = value;
    mergeBucket(bucket, point);
}

void mergeBucket(SeriesBucket& into, const SeriesBucket& next) {
    if (next.count == 0)
        return;
    if (into.count == 0) {
        into = next;
        return;
    }
    into.firstStep = std::min(into.firstStep, next.firstStep);
    if (next.lastStep >= into.lastStep) {
        into.lastStep = next.lastStep;
        into.last = next.last;
    }
    into.count += next.count;
    into.sum += next.sum;
    if (next.min < into.min) {
        into.min = next.min;
        into.minStep = next.minStep;
    }
    if (next.max > into.max) {
        into.max = next.max;
        into.maxStep = next.maxStep;
    }
}

int chooseLevel(double bucketSteps) {
    int level = -1;
    for (int i = 0; i < int(kBlockShifts.size()); ++i)
        if (double(int64_t(1) << kBlockShifts[size_t(i)]) * 2.0 <= bucketSteps)
            level = i;
    return level;
}

std::vector<SeriesBucket> downsample(const std::vector<SeriesBucket>& sorted, int64_t from,
                                     int64_t to, int maxPoints) {
    std::vector<SeriesBucket> buckets;
    if (sorted.empty() || maxPoints <= 0 || to < from)
        return buckets;
    const double span = double(to - from + 1);
    const double width = std::max(1.0, span / double(maxPoints));
    int64_t currentIndex = -1;
    for (const SeriesBucket& piece : sorted) {
        if (piece.count == 0)
            continue;
        const auto index = int64_t(double(piece.firstStep - from) / width);
        if (index != currentIndex || buckets.empty()) {
            buckets.push_back(piece);
            currentIndex = index;
        } else {
            mergeBucket(buckets.back(), piece);
        }
    }
    return buckets;
}

} // namespace swav::store
