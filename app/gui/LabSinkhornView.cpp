#include "LabSinkhornView.h"

#include "LabConvergencePlot.h"
#include "LabExplanation.h"
#include "LabResult.h"
#include "MatrixHeatMap.h"

#include <ATen/ATen.h>

#include <QCheckBox>
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

constexpr double kMinEpsilon = 0.002; // codes are one-hot to the eye below this
constexpr double kMaxEpsilon = 1.0;
constexpr int kEpsilonTicks = 200;
constexpr int kMapMinimumWidth = 300;    // a column of maps narrower than this is unreadable
constexpr int kCodesMinimumHeight = 280; // Q's rows stay several pixels tall
constexpr int kPlotMinimumHeight = 200;

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

QString number(double value) {
    return QString::number(value, 'g', 3);
}

QString percent(double fraction) {
    return fraction >= 0.1 ? QString::number(fraction * 100, 'f', 0) + QStringLiteral(" %")
                           : QString::number(fraction * 100, 'g', 2) + QStringLiteral(" %");
}

QVector<double> relativeTo(const std::vector<double>& deviations, double target) {
    QVector<double> out;
    for (double d : deviations)
        out << d / target;
    return out;
}

/// "1 iteration", "3 iterations".
QString iterations(int count) {
    return count == 1 ? LabSinkhornView::tr("1 iteration")
                      : LabSinkhornView::tr("%1 iterations").arg(count);
}

bool isClose(double deviation, double target) {
    return deviation <= LabSinkhornView::kCloseTolerance * target;
}

/// "within 0.0517 of 1/K = 0.0333 (155 % off)"
QString deviationText(double deviation, double target, const QString& targetName) {
    return LabSinkhornView::tr("within %1 of %2 = %3 (%4 off)")
        .arg(number(deviation), targetName, number(target), percent(deviation / target));
}

/// "close to 1/K (within 10 %)" or "not yet close to 1/K (that takes 10 %)", from the numbers.
QString closenessText(double deviation, double target, const QString& targetName) {
    const QString tolerance = percent(LabSinkhornView::kCloseTolerance);
    return isClose(deviation, target)
               ? LabSinkhornView::tr("close to %1 (within %2)").arg(targetName, tolerance)
               : LabSinkhornView::tr("not yet close to %1 (close means within %2)")
                     .arg(targetName, tolerance);
}

} // namespace

struct LabSinkhornView::Computed {
    LabSinkhorn sinkhorn;        // core's trace, over [queue + B, K], the batch's rows kept
    at::Tensor softmax;          // [B, K]
    at::Tensor argmax;           // [B, K] one-hot
    std::vector<int> rows, cols; // display order

    int64_t queue() const { return sinkhorn.queueRows; }
    int64_t images() const { return sinkhorn.scores.size(0); }
    int64_t prototypes() const { return sinkhorn.scores.size(1); }
    const SinkhornStep& step(int stage) const { return sinkhorn.trace.steps[size_t(stage)]; }
    QString rowTargetName() const {
        return queue() > 0 ? LabSinkhornView::tr("1/(B+N)") : QStringLiteral("1/B");
    }
};

LabSinkhornView::LabSinkhornView(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(makeControls());
    layout->addLayout(makeStepper());
    m_stageText = new QLabel(this);
    m_stageText->setWordWrap(true);
    m_stageText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_stageText);
    layout->addWidget(makeMaps(), 1);
    m_explanation = new LabExplanation(QString(), this);
    layout->addWidget(m_explanation);

    connect(m_epsilonSlider, &QSlider::valueChanged, this, [this](int tick) {
        m_epsilon = epsilonOfTick(tick);
        recompute();
    });
    connect(m_stage, &QSlider::valueChanged, this, &LabSinkhornView::showStage);
    connect(m_previous, &QPushButton::clicked, this, [this] { setStage(stage() - 1); });
    connect(m_next, &QPushButton::clicked, this, [this] { setStage(stage() + 1); });
    connect(m_runStage, &QPushButton::clicked, this, [this] { setStage(2 * runIterations()); });
    connect(m_crop, &QComboBox::currentIndexChanged, this, &LabSinkhornView::recompute);
    connect(m_queue, &QSpinBox::valueChanged, this, &LabSinkhornView::recompute);
    connect(m_rowOrder, &QComboBox::currentIndexChanged, this, &LabSinkhornView::showStage);
    connect(m_colOrder, &QComboBox::currentIndexChanged, this, &LabSinkhornView::showStage);
    connect(m_contrastPerMap, &QCheckBox::toggled, this, &LabSinkhornView::showStage);
    setEnabled(false);
}

