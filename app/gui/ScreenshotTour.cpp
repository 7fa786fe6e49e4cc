#include "ScreenshotTour.h"

#include "ClusterGalleryView.h"
#include "ClustersPanel.h"
#include "ConfigForm.h"
#include "DurationLabel.h"
#include "EvaluationPanel.h"
#include "ExperimentPanel.h"
#include "ImportWeightsDialog.h"
#include "LabPanel.h"
#include "LabSinkhornView.h"
#include "LabSwapView.h"
#include "MainWindow.h"
#include "RunsPanel.h"
#include "Theme.h"
#include "store/RunStore.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QDockWidget>
#include <QMenu>
#include <QScreen>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>

#include <memory>

#include <cstdio>

namespace swav {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString folder)
    : QObject(window)
    , m_window(window)
    , m_folder(std::move(folder)) {}

void ScreenshotTour::start() {
    QDir().mkpath(m_folder);
    ExperimentPanel* experiment = m_window->experiment();
    experiment->selectPreset(QStringLiteral("fashion-mnist"));
    // A short run: a subset of the images, two epochs, online kNN on a hold-out part.
    experiment->form()->setValue(QStringLiteral("dataset.subset"), 3072.0);
    experiment->form()->setValue(QStringLiteral("dataset.holdout"), 512.0);
    experiment->form()->setValue(QStringLiteral("optim.epochs"), 2);
    experiment->form()->setValue(QStringLiteral("eval.knn_every_epochs"), 1);
    experiment->form()->setValue(QStringLiteral("swav.freeze_prototypes_niters"), 8);
    experiment->form()->setValue(QStringLiteral("runtime.metrics_every"), 2);
    experiment->validateNow();
    // The form with its measured duration, then the run.
    auto* ready = new QTimer(this);
    ready->setSingleShot(true);
    connect(ready, &QTimer::timeout, this, &ScreenshotTour::startRun);
    connect(experiment->duration(), &DurationLabel::estimated, ready,
            [ready] { ready->start(300); });
    ready->start(60000); // no measurement: shoot anyway
}

void ScreenshotTour::startRun() {
    if (m_runStarted)
        return; // the duration may be estimated again while the run starts
    m_runStarted = true;
    shoot(QStringLiteral("01-ready"));
    connect(m_window, &MainWindow::runFinished, this, &ScreenshotTour::afterRun);
    if (!m_window->startFromForm()) {
        std::fprintf(stderr, "cannot start: %s\n", qPrintable(m_window->lastProblem()));
        QApplication::exit(1);
    }
    QTimer::singleShot(20000, this, [this] { shoot(QStringLiteral("02-training")); });
}

void ScreenshotTour::raiseDock(const QString& objectName) {
    if (auto* dock = m_window->findChild<QDockWidget*>(objectName))
        dock->raise();
}

void ScreenshotTour::shoot(const QString& name) {
    QApplication::processEvents();
    const QString file = m_folder + QLatin1Char('/') + name + QStringLiteral(".png");
    m_window->grab().save(file);
    std::printf("saved %s\n", qPrintable(file));
    std::fflush(stdout);
}

void ScreenshotTour::shootScreen(const QString& name) {
    QApplication::processEvents();
    const QString file = m_folder + QLatin1Char('/') + name + QStringLiteral(".png");
    QApplication::primaryScreen()->grabWindow(0).save(file);
    std::printf("saved %s\n", qPrintable(file));
    std::fflush(stdout);
}

void ScreenshotTour::afterRun() {
    shoot(QStringLiteral("03-finished"));
    raiseDock(QStringLiteral("clustersDock"));
    connect(m_window->clusters(), &ClustersPanel::computed, this, [this] {
        // Shot once the thumbnails are there: the images open in the background.
        auto* waitForImages = new QTimer(this);
        waitForImages->start(100);
        auto waited = std::make_shared<int>(0);
        connect(waitForImages, &QTimer::timeout, this, [this, waitForImages, waited] {
            if (!m_window->clusters()->thumbnailsReady() && ++*waited < 300)
                return;
            waitForImages->deleteLater();
            const auto& shown = m_window->clusters()->gallery()->shownClusters();
            if (!shown.isEmpty())
                m_window->clusters()->showPrototype(shown.first().prototype);
            QTimer::singleShot(300, this, [this] { // one repaint with the thumbnails
                shoot(QStringLiteral("04-clusters"));
                raiseDock(QStringLiteral("evaluationDock"));
                m_window->evaluation()->baselinesBox()->setChecked(true);
                m_window->evaluation()->start();
            });
        });
    });
    connect(m_window->evaluation(), &EvaluationPanel::finished, this,
            &ScreenshotTour::tourEvaluation);
    m_window->clusters()->compute();
}

