// Issue 31: weights imported without a dataset name no images; the Clusters panel asks for a
// folder the first time it needs one (and not again for the same run), and a cancelled question
// computes nothing.
#include "ClustersPanel.h"
#include "ImportedWeights.h"
#include "MainWindow.h"
#include "TinySynthetic.h"
#include "store/RunStore.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>

using namespace swav;

namespace {

QByteArray le(quint32 value, int bytes) {
    QByteArray out;
    for (int i = 0; i < bytes; ++i)
        out.append(char((value >> (8 * i)) & 0xff));
    return out;
}

/// A solid 16 x 16 24-bit BMP.
void writeBmp(const QString& path, quint8 grey) {
    const QByteArray pixels(16 * 16 * 3, char(grey));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("BM" + le(54 + pixels.size(), 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(16, 4) +
               le(16, 4) + le(1, 2) + le(24, 2) + le(0, 4) + le(pixels.size(), 4) + le(2835, 4) +
               le(2835, 4) + le(0, 4) + le(0, 4) + pixels);
}

/// Answers the next folder dialog with `folder` (cancels it when empty); counts the dialogs.
class FolderAnswer {
public:
    explicit FolderAnswer(QString folder)
        : m_folder(std::move(folder)) {
        m_poll.setInterval(50);
        QObject::connect(&m_poll, &QTimer::timeout, [this] {
            auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
            if (!dialog)
                return;
            ++m_asked;
            if (m_folder.isEmpty()) {
                dialog->reject();
                return;
            }
            dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"))->setText(m_folder);
            QMetaObject::invokeMethod(dialog, "accept"); // protected in QFileDialog
        });
        m_poll.start();
    }
    int asked() const { return m_asked; }

private:
    QString m_folder;
    QTimer m_poll;
    int m_asked = 0;
};

} // namespace

class ImportedImagesTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(QStringLiteral("swav-workbench-test"));
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void theClustersPanelAsksForImagesOnce() {
        const QString images = m_home.filePath(QStringLiteral("images"));
        for (int c = 0; c < 2; ++c) {
            QVERIFY(QDir().mkpath(images + QStringLiteral("/class%1").arg(c)));
            for (int i = 0; i < 8; ++i)
                writeBmp(images + QStringLiteral("/class%1/%2.bmp").arg(c).arg(i),
                         quint8(c * 120 + i * 9));
        }
        const QString db = m_home.filePath(QStringLiteral("runs.db"));
        MainWindow window(db);
        // Weights of an image-folder configuration that names no folder, as `swav import` makes.
        ExperimentConfig config = test::tinyTrainingConfig(64);
        config.name = "imported";
        config.dataset = DatasetConfig();
        config.dataset.kind = "image-folder";
        config.dataset.imageSize = 16;
        const auto imported = test::importFreshWeights(
            *window.runStore(), db.toStdString(), config,
            m_home.filePath(QStringLiteral("weights.pt")).toStdString(), 3);
        QVERIFY2(imported, imported ? "" : imported.error().message.c_str());

        ClustersPanel* clusters = window.clusters();
        QSignalSpy computed(clusters, &ClustersPanel::computed);
        {
            FolderAnswer cancel{QString()};
            clusters->setCheckpoint(QString::fromStdString(imported->checkpoint), true);
            QCOMPARE(cancel.asked(), 1);
            QVERIFY(!clusters->computing());
        }
        {
            FolderAnswer answer(images);
            clusters->compute();
            QCOMPARE(answer.asked(), 1);
            QVERIFY(computed.wait(60000));
            QCOMPARE(computed.last().first().toBool(), true);
        }
        FolderAnswer none{QString()};
        clusters->compute(); // the folder is kept for the run: no second question
        QVERIFY(computed.wait(60000));
        QCOMPARE(computed.last().first().toBool(), true);
        QCOMPARE(none.asked(), 0);
    }

private:
    QTemporaryDir m_home;
};

QTEST_MAIN(ImportedImagesTest)
#include "test_imported_images.moc"
