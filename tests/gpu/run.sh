#!/usr/bin/env bash
# The GPU check, in one go (GPU time is short): builds with CUDA, runs the gpu-labelled
# tests, the op-by-op consistency harness with timings, and `moe bench` on cuda:0.
#   tests/gpu/run.sh LOGDIR [BUILD_DIR]
# Writes under LOGDIR: summary.txt (read this first), configure.log, build.log,
# ctest.log, backend_ops_perf.txt, devices.json, bench-*.json / .err. Exits with ctest's
# status. Tests that need more GPUs than the machine has skip and pass.
# CUDA targets: the build's default (SASS for sm_90 = H100/H200, PTX for the rest);
# set CUDA_ARCHS to override (e.g. CUDA_ARCHS=native).
set -u
LOGDIR=${1:?usage: tests/gpu/run.sh LOGDIR [BUILD_DIR]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$ROOT/build-gpu}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$LOGDIR"
LOGDIR=$(cd "$LOGDIR" && pwd)
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*" | tee -a "$LOGDIR/summary.txt"; }

{
    echo "date: $(date -u +%FT%TZ)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
    else
        echo "nvidia-smi: none"
    fi
} >"$LOGDIR/summary.txt"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
archs=()
[ -n "${CUDA_ARCHS:-}" ] && archs=(-DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCHS")
if ! cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" -DMOE_WITH_GUI=OFF -DMOE_WITH_CUDA=ON "${archs[@]}" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$LOGDIR/configure.log" 2>&1; then
    stamp "configure: FAILED (see configure.log)"
    exit 1
fi
# Only what the gpu-labelled tests and the benchmark need.
targets=$(cd "$BUILD" && ctest -L gpu -N 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: *//p' | grep '^test_')
if ! cmake --build "$BUILD" -j"$JOBS" --target moe moe_cuda $targets >"$LOGDIR/build.log" 2>&1; then
    stamp "build: FAILED (see build.log)"
    grep -m 20 -E "error|undefined" "$LOGDIR/build.log" >>"$LOGDIR/summary.txt"
    exit 1
fi
stamp "built"
"$BUILD/app/moe" info --devices | tee -a "$LOGDIR/summary.txt"
"$BUILD/app/moe" info --devices --json >"$LOGDIR/devices.json" 2>&1

(cd "$BUILD" && timeout 300 ctest -L gpu --output-on-failure -V) >"$LOGDIR/ctest.log" 2>&1
status=$?
grep -E "^ *[0-9]+: (ok|FAIL|SKIP)|cases within|top-1|tests passed|tests failed|Skipped|Totals" "$LOGDIR/ctest.log" \
    | grep -v "^ *[0-9]*: ok " >>"$LOGDIR/summary.txt"
stamp "ctest -L gpu: exit $status"

timeout 120 "$BUILD/tests/test_backend_ops" --perf >"$LOGDIR/backend_ops_perf.txt" 2>&1
stamp "backend_ops --perf: exit $? (backend_ops_perf.txt)"

# Decode against the HBM roofline on the bench preset (about 1 B parameters).
models="$BUILD/gpu-models"
if [ ! -f "$models/bench-f16/model.gguf" ]; then
    timeout 180 "$BUILD/app/moe" make-model --arch mixtral --preset bench --format gguf --out "$models/bench-f16" \
        >"$LOGDIR/make-model.log" 2>&1 || stamp "make-model: FAILED (see make-model.log)"
fi
# "nographs": decode steps run op by op (MOE_CUDA_GRAPHS=0), to see what graphs save.
for quant in none q8_0 nographs; do
    extra=()
    graphs=1
    case $quant in
        q8_0) extra=(--quant q8_0) ;;
        nographs) graphs=0 ;;
    esac
    MOE_CUDA_GRAPHS=$graphs timeout 120 "$BUILD/app/moe" bench -m "$models/bench-f16" --devices cuda:0 --prompt 128 \
        --gen 128 --repeat 3 "${extra[@]}" --json >"$LOGDIR/bench-$quant.json" 2>"$LOGDIR/bench-$quant.err"
    if [ ! -s "$LOGDIR/bench-$quant.json" ]; then
        stamp "bench $quant: FAILED: $(head -c 300 "$LOGDIR/bench-$quant.err")"
        continue
    fi
    python3 - "$LOGDIR/bench-$quant.json" "$quant" <<'PY' >>"$LOGDIR/summary.txt" 2>&1 || stamp "bench $quant: unreadable JSON"
import json, sys
j = json.load(open(sys.argv[1]))
r = j["roofline"]
print(f"bench {sys.argv[2]}: {j['machine']['backend']}: prefill {j['prefill']['tokens_per_second']:.0f} tok/s, "
      f"decode {j['decode']['tokens_per_second']:.1f} tok/s = {100 * r['decode_fraction']:.1f} % of "
      f"{j['machine']['memory_bandwidth_gb_per_second']:.0f} GB/s roofline ({r['tokens_per_second']:.0f} tok/s); "
      f"graphs: {j['machine'].get('step_recording', '?')}")
PY
done
stamp "done"
exit $status
