#include "planner/plan_result_model.h"

#include "format.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <cmath>
#include <limits>

namespace moeui {
namespace {

bool isTextFigure(PlanResultModel::Figure f)
{
    using F = PlanResultModel;
    return f == F::ModelName || f == F::Format || f == F::Hardware || f == F::Layout || f == F::DecodeBound;
}

bool isBytesFigure(PlanResultModel::Figure f)
{
    using F = PlanResultModel;
    return (f >= F::AttentionWeightsPerGpu && f <= F::GpuMemory) || f == F::MarginPerGpu;
}

QString csvField(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

} // namespace

PlanResultModel::PlanResultModel(QObject* parent) : QAbstractTableModel(parent) {}

void PlanResultModel::setColumns(std::vector<PlanColumn> columns)
{
    beginResetModel();
    m_columns = std::move(columns);
    endResetModel();
}

void PlanResultModel::setCurrent(PlanColumn column)
{
    if (m_columns.empty()) {
        beginInsertColumns({}, 0, 0);
        m_columns.push_back(std::move(column));
        endInsertColumns();
        return;
    }
    m_columns.front() = std::move(column);
    emit dataChanged(index(0, 0), index(FigureCount - 1, 0));
    emit headerDataChanged(Qt::Horizontal, 0, 0);
}

QString PlanResultModel::figureName(Figure f)
{
    switch (f) {
    case ModelName: return tr("Model");
    case Format: return tr("Weight format");
    case Hardware: return tr("Hardware");
    case Layout: return tr("Layout");
    case AttentionWeightsPerGpu: return tr("Attention weights / GPU");
    case ExpertWeightsPerGpu: return tr("Expert weights / GPU");
    case SharedExpertWeightsPerGpu: return tr("Shared experts + dense FFN / GPU");
    case EmbeddingWeightsPerGpu: return tr("Embeddings + LM head / GPU");
    case OtherWeightsPerGpu: return tr("Router + norms / GPU");
    case WeightsPerGpu: return tr("Weights / GPU");
    case KvCachePerGpu: return tr("KV cache / GPU");
    case ActivationsPerGpu: return tr("Activations / GPU");
    case OverheadPerGpu: return tr("Overhead / GPU");
    case TotalPerGpu: return tr("Total / GPU");
    case UsablePerGpu: return tr("Usable memory / GPU");
    case GpuMemory: return tr("GPU memory");
    case Fits: return tr("Fits");
    case MarginPerGpu: return tr("Margin / GPU");
    case MaxConcurrentSequences: return tr("Max concurrent sequences");
    case DecodeTokensPerSecondPerSequence: return tr("Decode / sequence");
    case DecodeTokensPerSecond: return tr("Decode, whole batch");
    case DecodeBound: return tr("Decode bound by");
    case PrefillTokensPerSecond: return tr("Prefill");
    case TimeToFirstToken: return tr("Time to first token");
    case UsdPerHour: return tr("$ / hour");
    case UsdPerMillionTokens: return tr("$ / million output tokens");
    case UsdPerMonth: return tr("$ / month (730 h)");
    case FigureCount: break;
    }
    return {};
}

QString PlanResultModel::figureUnit(Figure f)
{
    if (isBytesFigure(f))
        return QStringLiteral("bytes");
    switch (f) {
    case Fits: return QStringLiteral("bool");
    case MaxConcurrentSequences: return QStringLiteral("sequences");
    case DecodeTokensPerSecondPerSequence:
    case DecodeTokensPerSecond:
    case PrefillTokensPerSecond: return QStringLiteral("tokens/s");
    case TimeToFirstToken: return QStringLiteral("s");
    case UsdPerHour:
    case UsdPerMillionTokens:
    case UsdPerMonth: return QStringLiteral("USD");
    default: return {};
    }
}

QVariant PlanResultModel::rawValue(Figure f, const PlanColumn& c) const
{
    if (!c.valid())
        return {};
    const moe::PlanInput& in = *c.input;
    const moe::PlanResult& r = c.result;
    const moe::MemoryBreakdown& m = r.perGpu;
    switch (f) {
    case ModelName: return QString::fromStdString(in.model.spec.name);
    case Format: return QString::fromStdString(moe::quantFormat(in.weightFormat).key);
    case Hardware: return QStringLiteral("%1× %2").arg(in.gpuCount).arg(QString::fromStdString(in.gpu.name));
    case Layout: return QString::fromStdString(in.layout.describe());
    case AttentionWeightsPerGpu: return m.attentionWeights;
    case ExpertWeightsPerGpu: return m.expertWeights;
    case SharedExpertWeightsPerGpu: return m.sharedExpertWeights;
    case EmbeddingWeightsPerGpu: return m.embeddings;
    case OtherWeightsPerGpu: return m.otherWeights;
    case WeightsPerGpu: return m.weights();
    case KvCachePerGpu: return m.kvCache;
    case ActivationsPerGpu: return m.activations;
    case OverheadPerGpu: return m.overhead;
    case TotalPerGpu: return m.total();
    case UsablePerGpu: return r.usableBytesPerGpu;
    case GpuMemory: return double(in.gpu.memoryBytes);
    case Fits: return r.fits;
    case MarginPerGpu: return r.marginBytes;
    case MaxConcurrentSequences: return double(r.maxConcurrentSequences);
    case DecodeTokensPerSecondPerSequence: return r.decode.tokensPerSecondPerSequence;
    case DecodeTokensPerSecond: return r.decode.tokensPerSecond;
    case DecodeBound: return r.decode.computeBound ? QStringLiteral("compute") : QStringLiteral("memory");
    case PrefillTokensPerSecond: return r.prefill.tokensPerSecond;
    case TimeToFirstToken: return r.prefill.timeToFirstTokenSeconds;
    case UsdPerHour: return r.cost.usdPerHour;
    case UsdPerMillionTokens: return r.cost.usdPerMillionTokens;
    case UsdPerMonth: return r.cost.usdPerMonth;
    case FigureCount: break;
    }
    return {};
}

QString PlanResultModel::displayText(Figure f, const PlanColumn& c) const
{
    if (!c.valid())
        return f == ModelName ? tr("invalid") : QStringLiteral("—"); // the reason is the tooltip
    const QVariant v = rawValue(f, c);
    const moe::PlanResult& r = c.result;
    if (isBytesFigure(f) && f != MarginPerGpu)
        return formatGb(v.toDouble());
    switch (f) {
    case DecodeBound: return v.toString() == QLatin1String("compute") ? tr("compute") : tr("memory bandwidth");
    case Fits: return r.fits ? tr("fits") : tr("short by %1").arg(formatGb(-r.marginBytes));
    case MarginPerGpu:
        return r.marginBytes >= 0 ? tr("%1 spare").arg(formatGb(r.marginBytes)) : tr("%1 short").arg(formatGb(-r.marginBytes));
    case MaxConcurrentSequences: return QString::number(r.maxConcurrentSequences);
    case DecodeTokensPerSecondPerSequence:
    case DecodeTokensPerSecond:
    case PrefillTokensPerSecond: return formatRate(v.toDouble());
    case TimeToFirstToken: return formatSeconds(v.toDouble());
    case UsdPerHour:
    case UsdPerMillionTokens:
    case UsdPerMonth: return formatUsd(v.toDouble());
    default: return v.toString();
    }
}

double PlanResultModel::value(Figure figure, int column) const
{
    if (column < 0 || column >= int(m_columns.size()) || isTextFigure(figure))
        return std::numeric_limits<double>::quiet_NaN();
    const QVariant v = rawValue(figure, m_columns[size_t(column)]);
    if (!v.isValid())
        return std::numeric_limits<double>::quiet_NaN();
    return figure == Fits ? (v.toBool() ? 1.0 : 0.0) : v.toDouble();
}

int PlanResultModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : FigureCount; }

int PlanResultModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant PlanResultModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Figure f = Figure(index.row());
    const PlanColumn& c = m_columns[size_t(index.column())];
    switch (role) {
    case Qt::DisplayRole: return displayText(f, c);
    case ValueRole: return rawValue(f, c);
    case Qt::ToolTipRole:
        if (!c.valid())
            return c.error;
        if (isBytesFigure(f))
            return tr("%1 (%2 bytes)").arg(formatBytes(rawValue(f, c).toDouble())).arg(rawValue(f, c).toDouble(), 0, 'f', 0);
        return {};
    case Qt::TextAlignmentRole:
        return isTextFigure(f) ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (!c.valid())
            return QBrush(QColor(0xc6, 0x28, 0x28));
        if (f == Fits || f == MarginPerGpu)
            return QBrush(c.result.fits ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
        return {};
    case Qt::FontRole:
        if (f == Fits || f == WeightsPerGpu || f == TotalPerGpu) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    default: return {};
    }
}

QVariant PlanResultModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (section < 0 || section >= FigureCount)
            return {};
        if (role == Qt::DisplayRole)
            return figureName(Figure(section));
        return {};
    }
    if (section < 0 || section >= int(m_columns.size()))
        return {};
    const PlanColumn& c = m_columns[size_t(section)];
    if (role == Qt::DisplayRole)
        return c.title;
    if (role == Qt::ToolTipRole)
        return c.valid() ? QString::fromStdString(c.scenario.dump()) : c.error;
    return {};
}

QString PlanResultModel::toCsv() const
{
    QString out = QStringLiteral("figure,unit");
    for (const PlanColumn& c : m_columns)
        out += QLatin1Char(',') + csvField(c.title);
    out += QLatin1Char('\n');
    for (int row = 0; row < FigureCount; ++row) {
        const Figure f = Figure(row);
        out += csvField(figureName(f)) + QLatin1Char(',') + figureUnit(f);
        for (const PlanColumn& c : m_columns) {
            out += QLatin1Char(',');
            const QVariant v = rawValue(f, c);
            if (!v.isValid())
                continue;
            if (f == Fits)
                out += v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
            else if (isTextFigure(f))
                out += csvField(v.toString());
            else
                out += QString::number(v.toDouble(), 'g', 17);
        }
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace moeui
