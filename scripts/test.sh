#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs the packages,
# builds, runs the Qt Test suite with ctest, then builds the libFuzzer harnesses with
# clang (ASan + UBSan) and runs each for a short while.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: relative paths and no working-directory hash, so a fresh clone in another
# folder (as CI makes) still hits the cache of earlier builds.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
bash scripts/install-deps.sh
bash scripts/build.sh
# Tests use two threads each: running two at once keeps both cores busy.
ctest --test-dir build --output-on-failure -j2
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMOE_FUZZ=ON -DMOE_BUILD_TESTS=OFF -DMOE_WITH_GUI=OFF -DMOE_WITH_CUDA=OFF
cmake --build build-fuzz -j"$(nproc)"
ctest --test-dir build-fuzz --output-on-failure
