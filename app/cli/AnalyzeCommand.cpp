#include "cli/AnalyzeCommand.h"

#include "cli/Commands.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "config/ConfigJson.h"
#include "eval/AnalyzeCheckpoint.h"
#include "workflow/RunResults.h"

#include <cstdio>
#include <iostream>

namespace swav::cli {

int runAnalyze(const AnalyzeOptions& options) {
    auto chosen = chooseCheckpoint(options.runDir, options.checkpointEpoch, options.database);
    if (!chosen) {
        std::cerr << chosen.error().message << "\n";
        return ExitBadUsage;
    }
    const std::string checkpoint = chosen->path;
    const auto config = checkpointConfig(*chosen, options.overrides, {"dataset."}, "swav analyze");
    chosen->state = {}; // the analysis reads the file itself
    if (!config) {
        std::cerr << config.error().message << "\n";
        return ExitBadUsage;
    }
    AnalyzeRequest request;
    request.dataset = config->dataset;
    request.projectionImages = options.images;
    request.galleryTop = options.top;
    request.space = options.space;
    request.device = options.device;
    auto result = analyzeCheckpoint(checkpoint, request);
    if (!result) {
        std::cerr << "analysis failed: " << result.error().message << "\n";
        return ExitRunFailed;
    }
    const SavedResult saved = saveAnalysis(options.runDir, checkpoint, *result);
    for (const auto& file : saved.files)
        std::printf("wrote %s\n", file.c_str());
    recordForRun(options.database, options.runDir,
                 [&](store::RunStore& runs, int64_t id) { recordAnalysis(runs, id, saved); });
    if (!saved.problem.empty()) {
        std::cerr << saved.problem << "\n";
        return ExitRunFailed;
    }
    const auto& gallery = (*result)["gallery"];
    const auto& health = (*result)["prototype_health"];
    if (gallery.contains("nmi"))
        std::printf("prototype assignments vs labels: NMI %.3f, ARI %.3f\n",
                    gallery["nmi"].get<double>(), gallery["ari"].get<double>());
    std::printf("empty prototypes %d, max prototype cosine %.3f, near-duplicate pairs %lld\n",
                health["empty_prototypes"].get<int>(), health["max_cosine"].get<double>(),
                static_cast<long long>(health["near_duplicate_pairs"].get<int64_t>()));
    return ExitOk;
}

} // namespace swav::cli
