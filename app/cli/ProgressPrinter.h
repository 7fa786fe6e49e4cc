#pragma once
// Live training progress on the terminal: one rewritten line on a TTY, plain lines otherwise.

#include "train/TrainingObserver.h"

#include <chrono>
#include <cstdio>

namespace swav::cli {

class ProgressPrinter : public TrainingObserver {
public:
    explicit ProgressPrinter(std::FILE* out);

    void onStarted(const RunStarted& started) override;
    void onStep(const StepMetrics& m) override;
    void onEpoch(const EpochMetrics& m) override;
    void onCheckpoint(const CheckpointSaved& saved) override;
    void onFinished(const RunOutcome& outcome) override;

private:
    void endLiveLine();

    std::FILE* m_out;
    bool m_tty;
    bool m_lineOpen = false;
    int m_epochs = 0;
    int m_numPrototypes = 0;
    int64_t m_stepsPerEpoch = 0;
    std::chrono::steady_clock::time_point m_lastPlainLine;
};

} // namespace swav::cli
