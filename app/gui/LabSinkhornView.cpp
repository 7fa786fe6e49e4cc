#include "LabSinkhornView.h"

#include "LabExplanation.h"
#include "LabResult.h"
#include "MatrixHeatMap.h"
#include "swav/Sinkhorn.h"

#include <ATen/ATen.h>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace swav {

namespace {

constexpr double kMinEpsilon = 0.0125; // exp(1 / eps) overflows float32 below ~0.0113
constexpr double kMaxEpsilon = 1.0;
constexpr int kEpsilonTicks = 200;

double epsilonOfTick(int tick) {
    return kMinEpsilon * std::pow(kMaxEpsilon / kMinEpsilon, double(tick) / kEpsilonTicks);
}

int tickOfEpsilon(double epsilon) {
    const double t = std::log(epsilon / kMinEpsilon) / std::log(kMaxEpsilon / kMinEpsilon);
    return std::clamp(int(std::lround(t * kEpsilonTicks)), 0, kEpsilonTicks);
}

QVector<double> valuesOf(const at::Tensor& t) {
    const auto d = t.to(at::kDouble).contiguous();
    return QVector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

const char* kExplanation = QT_TRANSLATE_NOOP(
    "swav::LabSinkhornView",
    "<p>SwAV turns the prototype scores C<sup>T</sup>Z of a batch into <b>codes</b> Q that use "
    "every prototype equally: it maximises Tr(Q<sup>T</sup>C<sup>T</sup>Z) + ε H(Q) over "
    "Q with rows summing to 1/B and columns to 1/K. The answer is Q = Diag(u) "
    "exp(C<sup>T</sup>Z / ε) Diag(v); Sinkhorn-Knopp finds u and v by scaling the columns "
    "(each prototype to 1/K) and the rows (each image to 1/B) in turn (paper, eq. 3).</p>"
    "<p>Step through the iterations and watch the bars: the column sums flatten onto the "
    "dashed 1/K line, then the rows onto 1/B; three iterations are enough. Move ε: small ε "
    "gives sharp, one-hot-like codes, large ε uniform ones. Softmax and argmax, below, have no "
    "such constraint: their column sums are as uneven as the scores.</p>"
    "<p>Small batches: with B below K each image's code must spread over at least K/B "
    "prototypes, so codes cannot be sharp. SwAV's queue adds the scores of earlier images as "
    "extra rows; set <i>queue</i> above 0 and watch the code entropy fall.</p>");

} // namespace

struct LabSinkhornView::Computed {
    at::Tensor scores;           // [B, K] of the assignment crop
    int64_t queue = 0;           // rows of pool images before the batch's
    SinkhornTrace trace;         // over [queue + B, K]
    at::Tensor softmax;          // [B, K]
    at::Tensor argmax;           // [B, K] one-hot
    std::vector<int> rows, cols; // display order
};

LabSinkhornView::LabSinkhornView(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* controls = new QHBoxLayout;
    m_crop = new QComboBox(this);
    m_crop->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_crop->setToolTip(tr("The assignment crop whose codes are computed"));
    m_epsilonSlider = new QSlider(Qt::Horizontal, this);
    m_epsilonSlider->setRange(0, kEpsilonTicks);
    m_epsilonSlider->setMinimumWidth(100);
    m_epsilonSlider->setToolTip(
        tr("ε of the codes, %1 to %2 on a log scale").arg(kMinEpsilon).arg(kMaxEpsilon));
    m_epsilonText = new QLabel(this);
    m_queue = new QSpinBox(this);
    m_queue->setRange(0, 0);
    m_queue->setSingleStep(128);
    m_queue->setPrefix(tr("queue "));
    m_queue->setSuffix(tr(" rows"));
    m_queue->setToolTip(tr("Scores of other images (the lab's pool, as a queue of earlier "
                           "batches) computed with the batch: the equal partition then spreads "
                           "over B + N rows, and small batches get sharp codes again"));
    m_previous = new QPushButton(tr("◀ Previous"), this);
    m_next = new QPushButton(tr("Next ▶"), this);
    m_stage = new QSlider(Qt::Horizontal, this);
    m_stage->setRange(0, 2 * kIterations);
    m_stage->setPageStep(2);
    m_stage->setMinimumWidth(120);
    m_stage->setToolTip(tr("Iterations of Sinkhorn-Knopp: start, then each column and row step"));
    m_rowOrder = new QComboBox(this);
    m_rowOrder->addItems(
        {tr("images in batch order"), tr("images by class"), tr("images by code's prototype")});
    m_colOrder = new QComboBox(this);
    m_colOrder->addItems(
        {tr("prototypes by index"), tr("prototypes by code mass"), tr("prototypes by mean score")});
    controls->addWidget(new QLabel(tr("Codes of"), this));
    controls->addWidget(m_crop);
    controls->addWidget(m_queue);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("ε"), this));
    controls->addWidget(m_epsilonSlider, 1);
    controls->addWidget(m_epsilonText);
    controls->addSpacing(12);
    controls->addWidget(m_rowOrder);
    controls->addWidget(m_colOrder);
    layout->addLayout(controls);
    auto* stepper = new QHBoxLayout;
    m_stageText = new QLabel(this);
    m_stageText->setWordWrap(true);
    stepper->addWidget(m_previous);
    stepper->addWidget(m_stage);
    stepper->addWidget(m_next);
    stepper->addSpacing(12);
    stepper->addWidget(m_stageText, 1);
    layout->addLayout(stepper);

    auto* grid = new QGridLayout;
    m_scores = new MatrixHeatMap(this);
    m_exponential = new MatrixHeatMap(this);
    m_codes = new MatrixHeatMap(this);
    m_softmax = new MatrixHeatMap(this);
    m_argmax = new MatrixHeatMap(this);
    m_summary = new QTableWidget(3, 3, this);
    m_summary->setHorizontalHeaderLabels({tr("code H"), tr("usage H"), tr("used")});
    m_summary->setVerticalHeaderLabels({tr("Sinkhorn Q"), tr("softmax"), tr("argmax")});
    m_summary->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_summary->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_summary->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    grid->addWidget(m_scores, 0, 0);
    grid->addWidget(m_exponential, 0, 1);
    grid->addWidget(m_codes, 0, 2);
    grid->addWidget(m_softmax, 1, 0);
    grid->addWidget(m_argmax, 1, 1);
    auto* summaryBox = new QWidget(this);
    auto* summaryLayout = new QVBoxLayout(summaryBox);
    summaryLayout->setContentsMargins(0, 0, 0, 0);
    m_summaryNote = new QLabel(summaryBox);
    m_summaryNote->setWordWrap(true);
    summaryLayout->addWidget(m_summary, 1);
    summaryLayout->addWidget(m_summaryNote);
    grid->addWidget(summaryBox, 1, 2);
    layout->addLayout(grid, 1);
    m_explanation = new LabExplanation(tr(kExplanation), this);
    layout->addWidget(m_explanation);

    connect(m_epsilonSlider, &QSlider::valueChanged, this, [this](int tick) {
        m_epsilon = epsilonOfTick(tick);
        recompute();
    });
    connect(m_stage, &QSlider::valueChanged, this, &LabSinkhornView::showStage);
    connect(m_previous, &QPushButton::clicked, this, [this] { setStage(stage() - 1); });
    connect(m_next, &QPushButton::clicked, this, [this] { setStage(stage() + 1); });
    connect(m_crop, &QComboBox::currentIndexChanged, this, &LabSinkhornView::recompute);
    connect(m_queue, &QSpinBox::valueChanged, this, &LabSinkhornView::recompute);
    connect(m_rowOrder, &QComboBox::currentIndexChanged, this, &LabSinkhornView::showStage);
    connect(m_colOrder, &QComboBox::currentIndexChanged, this, &LabSinkhornView::showStage);
    setEnabled(false);
}

