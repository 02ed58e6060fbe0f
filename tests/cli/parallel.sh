#!/usr/bin/env bash
# Parallel plans from the CLI: memory per device, the same text as one device, traffic in
# bench --json labelled as an estimate, and plan errors naming the number.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

make_tiny qwen2moe "$SCRATCH/m"
M="$SCRATCH/m"

run_moe info "$M" --no-tensors --tp 2 --ep 2 | grep -q "plan: 4 devices, tp 2 x ep 2" && ok "info memory per device" \
    || fail "info --tp 2 --ep 2"
run_moe info "$M" --no-tensors --json --devices cpu:4 --tp 4 >"$SCRATCH/i.json" \
    && [ "$(json_get "$SCRATCH/i.json" 'len(d["devices"]["memory_per_device"])')" = "4" ] && ok "info --json devices" \
    || fail "info --json devices"
run_moe info "$M" --no-tensors --tp 2 --ep 2 --memory-limit-mib 0 >/dev/null 2>&1; [ $? -eq 0 ] && ok "no limit" || fail "limit 0"

one=$(run_moe generate -m "$M" -p "hello" -n 6 --temp 0)
par=$(run_moe generate -m "$M" -p "hello" -n 6 --temp 0 --devices cpu:4 --tp 2 --ep 2)
[ -n "$one" ] && [ "$one" = "$par" ] && ok "tp2 x ep2 generates the same text" || fail "parallel text differs: '$one' vs '$par'"

run_moe bench -m "$M" --prompt 8 --gen 4 --tp 2 --ep 2 --link pcie4 --probe-bytes 16000000 --json >"$SCRATCH/b.json" \
    && [ "$(json_get "$SCRATCH/b.json" 'd["parallel"]["decode_step_traffic"]["estimate"]')" = "True" ] \
    && [ "$(json_get "$SCRATCH/b.json" 'd["parallel"]["decode_step_traffic"]["bytes_total"] > 0')" = "True" ] \
    && ok "bench --json traffic" || fail "bench --json traffic"

err=$(run_moe generate -m "$M" -p hi -n 1 --tp 3 2>&1); [ $? -eq 1 ] && echo "$err" | grep -q "tp 3" \
    && ok "tp 3 names the number" || fail "tp 3: $err"
# Several GPUs: without a driver (or with one GPU) the error names the GPU it cannot use.
if [ "$(run_moe info --devices --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["cuda"]["devices"]))')" -lt 2 ]; then
    err=$(run_moe generate -m "$M" -p hi -n 1 --devices cuda:0,1 --tp 2 2>&1); [ $? -eq 1 ] && echo "$err" | grep -Eq "cuda:[01]" \
        && ok "several cuda devices that are not there: clear error" || fail "cuda:0,1: $err"
fi
# A GPU that is not there: no driver here, "does not exist" on a GPU machine; both name it.
err=$(run_moe generate -m "$M" -p hi -n 1 --devices cuda:99 2>&1); [ $? -eq 1 ] && echo "$err" | grep -q "cuda:99" \
    && ok "missing GPU: clear error" || fail "cuda:99: $err"
# auto runs wherever it can; without a usable GPU it says why it chose the CPU.
out=$(run_moe generate -m "$M" -p "hello" -n 6 --temp 0 --devices auto 2>"$SCRATCH/auto.err")
if [ "$(run_moe info --devices --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cuda"]["compute_available"])')" = "False" ]; then
    [ "$out" = "$one" ] && grep -q "running on the CPU" "$SCRATCH/auto.err" && ok "auto falls back to the CPU, saying why" \
        || fail "auto: '$out' vs '$one': $(cat "$SCRATCH/auto.err")"
else
    [ -n "$out" ] && ok "auto runs on the GPU" || fail "auto on a GPU: $(cat "$SCRATCH/auto.err")"
fi
finish
