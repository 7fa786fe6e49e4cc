#include "CropRendering.h"
#include "config/DatasetKinds.h"

#include "ImageConversion.h"
#include "augment/MultiCrop.h"
#include "data/Dataset.h"
#include "runtime/MultiCropRecipe.h"
#include "util/SeedMix.h"

#include <ATen/ATen.h>

namespace swav {

CropPreview renderCrops(Dataset& dataset, qint64 index, const ExperimentConfig& config,
                        const std::vector<CropGroupConfig>& groups, quint64 seed) {
    CropPreview preview;
    try {
        if (const at::Tensor labels = dataset.labels(); labels.defined())
            preview.label = int(labels[index].item<int64_t>());
        const Normalisation normalisation = resolveNormalisation(config, dataset.channels());
        const auto& mean = normalisation.mean;
        const auto& stdev = normalisation.std;
        const MultiCropAugmenter augmenter(groups, mean, stdev);
        MultiCropBatch batch;
        at::Tensor image;
        if (dataset.cutsCropsFromOriginals()) {
            // Image folders: the crops training cuts from the full-resolution original.
            const auto recipe = std::make_shared<MultiCropRecipe>(
                groups, mean, stdev, [seed](int64_t) { return mixSeed(seed, 0); }, false);
            const CutCropBatch cut = dataset.gatherCrops({index}, recipe);
            batch = augmenter.finish(cut.crops, recipe->params(cut));
            image = dataset.original(index).unsqueeze(0);
        } else {
            image = dataset.gather({index}).images;
            batch = augmenter.apply(image, seed);
        }
        for (size_t c = 0; c < batch.crops.size(); ++c) {
            const CropParams& p = batch.params[c];
            CropTile tile;
            tile.image = imageFromUnitFloat(augmenter.denormalise(batch.crops[c])[0]);
            const auto box = p.boxes[0];
            tile.box = QRectF(box[0].item<float>(), box[1].item<float>(), box[2].item<float>(),
                              box[3].item<float>());
            tile.group = p.group;
            QStringList ops;
            ops << QObject::tr("%1 px, box %2 x %3 at (%4, %5)")
                       .arg(p.size)
                       .arg(tile.box.width(), 0, 'f', 1)
                       .arg(tile.box.height(), 0, 'f', 1)
                       .arg(tile.box.x(), 0, 'f', 1)
                       .arg(tile.box.y(), 0, 'f', 1);
            if (p.flipped[0].item<bool>())
                ops << QObject::tr("flipped");
            if (p.jittered[0].item<bool>()) {
                const auto f = p.jitterFactors[0];
                ops << QObject::tr("jitter: brightness %1, contrast %2, saturation %3, hue %4")
                           .arg(f[0].item<float>(), 0, 'f', 2)
                           .arg(f[1].item<float>(), 0, 'f', 2)
                           .arg(f[2].item<float>(), 0, 'f', 2)
                           .arg(f[3].item<float>(), 0, 'f', 2);
            }
            if (p.grayscale[0].item<bool>())
                ops << QObject::tr("grey");
            if (p.blurSigma[0].item<float>() > 0)
                ops << QObject::tr("blur sigma %1 px").arg(p.blurSigma[0].item<float>(), 0, 'f', 2);
            tile.details = ops.join(QLatin1Char('\n'));
            preview.tiles.append(tile);
        }
        for (size_t g = 0; g < groups.size(); ++g)
            preview.groupNames << QObject::tr("%1 crops of %2 px (scale %3-%4)")
                                      .arg(groups[g].count)
                                      .arg(groups[g].size)
                                      .arg(groups[g].minScale, 0, 'f', 2)
                                      .arg(groups[g].maxScale, 0, 'f', 2);
        preview.original = imageFromUint8(image[0]);
    } catch (const std::exception& e) {
        preview.error = QString::fromUtf8(e.what());
    }
    return preview;
}

} // namespace swav