LabSinkhornView::~LabSinkhornView() = default;

QLayout* LabSinkhornView::makeControls() {
    m_crop = new QComboBox(this);
    m_crop->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_crop->setToolTip(tr("The assignment crop whose codes are computed"));
    m_queue = new QSpinBox(this);
    m_queue->setRange(0, 0);
    m_queue->setSingleStep(128);
    m_queue->setPrefix(tr("queue "));
    m_queue->setSuffix(tr(" rows"));
    m_queue->setToolTip(tr("Scores of other images (the lab's pool, as a queue of earlier "
                           "batches) computed with the batch: the equal partition then spreads "
                           "over B + N rows, and small batches get sharp codes again"));
    m_epsilonSlider = new QSlider(Qt::Horizontal, this);
    m_epsilonSlider->setRange(0, kEpsilonTicks);
    m_epsilonSlider->setMinimumWidth(80);
    m_epsilonSlider->setToolTip(
        tr("ε of the codes, %1 to %2 on a log scale").arg(kMinEpsilon).arg(kMaxEpsilon));
    m_epsilonText = new QLabel(this);
    m_rowOrder = new QComboBox(this);
    m_rowOrder->addItems(
        {tr("images in batch order"), tr("images by class"), tr("images by code's prototype")});
    m_colOrder = new QComboBox(this);
    m_colOrder->addItems(
        {tr("prototypes by index"), tr("prototypes by code mass"), tr("prototypes by mean score")});
    m_contrastPerMap = new QCheckBox(tr("contrast per map"), this);
    m_contrastPerMap->setToolTip(
        tr("Off: the probability matrices (Q, softmax ÷ B, argmax ÷ B) share one colour scale "
           "from 0 to their row total, the scores span −1 to 1, so maps compare by colour. On: "
           "each map stretches its colours over its own smallest and largest value"));

    // Short rows, so that the controls fit between the docks of a 1280-pixel window.
    auto* controls = new QVBoxLayout;
    auto* codes = new QHBoxLayout;
    codes->addWidget(new QLabel(tr("Codes of"), this));
    codes->addWidget(m_crop);
    codes->addWidget(m_queue);
    codes->addStretch(1);
    auto* epsilon = new QHBoxLayout;
    epsilon->addWidget(new QLabel(tr("ε"), this));
    epsilon->addWidget(m_epsilonSlider, 1);
    epsilon->addWidget(m_epsilonText);
    epsilon->addSpacing(8);
    epsilon->addWidget(m_contrastPerMap);
    auto* display = new QHBoxLayout;
    display->addWidget(m_rowOrder);
    display->addWidget(m_colOrder);
    display->addStretch(1);
    controls->addLayout(codes);
    controls->addLayout(epsilon);
    controls->addLayout(display);
    return controls;
}

QLayout* LabSinkhornView::makeStepper() {
    m_previous = new QPushButton(tr("◀ Previous"), this);
    m_next = new QPushButton(tr("Next ▶"), this);
    m_runStage = new QPushButton(this);
    m_runStage->setToolTip(tr("The end of the iterations the run itself makes"));
    m_stage = new QSlider(Qt::Horizontal, this);
    m_stage->setRange(0, 2 * kLabSinkhornIterations);
    m_stage->setPageStep(2);
    m_stage->setMinimumWidth(80);
    m_stage->setToolTip(tr("Iterations of Sinkhorn-Knopp: start, then each column and row step, "
                           "up to %1 iterations")
                            .arg(kLabSinkhornIterations));
    auto* stepper = new QHBoxLayout;
    stepper->addWidget(m_previous);
    stepper->addWidget(m_stage, 1);
    stepper->addWidget(m_next);
    stepper->addWidget(m_runStage);
    return stepper;
}

