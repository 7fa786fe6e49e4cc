#include "LabSwapView.h"

#include "DistributionComparison.h"
#include "LabExplanation.h"
#include "LabResult.h"

#include <ATen/ATen.h>

#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QResizeEvent>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace swav {

namespace {

constexpr int kImageSide = 56;           // the batch strip
constexpr int kCropSide = 72;            // crops, whatever their resolution
constexpr int kSideBySideWidth = 760;    // narrower: the q/p chart goes under the table
constexpr int kTypicalSide = 48;         // typical images of a prototype
constexpr int kTopPrototypes = 2;        // of q and of p each, for the typical images
constexpr QSize kChartMinimum(280, 200); // q and p readable side by side

/// Removes and deletes every item of `layout` and its widgets (stretches have none).
void clearLayout(QLayout* layout) {
    while (QLayoutItem* item = layout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

QVector<double> rowOf(const at::Tensor& t) {
    const auto d = t.to(at::kDouble).contiguous();
    return QVector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

const char* kExplanation = QT_TRANSLATE_NOOP(
    "swav::LabSwapView",
    "<p>SwAV never compares two crops' features directly. The <b>code</b> q of one large crop "
    "(its Sinkhorn assignment, computed without gradient) is the target that every <i>other</i> "
    "crop of the same image must predict from its own features: p = softmax(z·c / τ). The loss "
    "of an image is the mean of the cross-entropies −Σ<sub>k</sub> q<sub>k</sub> log "
    "p<sub>k</sub> in the table (paper, eq. 1-2), and the batch loss their mean.</p>"
    "<p>Click a cell to compare q and p. Early in training p is nearly flat; as the run learns, "
    "the crops of one image agree on the prototypes, and those prototypes' typical images look "
    "alike.</p>");

} // namespace

LabSwapView::LabSwapView(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    m_images = new QListWidget(this);
    m_images->setViewMode(QListView::IconMode);
    m_images->setFlow(QListView::LeftToRight);
    // Rows of the batch, one in view at a time: no sideways scrolling in a narrow lab.
    m_images->setWrapping(true);
    m_images->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_images->setResizeMode(QListView::Adjust);
    m_images->setMovement(QListView::Static);
    m_images->setToolTip(tr("The batch: pick an image"));
    layout->addWidget(m_images);

    // The crops wrap into rows (placeCrops) instead of widening the lab.
    m_cropBox = new QWidget(this);
    m_cropGrid = new QGridLayout(m_cropBox);
    m_cropGrid->setContentsMargins(0, 0, 0, 0);
    m_cropGrid->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_table = new QTableWidget(this);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_table->setToolTip(tr("−Σ q log p: the code of the row's crop against the prediction of "
                           "the column's crop"));
    m_loss = new QLabel(this);
    m_loss->setWordWrap(true);
    m_loss->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_cellText = new QLabel(tr("Click a cell of the table."), this);
    m_cellText->setWordWrap(true);
    m_comparison = new DistributionComparison(this);
    m_comparison->setMinimumSize(kChartMinimum);
    // The typical images keep their size; the lab's page scrolls when they do not fit.
    m_typicalBox = new QWidget(this);
    m_typicalLayout = new QVBoxLayout(m_typicalBox);
    m_typicalLayout->setContentsMargins(0, 0, 0, 0);
    m_body = new QGridLayout;
    arrange(false);
    layout->addLayout(m_body, 1);
    m_explanation = new LabExplanation(tr(kExplanation), this);
    layout->addWidget(m_explanation);

    connect(m_images, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != m_image)
            setImage(row);
    });
    connect(m_table, &QTableWidget::cellClicked, this, &LabSwapView::selectCell);
    setEnabled(false);
}

QPixmap LabSwapView::picture(const QImage& image, int side) const {
    return pictureOfSide(image, int(side * m_scale));
}

QPixmap LabSwapView::pictureOfSide(const QImage& image, int scaled) const {
    return QPixmap::fromImage(
        image.scaled(scaled, scaled, Qt::KeepAspectRatio,
                     image.width() < scaled ? Qt::FastTransformation : Qt::SmoothTransformation));
}

void LabSwapView::setPictureScale(double scale) {
    m_scale = scale;
    if (!m_result)
        return;
    setResult(m_result); // the strip and the crops at the new size
}

void LabSwapView::setResult(std::shared_ptr<const LabResult> result) {
    m_result = std::move(result);
    setEnabled(true);
    const int side = int(kImageSide * m_scale);
    m_images->blockSignals(true);
    m_images->clear();
    m_images->setIconSize(QSize(side, side));
    m_images->setFixedHeight(side + m_images->fontMetrics().height() + 16);
    for (int i = 0; i < m_result->images.size(); ++i) {
        auto* item = new QListWidgetItem(QIcon(picture(m_result->images[i], kImageSide)),
                                         QString::number(i + 1), m_images);
        item->setToolTip(m_result->imageName(i));
    }
    m_images->blockSignals(false);
    setImage(std::clamp(m_image, 0, int(m_result->images.size()) - 1));
}

void LabSwapView::setImage(int image) {
    if (!m_result || image < 0 || image >= m_result->images.size())
        return;
    m_image = image;
    m_images->blockSignals(true);
    m_images->setCurrentRow(image);
    m_images->blockSignals(false);
    showCrops();
    showTable();
    const auto& assign = m_result->batch.swapped.assignCrops;
    // A first cell to look at: the first code against the first crop that predicts it.
    selectCell(m_row >= 0 && m_row < int(assign.size()) ? m_row : 0,
               m_col >= 0 && m_col < m_result->batch.cropCount() && m_col != assign[0] ? m_col : 1);
}

void LabSwapView::arrange(bool sideBySide) {
    if (m_body->count() > 0 && sideBySide == m_sideBySide)
        return;
    m_sideBySide = sideBySide;
    const QList<QWidget*> all{m_cropBox, m_table, m_loss, m_typicalBox, m_cellText, m_comparison};
    for (QWidget* widget : all)
        m_body->removeWidget(widget);
    for (int row = 0; row < 6; ++row)
        m_body->setRowStretch(row, 0);
    if (sideBySide) {
        // The table and what it is made of on the left, q against p on the right, full height.
        m_body->addWidget(m_cropBox, 0, 0);
        m_body->addWidget(m_table, 1, 0);
        m_body->addWidget(m_loss, 2, 0);
        m_body->addWidget(m_typicalBox, 3, 0);
        m_body->addWidget(m_cellText, 0, 1);
        m_body->addWidget(m_comparison, 1, 1, 3, 1);
        m_body->setRowStretch(3, 1);
        m_body->setColumnStretch(0, 1);
        m_body->setColumnStretch(1, 1);
        return;
    }
    // One column: the chart right under the table it explains, at its size hint (the page is
    // as tall as the Sinkhorn view's; the typical images take what is left).
    const QList<QWidget*> order{m_cropBox, m_table, m_comparison, m_cellText, m_loss, m_typicalBox};
    for (int row = 0; row < order.size(); ++row)
        m_body->addWidget(order[row], row, 0);
    m_body->setRowStretch(5, 1);
    m_body->setColumnStretch(0, 1);
    m_body->setColumnStretch(1, 0);
}

void LabSwapView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    arrange(width() >= kSideBySideWidth);
    if (cropColumns() != m_placedColumns)
        placeCrops();
}

