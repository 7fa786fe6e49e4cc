#include "cli/BenchCommand.h"
#include "cli/Commands.h"
#include "cli/ScratchRun.h"
#include "util/Expected.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

namespace swav::cli {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int runStoreBench(const BenchOptions& options) {
    try {
        ScratchRun scratch;
        // A noisy, decaying loss with a rare spike, as training produces.
        const auto start = std::chrono::steady_clock::now();
        const int64_t rows = options.rows;
        std::vector<store::MetricPoint> batch;
        for (int64_t step = 0; step < rows; ++step) {
            const double value = 4.6 * std::exp(-double(step) / double(rows)) +
                                 0.05 * std::sin(double(step) * 0.37) +
                                 (step == rows / 3 ? 50.0 : 0.0);
            batch.push_back({"loss", step, int(step / 1000), value, double(step)});
            if (batch.size() == 20) { // the trainer's default metrics_every
                scratch.recorder().record(std::move(batch));
                batch.clear();
            }
        }
        scratch.recorder().record(std::move(batch));
        scratch.recorder().flush();
        const double insertSeconds = secondsSince(start);
        const int64_t stored = scratch.reader().metricCount(scratch.runId(), "loss");
        std::printf("insert: %lld metric rows in %.2f s (%.0f rows/s) through the recorder\n",
                    static_cast<long long>(stored), insertSeconds, double(stored) / insertSeconds);

        std::vector<double> times;
        std::vector<store::SeriesBucket> series;
        for (int i = 0; i < 7; ++i) {
            const auto queryStart = std::chrono::steady_clock::now();
            series = scratch.reader().series(scratch.runId(), "loss", options.points);
            times.push_back(secondsSince(queryStart) * 1000.0);
        }
        const double first = times.front();
        std::sort(times.begin(), times.end());
        double spike = 0;
        for (const auto& bucket : series)
            spike = std::max(spike, bucket.max);
        std::printf("series: %lld points -> %zu buckets (min/max/mean each) in %.1f ms (first "
                    "query), %.1f ms (median of 7); spike kept: %s\n",
                    static_cast<long long>(stored), series.size(), first, times[times.size() / 2],
                    spike > 40 ? "yes" : "NO");
        if (const std::string error = scratch.recorder().firstError(); !error.empty())
            std::printf("recorder error: %s\n", error.c_str());
    } catch (const UserError& e) {
        std::cerr << e.what() << "\n";
        return ExitBadUsage;
    }
    return ExitOk;
}

} // namespace swav::cli
