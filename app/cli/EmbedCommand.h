#pragma once

#include <string>

namespace swav::cli {

struct EmbedOptions {
    std::string runDir;       // run folder or run id
    std::string database;     // run database; "" = the default one
    int checkpointEpoch = -1; // -1 = newest checkpoint
    std::string images;       // a folder of images; "" = the run's dataset
    std::string dataset;      // "train" or "test" of the run's dataset
    std::string outFile;      // FILE.npy; the row names go to FILE.csv
    std::string what = "features";
    int batchSize = 0;
    std::string device = "auto";
    bool overwrite = false;
};

/// `swav embed`: a run's features, embeddings, scores or codes of a set of images as a NumPy
/// array, with the row names beside it; returns the exit code.
int runEmbed(const EmbedOptions& options);

} // namespace swav::cli