QWidget* LabSinkhornView::makeMaps() {
    auto* maps = new QWidget(this);
    m_grid = new QGridLayout(maps);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_scores = new MatrixHeatMap(maps);
    m_exponential = new MatrixHeatMap(maps);
    m_codes = new MatrixHeatMap(maps);
    m_softmax = new MatrixHeatMap(maps);
    m_argmax = new MatrixHeatMap(maps);
    m_convergence = new LabConvergencePlot(maps);
    m_summary = new QTableWidget(3, 3, maps);
    m_summary->setHorizontalHeaderLabels({tr("code H"), tr("usage H"), tr("used")});
    m_summary->setVerticalHeaderLabels({tr("Sinkhorn Q"), tr("softmax"), tr("argmax")});
    m_summary->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_summary->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_summary->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_summary->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_summary->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_summary->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_summaryNote = new QLabel(maps);
    m_summaryNote->setWordWrap(true);
    m_summaryBox = new QWidget(maps);
    auto* summaryLayout = new QVBoxLayout(m_summaryBox);
    summaryLayout->setContentsMargins(0, 0, 0, 0);
    summaryLayout->addWidget(m_summary, 0, Qt::AlignLeft);
    summaryLayout->addWidget(m_summaryNote);
    summaryLayout->addStretch(1);
    // Q is what the lesson is about: it gets the most room.
    m_codes->setMinimumHeight(kCodesMinimumHeight);
    m_convergence->setMinimumHeight(kPlotMinimumHeight);
    arrangeMaps(1);
    return maps;
}

int LabSinkhornView::mapColumnsFor(int width) {
    return std::clamp(width / kMapMinimumWidth, 1, 3);
}

void LabSinkhornView::arrangeMaps(int columns) {
    if (columns == m_mapColumns)
        return;
    m_mapColumns = columns;
    // Q first, so that it stays in view however little room there is; then how it converges,
    // what it is made of, and what it is compared with.
    const QList<QWidget*> order =
        columns == 3 ? QList<QWidget*>{m_codes,   m_scores, m_exponential, m_convergence,
                                       m_softmax, m_argmax, m_summaryBox}
                     : QList<QWidget*>{m_codes,   m_convergence, m_scores,    m_exponential,
                                       m_softmax, m_argmax,      m_summaryBox};
    for (QWidget* widget : order)
        m_grid->removeWidget(widget);
    for (int i = 0; i < order.size(); ++i)
        m_grid->addWidget(order[i], i / columns, i % columns);
    for (int column = 0; column < 3; ++column)
        m_grid->setColumnStretch(column, column < columns ? 1 : 0);
    // No stretch: in one column the lab is taller than the window anyway, and Q at its size
    // hint keeps the rows above it and itself in view.
    for (int row = 0; row < 7; ++row)
        m_grid->setRowStretch(row, 0);
}

void LabSinkhornView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    arrangeMaps(mapColumnsFor(width()));
}

void LabSinkhornView::setResult(std::shared_ptr<const LabResult> result) {
    const bool first = !m_computed;
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
    m_runStage->setText(tr("The run's %1").arg(iterations(runIterations())));
    {
        // A fresh batch starts at the run's settings: its epsilon, its last iteration.
        const QSignalBlocker blockStage(m_stage);
        if (first)
            m_stage->setValue(2 * runIterations());
    }
    setEnabled(true);
    if (first)
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
    m_stage->setValue(std::clamp(stage, 0, 2 * kLabSinkhornIterations)); // shows it
}

int LabSinkhornView::stageCount() const {
    return 2 * kLabSinkhornIterations + 1;
}

int LabSinkhornView::iterationCount() const {
    return kLabSinkhornIterations;
}

int LabSinkhornView::runIterations() const {
    if (!m_result)
        return 0;
    return std::clamp(m_result->batch.config.swav.sinkhornIterations, 0, kLabSinkhornIterations);
}

void LabSinkhornView::recompute() {
    if (!m_result || m_crop->currentIndex() < 0)
        return;
    const LabBatch& batch = m_result->batch;
    auto computed = std::make_unique<Computed>();
    const int crop = batch.swapped.assignCrops[size_t(m_crop->currentIndex())];
    computed->sinkhorn = labSinkhorn(batch, crop, m_queue->value(), m_epsilon);
    const at::Tensor& scores = computed->sinkhorn.scores;
    computed->softmax = at::softmax(scores / batch.config.swav.temperature, 1);
    computed->argmax = at::one_hot(scores.argmax(1), scores.size(1)).to(at::kFloat);
    m_computed = std::move(computed);
    m_epsilonText->setText(QStringLiteral("%1%2")
                               .arg(m_epsilon, 0, 'g', 3)
                               .arg(std::abs(m_epsilon - batch.config.swav.epsilon) < 1e-12
                                        ? tr(" (the run's)")
                                        : QString()));
    const LabSinkhorn& sinkhorn = m_computed->sinkhorn;
    m_convergence->setConvergence(relativeTo(sinkhorn.columnDeviation, sinkhorn.columnTarget()),
                                  relativeTo(sinkhorn.rowDeviation, sinkhorn.rowTarget()),
                                  runIterations(), kCloseTolerance);
    m_explanation->setText(explanationText());
    showStage();
}

