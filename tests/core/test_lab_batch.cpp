// The teaching lab's batch: the trainer's own step seen image by image, from initial weights,
// a paused run or a checkpoint.
#include "TestHarness.h"
#include "TinySynthetic.h"

#include "data/Dataset.h"
#include "dist/EpochShards.h"
#include "eval/LabBatch.h"
#include "model/ModelState.h"
#include "runtime/HeldModel.h"
#include "swav/Sinkhorn.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <set>

using namespace swav;

namespace {

ExperimentConfig labConfig() {
    ExperimentConfig c = test::tinyTrainingConfig(96);
    c.multicrop.crops[1].count = 3; // three small crops: the swapped terms of every pair
    c.optim.epochs = 1;
    c.runtime.seed = 7;
    return c;
}

struct FirstStep : TrainingObserver {
    TrainingControl* control = nullptr;
    bool stopAtPause = false;
    std::vector<StepMetrics> steps;
    std::shared_ptr<const HeldModel> held;
    void onStep(const StepMetrics& m) override { steps.push_back(m); }
    bool wantsHeldModel() const override { return true; }
    void onModelHeld(const std::shared_ptr<const HeldModel>& model) override {
        held = model;
        if (stopAtPause)
            control->requestStop();
    }
};

} // namespace

TEST(LabBatch, TheLabBatchIsTheTrainersFirstStep) {
    // Same weights, images, crops and forward: the lab's loss is the trainer's step loss, and
    // the crop-by-crop table averages to it.
    const ExperimentConfig config = labConfig();
    auto split = openDataset(config.dataset);
    ASSERT_TRUE(split);
    Trainer trainer(config, split->train, {});
    FirstStep observer;
    trainer.addObserver(&observer);
    TrainingControl control;
    ASSERT_TRUE(trainer.run(control).status == RunStatus::Finished);
    ASSERT_TRUE(!observer.steps.empty());

    LabRequest request;
    const auto order = epochOrder(split->train->size(), uint64_t(config.runtime.seed), 0);
    request.indices.assign(order.begin(), order.begin() + config.optim.batchSize);
    const LabBatch lab = makeLabBatch(labModelAtStart(config), *split->train, request);
    ASSERT_NEAR(lab.loss, observer.steps.front().loss, 1e-5);
    ASSERT_NEAR(lab.swapped.imageLoss.mean().item<double>(), lab.loss, 1e-5);
    ASSERT_TRUE(lab.cropCount() == 5);
    ASSERT_TRUE(lab.scores.size(0) == 5 * 16 && lab.scores.size(1) == config.model.numPrototypes);
    ASSERT_TRUE(lab.crops[0].size(2) == 16 && lab.crops[4].size(2) == 8);
    ASSERT_TRUE(lab.crops[0].min().item<float>() >= 0 && lab.crops[0].max().item<float>() <= 1);
    // The codes of crop 0 are Sinkhorn's on that crop's scores.
    const auto codes =
        sinkhornCodes(lab.cropScores(0), config.swav.epsilon, config.swav.sinkhornIterations);
    ASSERT_TRUE(at::allclose(lab.swapped.codes[0], codes, 1e-6, 1e-7));
}

TEST(LabBatch, APausedTrainerSharesItsModel) {
    ExperimentConfig config = labConfig();
    config.optim.epochs = 2;
    auto split = openDataset(config.dataset);
    ASSERT_TRUE(split);
    Trainer trainer(config, split->train, {});
    FirstStep observer;
    TrainingControl control;
    observer.control = &control;
    observer.stopAtPause = true;
    trainer.addObserver(&observer);
    control.stepThenPause(3); // three steps, then a pause that shares the model
    ASSERT_TRUE(trainer.run(control).status == RunStatus::Stopped);
    ASSERT_TRUE(observer.held);
    ASSERT_TRUE(observer.held->step == 3);
    ASSERT_TRUE(observer.steps.size() == 3);

    auto lab = labModelFromHeld(*observer.held);
    ASSERT_TRUE(lab);
    // Held before the fourth step, shown as the status bar counts: "before step 4".
    ASSERT_TRUE(lab->origin.find("before step 4") != std::string::npos);
    // Three steps changed the weights: the held copy differs from the initial ones.
    at::manual_seed(uint64_t(config.runtime.seed));
    SwavModel initial(config.model, 1);
    const auto start = modelState(*initial);
    ASSERT_TRUE(lab->state.size() == start.size());
    const auto& name = start.begin()->first;
    ASSERT_TRUE(lab->state.at(name).sizes() == start.at(name).sizes());
    ASSERT_TRUE(!at::equal(lab->state.at("prototypes.weight"), start.at("prototypes.weight")));
    LabRequest request;
    request.images = 8;
    request.poolImages = 40;
    const LabBatch batch = makeLabBatch(*lab, *split->train, request);
    ASSERT_TRUE(batch.batchSize() == 8);
    ASSERT_TRUE(batch.poolScores.size(0) == 40);
}

TEST(LabBatch, TypicalImagesAreThePoolsBestScores) {
    const ExperimentConfig config = labConfig();
    auto split = openDataset(config.dataset);
    ASSERT_TRUE(split);
    LabRequest request;
    request.poolImages = 50;
    const LabBatch lab = makeLabBatch(labModelAtStart(config), *split->train, request);
    for (int k = 0; k < config.model.numPrototypes; ++k) {
        const auto best = typicalImages(lab, k, 3);
        ASSERT_TRUE(best.size() == 3);
        const int64_t argmax = lab.poolScores.select(1, k).argmax().item<int64_t>();
        ASSERT_TRUE(best[0] == lab.poolIndices[size_t(argmax)]);
    }
    // Distinct images of the training set.
    ASSERT_TRUE(std::set<int64_t>(lab.indices.begin(), lab.indices.end()).size() == 16);
}

TEST(LabBatch, AssignmentSummaryMeasuresSpread) {
    const auto oneHot = at::eye(8).slice(0, 0, 4); // 4 images on 4 different prototypes of 8
    const auto sharp = summariseAssignment(oneHot);
    ASSERT_NEAR(sharp.codeEntropy, 0.0, 1e-9);
    ASSERT_NEAR(sharp.usageEntropy, std::log(4.0) / std::log(8.0), 1e-9);
    ASSERT_TRUE(sharp.prototypesUsed == 4);
    const auto uniform = summariseAssignment(at::ones({4, 8}) * 3); // rows need not sum to 1
    ASSERT_NEAR(uniform.codeEntropy, 1.0, 1e-9);
    ASSERT_NEAR(uniform.usageEntropy, 1.0, 1e-9);
    auto collapsed = at::zeros({4, 8});
    collapsed.select(1, 2).fill_(1);
    const auto one = summariseAssignment(collapsed);
    ASSERT_TRUE(one.prototypesUsed == 1);
    ASSERT_NEAR(one.usageEntropy, 0.0, 1e-9);
}
