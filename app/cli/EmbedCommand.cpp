#include "cli/EmbedCommand.h"

#include "cli/Commands.h"
#include "cli/RunPaths.h"
#include "cli/StoreLink.h"
#include "eval/Embedding.h"

#include <cstdio>
#include <iostream>

namespace swav::cli {

int runEmbed(const EmbedOptions& options) {
    if (options.images.empty() == options.dataset.empty()) {
        std::cerr << "swav embed: give either --images DIR or --dataset train|test\n";
        return ExitBadUsage;
    }
    try {
        checkEmbeddingOutputs(options.outFile, options.overwrite);
    } catch (const UserError& e) {
        std::cerr << e.what() << "\n";
        return ExitBadUsage;
    }
    for (const std::string& file : {options.outFile, embedNamesFile(options.outFile)})
        if (!outputAllowed(options.database, file, options.overwrite))
            return ExitBadUsage;
    auto what = parseEmbedOutput(options.what);
    if (!what) {
        std::cerr << "--what " << options.what
                  << ": expected features, embeddings, scores or codes\n";
        return ExitBadUsage;
    }
    auto chosen = chooseCheckpoint(options.runDir, options.checkpointEpoch, options.database);
    if (!chosen) {
        std::cerr << chosen.error().message << "\n";
        return ExitBadUsage;
    }
    EmbedRequest request;
    request.checkpoint = chosen->path;
    chosen->state = {}; // embedImages reads the file itself
    const auto digests = recordedDigests(options.database, options.runDir);
    if (const auto digest = digests.find(request.checkpoint); digest != digests.end())
        request.expectedSha256 = digest->second;
    request.imagesFolder = options.images;
    request.split = options.dataset;
    request.what = *what;
    request.batchSize = options.batchSize;
    request.device = options.device;

    auto result = embedImages(request);
    if (!result) {
        std::cerr << "embed failed: " << result.error().message << "\n";
        return ExitRunFailed;
    }
    try {
        writeEmbedding(*result, options.outFile, options.overwrite);
    } catch (const UserError& e) {
        std::cerr << e.what() << "\n";
        return ExitRunFailed;
    }
    int64_t replaced = 0;
    for (bool r : result->replaced)
        replaced += r ? 1 : 0;
    std::printf("checkpoint %s\n", request.checkpoint.c_str());
    std::printf("images: %s\n", result->source.c_str());
    std::printf("preprocessing: %s\n", result->preprocessing.c_str());
    std::printf("wrote %s: %s, float32 [%lld, %lld]\n", options.outFile.c_str(),
                toString(request.what), (long long)result->values.size(0),
                (long long)result->values.size(1));
    std::printf("wrote %s: row, name, label, class, replaced\n",
                embedNamesFile(options.outFile).c_str());
    if (replaced > 0)
        std::fprintf(stderr,
                     "warning: %lld files could not be decoded; their rows hold another image's "
                     "values and are marked replaced=1\n",
                     (long long)replaced);
    return ExitOk;
}

} // namespace swav::cli