void LabSinkhornView::updateOrders() {
    Computed& c = *m_computed;
    const LabBatch& batch = m_result->batch;
    const int64_t b = c.images(), k = c.prototypes();
    const at::Tensor& q = c.step(stage()).q;
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
        const auto key = (m_colOrder->currentIndex() == 1 ? q.sum(0) : c.sinkhorn.scores.mean(0))
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
    showMatrices();
    m_stageText->setText(stepDescription());
    m_previous->setEnabled(stage() > 0);
    m_next->setEnabled(stage() < 2 * kLabSinkhornIterations);
    m_convergence->setCurrentIteration(m_computed->step(stage()).iteration);
    showSummary();
}

void LabSinkhornView::fixColours(HeatMatrix& matrix, double low, double high) const {
    if (m_contrastPerMap->isChecked())
        return;
    matrix.colourLow = low;
    matrix.colourHigh = high;
}

void LabSinkhornView::showMatrices() {
    const Computed& c = *m_computed;
    const int64_t b = c.images(), k = c.prototypes(), n = c.queue();
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
            // Brightest = a cell holding its image's whole share: Q, softmax and argmax alike.
            fixColours(h, 0.0, h.rowTarget);
        }
        return h;
    };
    const SinkhornStep& step = c.step(stage());
    HeatMatrix scores = matrix(c.sinkhorn.scores, tr("Scores z·c (cosines)"), false);
    fixColours(scores, -1.0, 1.0);
    m_scores->setMatrix(scores);
    HeatMatrix exponential =
        matrix(c.sinkhorn.trace.exponentiated, tr("exp((score − largest score) / ε)"), false);
    exponential.logColours = true;
    // What cosines in [-1, 1] can give at this epsilon, relative to the largest: down to
    // exp(-2 / ε), kept above float's smallest normal value for the logarithmic colours.
    fixColours(exponential, std::max(std::exp(-2.0 / m_epsilon), 1e-37), 1.0);
    m_exponential->setMatrix(exponential);
    HeatMatrix codes =
        matrix(step.q,
               n > 0 ? tr("Q at this stage: the batch's %1 of %2 rows").arg(b).arg(n + b)
                     : tr("Q at this stage (total 1)"),
               true);
    if (n > 0) { // the constraint holds over every row, queue included
        codes.rowTarget = c.sinkhorn.rowTarget();
        codes.rowTargetName = c.rowTargetName();
        codes.colSums = valuesOf(step.prototypeMass.index_select(0, cols));
        fixColours(codes, 0.0, codes.rowTarget);
    }
    m_codes->setMatrix(codes);
    const double tau = m_result->batch.config.swav.temperature;
    m_softmax->setMatrix(
        matrix(c.softmax / double(b), tr("softmax(score / τ), τ = %1, ÷ B").arg(tau), true));
    m_argmax->setMatrix(matrix(c.argmax / double(b), tr("argmax (one-hot), ÷ B"), true));
}

