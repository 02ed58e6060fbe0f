#!/usr/bin/env bash
# `moe plan`: the issue's example, JSON, --fit, --compare, models from config.json and
# GGUF, and bad input that must exit 1 naming the field.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

run_moe plan --help | grep -q "usage: moe plan" && ok "plan --help" || fail "plan --help"
run_moe --help | grep -q "^  plan " && ok "moe --help lists plan" || fail "moe --help does not list plan"

out="$SCRATCH/8x22b.txt"
if run_moe plan --model mixtral-8x22b --quant int4-awq --gpu h100-sxm --count 4 --tp 4 --context 32768 --batch 8 >"$out"; then
    for want in "memory per GPU" "fits: yes" "max concurrent sequences" "tokens/s" "time to first token" \
                "per million output tokens" "/month" "fewest h100-sxm GPUs"; do
        grep -qF "$want" "$out" || fail "plan text lacks '$want'"
    done
    ok "plan mixtral-8x22b int4-awq 4 x h100"
else
    fail "plan mixtral-8x22b exit status"
fi

run_moe plan --model mixtral-8x22b --quant int4-awq --gpu h100-sxm --count 4 --tp 4 --context 32768 --batch 8 --json >"$SCRATCH/a.json" \
    && [ "$(json_get "$SCRATCH/a.json" 'd["result"]["fits"]')" = "True" ] && ok "plan --json" || fail "plan --json"
[ "$(json_get "$SCRATCH/a.json" 'd["result"]["cost"]["usd_per_hour"]')" = "11.96" ] && ok "4 x \$2.99" || fail "usd_per_hour"
# One card: the weights (73.7 GB) exceed 0.9 x 80 GB.
run_moe plan --model mixtral-8x22b --quant int4-awq --gpu h100-sxm --count 1 --context 32768 --json >"$SCRATCH/b.json" \
    && [ "$(json_get "$SCRATCH/b.json" 'd["result"]["fits"]')" = "False" ] && ok "8x22b int4 on one card does not fit" \
    || fail "8x22b int4 on one card"
run_moe plan --compare "$SCRATCH/a.json" "$SCRATCH/b.json" >"$SCRATCH/cmp.txt" && grep -q "decode tokens/s aggregate" "$SCRATCH/cmp.txt" \
    && ok "plan --compare" || fail "plan --compare"
run_moe plan --fit --model qwen3-30b-a3b --context 8192 --batch 4 >"$SCRATCH/fit.txt" && grep -q "cheapest layouts" "$SCRATCH/fit.txt" \
    && ok "plan --fit" || fail "plan --fit"
run_moe plan --model deepseek-v3 --quant fp8 --gpu h200 --count 8 --dp 8 --dp-attention --ep 8 --tp 1 >/dev/null \
    && ok "DP attention + EP" || fail "DP attention + EP"
run_moe plan --list | grep -q "gpt-oss-120b" && ok "plan --list" || fail "plan --list"

# A model on disk: its config.json and its GGUF.
make_tiny mixtral "$SCRATCH/tiny" || fail "make-model"
run_moe plan --model "$SCRATCH/tiny/hf/config.json" --gpu rtx-4090 >/dev/null && ok "plan config.json" || fail "plan config.json"
run_moe plan --model "$SCRATCH/tiny/model.gguf" --gpu rtx-4090 >/dev/null && ok "plan GGUF" || fail "plan GGUF"

expect_error() { # expect_error NAME TEXT-IN-STDERR moe-args...
    local name=$1 named=$2; shift 2
    run_moe "$@" >/dev/null 2>"$SCRATCH/stderr.txt"
    local rc=$?
    if [ $rc -ne 1 ]; then fail "$name: exit status $rc (want 1)"; cat "$SCRATCH/stderr.txt" >&2; return; fi
    grep -qF "$named" "$SCRATCH/stderr.txt" && ok "$name" || { fail "$name: stderr does not name $named"; cat "$SCRATCH/stderr.txt" >&2; }
}
expect_error "zero GPUs" "gpu_count" plan --model mixtral-8x7b --count 0
expect_error "negative price" "price" plan --model mixtral-8x7b --price -2
expect_error "unknown model" "gpt-7" plan --model gpt-7
expect_error "unknown GPU" "tpu-v9" plan --model mixtral-8x7b --gpu tpu-v9
expect_error "heads not divisible by TP" "not divisible by tp 3" plan --model mixtral-8x7b --count 3
expect_error "EP above experts" "num_experts 8" plan --model mixtral-8x7b --count 16 --ep 16
python3 - "$SCRATCH/tiny/hf/config.json" "$SCRATCH/noheads.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("num_attention_heads", None); json.dump(c, open(sys.argv[2], "w"))
PY
expect_error "config.json without heads" "num_attention_heads" plan --model "$SCRATCH/noheads.json"
run_moe plan --model mixtral-8x7b --tp abc >/dev/null 2>&1; [ $? -eq 2 ] && ok "non-numeric --tp exits 2" || fail "--tp abc should exit 2"

# --validate on the tiny model: the decode-kernel calibration covers every matrix shape a
# token reads, the efficiency is a fraction, and the prediction / measurement are real.
if run_moe plan --validate -m "$SCRATCH/tiny/model.gguf" --prompt 8 --gen 8 --threads 1 --json >"$SCRATCH/validate.json"; then
    python3 - "$SCRATCH/validate.json" <<'PY' && ok "plan --validate" || fail "plan --validate JSON"
import json, math, sys
d = json.load(open(sys.argv[1]))
kinds = {k["matrix"] for k in d["kernels"]}
assert {"attention q", "attention k, v", "attention output", "expert gate, up", "expert down", "LM head"} <= kinds, kinds
assert 0 < d["bandwidth_efficiency"] <= 1, d["bandwidth_efficiency"]
assert d["predicted_decode_tokens_per_second"] > 0 and d["measured_decode_tokens_per_second"] > 0
assert math.isfinite(d["relative_error"])
PY
else
    fail "plan --validate failed"
fi
finish
