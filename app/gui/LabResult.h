#pragma once
// What the lab computes in the background for the views: the core's lab batch and the pictures
// the views show (batch images, crops, each prototype's typical images). Includes LibTorch:
// only the lab's .cpp files include it.

#include "eval/LabBatch.h"

#include <QHash>
#include <QImage>
#include <QStringList>
#include <QVector>

namespace swav {

struct LabResult {
    LabBatch batch;
    QVector<QImage> images;              // per batch image, as stored
    QVector<QVector<QImage>> crops;      // [crop][image], as the network sees them
    QVector<QVector<qint64>> typical;    // per prototype: its best pool images
    QHash<qint64, QImage> typicalImages; // by dataset index
    QStringList classNames;

    QString imageName(int image) const; // "#123 (Sneaker)"
};

constexpr int kTypicalPerPrototype = 4;

} // namespace swav
