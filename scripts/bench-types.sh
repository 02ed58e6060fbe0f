#!/usr/bin/env bash
# Decode and prefill speed per weight type on the `bench` preset (about 1 B parameters,
# 8 experts, top-2), against the memory-bandwidth roofline: one `moe bench --json` per
# type, summarised as a Markdown table.
#   scripts/bench-types.sh [OUTDIR] [TYPE ...]
# OUTDIR (default build/bench-types) keeps the models (models/TYPE, made once by
# `moe make-model --dtype TYPE`, 0.4-4 GB each) and each run's JSON. TYPES default to
# every type make-model writes. THREADS (default: all cores), REPEAT (default 3) and
# MOE (default build/app/moe) come from the environment.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/bench-types}
shift || true
TYPES=("$@")
[ ${#TYPES[@]} -eq 0 ] && TYPES=(f32 f16 bf16 q8_0 q6_k q5_k q5_1 q5_0 q4_k q4_1 q4_0 iq4_nl iq4_xs mxfp4 q3_k q2_k)
MOE=${MOE:-$ROOT/build/app/moe}
THREADS=${THREADS:-$(nproc)}
REPEAT=${REPEAT:-3}
mkdir -p "$OUT/models"

echo "| type | file | active bytes / token | prefill tok/s | decode tok/s | roofline tok/s | of roofline |"
echo "|---|---|---|---|---|---|---|"
for t in "${TYPES[@]}"; do
    model="$OUT/models/$t"
    if [ ! -f "$model/model.gguf" ]; then
        "$MOE" make-model --arch mixtral --preset bench --dtype "$t" --format gguf --out "$model" >"$OUT/$t.make.log" 2>&1
    fi
    "$MOE" bench -m "$model" --threads "$THREADS" --repeat "$REPEAT" --prompt 128 --gen 64 --json >"$OUT/$t.json" \
        2>"$OUT/$t.err"
    python3 - "$OUT/$t.json" "$t" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["roofline"]
print(f"| {sys.argv[2]} | {d['model']['dtype']} | {r['active_weight_bytes_per_token'] / 2**20:.0f} MiB "
      f"| {d['prefill']['tokens_per_second']:.0f} | {d['decode']['tokens_per_second']:.1f} "
      f"| {r['tokens_per_second']:.1f} | {100 * r['decode_fraction']:.0f} % |")
PY
done
echo
echo "$("$MOE" info --devices | head -1); $THREADS threads; median of $REPEAT runs; roofline = probed bandwidth / active bytes"