int LabSwapView::cropColumns() const {
    if (m_cropTiles.isEmpty())
        return 0;
    // The crops' share of the width, known before the layout hands it out.
    const QMargins margins = layout()->contentsMargins();
    int room = width() - margins.left() - margins.right();
    if (m_sideBySide)
        room = (room - m_body->horizontalSpacing()) / 2;
    int tileWidth = 0;
    for (const QWidget* tile : m_cropTiles)
        tileWidth = std::max(tileWidth, tile->sizeHint().width());
    const int spacing = m_cropGrid->horizontalSpacing();
    const int columns = (room + spacing) / (tileWidth + spacing);
    return std::clamp(columns, 1, int(m_cropTiles.size()));
}

void LabSwapView::placeCrops() {
    for (QWidget* tile : m_cropTiles)
        m_cropGrid->removeWidget(tile);
    m_placedColumns = cropColumns();
    for (int i = 0; i < m_cropTiles.size(); ++i)
        m_cropGrid->addWidget(m_cropTiles[i], i / m_placedColumns, i % m_placedColumns,
                              Qt::AlignLeft | Qt::AlignTop);
}

void LabSwapView::showCrops() {
    clearLayout(m_cropGrid);
    m_cropTiles.clear();
    const LabBatch& batch = m_result->batch;
    const auto& assign = batch.swapped.assignCrops;
    const int side = int(kCropSide * m_scale);
    auto* original = new QLabel(m_cropBox);
    original->setPixmap(pictureOfSide(m_result->images[m_image], side));
    original->setToolTip(tr("The stored image %1").arg(m_result->imageName(m_image)));
    original->setAlignment(Qt::AlignCenter);
    m_cropTiles << original;
    for (int c = 0; c < batch.cropCount(); ++c) {
        auto* tile = new QWidget(m_cropBox);
        auto* tileLayout = new QVBoxLayout(tile);
        tileLayout->setContentsMargins(2, 2, 2, 2);
        auto* pixels = new QLabel(tile);
        pixels->setPixmap(pictureOfSide(m_result->crops[c][m_image], side));
        pixels->setFixedSize(pixels->pixmap().size() + QSize(4, 4));
        pixels->setAlignment(Qt::AlignCenter);
        const bool assigns = std::find(assign.begin(), assign.end(), c) != assign.end();
        // Short lines: the caption must not make the tile wider than its picture.
        auto* caption = new QLabel(tr("crop %1\n%2 px%3")
                                       .arg(c + 1)
                                       .arg(batch.crops[size_t(c)].size(2))
                                       .arg(assigns ? tr("\ncode") : QString()),
                                   tile);
        if (assigns)
            pixels->setStyleSheet(QStringLiteral("border: 2px solid #d62728;"));
        tileLayout->addWidget(pixels);
        tileLayout->addWidget(caption);
        tile->setObjectName(QStringLiteral("cropTile"));
        m_cropTiles << tile;
    }
    placeCrops();
}

