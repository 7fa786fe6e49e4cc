#include "TestHarness.h"

#include "optim/LrSchedule.h"
#include "optim/Optimizer.h"

#include <ATen/ATen.h>

#include <cmath>

using namespace swav;

namespace {

NamedParameter parameter(const std::string& name, std::vector<float> values,
                         std::vector<float> grad, bool biasOrNorm = false) {
    auto t = at::tensor(values);
    t.mutable_grad() = at::tensor(grad);
    return {name, t, biasOrNorm};
}

} // namespace

TEST(Optim, LarsMatchesAHandComputationOnTwoParameters) {
    // w = (3, 4): |w| = 5; g = (0.6, 0.8): |g| = 1. trust 0.001, wd 0.1, lr 2.
    // rate = 0.001 * 5 / (1 + 0.1 * 5 + 1e-8) = 0.0033333333111
    // g' = (g + 0.1 w) * rate = (0.9, 1.2) * rate = (0.0030000000, 0.0040000000)
    // first step: momentum = g'; w <- w - 2 g' = (2.9940000, 3.9920000)
    OptimConfig config;
    config.weightDecay = 0.1;
    config.larsTrust = 0.001;
    LarsOptimizer lars({parameter("w", {3, 4}, {0.6f, 0.8f})}, config);
    lars.step(2.0);
    auto w = lars.parameters()[0].tensor;
    ASSERT_NEAR(w[0].item<double>(), 2.994, 1e-6);
    ASSERT_NEAR(w[1].item<double>(), 3.992, 1e-6);
    // Second step with the same gradient: |w| changed slightly, momentum 0.9 accumulates.
    const double norm = std::sqrt(2.994 * 2.994 + 3.992 * 3.992);
    const double rate = 0.001 * norm / (1 + 0.1 * norm + 1e-8);
    const double g0 = (0.6 + 0.1 * 2.994) * rate, m0 = 0.9 * 0.003 + g0;
    lars.step(2.0);
    ASSERT_NEAR(w[0].item<double>(), 2.994 - 2 * m0, 1e-6);
}

TEST(Optim, LarsClipAndExclusionOfBiases) {
    OptimConfig config;
    config.weightDecay = 0.0;
    config.larsTrust = 1.0; // rate = |w| / |g| = 5 -> clipped to lr-relative 1
    config.larsClip = true;
    LarsOptimizer clipped({parameter("w", {3, 4}, {0.6f, 0.8f})}, config);
    clipped.step(0.5);
    // min(5 / 0.5, 1) = 1 -> plain SGD step
    ASSERT_NEAR(clipped.parameters()[0].tensor[0].item<double>(), 3 - 0.5 * 0.6, 1e-6);

    config.larsClip = false;
    config.excludeBiasAndNorm = true;
    config.weightDecay = 0.5;
    LarsOptimizer excluded({parameter("bn.bias", {3, 4}, {0.6f, 0.8f}, true)}, config);
    excluded.step(0.1);
    // Neither LARS nor weight decay: plain momentum SGD.
    ASSERT_NEAR(excluded.parameters()[0].tensor[1].item<double>(), 4 - 0.1 * 0.8, 1e-6);
}

TEST(Optim, ParametersWithoutGradientDoNotMove) {
    OptimConfig config;
    auto frozen = parameter("prototypes.weight", {1, 2}, {0.1f, 0.1f});
    frozen.tensor.mutable_grad() = at::Tensor();
    LarsOptimizer lars({frozen}, config);
    lars.step(1.0);
    ASSERT_TRUE(at::equal(lars.parameters()[0].tensor, at::tensor({1.f, 2.f})));
}

TEST(Optim, AdamFirstStepMovesByLr) {
    OptimConfig config;
    config.weightDecay = 0;
    AdamOptimizer adam({parameter("w", {1, -1}, {0.3f, -2.f})}, config, false);
    adam.step(0.01);
    // Bias-corrected first Adam step is lr * sign(g) (up to eps).
    ASSERT_NEAR(adam.parameters()[0].tensor[0].item<double>(), 1 - 0.01, 1e-6);
    ASSERT_NEAR(adam.parameters()[0].tensor[1].item<double>(), -1 + 0.01, 1e-6);
}

TEST(Optim, OptimiserStateRoundTrips) {
    OptimConfig config;
    LarsOptimizer a({parameter("w", {3, 4}, {0.6f, 0.8f})}, config);
    a.step(1.0);
    auto state = a.state();
    ASSERT_TRUE(state.count("w/momentum") && state.count("step"));
    LarsOptimizer b({parameter("w", {3, 4}, {0.6f, 0.8f})}, config);
    b.loadState(state);
    ASSERT_TRUE(at::equal(b.state()["w/momentum"], state["w/momentum"]));
    LarsOptimizer c({parameter("v", {3, 4}, {0.6f, 0.8f})}, config);
    ASSERT_THROWS_WITH(c.loadState(state), "'w', which the model does not have");
}

TEST(Optim, ScheduleWarmsUpLinearlyThenFollowsTheCosine) {
    OptimConfig config;
    config.epochs = 10;
    config.warmupEpochs = 2;
    config.startWarmup = 0.3;
    config.baseLr = 4.8;
    config.finalLr = 0.0048;
    LrSchedule schedule(config, 100);
    ASSERT_EQ(schedule.totalIterations(), int64_t(1000));
    ASSERT_NEAR(schedule.at(0), 0.3, 1e-12);
    ASSERT_NEAR(schedule.at(199), 4.8, 1e-12);
    ASSERT_NEAR(schedule.at(100), 0.3 + 4.5 * 100 / 199.0, 1e-12);
    ASSERT_NEAR(schedule.at(200), 4.8, 1e-12);
    ASSERT_NEAR(schedule.at(600), 0.0048 + 0.5 * (4.8 - 0.0048), 1e-9); // half-way of cosine
    ASSERT_TRUE(schedule.at(999) < 0.0049 && schedule.at(999) >= 0.0048);
}
