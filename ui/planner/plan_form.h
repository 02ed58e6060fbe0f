// plan_form.h — the planner's inputs as a form: model (catalog, the loaded model or a
// file), weight format, KV dtype, GPU, count, interconnect, TP / EP / PP / DP, context,
// prompt, batch, price, score and the runtime overheads. It reads and writes a scenario
// object with the keys of `moe plan`'s options ('_' for '-'), so a form, a saved
// scenario and a command line describe a deployment the same way. Keys the form has no
// widget for (interconnect_bw, ...) are kept and written back unchanged.
#pragma once

#include "moe/planner.h"

#include <QHash>
#include <QWidget>

#include <nlohmann/json.hpp>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;

namespace moeui {

class PlanForm : public QWidget {
    Q_OBJECT
public:
    explicit PlanForm(const moe::Catalog& catalog, QWidget* parent = nullptr);

    nlohmann::json scenario() const;
    void setScenario(const nlohmann::json& scenario); // emits changed() once

    // The "Loaded model" entry of the model list (the scenario's model is its path).
    void setLoadedModel(const QString& path, const QString& name);
    void clearLoadedModel();

    // Marks the widget of a planner field ("tp", "gpu_count", "model", ...) as the one
    // at fault; an empty key clears the mark. Returns the field's label ("" if unknown).
    QString markErrorField(const QString& key);
    static QString fieldLabel(const QString& key);

    QComboBox* modelCombo() const { return m_model; }
    QComboBox* gpuCombo() const { return m_gpu; }
    QSpinBox* countSpin() const { return m_count; }
    QSpinBox* tpSpin() const { return m_tp; }
    QSpinBox* contextSpin() const { return m_context; }
    QSpinBox* batchSpin() const { return m_batch; }
    QDoubleSpinBox* priceSpin() const { return m_price; }

signals:
    void changed();

private:
    void createWidgets();
    void layOutWidgets();
    void connectWidgets();
    QWidget* widgetForField(const QString& key) const;
    void onGpuChanged();
    void onCountEdited();
    void onSplitEdited();
    void browseModelFile();
    void selectData(QComboBox* combo, const QString& key, bool addIfMissing);
    double defaultPrice() const;

    const moe::Catalog& m_catalog;
    QComboBox* m_model = nullptr;
    QWidget* m_browse = nullptr;
    QComboBox* m_quant = nullptr;
    QComboBox* m_kvDtype = nullptr;
    QComboBox* m_gpu = nullptr;
    QSpinBox* m_count = nullptr;
    QComboBox* m_interconnect = nullptr;
    QSpinBox* m_tp = nullptr;
    QSpinBox* m_ep = nullptr;
    QSpinBox* m_pp = nullptr;
    QSpinBox* m_dp = nullptr;
    QCheckBox* m_dpAttention = nullptr;
    QSpinBox* m_context = nullptr;
    QSpinBox* m_prompt = nullptr;
    QSpinBox* m_batch = nullptr;
    QDoubleSpinBox* m_price = nullptr;
    QDoubleSpinBox* m_score = nullptr;
    QComboBox* m_scaleOut = nullptr;
    QDoubleSpinBox* m_usableFraction = nullptr;
    QDoubleSpinBox* m_bandwidthEfficiency = nullptr;
    QDoubleSpinBox* m_computeEfficiency = nullptr;
    QSpinBox* m_maxBatchedTokens = nullptr;
    QSpinBox* m_cudaContextMib = nullptr;
    QSpinBox* m_workspaceMib = nullptr;

    bool m_priceOverridden = false; // the user set a price; a GPU change keeps it
    bool m_filling = false;         // setScenario / linked updates in progress
    QString m_loadedPath;
    nlohmann::json m_extra = nlohmann::json::object(); // keys without a widget, passed through
    QWidget* m_errorWidget = nullptr;
};

} // namespace moeui
