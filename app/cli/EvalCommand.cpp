#include "cli/EvalCommand.h"

#include "cli/Commands.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "config/ConfigJson.h"
#include "eval/Evaluation.h"
#include "runtime/Checkpoint.h"
#include "workflow/RunResults.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace swav::cli {

namespace fs = std::filesystem;

namespace {

std::string percent(const nlohmann::json& value) {
    if (!value.is_number())
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.2f %%", 100.0 * value.get<double>());
    return text;
}

void printTable(const nlohmann::json& result) {
    std::printf("checkpoint %s\n", result["checkpoint"].get<std::string>().c_str());
    std::printf("train %s (%lld images), test %s (%lld images)\n",
                result["dataset"]["train"].get<std::string>().c_str(),
                result["dataset"]["train_images"].get<long long>(),
                result["dataset"]["test"].get<std::string>().c_str(),
                result["dataset"]["test_images"].get<long long>());
    std::string knnTitle = "kNN";
    if (result.contains("knn_settings"))
        knnTitle += " (k " + std::to_string(result["knn_settings"]["k"].get<int>()) + ")";
    std::printf("\n%-14s %14s %14s %14s\n", "features", knnTitle.c_str(), "linear", "linear best");
    for (const char* name : {"trained", "random_init", "raw_pixels"}) {
        const bool present = (result.contains("knn") && result["knn"].contains(name)) ||
                             (result.contains("linear") && result["linear"].contains(name));
        if (!present)
            continue;
        auto at = [&](const char* group) {
            return result.contains(group) && result[group].contains(name) ? result[group][name]
                                                                          : nlohmann::json();
        };
        std::printf("%-14s %14s %14s %14s\n", name, percent(at("knn")).c_str(),
                    percent(at("linear")).c_str(), percent(at("linear_best")).c_str());
    }
}

} // namespace

int runEval(const EvalOptions& options) {
    auto chosen = chooseCheckpoint(options.runDir, options.checkpointEpoch, options.database);
    if (!chosen) {
        std::cerr << chosen.error().message << "\n";
        return ExitBadUsage;
    }
    const std::string checkpoint = chosen->path;
    auto config = checkpointConfig(*chosen, options.overrides, {"eval.", "dataset."}, "swav eval");
    chosen->state = {}; // the evaluation reads the file itself
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    EvalRequest request = evalRequestFor(*config);
    request.dataset = config->dataset;
    request.knn = options.knn || !options.linear;
    request.linear = options.linear;
    request.baselines = options.baselines;
    request.useCache = !options.noCache;
    request.device = options.device;

    const bool tty = isatty(fileno(stderr)) != 0;
    auto progress = [&](const std::string& stage, int64_t done, int64_t total) {
        if (tty)
            std::fprintf(stderr, "\r\033[K%s %lld/%lld", stage.c_str(),
                         static_cast<long long>(done), static_cast<long long>(total));
        return true;
    };
    std::vector<std::string> written; // feature caches, then the result file
    auto result = evaluateCheckpoint(checkpoint, request, progress, &written);
    if (tty)
        std::fprintf(stderr, "\r\033[K");
    if (!result) {
        std::cerr << "evaluation failed: " << result.error().message << "\n";
        return ExitRunFailed;
    }

    // Keep every evaluation beside the run.
    const SavedResult saved = saveEvaluation(options.runDir, checkpoint, *result, written);
    if (!saved.problem.empty())
        std::cerr << "warning: " << saved.problem << "\n";
    recordForRun(options.database, options.runDir, [&](store::RunStore& runs, int64_t id) {
        recordEvaluation(runs, id, saved, *result);
    });

    if (options.json) {
        nlohmann::json brief;
        for (const char* key :
             {"knn", "linear", "linear_best", "knn_settings", "linear_settings", "seconds"})
            if (result->contains(key))
                brief[key] = (*result)[key];
        std::cout << brief.dump() << "\n";
    } else {
        printTable(*result);
        if (saved.problem.empty())
            std::printf("\nsaved %s\n", saved.files.back().c_str());
    }
    return ExitOk;
}

} // namespace swav::cli
