#include "cli/ProgressPrinter.h"

#include "train/RunHealth.h"

#include "util/Strings.h"

#include <cmath>
#include <unistd.h>

namespace swav::cli {

namespace {

/// An interim report (runtime.statistics_every): one short line between the progress lines.
void printEpochSoFar(std::FILE* out, const EpochMetrics& m, int numPrototypes,
                     int64_t stepsPerEpoch) {
    const int64_t stepInEpoch = stepsPerEpoch > 0 ? m.step % stepsPerEpoch + 1 : m.step + 1;
    std::fprintf(out,
                 "epoch %d so far (step %lld/%lld, %s): usage entropy %.3f, empty prototypes "
                 "%d/%d, code entropy %.3f",
                 m.epoch + 1, static_cast<long long>(stepInEpoch),
                 static_cast<long long>(stepsPerEpoch), formatDuration(m.seconds).c_str(),
                 m.usageEntropy, m.emptyPrototypes, numPrototypes, m.codeEntropy);
    if (m.knnAccuracy >= 0)
        std::fprintf(out, ", kNN %.2f %%", 100 * m.knnAccuracy);
    std::fputc('\n', out);
}

} // namespace

ProgressPrinter::ProgressPrinter(std::FILE* out)
    : m_out(out)
    , m_tty(isatty(fileno(out)) != 0) {}

void ProgressPrinter::endLiveLine() {
    if (m_lineOpen)
        std::fputc('\n', m_out);
    m_lineOpen = false;
}

void ProgressPrinter::onStarted(const RunStarted& s) {
    m_epochs = s.epochs;
    m_numPrototypes = s.numPrototypes;
    m_stepsPerEpoch = s.stepsPerEpoch;
    std::fprintf(
        m_out, "training on %s: %lld images, %lld steps per epoch, %d epochs%s\n", s.device.c_str(),
        static_cast<long long>(s.datasetSize), static_cast<long long>(s.stepsPerEpoch), s.epochs,
        s.startStep > 0 ? (" (resumed at step " + std::to_string(s.startStep) + ")").c_str() : "");
    if (!s.runDir.empty())
        std::fprintf(m_out, "run folder: %s\n", s.runDir.c_str());
    for (const auto& note : s.notes)
        std::fprintf(stderr, "warning: %s\n", note.c_str());
    std::fflush(m_out);
    m_lastPlainLine = std::chrono::steady_clock::now() - std::chrono::hours(1);
}

void ProgressPrinter::onStep(const StepMetrics& m) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "epoch %d/%d  step %lld/%lld  loss %.4f  lr %.4g  %.0f img/s  ETA %s%s%s",
                  m.epoch + 1, m_epochs, static_cast<long long>(m.stepInEpoch + 1),
                  static_cast<long long>(m.stepsPerEpoch), m.loss, m.lr, m.imagesPerSecond,
                  formatDuration(m.etaSeconds).c_str(),
                  m.prototypesFrozen ? "  [prototypes frozen]" : "",
                  m.queueActive ? "  [queue]" : "");
    if (m_tty) {
        std::fprintf(m_out, "\r\033[K%s", line);
        m_lineOpen = true;
    } else {
        // Logs get a line at most every 10 s so they stay readable.
        const auto now = std::chrono::steady_clock::now();
        if (now - m_lastPlainLine < std::chrono::seconds(10))
            return;
        m_lastPlainLine = now;
        std::fprintf(m_out, "%s\n", line);
    }
    std::fflush(m_out);
}

void ProgressPrinter::onEpoch(const EpochMetrics& m) {
    endLiveLine();
    if (m.interim) {
        printEpochSoFar(m_out, m, m_numPrototypes, m_stepsPerEpoch);
        std::fflush(m_out);
        return;
    }
    std::fprintf(m_out,
                 "epoch %d done in %s: loss %.4f (ln K %.3f), empty prototypes %d/%d, code "
                 "entropy %.3f, usage entropy %.3f, max prototype cosine %.3f, embedding std "
                 "%.4f (spread %.4f)\n",
                 m.epoch + 1, formatDuration(m.seconds).c_str(), m.meanLoss,
                 std::log(static_cast<double>(m_numPrototypes)), m.emptyPrototypes, m_numPrototypes,
                 m.codeEntropy, m.usageEntropy, m.maxPrototypeCosine, m.embeddingStd,
                 m.embeddingStdReference);
    if (m.knnAccuracy >= 0)
        std::fprintf(m_out, "  online kNN accuracy %.2f %%\n", 100 * m.knnAccuracy);
    for (const auto& hint : assessEpoch(m, m_numPrototypes).hints)
        std::fprintf(m_out, "  %s\n", hint.c_str());
    std::fflush(m_out);
}

void ProgressPrinter::onCheckpoint(const CheckpointSaved& saved) {
    endLiveLine();
    std::fprintf(m_out, "checkpoint %s (%s)\n", saved.path.c_str(),
                 formatBytes(static_cast<double>(saved.bytes)).c_str());
    std::fflush(m_out);
}

void ProgressPrinter::onFinished(const RunOutcome& outcome) {
    endLiveLine();
    switch (outcome.status) {
    case RunStatus::Finished:
        std::fprintf(m_out, "done: %s, final loss %.4f\n", outcome.message.c_str(),
                     outcome.finalLoss);
        break;
    case RunStatus::Stopped:
        std::fprintf(m_out, "%s\n", outcome.message.c_str());
        break;
    case RunStatus::Failed:
        std::fprintf(m_out, "training failed: %s\n", outcome.message.c_str());
        break;
    }
    std::fflush(m_out);
}

} // namespace swav::cli
