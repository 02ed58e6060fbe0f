#include "runs/run_comparison_view.h"

#include "runs/expert_count_diff_model.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace moeui {
namespace {

QTableView* makeTable(QAbstractItemModel* model)
{
    auto* view = new QTableView;
    view->setModel(model);
    view->setAlternatingRowColors(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(false);
    return view;
}

} // namespace

RunComparisonView::RunComparisonView(QWidget* parent) : QWidget(parent)
{
    m_layers = new RunComparisonModel(this);
    m_diff = new ExpertCountDiffModel(this);

    m_title = new QLabel;
    m_title->setWordWrap(true);
    auto* layersView = makeTable(m_layers);
    layersView->verticalHeader()->hide();
    auto* diffView = makeTable(m_diff);
    m_mode = new QComboBox;
    m_mode->addItem(tr("Tokens: B − A"));
    m_mode->addItem(tr("Share of the layer: B − A (percentage points)"));
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_diff->setMode(i == 0 ? ExpertCountDiffModel::Mode::Counts : ExpertCountDiffModel::Mode::SharePoints);
    });
    m_note = new QLabel;
    m_note->setWordWrap(true);

    auto* diffPage = new QWidget;
    auto* diffLayout = new QVBoxLayout(diffPage);
    diffLayout->setContentsMargins(0, 0, 0, 0);
    auto* diffTop = new QHBoxLayout;
    diffTop->addWidget(m_mode);
    diffTop->addWidget(m_note, 1);
    diffLayout->addLayout(diffTop);
    diffLayout->addWidget(diffView, 1);
    auto* tabs = new QTabWidget;
    tabs->addTab(layersView, tr("Imbalance per layer"));
    tabs->addTab(diffPage, tr("Expert count difference"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(tabs, 1);
    setComparison(nullptr);
}

RunComparisonPtr RunComparisonView::comparison() const { return m_layers->comparison(); }

bool RunComparisonView::involves(qint64 runId) const
{
    const RunComparisonPtr c = comparison();
    return c && (c->a->id == runId || c->b->id == runId);
}

void RunComparisonView::setComparison(RunComparisonPtr c)
{
    m_layers->setComparison(c);
    m_diff->setComparison(c);
    if (!c) {
        m_title->setText(tr("Select two runs and press Compare to see how their routing differs."));
        m_note->clear();
        return;
    }
    m_title->setText(tr("A: “%1” (%2, %3 tokens)   vs   B: “%4” (%5, %6 tokens)")
                         .arg(QString::fromStdString(c->a->name), QString::fromStdString(c->a->modelName))
                         .arg(c->summaryA.tokens)
                         .arg(QString::fromStdString(c->b->name), QString::fromStdString(c->b->modelName))
                         .arg(c->summaryB.tokens));
    m_note->setText(c->sameShape() ? QString()
                                   : tr("The runs have different shapes (%1 × %2 vs %3 × %4 layers × experts): only "
                                        "the per-layer figures compare.")
                                         .arg(c->a->numMoeLayers)
                                         .arg(c->a->numExperts)
                                         .arg(c->b->numMoeLayers)
                                         .arg(c->b->numExperts));
}

} // namespace moeui
