#include "cli/SweepCommand.h"

#include "cli/Commands.h"
#include "cli/SelfProcess.h"
#include "cli/StoreLink.h"
#include "config/SweepPlan.h"
#include "store/RunStore.h"
#include "util/AtomicFile.h"
#include "util/Strings.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace swav::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onInterrupt(int) {
    g_interrupted = true;
    stopChildFromSignal(); // the run being trained stops after its step, with a checkpoint
}

struct SweepRow {
    std::string label;
    int64_t runId = 0;
    std::string status = "not run";
    double finalLoss = -1;
    double knn = -1;
    double linear = -1;
    double minutes = -1;
};

std::string lastLine(const std::string& text) {
    const auto end = text.find_last_not_of("\r\n");
    if (end == std::string::npos)
        return {};
    const auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end + 1 - (start == std::string::npos ? 0 : start + 1));
}

std::string percentCell(double fraction) {
    if (fraction < 0)
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.2f %%", 100 * fraction);
    return text;
}

std::string numberCell(double value, const char* format) {
    if (value < 0)
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

std::string markdownTable(const std::vector<SweepRow>& rows, bool linear) {
    std::ostringstream out;
    out << "| # | run | settings | status | final loss | kNN top-1 |"
        << (linear ? " linear top-1 |" : "") << " minutes |\n|---|---|---|---|---|---|"
        << (linear ? "---|" : "") << "---|\n";
    for (size_t i = 0; i < rows.size(); ++i) {
        const SweepRow& r = rows[i];
        out << "| " << i + 1 << " | " << (r.runId > 0 ? std::to_string(r.runId) : "-") << " | `"
            << r.label << "` | " << r.status << " | " << numberCell(r.finalLoss, "%.4f") << " | "
            << percentCell(r.knn) << " |" << (linear ? " " + percentCell(r.linear) + " |" : "")
            << " " << numberCell(r.minutes, "%.1f") << " |\n";
    }
    return out.str();
}

/// The base configuration's options followed by the variation's, as `swav train` takes them.
std::vector<std::string> configArguments(const ConfigSource& source,
                                         const std::vector<std::string>& overrides) {
    std::vector<std::string> args;
    if (!source.configFile.empty())
        args = {"--config", source.configFile};
    else if (!source.preset.empty())
        args = {"--preset", source.preset};
    for (const auto& list : {source.overrides, overrides})
        for (const std::string& o : list) {
            args.push_back("--set");
            args.push_back(o);
        }
    return args;
}

/// Trains one variation, finds its run, tags it and evaluates it.
void runVariation(const SweepOptions& options, const std::string& database, size_t index,
                  const SweepVariant& variant, SweepRow& row) {
    const std::string name = options.tag + "-" + std::to_string(index + 1);
    std::vector<std::string> overrides = variant.overrides;
    overrides.push_back("name=" + name);
    std::vector<std::string> train = {"train"};
    for (const std::string& a : configArguments(options.source, overrides))
        train.push_back(a);
    train.insert(train.end(), {"--db", database});
    std::printf("\n== %zu: %s\n", index + 1, variant.label.c_str());
    std::fflush(stdout);
    const int trained = runSelf(train);

    auto store = store::RunStore::open(database);
    if (!store) {
        row.status = "no database";
        return;
    }
    for (const auto& entry : (*store)->listRuns())
        if (entry.run.name == name && entry.run.id > row.runId)
            row.runId = entry.run.id;
    if (row.runId == 0) {
        row.status = "did not start (exit " + std::to_string(trained) + ")";
        return;
    }
    (*store)->addTag(row.runId, options.tag);
    const auto record = (*store)->run(row.runId);
    row.status = record ? store::toString(record->status) : "?";
    if (record && record->durationSeconds() >= 0)
        row.minutes = record->durationSeconds() / 60;
    const auto summaries = (*store)->metricSummaries(row.runId, {"epoch/loss"});
    if (const auto loss = summaries.find("epoch/loss"); loss != summaries.end())
        row.finalLoss = loss->second.last;
    store->reset(); // the evaluation records into the database itself
    if (trained != ExitOk || g_interrupted)
        return;

    std::vector<std::string> eval = {"eval",  "--run", std::to_string(row.runId), "--db", database,
                                     "--knn", "--json"};
    if (options.linear)
        eval.push_back("--linear");
    std::string output;
    if (runSelf(eval, &output) != ExitOk) {
        row.status += ", evaluation failed";
        return;
    }
    // `swav eval --json` prints one JSON object, on the last line.
    const auto result = nlohmann::json::parse(lastLine(output), nullptr, false);
    if (result.is_discarded()) {
        row.status += ", evaluation unreadable";
        return;
    }
    if (result.contains("knn") && result["knn"].contains("trained"))
        row.knn = result["knn"]["trained"].get<double>();
    if (result.contains("linear") && result["linear"].contains("trained"))
        row.linear = result["linear"]["trained"].get<double>();
}

} // namespace

int runSweep(const SweepOptions& options) {
    if (options.tag.empty()) {
        std::cerr << "swav sweep: --tag names the sweep (its runs are tagged and named after it)\n";
        return ExitBadUsage;
    }
    auto plan = planSweep(options.grids, options.variants);
    if (!plan) {
        std::cerr << plan.error().message << "\n";
        return ExitBadUsage;
    }
    // Every variation must be a valid configuration before the first one trains.
    bool valid = true;
    for (const SweepVariant& variant : *plan) {
        ConfigSource source = options.source;
        source.overrides.insert(source.overrides.end(), variant.overrides.begin(),
                                variant.overrides.end());
        if (auto config = source.load(); !config) {
            std::cerr << variant.label << ":\n" << config.error().message << "\n";
            valid = false;
        }
    }
    if (!valid)
        return ExitBadUsage;
    if (!options.tableFile.empty()) {
        if (!outputAllowed(options.database, options.tableFile, options.overwrite))
            return ExitBadUsage;
    }
    std::vector<SweepRow> rows(plan->size());
    for (size_t i = 0; i < rows.size(); ++i)
        rows[i].label = (*plan)[i].label;
    if (options.dryRun) {
        std::printf("%zu runs:\n%s", rows.size(), markdownTable(rows, options.linear).c_str());
        return ExitOk;
    }

    const std::string database = databaseOrDefault(options.database);
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    std::signal(SIGHUP, onInterrupt);
    for (size_t i = 0; i < rows.size() && !g_interrupted; ++i) {
        runVariation(options, database, i, (*plan)[i], rows[i]);
        std::printf("\n%s", markdownTable(rows, options.linear).c_str());
        std::fflush(stdout);
    }
    const std::string table = markdownTable(rows, options.linear);
    if (!options.tableFile.empty()) {
        try {
            writeFileAtomically(options.tableFile, "sweep table",
                                [&](std::ostream& out) { out << table; });
            std::printf("wrote %s\n", options.tableFile.c_str());
        } catch (const UserError& e) {
            std::cerr << e.what() << "\n";
            return ExitRunFailed;
        }
    }
    if (g_interrupted) {
        std::fprintf(stderr, "sweep interrupted: the runs not listed as trained were not run\n");
        return ExitRunFailed;
    }
    return ExitOk;
}

} // namespace swav::cli
