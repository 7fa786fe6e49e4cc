#pragma once
// The training images of the configuration being edited, opened in the background and shared
// by the panels that show them (dataset preview, crops viewer, cluster thumbnails).

#include "config/ExperimentConfig.h"

#include <QFutureWatcher>
#include <QImage>
#include <QObject>
#include <QStringList>

#include <memory>

namespace swav {

class Dataset;

class DatasetCache : public QObject {
    Q_OBJECT
public:
    explicit DatasetCache(QObject* parent = nullptr);
    ~DatasetCache() override;

    /// Opens this dataset unless it is the one already open (or opening).
    void request(const DatasetConfig& dataset);
    bool ready() const { return m_dataset != nullptr; }
    bool loading() const { return m_watcher.isRunning(); }
    QString description() const { return m_description; }
    QString error() const { return m_error; }
    qint64 size() const;
    QStringList classNames() const;

    /// The image at `index` as stored, and its label (-1 when unknown) when asked for.
    /// GUI thread; an empty image when not ready or out of range.
    QImage image(qint64 index, int* label = nullptr) const;
    /// Shared with the crops viewer, which augments on the GUI thread.
    std::shared_ptr<Dataset> dataset() const { return m_dataset; }

Q_SIGNALS:
    void changed(); // finished opening (or failed): check ready() and error()

private:
    struct Opened;
    QFutureWatcher<std::shared_ptr<Opened>> m_watcher;
    std::string m_key; // identifies the requested dataset config
    std::shared_ptr<Dataset> m_dataset;
    QString m_description;
    QString m_error;
};

} // namespace swav
