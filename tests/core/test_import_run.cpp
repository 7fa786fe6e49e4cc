// Released weights become a run: recorded as imported with one checkpoint holding exactly the
// file's weights; weights that do not fit leave nothing behind.
#include "StoreTesting.h"
#include "TestHarness.h"

#include "config/ConfigJson.h"
#include "config/DatasetKinds.h"
#include "config/Presets.h"
#include "model/ModelState.h"
#include "model/WeightInterop.h"
#include "runtime/Checkpoint.h"
#include "store/RunStore.h"
#include "util/Sha256.h"
#include "workflow/ImportRun.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

using namespace swav;

namespace {

/// A torchvision state dict of the fashion-mnist preset's trunk with seeded random weights.
std::map<std::string, at::Tensor> presetTrunk(const std::string& file) {
    const auto config = loadPreset("fashion-mnist", {});
    SWAV_REQUIRE(config, "");
    at::manual_seed(1234);
    SwavModel model(config->model, datasetChannels(config->dataset));
    auto state = torchvisionStateDict(model);
    saveStateDict(state, file);
    return state;
}

size_t entriesIn(const std::string& folder) {
    size_t count = 0;
    std::error_code ignored;
    for (auto it = std::filesystem::directory_iterator(folder, ignored);
         it != std::filesystem::directory_iterator(); ++it)
        ++count;
    return count;
}

} // namespace

TEST(ImportRun, ImportedWeightsBecomeARunWithOneCheckpoint) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    auto store = test::openStore(database);
    const auto trunk = presetTrunk(dir.file("released.pt"));

    ImportRequest request;
    request.file = dir.file("released.pt");
    request.preset = "fashion-mnist";
    auto config = importConfig("fashion-mnist", {"dataset.subset=512"}, "", request.file);
    ASSERT_TRUE(config);
    request.config = *config;
    const auto imported = importRun(*store, database, request);
    ASSERT_TRUE(imported) << (imported ? "" : imported.error().message);
    const auto run = store->run(imported->runId);
    ASSERT_TRUE(run);
    ASSERT_TRUE(run->status == store::RunState::Imported);
    ASSERT_EQ(run->name, std::string("released"));
    ASSERT_CONTAINS(run->message, "imported from");
    ASSERT_TRUE(!run->configJson.empty());

    const auto checkpoints = store->checkpoints(imported->runId);
    ASSERT_EQ(checkpoints.size(), size_t(1));
    ASSERT_EQ(checkpoints[0].sha256, sha256OfFile(imported->checkpoint));
    ASSERT_EQ(runDirOfCheckpoint(imported->checkpoint), imported->runDir);
    const auto saved = loadCheckpoint(imported->checkpoint, checkpoints[0].sha256);
    // Every trunk tensor is the file's.
    for (const auto& [name, tensor] : trunk) {
        const auto found = saved.model.find("trunk." + name);
        ASSERT_TRUE(found != saved.model.end()) << name;
        ASSERT_TRUE(at::equal(found->second, tensor)) << name;
    }
    const auto recorded = loadConfig(saved.configJson, imported->checkpoint, {});
    ASSERT_TRUE(recorded);
    ASSERT_EQ(recorded->dataset.subset, int64_t(512));

    // Deleting the run removes what the import wrote.
    store->deleteRun(imported->runId);
    ASSERT_TRUE(!std::filesystem::exists(imported->checkpoint));
}

TEST(ImportRun, AnArchitectureNamedOnItsOwnIsThePlainTrunk) {
    // A resnet18 import is torchvision's trunk: ImageNet stem, 3 channels, no feature layer
    // (which the Fashion-MNIST preset adds and no release has).
    auto overrides = importArchOverrides("resnet18");
    const auto plain = importConfig(defaultImportPreset("resnet18"), overrides, "", "r18.pt");
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->model.arch, std::string("resnet18"));
    ASSERT_EQ(plain->model.featureWidth, 0);
    ASSERT_EQ(plain->model.stem, std::string("imagenet"));
    ASSERT_EQ(datasetChannels(plain->dataset), 3);
    ASSERT_TRUE(loadPreset("fashion-mnist", {})->model.featureWidth > 0);
    ASSERT_EQ(importConfig("fashion-mnist", overrides, "", "r18.pt")->model.featureWidth, 0);
    // The user's own overrides come after and still win.
    overrides.push_back("model.feature_width=8");
    ASSERT_EQ(importConfig("fashion-mnist", overrides, "", "r18.pt")->model.featureWidth, 8);
}

TEST(ImportRun, WeightsThatDoNotFitLeaveNothingBehind) {
    test::TempDir dir;
    const std::string database = dir.file("runs.db");
    auto store = test::openStore(database);
    presetTrunk(dir.file("released.pt"));
    const std::string runsRoot = store::runsRootFor(database);
    const size_t before = entriesIn(runsRoot);

    ImportRequest request;
    request.file = dir.file("released.pt");
    // Another trunk: its tensors differ.
    request.config = *importConfig("fashion-mnist", {"model.arch=resnet18"}, "", request.file);
    const auto wrong = importRun(*store, database, request);
    ASSERT_TRUE(!wrong);
    ASSERT_CONTAINS(wrong.error().message, "released.pt");
    std::ofstream(dir.file("garbage.pt")) << "not a pickle";
    request.file = dir.file("garbage.pt");
    request.config = *importConfig("fashion-mnist", {}, "", request.file);
    const auto garbage = importRun(*store, database, request);
    ASSERT_TRUE(!garbage);
    ASSERT_CONTAINS(garbage.error().message, "garbage.pt");
    ASSERT_TRUE(store->listRuns().empty());
    ASSERT_EQ(entriesIn(runsRoot), before);
}

TEST(ImportRun, RunsAreNamedAfterTheWeightsFile) {
    ASSERT_EQ(importRunName("", "/d/swav_800ep_pretrain.pth.tar"),
              std::string("swav_800ep_pretrain"));
    ASSERT_EQ(importRunName("", "resnet18.pth"), std::string("resnet18"));
    ASSERT_EQ(importRunName("", "my.weights.json"), std::string("my.weights"));
    ASSERT_EQ(importRunName("mine", "x.pt"), std::string("mine"));
}
