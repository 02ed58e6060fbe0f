#include "planner/scenario_list_model.h"

#include "format.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QLocale>

#include <nlohmann/json.hpp>

namespace moeui {

ScenarioListModel::ScenarioListModel(QObject* parent) : QAbstractTableModel(parent) {}

void ScenarioListModel::setCheckable(bool checkable)
{
    if (m_checkable == checkable)
        return;
    beginResetModel();
    m_checkable = checkable;
    endResetModel();
}

ScenarioListModel::Row ScenarioListModel::parseRow(const moe::PlannerScenario& s)
{
    Row row;
    // Stored texts come from our own writer, but a damaged row must not take the list down.
    const nlohmann::json inputs = nlohmann::json::parse(s.inputsJson, nullptr, false);
    const nlohmann::json results = nlohmann::json::parse(s.resultsJson, nullptr, false);
    auto str = [](const nlohmann::json& j, const char* a, const char* b) -> QString {
        if (!j.is_object() || !j.contains(a) || !j.at(a).is_object() || !j.at(a).contains(b) || !j.at(a).at(b).is_string())
            return {};
        return QString::fromStdString(j.at(a).at(b).get<std::string>());
    };
    row.model = str(results, "model", "name");
    if (row.model.isEmpty() && inputs.is_object() && inputs.contains("model") && inputs.at("model").is_string())
        row.model = QString::fromStdString(inputs.at("model").get<std::string>());
    const QString format = str(results, "model", "format");
    if (!format.isEmpty())
        row.model += QStringLiteral(" · ") + format;

    if (results.is_object() && results.contains("hardware") && results.at("hardware").is_object()) {
        const auto& hw = results.at("hardware");
        const QString gpu = QString::fromStdString(hw.value("gpu_name", hw.value("gpu", std::string())));
        row.hardware = QStringLiteral("%1× %2").arg(hw.value("count", int64_t(0))).arg(gpu);
        if (results.contains("result") && results.at("result").is_object()) {
            const auto& r = results.at("result");
            if (r.contains("layout") && r.at("layout").is_string())
                row.hardware += QStringLiteral(", ") + QString::fromStdString(r.at("layout").get<std::string>());
        }
    }
    if (results.is_object() && results.contains("result") && results.at("result").is_object()) {
        const auto& r = results.at("result");
        if (r.contains("fits") && r.at("fits").is_boolean())
            row.fits = r.at("fits").get<bool>() ? 1 : 0;
        if (r.contains("margin_bytes") && r.at("margin_bytes").is_number())
            row.marginBytes = r.at("margin_bytes").get<double>();
        if (r.contains("cost") && r.at("cost").is_object() && r.at("cost").contains("usd_per_million_tokens") &&
            r.at("cost").at("usd_per_million_tokens").is_number())
            row.usdPerMillionTokens = r.at("cost").at("usd_per_million_tokens").get<double>();
    }
    return row;
}

void ScenarioListModel::setScenarios(std::vector<moe::PlannerScenario> scenarios)
{
    beginResetModel();
    m_scenarios = std::move(scenarios);
    m_rows.clear();
    QSet<qint64> present;
    for (const auto& s : m_scenarios) {
        m_rows.push_back(parseRow(s));
        present.insert(s.id);
    }
    const bool checksChanged = !(m_checked - present).isEmpty();
    m_checked &= present;
    endResetModel();
    if (checksChanged)
        emit checkedChanged();
}

const moe::PlannerScenario* ScenarioListModel::scenarioAt(int row) const
{
    return row >= 0 && row < int(m_scenarios.size()) ? &m_scenarios[size_t(row)] : nullptr;
}

int ScenarioListModel::rowOfId(qint64 id) const
{
    for (size_t i = 0; i < m_scenarios.size(); ++i)
        if (m_scenarios[i].id == id)
            return int(i);
    return -1;
}

QList<qint64> ScenarioListModel::checkedIds() const
{
    QList<qint64> ids;
    for (const auto& s : m_scenarios)
        if (m_checked.contains(s.id))
            ids.append(s.id);
    return ids;
}

void ScenarioListModel::setChecked(qint64 id, bool checked)
{
    const int row = rowOfId(id);
    if (row < 0 || m_checked.contains(id) == checked)
        return;
    if (checked)
        m_checked.insert(id);
    else
        m_checked.remove(id);
    const QModelIndex i = index(row, Name);
    emit dataChanged(i, i, {Qt::CheckStateRole});
    emit checkedChanged();
}

int ScenarioListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_scenarios.size());
}

int ScenarioListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ScenarioListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const moe::PlannerScenario& s = m_scenarios[size_t(index.row())];
    const Row& row = m_rows[size_t(index.row())];
    if (role == IdRole)
        return QVariant::fromValue<qint64>(s.id);
    if (role == Qt::CheckStateRole && index.column() == Name && m_checkable)
        return m_checked.contains(s.id) ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Name: return QString::fromStdString(s.name);
        case Model: return row.model;
        case Hardware: return row.hardware;
        case Fits:
            if (row.fits < 0)
                return QString();
            return row.fits ? tr("fits (%1 spare)").arg(formatGb(row.marginBytes))
                            : tr("short by %1").arg(formatGb(-row.marginBytes));
        case UsdPerMillionTokens: return row.usdPerMillionTokens < 0 ? QString() : formatUsd(row.usdPerMillionTokens);
        case Saved:
            return QLocale().toString(QDateTime::fromMSecsSinceEpoch(s.updatedAtMs).toLocalTime(), QLocale::ShortFormat);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Fits && row.fits >= 0)
        return QBrush(row.fits ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
    if (role == Qt::TextAlignmentRole && index.column() == UsdPerMillionTokens)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

bool ScenarioListModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_checkable ||
        role != Qt::CheckStateRole || index.column() != Name)
        return false;
    setChecked(m_scenarios[size_t(index.row())].id, value.toInt() == Qt::Checked);
    return true;
}

QVariant ScenarioListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= ColumnCount)
        return {};
    switch (section) {
    case Name: return tr("Scenario");
    case Model: return tr("Model");
    case Hardware: return tr("Hardware");
    case Fits: return tr("Memory");
    case UsdPerMillionTokens: return tr("$ / M tokens");
    case Saved: return tr("Saved");
    }
    return {};
}

Qt::ItemFlags ScenarioListModel::flags(const QModelIndex& index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
    if (m_checkable && index.column() == Name)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

} // namespace moeui
