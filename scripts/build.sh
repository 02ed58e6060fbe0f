#!/usr/bin/env bash
# Configures and builds MoE Workbench into build/ (incremental; ccache when present).
# Extra arguments go to the CMake configure step, e.g. -DMOE_WITH_GUI=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: relative paths and no working-directory hash, so a fresh clone in another
# folder (as CI makes) still hits the cache of earlier builds.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
BUILD_DIR="${MOE_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
