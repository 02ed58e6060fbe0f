#include "format.h"

#include <QCoreApplication>
#include <QLocale>

#include <cmath>

namespace moeui {

QString formatBytes(double bytes)
{
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (std::abs(bytes) >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(qint64(bytes)) : QStringLiteral("%1 %2").arg(bytes, 0, 'f', 2).arg(units[u]);
}

QString formatGb(double bytes) { return QStringLiteral("%1 GB").arg(bytes / 1e9, 0, 'f', 2); }

QString formatCount(double n)
{
    const double a = std::abs(n);
    if (a >= 1e9)
        return QStringLiteral("%1 B").arg(n / 1e9, 0, 'f', 2);
    if (a >= 1e6)
        return QStringLiteral("%1 M").arg(n / 1e6, 0, 'f', 1);
    if (a >= 1e3)
        return QStringLiteral("%1 K").arg(n / 1e3, 0, 'f', 1);
    return QString::number(qint64(std::llround(n)));
}

QString formatSeconds(double s)
{
    if (s >= 120) {
        const qint64 whole = qint64(std::llround(s));
        return QStringLiteral("%1 min %2 s").arg(whole / 60).arg(whole % 60, 2, 10, QLatin1Char('0'));
    }
    if (s >= 1)
        return QStringLiteral("%1 s").arg(s, 0, 'f', 2);
    return QStringLiteral("%1 ms").arg(s * 1e3, 0, 'f', 1);
}

QString formatRate(double tokensPerSecond) { return QStringLiteral("%1 tok/s").arg(tokensPerSecond, 0, 'f', 1); }

QString formatUsd(double usd)
{
    if (std::abs(usd) >= 1000)
        return QStringLiteral("$") + QLocale(QLocale::English).toString(qint64(std::llround(usd)));
    if (std::abs(usd) >= 1)
        return QStringLiteral("$%1").arg(usd, 0, 'f', 2);
    return QStringLiteral("$%1").arg(usd, 0, 'f', 4);
}

QString placementText(moe::PlacementPolicy policy)
{
    switch (policy) {
    case moe::PlacementPolicy::Contiguous: return QCoreApplication::translate("moeui::Placement", "contiguous");
    case moe::PlacementPolicy::RoundRobin: return QCoreApplication::translate("moeui::Placement", "round-robin");
    case moe::PlacementPolicy::Balanced: return QCoreApplication::translate("moeui::Placement", "balanced");
    }
    return QString::fromLatin1(moe::placementName(policy));
}

} // namespace moeui