int LabSwapView::cropPictureCount() const {
    return int(m_cropBox->findChildren<QWidget*>(QStringLiteral("cropTile")).size());
}

void LabSwapView::showTable() {
    const LabBatch& batch = m_result->batch;
    const auto& assign = batch.swapped.assignCrops;
    const int crops = batch.cropCount();
    m_table->clear();
    m_table->setRowCount(int(assign.size()));
    m_table->setColumnCount(crops);
    QStringList rows, cols;
    for (int a : assign)
        rows << tr("q of crop %1").arg(a + 1);
    for (int c = 0; c < crops; ++c)
        cols << tr("p of\ncrop %1").arg(c + 1);
    m_table->setVerticalHeaderLabels(rows);
    m_table->setHorizontalHeaderLabels(cols);
    const auto table = batch.swapped.crossEntropy[m_image].to(at::kDouble).contiguous();
    for (int r = 0; r < int(assign.size()); ++r)
        for (int c = 0; c < crops; ++c) {
            const double value = table[r][c].item<double>();
            auto* item =
                new QTableWidgetItem(std::isnan(value) ? tr("—") : QString::number(value, 'f', 3));
            item->setTextAlignment(Qt::AlignCenter);
            if (std::isnan(value)) {
                item->setFlags(Qt::NoItemFlags);
                item->setToolTip(tr("A crop does not predict its own code"));
            }
            m_table->setItem(r, c, item);
        }
    // As tall as its rows: the loss text sits right under it.
    m_table->resizeRowsToContents();
    int height = m_table->horizontalHeader()->sizeHint().height() + 2 * m_table->frameWidth();
    for (int r = 0; r < m_table->rowCount(); ++r)
        height += m_table->rowHeight(r);
    m_table->setFixedHeight(height + 2);
    const double imageLoss = batch.swapped.imageLoss[m_image].item<double>();
    const double batchMean = batch.swapped.imageLoss.mean().item<double>();
    m_loss->setText(tr("<b>%1</b>: mean of the table = this image's loss %2. Over the %3 images "
                       "of the batch the mean is %4; the training step's loss on the same "
                       "crops is %5.")
                        .arg(m_result->imageName(m_image))
                        .arg(imageLoss, 0, 'f', 4)
                        .arg(batch.batchSize())
                        .arg(batchMean, 0, 'f', 4)
                        .arg(batch.loss, 0, 'f', 4));
}

