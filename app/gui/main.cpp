// swav-workbench: the desktop application.
#include "MainWindow.h"

#include <QApplication>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("swav-workbench"));
    QApplication::setOrganizationName(QStringLiteral("swav-workbench"));
    swav::MainWindow window;
    window.show();
    return QApplication::exec();
}
