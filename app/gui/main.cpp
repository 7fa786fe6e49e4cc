// swav-workbench: the desktop application.
#include "AppIcon.h"
#include "ExperimentPanel.h"
#include "MainWindow.h"
#include "ScreenshotTour.h"
#include "SwavVersion.h"
#include "Theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("swav-workbench"));
    QApplication::setOrganizationName(QStringLiteral("swav-workbench"));
    QApplication::setApplicationVersion(QStringLiteral(SWAV_VERSION));
    QApplication::setWindowIcon(swav::applicationIcon());
    // Ties the windows to the installed swav-workbench.desktop (its name and icon).
    QGuiApplication::setDesktopFileName(QStringLiteral("swav-workbench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("SwAV Workbench: train and inspect SwAV models"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption database(QStringLiteral("db"),
                                      QStringLiteral("Run database (default: the one swav uses)"),
                                      QStringLiteral("file"));
    parser.addOption(database);
    const QCommandLineOption tour(QStringLiteral("screenshot-tour"),
                                  QStringLiteral("Train a short run, save a PNG of every panel "
                                                 "into the folder, quit"),
                                  QStringLiteral("folder"));
    parser.addOption(tour);
    const QCommandLineOption size(QStringLiteral("size"),
                                  QStringLiteral("Window size, e.g. 1280x800"),
                                  QStringLiteral("WxH"));
    parser.addOption(size);
    parser.addPositionalArgument(QStringLiteral("config"),
                                 QStringLiteral("Configuration (JSON) to open in the form"),
                                 QStringLiteral("[FILE.json]"));
    parser.process(app);

    swav::rememberSystemPalette();
    swav::applyTheme(static_cast<swav::ThemeChoice>(
        QSettings().value(QStringLiteral("window/theme"), 0).toInt()));
    swav::MainWindow window(parser.value(database));
    if (parser.isSet(size)) {
        const QStringList parts = parser.value(size).split(QLatin1Char('x'));
        if (parts.size() == 2)
            window.resize(parts[0].toInt(), parts[1].toInt());
    }
    window.show();
    // A configuration given on the command line (or by the file manager) replaces the preset.
    if (const QStringList files = parser.positionalArguments(); !files.isEmpty())
        window.experiment()->loadConfig(files.first());
    if (parser.isSet(tour))
        (new swav::ScreenshotTour(&window, parser.value(tour)))->start();
    return QApplication::exec();
}
