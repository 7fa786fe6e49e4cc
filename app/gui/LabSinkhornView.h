#pragma once
// Sinkhorn-Knopp on one assignment crop of the lab batch, iteration by iteration: the prototype
// scores, exp(score / epsilon), and Q after every column and row normalisation with its
// marginals converging to 1/K and 1/B; beside it softmax(score / temperature) and the hard
// argmax, with the code and usage entropy of each against ln K. Epsilon and the stage are
// live: the trace is recomputed by core at once.

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;

namespace swav {

class LabExplanation;
class MatrixHeatMap;
struct LabResult;

class LabSinkhornView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kIterations = 10; // the stepper's range

    explicit LabSinkhornView(QWidget* parent = nullptr);
    ~LabSinkhornView() override;

    void setResult(std::shared_ptr<const LabResult> result);

    double epsilon() const { return m_epsilon; }
    void setEpsilon(double epsilon);
    QSlider* epsilonSlider() const { return m_epsilonSlider; }
    /// 0 = start; 2i - 1 = iteration i's prototype (column) step; 2i = its image (row) step.
    int stage() const;
    void setStage(int stage);
    int stageCount() const { return 2 * kIterations + 1; }
    QString stageText() const;
    QPushButton* nextButton() const { return m_next; }
    QPushButton* previousButton() const { return m_previous; }
    QComboBox* assignCropBox() const { return m_crop; }
    /// Pool images' scores prepended as a queue (0 = none).
    QSpinBox* queueRows() const { return m_queue; }
    QComboBox* rowOrderBox() const { return m_rowOrder; }
    QComboBox* columnOrderBox() const { return m_colOrder; }
    /// The batch image shown in display row `row`, the prototype in display column `col`.
    int imageAt(int row) const;
    int prototypeAt(int col) const;

    MatrixHeatMap* scoresMap() const { return m_scores; }
    MatrixHeatMap* exponentialMap() const { return m_exponential; }
    MatrixHeatMap* codesMap() const { return m_codes; }
    MatrixHeatMap* softmaxMap() const { return m_softmax; }
    MatrixHeatMap* argmaxMap() const { return m_argmax; }
    /// Rows: Sinkhorn code, softmax, argmax; columns: code entropy, usage entropy, used.
    QTableWidget* summaryTable() const { return m_summary; }
    LabExplanation* explanation() const { return m_explanation; }

private:
    struct Computed;
    void recompute(); // epsilon or crop changed: a new trace
    void showStage(); // stage or order changed
    void updateOrders();

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
    QLabel* m_stageText = nullptr;
    QComboBox* m_rowOrder = nullptr;
    QComboBox* m_colOrder = nullptr;
    MatrixHeatMap* m_scores = nullptr;
    MatrixHeatMap* m_exponential = nullptr;
    MatrixHeatMap* m_codes = nullptr;
    MatrixHeatMap* m_softmax = nullptr;
    MatrixHeatMap* m_argmax = nullptr;
    QTableWidget* m_summary = nullptr;
    QLabel* m_summaryNote = nullptr;
    LabExplanation* m_explanation = nullptr;
};

} // namespace swav
