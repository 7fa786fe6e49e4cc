// RunStore: CSV export of a run's metrics and of the run list.
#include "store/RunStore.h"
#include "util/AtomicFile.h"
#include "util/Strings.h"

#include <cmath>
#include <cstdio>
#include <ostream>

namespace swav::store {

namespace {

std::string number(double value) {
    if (!std::isfinite(value))
        return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

std::string fractionOrBlank(double value) {
    return value >= 0 ? number(value) : std::string();
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
    std::string text;
    for (const std::string& item : items)
        text += (text.empty() ? "" : separator) + item;
    return text;
}

} // namespace

void RunStore::exportMetricsCsv(int64_t run, const std::string& file, bool overwrite) {
    if (!this->run(run))
        throw UserError(m_path + ": no run with id " + std::to_string(run));
    checkOutputFile(file, overwrite);
    writeFileAtomically(file, "metrics table", [&](std::ostream& out) {
        // Long format: one row per point, so keys logged at different steps need no padding.
        out << "metric,step,epoch,wall_time,value\n";
        forEachMetric(run, [&](const MetricPoint& point) {
            out << csvField(point.key) << ',' << point.step << ',' << point.epoch << ','
                << number(point.wallTime) << ',' << number(point.value) << '\n';
        });
    });
}

void RunStore::exportRunsCsv(const std::vector<RunListEntry>& runs,
                             const std::vector<std::string>& metricKeys, const std::string& file,
                             bool overwrite) {
    checkOutputFile(file, overwrite);
    writeFileAtomically(file, "run table", [&](std::ostream& out) {
        out << "id,name,status,preset,created,started,finished,duration_s,device,host,tags,notes,"
               "eval_knn,eval_linear";
        for (const std::string& key : metricKeys)
            out << ',' << csvField(key + " last") << ',' << csvField(key + " min") << ','
                << csvField(key + " max");
        out << '\n';
        for (const RunListEntry& entry : runs) {
            const RunRecord& r = entry.run;
            const double duration = r.durationSeconds();
            out << r.id << ',' << csvField(r.name) << ',' << toString(r.status) << ','
                << csvField(r.preset) << ',' << formatLocalTime(r.createdAt) << ','
                << formatLocalTime(r.startedAt) << ',' << formatLocalTime(r.finishedAt) << ','
                << (duration >= 0 ? number(duration) : "") << ',' << csvField(r.device) << ','
                << csvField(r.process.host) << ',' << csvField(joined(r.tags, ";")) << ','
                << csvField(r.notes) << ',' << fractionOrBlank(entry.evaluation.knn) << ','
                << fractionOrBlank(entry.evaluation.linear);
            for (const std::string& key : metricKeys) {
                const auto found = entry.metrics.find(key);
                if (found == entry.metrics.end())
                    out << ",,,";
                else
                    out << ',' << number(found->second.last) << ',' << number(found->second.min)
                        << ',' << number(found->second.max);
            }
            out << '\n';
        }
    });
}

} // namespace swav::store
