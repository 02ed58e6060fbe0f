// main_window.h — the workbench's window: a thin shell holding the model bar, the page
// list (Chat, Experts, Interconnect, Planner, Runs) and the status bar. The pages own
// their widgets and models; this class only creates them and wires page to page.
#pragma once

#include "engine_controller.h"

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace moeui {

class ChatPage;
class ExpertsPage;
class InterconnectPage;
class ModelBar;
class PlannerPage;
class RunsPage;
class StoreController;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum Page { Chat, Experts, Interconnect, Planner, Runs, PageCount };

    MainWindow(EngineController* engine, StoreController* store, QWidget* parent = nullptr);

    void showPage(Page page);
    QWidget* page(Page page) const;
    static QString pageName(Page page);  // translated
    static QString pageKey(Page page);   // "chat", "experts", ... (file names, --page)
    ChatPage* chatPage() const { return m_chat; }
    ExpertsPage* expertsPage() const { return m_experts; }
    InterconnectPage* interconnectPage() const { return m_interconnect; }
    PlannerPage* plannerPage() const { return m_planner; }
    RunsPage* runsPage() const { return m_runs; }
    ModelBar* modelBar() const { return m_modelBar; }

public slots:
    void openLoadDialog();

private:
    EngineController* m_engine;
    StoreController* m_store;
    ModelBar* m_modelBar = nullptr;
    QListWidget* m_nav = nullptr;
    QStackedWidget* m_stack = nullptr;
    QLabel* m_banner = nullptr;
    ChatPage* m_chat = nullptr;
    ExpertsPage* m_experts = nullptr;
    InterconnectPage* m_interconnect = nullptr;
    PlannerPage* m_planner = nullptr;
    RunsPage* m_runs = nullptr;
};

} // namespace moeui