LabSinkhornView::~LabSinkhornView() = default;

void LabSinkhornView::setResult(std::shared_ptr<const LabResult> result) {
    m_result = std::move(result);
    const LabBatch& batch = m_result->batch;
    {
        const QSignalBlocker blockCrop(m_crop);
        const int previous = m_crop->currentIndex();
        m_crop->clear();
        for (int crop : batch.swapped.assignCrops)
            m_crop->addItem(tr("crop %1 (%2 px)").arg(crop + 1).arg(batch.crops[crop].size(2)));
        m_crop->setCurrentIndex(std::clamp(previous, 0, m_crop->count() - 1));
    }
    {
        const QSignalBlocker blockQueue(m_queue);
        m_queue->setMaximum(int(batch.poolScores.size(0)));
    }
    {
        // A fresh batch starts at the run's settings: its epsilon, its last iteration.
        const QSignalBlocker blockStage(m_stage);
        if (!m_computed)
            m_stage->setValue(std::min(2 * kIterations, 2 * batch.config.swav.sinkhornIterations));
    }
    setEnabled(true);
    if (!m_computed)
        setEpsilon(batch.config.swav.epsilon);
    else
        recompute();
}

void LabSinkhornView::setEpsilon(double epsilon) {
    m_epsilon = epsilon;
    {
        const QSignalBlocker block(m_epsilonSlider);
        m_epsilonSlider->setValue(tickOfEpsilon(epsilon));
    }
    recompute();
}

