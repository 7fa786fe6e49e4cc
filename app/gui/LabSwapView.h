#pragma once
// The swapped prediction of one image of the lab batch: its crops as the trainer made them, the
// cross-entropy between the code q of each assignment crop and the prediction p of every other
// crop (the table's mean is the image's share of the loss), and for a clicked cell the two
// distributions over the prototypes with the typical images of their top prototypes.

#include <QWidget>

#include <memory>

class QGridLayout;
class QLabel;
class QListWidget;
class QVBoxLayout;
class QTableWidget;

namespace swav {

class DistributionComparison;
class LabExplanation;
struct LabResult;

class LabSwapView : public QWidget {
    Q_OBJECT
public:
    explicit LabSwapView(QWidget* parent = nullptr);

    void setResult(std::shared_ptr<const LabResult> result);
    /// Shows batch image `image` (0-based position in the batch).
    void setImage(int image);
    int image() const { return m_image; }
    /// As clicking the table's cell: code of assignment crop `row`, prediction of crop `col`.
    void selectCell(int row, int col);
    int selectedRow() const { return m_row; }
    int selectedCrop() const { return m_col; }

    QListWidget* imageList() const { return m_images; }
    QTableWidget* table() const { return m_table; }
    DistributionComparison* comparison() const { return m_comparison; }
    QString lossText() const;
    /// "prototype k: ..." captions of the typical images on show.
    QStringList typicalCaptions() const;
    int cropPictureCount() const;
    LabExplanation* explanation() const { return m_explanation; }
    /// Pictures grow with the presenter mode.
    void setPictureScale(double scale);

protected:
    /// Side by side where the width allows; one column (the chart under the table) otherwise.
    /// The crops wrap to as many columns as the width holds.
    void resizeEvent(QResizeEvent* event) override;

private:
    void arrange(bool sideBySide);
    void showCrops();
    /// Puts the original and the crop tiles into rows of `cropColumns()`.
    void placeCrops();
    int cropColumns() const;
    void showTable();
    void showTypical();
    QPixmap picture(const QImage& image, int side) const; // side grows with the scale
    QPixmap pictureOfSide(const QImage& image, int side) const;

    std::shared_ptr<const LabResult> m_result;
    int m_image = 0;
    int m_row = -1, m_col = -1;
    double m_scale = 1.0;
    QListWidget* m_images = nullptr;
    QWidget* m_cropBox = nullptr;
    QGridLayout* m_body = nullptr;
    bool m_sideBySide = false;
    QGridLayout* m_cropGrid = nullptr;
    QList<QWidget*> m_cropTiles; // the original first, then every crop
    int m_placedColumns = 0;
    QTableWidget* m_table = nullptr;
    QLabel* m_loss = nullptr;
    DistributionComparison* m_comparison = nullptr;
    QLabel* m_cellText = nullptr;
    QWidget* m_typicalBox = nullptr;
    QVBoxLayout* m_typicalLayout = nullptr;
    LabExplanation* m_explanation = nullptr;
};

} // namespace swav
