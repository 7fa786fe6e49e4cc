#pragma once
// Sinkhorn-Knopp on one assignment crop of the lab batch, iteration by iteration: the prototype
// scores, exp(score / epsilon), and Q after every column and row normalisation with its
// marginals and how far they are from 1/K and 1/B; beside it softmax(score / temperature) and
// the hard argmax, with the code and usage entropy of each against ln K. Epsilon, the crop, the
// queue and the stage are live: core recomputes the trace at once, for more iterations than the
// run uses. Maps of the same kind share one fixed colour scale unless asked for contrast.

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;

namespace swav {

class LabConvergencePlot;
class LabExplanation;
class MatrixHeatMap;
struct HeatMatrix;
struct LabResult;

class LabSinkhornView : public QWidget {
    Q_OBJECT
public:
    /// A deviation from a target counts as close within this fraction of the target.
    static constexpr double kCloseTolerance = 0.10;

    explicit LabSinkhornView(QWidget* parent = nullptr);
    ~LabSinkhornView() override;

    void setResult(std::shared_ptr<const LabResult> result);

    double epsilon() const { return m_epsilon; }
    void setEpsilon(double epsilon);
    QSlider* epsilonSlider() const { return m_epsilonSlider; }
    /// 0 = start; 2i - 1 = iteration i's prototype (column) step; 2i = its image (row) step.
    int stage() const;
    void setStage(int stage);
    int stageCount() const;
    /// Iterations the stepper offers (more than the run's) and the run's own.
    int iterationCount() const;
    int runIterations() const;
    QString stageText() const;
    QPushButton* nextButton() const { return m_next; }
    QPushButton* previousButton() const { return m_previous; }
    /// Jumps to the end of the run's own iterations.
    QPushButton* runIterationsButton() const { return m_runStage; }
    QComboBox* assignCropBox() const { return m_crop; }
    /// Pool images' scores prepended as a queue (0 = none).
    QSpinBox* queueRows() const { return m_queue; }
    QComboBox* rowOrderBox() const { return m_rowOrder; }
    QComboBox* columnOrderBox() const { return m_colOrder; }
    /// Off (the default): maps of one kind share a fixed colour scale; on: each its own range.
    QCheckBox* contrastPerMapBox() const { return m_contrastPerMap; }
    /// The batch image shown in display row `row`, the prototype in display column `col`.
    int imageAt(int row) const;
    int prototypeAt(int col) const;

    MatrixHeatMap* scoresMap() const { return m_scores; }
    MatrixHeatMap* exponentialMap() const { return m_exponential; }
    MatrixHeatMap* codesMap() const { return m_codes; }
    MatrixHeatMap* softmaxMap() const { return m_softmax; }
    MatrixHeatMap* argmaxMap() const { return m_argmax; }
    LabConvergencePlot* convergencePlot() const { return m_convergence; }
    /// Rows: Sinkhorn code, softmax, argmax; columns: code entropy, usage entropy, used.
    QTableWidget* summaryTable() const { return m_summary; }
    LabExplanation* explanation() const { return m_explanation; }

protected:
    /// The maps reflow into as many columns as the width allows (one beside 1280-px docks).
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Computed;
    static int mapColumnsFor(int width);
    void arrangeMaps(int columns);
    QLayout* makeControls();
    QLayout* makeStepper();
    QWidget* makeMaps();
    void recompute(); // epsilon, crop or queue changed: a new trace
    void showStage(); // stage, order or colour scale changed
    void updateOrders();
    void showMatrices();
    void showSummary();
    void fixColours(HeatMatrix& matrix, double low, double high) const;
    QString stepDescription() const;
    QString explanationText() const;

    std::shared_ptr<const LabResult> m_result;
    std::unique_ptr<Computed> m_computed;
    double m_epsilon = 0.05;
    QComboBox* m_crop = nullptr;
    QSpinBox* m_queue = nullptr;
    QSlider* m_epsilonSlider = nullptr;
    QLabel* m_epsilonText = nullptr;
    QSlider* m_stage = nullptr;
    QPushButton* m_previous = nullptr;
    QPushButton* m_next = nullptr;
    QPushButton* m_runStage = nullptr;
    QLabel* m_stageText = nullptr;
    QComboBox* m_rowOrder = nullptr;
    QComboBox* m_colOrder = nullptr;
    QCheckBox* m_contrastPerMap = nullptr;
    MatrixHeatMap* m_scores = nullptr;
    MatrixHeatMap* m_exponential = nullptr;
    MatrixHeatMap* m_codes = nullptr;
    MatrixHeatMap* m_softmax = nullptr;
    MatrixHeatMap* m_argmax = nullptr;
    LabConvergencePlot* m_convergence = nullptr;
    QTableWidget* m_summary = nullptr;
    QWidget* m_summaryBox = nullptr;
    QGridLayout* m_grid = nullptr;
    int m_mapColumns = 0;
    QLabel* m_summaryNote = nullptr;
    LabExplanation* m_explanation = nullptr;
};

} // namespace swav