int LabSinkhornView::stage() const {
    return m_stage->value();
}

void LabSinkhornView::setStage(int stage) {
    m_stage->setValue(std::clamp(stage, 0, 2 * kIterations)); // shows it
}

void LabSinkhornView::recompute() {
    if (!m_result || m_crop->currentIndex() < 0)
        return;
    const LabBatch& batch = m_result->batch;
    auto computed = std::make_unique<Computed>();
    const int crop = batch.swapped.assignCrops[size_t(m_crop->currentIndex())];
    computed->scores = batch.cropScores(crop);
    computed->queue = std::min<int64_t>(m_queue->value(), batch.poolScores.size(0));
    // As swavLoss does with its queue: the queue's rows first, only the batch's rows kept.
    const at::Tensor rows =
        computed->queue > 0
            ? at::cat({batch.poolScores.slice(0, 0, computed->queue), computed->scores}, 0)
            : computed->scores;
    computed->trace = sinkhornTrace(rows, m_epsilon, kIterations);
    computed->softmax = at::softmax(computed->scores / batch.config.swav.temperature, 1);
    computed->argmax =
        at::one_hot(computed->scores.argmax(1), computed->scores.size(1)).to(at::kFloat);
    m_computed = std::move(computed);
    m_epsilonText->setText(QStringLiteral("%1%2")
                               .arg(m_epsilon, 0, 'g', 3)
                               .arg(std::abs(m_epsilon - batch.config.swav.epsilon) < 1e-12
                                        ? tr(" (the run's)")
                                        : QString()));
    showStage();
}

void LabSinkhornView::updateOrders() {
    Computed& c = *m_computed;
    const LabBatch& batch = m_result->batch;
    const int64_t b = c.scores.size(0), k = c.scores.size(1);
    const auto q = c.trace.steps[size_t(stage())].q.slice(0, c.queue, c.queue + b);
    c.rows.resize(size_t(b));
    std::iota(c.rows.begin(), c.rows.end(), 0);
    const auto codeOf = q.argmax(1).contiguous();
    const int64_t* code = codeOf.data_ptr<int64_t>();
    if (m_rowOrder->currentIndex() == 1)
        std::stable_sort(c.rows.begin(), c.rows.end(),
                         [&](int x, int y) { return batch.labels[x] < batch.labels[y]; });
    else if (m_rowOrder->currentIndex() == 2)
        std::stable_sort(c.rows.begin(), c.rows.end(),
                         [&](int x, int y) { return code[x] < code[y]; });
    c.cols.resize(size_t(k));
    std::iota(c.cols.begin(), c.cols.end(), 0);
    if (m_colOrder->currentIndex() > 0) {
        const auto key = (m_colOrder->currentIndex() == 1 ? q.sum(0) : c.scores.mean(0))
                             .to(at::kDouble)
                             .contiguous();
        const double* v = key.data_ptr<double>();
        std::stable_sort(c.cols.begin(), c.cols.end(), [&](int x, int y) { return v[x] > v[y]; });
    }
}

int LabSinkhornView::imageAt(int row) const {
    return m_computed && row >= 0 && row < int(m_computed->rows.size()) ? m_computed->rows[row]
                                                                        : -1;
}

int LabSinkhornView::prototypeAt(int col) const {
    return m_computed && col >= 0 && col < int(m_computed->cols.size()) ? m_computed->cols[col]
                                                                        : -1;
}

QString LabSinkhornView::stageText() const {
    return m_stageText->text();
}

