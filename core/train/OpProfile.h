#pragma once
// Where the CPU time of training steps goes, by kind of layer: LibTorch's own operator profiler,
// each operator's self time (its time minus that of the operators it called) summed by kind.

#include <string>
#include <vector>

namespace swav {

struct KindTime {
    std::string kind; // "convolution", "batch norm", "linear", "optimiser", ...
    double milliseconds = 0;
    long long calls = 0;
};

/// Records every operator from construction to finish() on the threads LibTorch runs it on.
/// One at a time per process.
class OpProfile {
public:
    OpProfile();
    ~OpProfile();
    OpProfile(const OpProfile&) = delete;
    OpProfile& operator=(const OpProfile&) = delete;

    /// Stops recording; the kinds by decreasing time.
    std::vector<KindTime> finish();
    /// After finish(): each operator by name (its kind in `kind`), by decreasing time.
    const std::vector<KindTime>& operators() const { return m_operators; }

private:
    bool m_active = true;
    std::vector<KindTime> m_operators;
};

/// The kind an operator's time counts for: "convolution" for aten::mkldnn_convolution and
/// ConvolutionBackward0, "batch norm", "linear" (matrix products), "loss and Sinkhorn" (softmax,
/// exp, log), "elementwise and copies", "optimiser" (inside the trainer's optimiser scope).
std::string operatorKind(const std::string& name, bool inOptimiser);

/// Name of the user scope the trainer opens around the optimiser step.
extern const char* const kOptimiserScope;

} // namespace swav
