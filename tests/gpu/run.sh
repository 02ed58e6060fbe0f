#!/usr/bin/env bash
# Builds with CUDA for sm_90 (H100 / H200) and runs the gpu-labelled tests.
#   tests/gpu/run.sh LOGDIR [BUILD_DIR]
# Writes configure.log, build.log, ctest.log and summary.txt under LOGDIR; exits with
# ctest's status. Tests that need more GPUs than the machine has skip (QSKIP) and pass.
# (Issue 7 extends this with the CUDA backend's tests.)
set -u
LOGDIR=${1:?usage: tests/gpu/run.sh LOGDIR [BUILD_DIR]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$ROOT/build-gpu}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$LOGDIR"
LOGDIR=$(cd "$LOGDIR" && pwd)

{
    echo "date: $(date -u +%FT%TZ)"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi: none"
} >"$LOGDIR/summary.txt"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if ! cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" -DMOE_WITH_GUI=OFF -DMOE_WITH_CUDA=ON \
        -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$LOGDIR/configure.log" 2>&1; then
    echo "configure: FAILED (see configure.log)" | tee -a "$LOGDIR/summary.txt"
    exit 1
fi
# Only what the gpu-labelled tests need.
targets=$(cd "$BUILD" && ctest -L gpu -N 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: *//p')
if ! cmake --build "$BUILD" -j"$JOBS" --target $targets >"$LOGDIR/build.log" 2>&1; then
    echo "build: FAILED (see build.log)" | tee -a "$LOGDIR/summary.txt"
    exit 1
fi
(cd "$BUILD" && ctest -L gpu --output-on-failure -V) >"$LOGDIR/ctest.log" 2>&1
status=$?
grep -E "tests passed|tests failed|SKIP|Totals" "$LOGDIR/ctest.log" | tee -a "$LOGDIR/summary.txt"
exit $status
