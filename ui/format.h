// format.h — numbers as the workbench shows them (units in the text, decimal GB for
// GPU memory as it is sold, binary GiB for what the OS reports).
#pragma once

#include "moe/parallel_plan.h"

#include <QString>

#include <cstdint>

namespace moeui {

QString formatBytes(double bytes);       // "1.50 GiB", "512 KiB", "12 B"
QString formatGb(double bytes);          // "71.30 GB" (1e9)
QString formatCount(double n);           // "1.02 B", "290.3 K", "12"
QString formatSeconds(double seconds);   // "1.23 s", "45.6 ms", "2 min 05 s"
QString formatRate(double tokensPerSecond); // "24.3 tok/s"
QString formatUsd(double usd);           // "$9.96", "$0.0123", "$7,271"
QString placementText(moe::PlacementPolicy policy); // "contiguous", translated

} // namespace moeui
