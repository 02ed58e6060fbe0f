#!/usr/bin/env bash
# `moe info --devices`: the CPU always, the CUDA devices or the reason there are none —
# with no driver, a library that is not a driver, and (where the toolkit has one) the
# driver stub that refuses to start.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

run_moe info --devices >"$SCRATCH/devices.txt" && ok "info --devices" || fail "info --devices failed"
grep -q "^cpu: .*logical cores" "$SCRATCH/devices.txt" && ok "CPU listed" || fail "no CPU line"
grep -q "^cuda: " "$SCRATCH/devices.txt" && ok "CUDA line" || fail "no CUDA line"

run_moe info --devices --json >"$SCRATCH/devices.json" || fail "info --devices --json failed"
python3 - "$SCRATCH/devices.json" <<'PY' && ok "devices JSON" || fail "devices JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cpu"]["logical_cores"] >= 1 and d["cpu"]["memory_bytes"] > 0
c = d["cuda"]
# Either devices were found, or the report says why not.
assert c["devices"] or c["reason"], c
for g in c["devices"]:
    assert g["memory_bytes"] > 0 and g["name"]
PY

MOE_CUDA_DRIVER=/nonexistent/libcuda.so.1 run_moe info --devices --json >"$SCRATCH/none.json"
json_get "$SCRATCH/none.json" 'd["cuda"]["reason"]' | grep -q "/nonexistent/libcuda.so.1" \
    && ok "missing driver named" || fail "missing driver not named"

NOT_A_DRIVER=$(ldconfig -p | awk '/libz\.so\.1 /{print $NF; exit}')
if [ -n "$NOT_A_DRIVER" ]; then
    MOE_CUDA_DRIVER="$NOT_A_DRIVER" run_moe info --devices | grep -q "not a usable CUDA driver" \
        && ok "non-driver library refused" || fail "non-driver library not refused"
fi
for stub in /usr/local/cuda/lib64/stubs/libcuda.so /usr/local/cuda/targets/x86_64-linux/lib/stubs/libcuda.so; do
    if [ -f "$stub" ]; then
        MOE_CUDA_DRIVER="$stub" run_moe info --devices | grep -q "cuInit failed" \
            && ok "driver stub: cuInit failure reported" || fail "driver stub not reported"
        break
    fi
done
run_moe info --devices extra >/dev/null 2>&1; [ $? -eq 2 ] && ok "--devices with a PATH is a usage error" || fail "--devices extra should exit 2"
finish