void LabSinkhornView::showStage() {
    if (!m_computed)
        return;
    updateOrders();
    const Computed& c = *m_computed;
    const LabBatch& batch = m_result->batch;
    const int64_t b = c.scores.size(0), k = c.scores.size(1);
    const auto rows = at::tensor(std::vector<int64_t>(c.rows.begin(), c.rows.end()));
    const auto cols = at::tensor(std::vector<int64_t>(c.cols.begin(), c.cols.end()));
    auto ordered = [&](const at::Tensor& m) {
        return m.index_select(0, rows).index_select(1, cols);
    };
    QStringList rowLabels;
    for (int r : c.rows)
        rowLabels << m_result->imageName(r);
    const QVector<int> colIds(c.cols.begin(), c.cols.end());
    auto matrix = [&](const at::Tensor& m, const QString& title, bool withSums) {
        HeatMatrix h;
        h.rows = int(b);
        h.cols = int(k);
        h.values = valuesOf(ordered(m));
        h.title = title;
        h.rowLabels = rowLabels;
        h.colIds = colIds;
        if (withSums) { // every matrix with sums holds a total mass of 1
            h.rowSums = valuesOf(ordered(m).sum(1));
            h.colSums = valuesOf(ordered(m).sum(0));
            h.rowTarget = 1.0 / double(b);
            h.colTarget = 1.0 / double(k);
            h.rowTargetName = QStringLiteral("1/B");
            h.colTargetName = QStringLiteral("1/K");
        }
        return h;
    };
    const SinkhornStep& step = c.trace.steps[size_t(stage())];
    const double tau = batch.config.swav.temperature;
    const int64_t n = c.queue;
    const at::Tensor q = step.q.slice(0, n, n + b); // the batch's rows
    m_scores->setMatrix(matrix(c.scores, tr("Scores z·c (cosines)"), false));
    HeatMatrix exponential =
        matrix(c.trace.exponentiated.slice(0, n, n + b), tr("exp(score / ε)"), false);
    exponential.logColours = true;
    m_exponential->setMatrix(exponential);
    HeatMatrix codes =
        matrix(q,
               n > 0 ? tr("Q at this stage: the batch's %1 of %2 rows").arg(b).arg(n + b)
                     : tr("Q at this stage (total 1)"),
               true);
    if (n > 0) { // the constraint holds over every row, queue included
        codes.rowTarget = 1.0 / double(n + b);
        codes.rowTargetName = tr("1/(B+N)");
        codes.colSums = valuesOf(step.prototypeMass.index_select(0, cols));
    }
    m_codes->setMatrix(codes);
    m_softmax->setMatrix(
        matrix(c.softmax / double(b), tr("softmax(score / τ), τ = %1, ÷ B").arg(tau), true));
    m_argmax->setMatrix(matrix(c.argmax / double(b), tr("argmax (one-hot), ÷ B"), true));

    const int runIterations = batch.config.swav.sinkhornIterations;
    QString text;
    if (step.kind == SinkhornStep::Kind::Start)
        text = tr("<b>Start</b>: exp(score / ε), scaled to a total of 1. Nothing is balanced yet.");
    else if (step.kind == SinkhornStep::Kind::Prototypes)
        text = tr("<b>Iteration %1, columns</b>: each prototype's mass is set to 1/K; the rows "
                  "drift off %2.")
                   .arg(step.iteration)
                   .arg(n > 0 ? tr("1/(B+N)") : tr("1/B"));
    else
        text = tr("<b>Iteration %1, rows</b>: each image's mass is set to %2; the columns are "
                  "now close to 1/K.")
                   .arg(step.iteration)
                   .arg(n > 0 ? tr("1/(B+N)") : tr("1/B"));
    if (step.kind == SinkhornStep::Kind::Samples && step.iteration == runIterations)
        text += tr(" <i>The run stops here (%1 iterations): Q × %2 are its codes.</i>")
                    .arg(runIterations)
                    .arg(n > 0 ? tr("(B+N)") : tr("B"));
    const double maxColumnError = (step.prototypeMass - 1.0 / double(k)).abs().max().item<double>();
    const double maxRowError = (step.sampleMass - 1.0 / double(n + b)).abs().max().item<double>();
    if (!at::isfinite(step.q).all().item<bool>())
        text += tr(" <b>exp(score / ε) overflows float32 for ε below about 0.0113: these codes "
                   "are not numbers.</b>");
    text += tr("  Largest deviation: columns %1, rows %2.")
                .arg(maxColumnError, 0, 'g', 3)
                .arg(maxRowError, 0, 'g', 3);
    m_stageText->setText(text);
    m_previous->setEnabled(stage() > 0);
    m_next->setEnabled(stage() < 2 * kIterations);

    const double logK = std::log(double(k));
    const AssignmentSummary summaries[] = {summariseAssignment(q), summariseAssignment(c.softmax),
                                           summariseAssignment(c.argmax)};
    for (int r = 0; r < 3; ++r) {
        const auto& s = summaries[r];
        m_summary->setItem(r, 0, new QTableWidgetItem(QString::number(s.codeEntropy, 'f', 3)));
        m_summary->setItem(r, 1, new QTableWidgetItem(QString::number(s.usageEntropy, 'f', 3)));
        m_summary->setItem(r, 2, new QTableWidgetItem(tr("%1 of %2").arg(s.prototypesUsed).arg(k)));
    }
    m_summaryNote->setText(tr("<b>code H</b>: entropy of an image's assignment; <b>usage "
                              "H</b>: of the batch's mean assignment; both ÷ ln K = %1 (1 = "
                              "uniform). <b>used</b>: prototypes that are some image's argmax.")
                               .arg(logK, 0, 'f', 2));
}

} // namespace swav
