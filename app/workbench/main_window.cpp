#include "main_window.h"

#include "chat/chat_page.h"
#include "experts/experts_page.h"
#include "interconnect/interconnect_page.h"
#include "load_dialog.h"
#include "model_bar.h"
#include "planner/planner_page.h"
#include "runs/runs_page.h"
#include "store_controller.h"

#include <QAction>
#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

namespace moeui {

QString MainWindow::pageName(Page page)
{
    switch (page) {
    case Chat: return tr("Chat");
    case Experts: return tr("Experts");
    case Interconnect: return tr("Interconnect");
    case Planner: return tr("Planner");
    case Runs: return tr("Runs");
    case PageCount: break;
    }
    return {};
}

QString MainWindow::pageKey(Page page)
{
    static const char* const keys[] = {"chat", "experts", "interconnect", "planner", "runs"};
    return page < PageCount ? QString::fromLatin1(keys[page]) : QString();
}

MainWindow::MainWindow(EngineController* engine, StoreController* store, QWidget* parent)
    : QMainWindow(parent), m_engine(engine), m_store(store)
{
    setWindowTitle(tr("MoE Workbench"));
    resize(1360, 860);

    auto* central = new QWidget;
    auto* v = new QVBoxLayout(central);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    m_modelBar = new ModelBar(engine);
    v->addWidget(m_modelBar);
    m_banner = new QLabel;
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(QStringLiteral("background: #fde7e9; color: #7a0010; padding: 6px;"));
    m_banner->hide();
    v->addWidget(m_banner);
    auto* body = new QHBoxLayout;
    body->setSpacing(0);
    m_nav = new QListWidget;
    m_nav->setFixedWidth(150);
    m_nav->setFrameShape(QFrame::NoFrame);
    m_nav->setStyleSheet(QStringLiteral("QListWidget { background: palette(window); font-size: 11pt; }"
                                        "QListWidget::item { padding: 10px 12px; }"));
    m_stack = new QStackedWidget;
    body->addWidget(m_nav);
    body->addWidget(m_stack, 1);
    v->addLayout(body, 1);
    setCentralWidget(central);

    m_chat = new ChatPage(engine, store);
    m_experts = new ExpertsPage(engine);
    m_interconnect = new InterconnectPage(engine);
    m_planner = new PlannerPage(engine, store);
    m_runs = new RunsPage(engine, store);
    for (int p = 0; p < PageCount; ++p) {
        m_nav->addItem(pageName(Page(p)));
        m_stack->addWidget(page(Page(p)));
    }
    connect(m_nav, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    m_nav->setCurrentRow(Chat);

    // Menus.
    QMenu* modelMenu = menuBar()->addMenu(tr("&Model"));
    QAction* load = modelMenu->addAction(tr("&Load model…"), this, &MainWindow::openLoadDialog);
    load->setShortcut(QKeySequence::Open);
    modelMenu->addAction(tr("&Unload"), engine, &EngineController::unloadModel);
    modelMenu->addSeparator();
    QAction* quit = modelMenu->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    for (int p = 0; p < PageCount; ++p) {
        QAction* a = viewMenu->addAction(pageName(Page(p)), this, [this, p] { showPage(Page(p)); });
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + p)));
    }
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About MoE Workbench"), this, [this] {
        QMessageBox::about(this, tr("About MoE Workbench"),
                           tr("<b>MoE Workbench %1</b><p>Chat with local Mixture-of-Experts models, watch how tokens "
                              "are routed to experts and plan deployments.</p>")
                               .arg(QApplication::applicationVersion()));
    });

    // Page to page.
    connect(m_modelBar, &ModelBar::loadRequested, this, &MainWindow::openLoadDialog);
    connect(m_runs, &RunsPage::openRunRequested, this, [this](ProfileRunPtr run) {
        m_experts->showRun(run);
        showPage(Experts);
    });
    connect(m_runs, &RunsPage::openScenarioRequested, this, [this](qint64 id) {
        m_planner->openScenario(id);
        showPage(Planner);
    });
    connect(m_planner, &PlannerPage::scenariosChanged, m_runs, &RunsPage::refresh);
    connect(m_runs, &RunsPage::scenariosChanged, m_planner, &PlannerPage::refreshSavedScenarios);
    connect(m_chat, &ChatPage::statusMessage, this, [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(engine, &EngineController::jobFailed, this,
            [this](quint64, const QString& message) { statusBar()->showMessage(message, 10000); });
    connect(store, &StoreController::openFailed, this, [this](const QString& message) {
        m_banner->setText(tr("The store could not be opened, so chats, runs and scenarios are not saved this "
                             "session (the file was left untouched): %1")
                              .arg(message));
        m_banner->show();
    });
    connect(store, &StoreController::jobFailed, this,
            [this](const QString& message) { statusBar()->showMessage(message, 10000); });
    statusBar()->showMessage(tr("Ready"));
}

QWidget* MainWindow::page(Page p) const
{
    switch (p) {
    case Chat: return m_chat;
    case Experts: return m_experts;
    case Interconnect: return m_interconnect;
    case Planner: return m_planner;
    case Runs: return m_runs;
    case PageCount: break;
    }
    return nullptr;
}

void MainWindow::showPage(Page p)
{
    if (p < PageCount)
        m_nav->setCurrentRow(p);
}

void MainWindow::openLoadDialog()
{
    auto* dialog = new LoadModelDialog(m_engine, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (const LoadedModelPtr m = m_engine->model())
        dialog->setPath(m->path);
    else if (!LoadModelDialog::recentModels().isEmpty())
        dialog->setPath(LoadModelDialog::recentModels().first());
    dialog->open();
}

} // namespace moeui