QString LabSinkhornView::stepDescription() const {
    const Computed& c = *m_computed;
    const SinkhornStep& step = c.step(stage());
    const double colTarget = c.sinkhorn.columnTarget(), rowTarget = c.sinkhorn.rowTarget();
    const double colDeviation = largestDeviation(step.prototypeMass, colTarget);
    const double rowDeviation = largestDeviation(step.sampleMass, rowTarget);
    const QString rowName = c.rowTargetName();
    const QString columns = deviationText(colDeviation, colTarget, QStringLiteral("1/K"));
    const QString rows = deviationText(rowDeviation, rowTarget, rowName);
    QString text;
    switch (step.kind) {
    case SinkhornStep::Kind::Start:
        text = tr("<b>Start</b>: exp(score / ε), scaled to a total of 1. Nothing is balanced "
                  "yet: the column sums are %1, the row sums %2.")
                   .arg(columns, rows);
        break;
    case SinkhornStep::Kind::Prototypes:
        text = tr("<b>Iteration %1, columns</b>: each prototype's mass is set to 1/K; the row "
                  "sums move off %2 and are now %3.")
                   .arg(step.iteration)
                   .arg(rowName, rows);
        break;
    case SinkhornStep::Kind::Samples:
        text = tr("<b>After %1</b>, rows: each image's mass is set to %2; the column sums are "
                  "%3: %4.")
                   .arg(iterations(step.iteration), rowName, columns,
                        closenessText(colDeviation, colTarget, QStringLiteral("1/K")));
        break;
    }
    const int run = runIterations();
    if (step.kind == SinkhornStep::Kind::Samples && step.iteration == run)
        text += tr(" <i>The run stops here (%1): Q × %2 are its codes.</i>")
                    .arg(iterations(run), c.queue() > 0 ? tr("(B+N)") : tr("B"));
    else if (step.iteration > run)
        text += tr(" <i>Beyond the run, which stops after %1.</i>").arg(iterations(run));
    return text;
}

QString LabSinkhornView::explanationText() const {
    const Computed& c = *m_computed;
    const LabSinkhorn& s = c.sinkhorn;
    const int run = runIterations();
    QString convergence;
    if (run > 0) {
        const double deviation = s.columnDeviation[size_t(run - 1)];
        convergence = tr("Here, at ε = %1, the run's %2 leave its codes' column sums %3: %4. ")
                          .arg(number(m_epsilon), iterations(run),
                               deviationText(deviation, s.columnTarget(), QStringLiteral("1/K")),
                               closenessText(deviation, s.columnTarget(), QStringLiteral("1/K")));
    }
    const int within = s.firstIterationWithin(kCloseTolerance);
    convergence +=
        within > 0 ? tr("Columns and rows come within %1 of their targets after %2.")
                         .arg(percent(kCloseTolerance), iterations(within))
                   : tr("Columns and rows are not within %1 of their targets even after the %2 the "
                        "lab computes.")
                         .arg(percent(kCloseTolerance), iterations(s.iterations()));
    return tr("<p>SwAV turns the prototype scores of a batch into <b>codes</b> Q that use every "
              "prototype equally. As drawn here, one row per image and one column per "
              "prototype, the scores are S = Z<sup>T</sup>C (B × K; the paper writes the "
              "transpose, C<sup>T</sup>Z). Q maximises Tr(Q<sup>T</sup>S) + ε H(Q) over the "
              "B × K matrices whose rows sum to 1/B and columns to 1/K; the answer is "
              "Q = Diag(u) exp(S / ε) Diag(v), with u one factor per image (row) and v one per "
              "prototype (column). Sinkhorn-Knopp finds them by scaling the columns (each "
              "prototype to 1/K) and the rows (each image to 1/B) in turn (paper, eq. 3).</p>"
              "<p>%1 The plot shows, per iteration, the largest distance of a column sum from "
              "1/K and of a row sum from 1/B as a fraction of the target. Small ε gives sharp, "
              "one-hot-like codes and needs more iterations; large ε gives uniform ones. "
              "Softmax and argmax have no such constraint: their column sums are as uneven as "
              "the scores.</p>"
              "<p>Colours: Q, softmax ÷ B and argmax ÷ B share one scale from 0 to 1/B (a cell "
              "holding its image's whole share is brightest), the scores span −1 to 1, so a "
              "uniform Q is flat and dark beside a sharp one; <i>contrast per map</i> stretches "
              "each map over its own range instead.</p>"
              "<p>Small batches: with B below K each image's code must spread over at least K/B "
              "prototypes, so codes cannot be sharp. SwAV's queue adds the scores of earlier "
              "images as extra rows; set <i>queue</i> above 0 and watch the code entropy "
              "fall.</p>")
        .arg(convergence);
}

void LabSinkhornView::showSummary() {
    const Computed& c = *m_computed;
    const int64_t k = c.prototypes();
    const double logK = std::log(double(k));
    const AssignmentSummary summaries[] = {summariseAssignment(c.step(stage()).q),
                                           summariseAssignment(c.softmax),
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