void ScreenshotTour::tourEvaluation() {
    // First the single evaluation with its baselines, then every checkpoint as a curve.
    const int stage = ++m_evaluations;
    QTimer::singleShot(500, this, [this, stage] {
        EvaluationPanel* evaluation = m_window->evaluation();
        if (stage == 1) {
            shoot(QStringLiteral("05-evaluation"));
            if (auto* tabs = evaluation->findChild<QTabWidget*>()) {
                tabs->setCurrentWidget(evaluation->perClass());
                shoot(QStringLiteral("05b-evaluation-per-class"));
            }
            evaluation->startEveryCheckpoint();
            return;
        }
        shoot(QStringLiteral("05c-evaluation-checkpoints"));
        tourRuns();
    });
}

void ScreenshotTour::tourRuns() {
    raiseDock(QStringLiteral("runsDock"));
    m_window->runs()->refresh();
    QList<qint64> ids;
    if (m_window->runStore())
        for (const auto& entry : m_window->runStore()->listRuns())
            ids << entry.run.id;
    m_window->runs()->selectRuns(ids);
    QTimer::singleShot(500, this, [this, ids] {
        shoot(QStringLiteral("06-runs"));
        // The finished run drawn back from the database, with its usage over the epochs.
        if (!ids.isEmpty())
            m_window->showStoredRun(ids.last());
        QTimer::singleShot(1500, this, [this] {
            shoot(QStringLiteral("06b-dashboard-stored-run"));
            raiseDock(QStringLiteral("logDock"));
            shoot(QStringLiteral("07-log"));
            tourMenusAndDialogs();
        });
    });
}

void ScreenshotTour::tourMenusAndDialogs() {
    raiseDock(QStringLiteral("experimentDock"));
    QMenu* menu = m_window->experiment()->configMenu();
    menu->popup(m_window->experiment()->mapToGlobal(QPoint(40, 40)));
    QTimer::singleShot(500, this, [this, menu] {
        shootScreen(QStringLiteral("10-configuration-menu"));
        menu->close();
        auto* dialog = new ImportWeightsDialog(m_window);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
        QTimer::singleShot(500, this, [this, dialog] {
            shootScreen(QStringLiteral("11-import-weights"));
            dialog->close();
            m_window->experiment()->form()->setValue(QStringLiteral("optim.batch_size"), 1);
            m_window->experiment()->validateNow();
            raiseDock(QStringLiteral("cropsDock"));
            shoot(QStringLiteral("08-invalid-field-and-crops"));
            tourLab();
        });
    });
}

void ScreenshotTour::tourLab() {
    // The finished run's checkpoint through the lab: both views, then presenter mode.
    LabPanel* lab = m_window->lab();
    m_window->showCentralView(1);
    connect(
        lab, &LabPanel::computed, this,
        [this, lab](bool ok) {
            if (!ok) {
                std::fprintf(stderr, "the lab failed: %s\n", qPrintable(m_window->lastProblem()));
                QApplication::exit(1);
                return;
            }
            lab->views()->setCurrentIndex(0);
            shoot(QStringLiteral("lab-sinkhorn"));
            // The same batch at epsilon 1: Q flat on the shared colour scale.
            const double epsilon = lab->sinkhornView()->epsilon();
            lab->sinkhornView()->setEpsilon(1.0);
            shoot(QStringLiteral("lab-sinkhorn-epsilon-1"));
            lab->sinkhornView()->setEpsilon(epsilon);
            lab->views()->setCurrentIndex(1);
            lab->swapView()->setImage(2);
            lab->swapView()->selectCell(0, 2);
            QTimer::singleShot(500, this, [this, lab] {
                shoot(QStringLiteral("lab-swapped"));
                lab->setPresenterMode(true);
            });
            QTimer::singleShot(1000, this, [this, lab] {
                lab->views()->setCurrentIndex(0);
                shoot(QStringLiteral("lab-presenter"));
                lab->setPresenterMode(false);
                m_window->showCentralView(0);
                applyTheme(ThemeChoice::Dark);
                QTimer::singleShot(500, this, [this] {
                    shoot(QStringLiteral("09-dark"));
                    QApplication::quit();
                });
            });
        },
        Qt::SingleShotConnection); // the lab may compute again meanwhile
    lab->setSource(LabPanel::Source::Checkpoint);
    lab->compute();
}

} // namespace swav
