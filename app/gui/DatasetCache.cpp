#include "DatasetCache.h"

#include "ImageConversion.h"
#include "config/ConfigJson.h"
#include "data/Dataset.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QtConcurrent/QtConcurrentRun>

namespace swav {

struct DatasetCache::Opened {
    std::string key;
    std::shared_ptr<Dataset> dataset;
    std::string error;
};

DatasetCache::DatasetCache(QObject* parent)
    : QObject(parent) {
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Opened>>::finished, this, [this] {
        const auto opened = m_watcher.result();
        if (opened->key != m_key) {
            // A newer request came in meanwhile: open that one instead.
            const std::string wanted = m_key;
            m_key.clear();
            ExperimentConfig config;
            ValidationReport ignored;
            config = configFromJson(nlohmann::json::parse(wanted), ignored);
            request(config.dataset);
            return;
        }
        m_dataset = opened->dataset;
        m_error = QString::fromStdString(opened->error);
        m_description = m_dataset ? QString::fromStdString(m_dataset->description()) : QString();
        Q_EMIT changed();
    });
}

DatasetCache::~DatasetCache() {
    m_watcher.waitForFinished();
}

void DatasetCache::request(const DatasetConfig& dataset) {
    ExperimentConfig holder;
    holder.dataset = dataset;
    const std::string key = toJson(holder).dump();
    if (key == m_key)
        return;
    m_key = key;
    m_dataset.reset();
    m_error.clear();
    if (m_watcher.isRunning())
        return; // picked up when the running one finishes
    m_watcher.setFuture(QtConcurrent::run([key, dataset] {
        auto opened = std::make_shared<Opened>();
        opened->key = key;
        auto split = openDataset(dataset);
        if (split)
            opened->dataset = split->train;
        else
            opened->error = split.error().message;
        return opened;
    }));
}

qint64 DatasetCache::size() const {
    return m_dataset ? m_dataset->size() : 0;
}

QStringList DatasetCache::classNames() const {
    QStringList names;
    if (m_dataset)
        for (const auto& name : m_dataset->classNames())
            names << QString::fromStdString(name);
    return names;
}

QImage DatasetCache::image(qint64 index, int* label) const {
    if (label)
        *label = -1;
    if (!m_dataset || index < 0 || index >= m_dataset->size())
        return {};
    const ImageBatch batch = m_dataset->gather({index});
    if (label && batch.labels.defined())
        *label = int(batch.labels[0].item<int64_t>());
    return imageFromUint8(batch.images[0]);
}

} // namespace swav