QString LabSwapView::lossText() const {
    return m_loss->text();
}

void LabSwapView::selectCell(int row, int col) {
    if (!m_result)
        return;
    const LabBatch& batch = m_result->batch;
    const auto& assign = batch.swapped.assignCrops;
    if (row < 0 || row >= int(assign.size()) || col < 0 || col >= batch.cropCount() ||
        col == assign[size_t(row)])
        return;
    m_row = row;
    m_col = col;
    m_table->setCurrentCell(row, col);
    const auto q = batch.swapped.codes[size_t(row)][m_image];
    const auto p = batch.swapped.predictions[col][m_image];
    m_comparison->setDistributions(tr("q: code of crop %1").arg(assign[size_t(row)] + 1), rowOf(q),
                                   tr("p: prediction of crop %1").arg(col + 1), rowOf(p));
    m_cellText->setText(
        tr("Crop %1's code against crop %2's prediction: −Σ q log p = %3")
            .arg(assign[size_t(row)] + 1)
            .arg(col + 1)
            .arg(batch.swapped.crossEntropy[m_image][row][col].item<double>(), 0, 'f', 4));
    showTypical();
}

void LabSwapView::showTypical() {
    clearLayout(m_typicalLayout);
    const LabBatch& batch = m_result->batch;
    const auto q = batch.swapped.codes[size_t(m_row)][m_image];
    const auto p = batch.swapped.predictions[m_col][m_image];
    QVector<int> prototypes;
    for (const auto& distribution : {q, p}) {
        const auto top = std::get<1>(distribution.topk(kTopPrototypes));
        for (int64_t i = 0; i < top.numel(); ++i)
            if (!prototypes.contains(int(top[i].item<int64_t>())))
                prototypes << int(top[i].item<int64_t>());
    }
    for (int k : prototypes) {
        // One block per prototype: its caption over its typical images.
        auto* block = new QWidget(m_typicalBox);
        auto* blockLayout = new QVBoxLayout(block);
        blockLayout->setContentsMargins(0, 0, 0, 4);
        auto* caption = new QLabel(tr("prototype %1: q %2, p %3")
                                       .arg(k)
                                       .arg(q[k].item<double>(), 0, 'f', 3)
                                       .arg(p[k].item<double>(), 0, 'f', 3),
                                   block);
        caption->setObjectName(QStringLiteral("typicalCaption"));
        blockLayout->addWidget(caption);
        auto* thumbs = new QHBoxLayout;
        for (qint64 index : m_result->typical.value(k)) {
            auto* thumb = new QLabel(block);
            thumb->setPixmap(picture(m_result->typicalImages.value(index), kTypicalSide));
            thumb->setFixedSize(thumb->pixmap().size());
            thumb->setToolTip(
                tr("Image #%1, among the pool's best on prototype %2").arg(index).arg(k));
            thumbs->addWidget(thumb);
        }
        thumbs->addStretch(1);
        blockLayout->addLayout(thumbs);
        m_typicalLayout->addWidget(block);
    }
    m_typicalLayout->addStretch(1);
}

QStringList LabSwapView::typicalCaptions() const {
    QStringList captions;
    for (auto* label : m_typicalBox->findChildren<QLabel*>(QStringLiteral("typicalCaption")))
        captions << label->text();
    return captions;
}

} // namespace swav
