#!/usr/bin/env bash
# moe quantize writes a GGUF that loads and generates; --quant quantizes at load with the
# same bytes (eval-quant of both agree exactly); eval-quant --json parses; bad input
# gives clear errors and the documented exit codes; nothing half-written is left.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

make_tiny qwen3moe "$SCRATCH/tiny" || fail "make-model"
src="$SCRATCH/tiny/model.gguf"

# quantize from GGUF and from the Hugging Face copy; both run.
for t in q8_0 q4_k; do
    out="$SCRATCH/tiny_$t.gguf"
    run_moe quantize "$src" "$out" --type $t --threads 2 >"$SCRATCH/q_$t.txt" 2>"$SCRATCH/q_$t.err" \
        && ok "quantize $t" || { fail "quantize $t"; cat "$SCRATCH/q_$t.err" >&2; }
    grep -q "wrote $out" "$SCRATCH/q_$t.txt" || fail "quantize $t: no summary"
    [ "$(stat -c %s "$out")" -lt "$(stat -c %s "$src")" ] && ok "$t file is smaller" || fail "$t file not smaller"
    run_moe generate -m "$out" -p "The cat sat on the" --temp 0 -n 6 --json >"$SCRATCH/gen_$t.json" \
        && [ "$(json_get "$SCRATCH/gen_$t.json" "len(d['ids']) > 0 or d['stop_reason'] == 'eos'")" = True ] \
        && ok "generate from the $t file" || fail "generate from the $t file"
done
run_moe info "$SCRATCH/tiny_q8_0.gguf" | grep -q "Q8_0" && ok "info shows Q8_0 tensors" || fail "info shows no Q8_0"
run_moe quantize "$SCRATCH/tiny/hf" "$SCRATCH/from_hf.gguf" --type q8_0 --quiet --json >"$SCRATCH/q_hf.json" \
    && ok "quantize from safetensors" || fail "quantize from safetensors"
[ "$(json_get "$SCRATCH/q_hf.json" "d['type'], d['tensors_quantized'] > 0, d['embeddings']")" = "q8_0 True True" ] \
    || fail "quantize --json summary"
[ "$(json_get "$SCRATCH/q_hf.json" "[t['to'] for t in d['tensors'] if t['name'].endswith('mlp.gate.weight')][0]")" = f32 ] \
    && ok "router kept" || fail "router should stay f32"
run_moe quantize "$src" "$SCRATCH/keep.gguf" --type q8_0 --keep-embeddings --quiet --json >"$SCRATCH/keep.json" || fail "--keep-embeddings"
[ "$(json_get "$SCRATCH/keep.json" "[t['to'] for t in d['tensors'] if t['name'] == 'token_embd.weight'][0]")" = f32 ] \
    && ok "--keep-embeddings keeps token_embd" || fail "--keep-embeddings"

# --quant at load equals the file: same ids, same eval figures.
run_moe generate -m "$src" --quant q4_k --quant-embeddings -p "The cat sat on the" --temp 0 -n 6 --json \
    >"$SCRATCH/gen_load.json" 2>"$SCRATCH/gen_load.err" || fail "generate --quant"
grep -q "quantized at load to q4_k" "$SCRATCH/gen_load.err" && ok "generate --quant reports" || fail "generate --quant report"
[ "$(json_get "$SCRATCH/gen_load.json" "d['ids']")" = "$(json_get "$SCRATCH/gen_q4_k.json" "d['ids']")" ] \
    && ok "--quant q4_k = quantized file" || fail "--quant q4_k and the file differ"
[ "$(json_get "$SCRATCH/gen_load.json" "d['quantized_at_load']['type']")" = q4_k ] || fail "generate --json quantized_at_load"

run_moe eval-quant -m "$src" -q "$SCRATCH/tiny_q8_0.gguf" --json >"$SCRATCH/eval_file.json" 2>/dev/null || fail "eval-quant -q"
run_moe eval-quant -m "$src" --quant q8_0 --quant-embeddings --json >"$SCRATCH/eval_load.json" 2>/dev/null || fail "eval-quant --quant"
python3 - "$SCRATCH/eval_file.json" "$SCRATCH/eval_load.json" <<'PY' && ok "eval-quant --json" || fail "eval-quant --json"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    assert d["text"]["tokens"] > 300 and d["text"]["positions"] == d["text"]["tokens"] - 1, d["text"]
    assert 0 < d["kl_divergence"]["mean"] < 0.01 and d["kl_divergence"]["p99"] >= d["kl_divergence"]["median"]
    assert d["top1_agreement"] >= 0.95 and d["routing"]["agreement"] >= 0.95
    assert d["perplexity"]["reference"] > 1 and d["perplexity"]["quantized"] > 1
    assert len(d["routing"]["per_layer"]) == 2 and d["routing"]["pairs"] == 2 * d["text"]["tokens"]
# the file and the at-load quantization are the same weights
for k in ("kl_divergence", "top1_agreement", "perplexity", "routing"):
    assert a[k] == b[k], k
assert b["quantized"]["quantized_at_load"]["type"] == "q8_0" and a["quantized"]["quantized_at_load"] is None
PY
run_moe eval-quant -m "$src" --quant q4_0 --tokens 64 >"$SCRATCH/eval.txt" 2>/dev/null && grep -q "routing agreement" "$SCRATCH/eval.txt" \
    && grep -q "64 tokens" "$SCRATCH/eval.txt" && ok "eval-quant text output" || fail "eval-quant text output"
printf 'The cat sat on the mat. The dog sat on the log. A bird sang in the tree all day long.\n' >"$SCRATCH/text.txt"
run_moe eval-quant -m "$src" --quant q8_0 --text "$SCRATCH/text.txt" --json >"$SCRATCH/eval_text.json" 2>/dev/null \
    && [ "$(json_get "$SCRATCH/eval_text.json" "d['text']['source'].endswith('text.txt') and d['text']['tokens'] < 100")" = True ] \
    && ok "eval-quant --text" || fail "eval-quant --text"

run_moe bench -m "$src" --quant q8_0 --prompt 8 --gen 4 --probe-bytes 1048576 --json >"$SCRATCH/bench.json" 2>/dev/null \
    && [ "$(json_get "$SCRATCH/bench.json" "d['model']['quantized_at_load']['type'], d['model']['file_dtype']")" = "q8_0 F32" ] \
    && ok "bench --quant reports the type" || fail "bench --quant"
printf 'hello\n' | run_moe chat -m "$src" --quant q4_0 -n 4 >/dev/null 2>"$SCRATCH/chat.err" \
    && grep -q "quantized at load to q4_0" "$SCRATCH/chat.err" && ok "chat --quant" || fail "chat --quant"

# Errors: usage errors exit 2 and name the allowed types; file errors exit 1 and name the file.
expect_rc() { # expect_rc NAME RC TEXT-IN-STDERR moe-args...
    local name=$1 rc=$2 text=$3; shift 3
    run_moe "$@" >/dev/null 2>"$SCRATCH/stderr.txt"
    local got=$?
    [ $got -eq "$rc" ] || { fail "$name: exit $got (want $rc)"; cat "$SCRATCH/stderr.txt" >&2; return; }
    grep -qF -- "$text" "$SCRATCH/stderr.txt" && ok "$name" || { fail "$name: stderr lacks '$text'"; cat "$SCRATCH/stderr.txt" >&2; }
}
expect_rc "unknown type" 2 "q8_0, q6_k, q5_k, q5_1, q5_0, q4_k, q4_1, q4_0, q8_k" quantize "$src" "$SCRATCH/x.gguf" --type q3_x
expect_rc "gpu format" 2 "GPU" quantize "$src" "$SCRATCH/x.gguf" --type int4-g128
expect_rc "--quant fp8" 2 "fp8" generate -m "$src" --quant fp8 -p hi -n 1
expect_rc "eval-quant bad --quant" 2 "allowed" eval-quant -m "$src" --quant q9
expect_rc "missing --type" 2 "--type TYPE is required" quantize "$src" "$SCRATCH/x.gguf"
expect_rc "missing OUT" 2 "output file" quantize "$src"
expect_rc "missing input" 1 "$SCRATCH/nope.gguf" quantize "$SCRATCH/nope.gguf" "$SCRATCH/x.gguf" --type q8_0
expect_rc "IN == OUT" 1 "is the input file" quantize "$src" "$src" --type q8_0
expect_rc "missing out folder" 1 "$SCRATCH/no/such" quantize "$src" "$SCRATCH/no/such/x.gguf" --type q8_0
chmod 500 "$SCRATCH/tiny"
if [ ! -w "$SCRATCH/tiny" ]; then # root ignores permissions
    expect_rc "unwritable OUT" 1 "$SCRATCH/tiny/x.gguf" quantize "$src" "$SCRATCH/tiny/x.gguf" --type q8_0
fi
chmod 700 "$SCRATCH/tiny"
expect_rc "eval-quant missing -q file" 1 "$SCRATCH/nope.gguf" eval-quant -m "$src" -q "$SCRATCH/nope.gguf"
expect_rc "eval-quant missing text" 1 "$SCRATCH/nope.txt" eval-quant -m "$src" --quant q8_0 --text "$SCRATCH/nope.txt"
expect_rc "eval-quant both" 2 "exactly one" eval-quant -m "$src" --quant q8_0 -q "$src"
make_tiny mixtral "$SCRATCH/other" || fail "make-model mixtral"
[ -f "$SCRATCH/x.gguf" ] && fail "a failed quantize left x.gguf" || ok "failed runs leave no output"
ls "$SCRATCH" | grep -q "tmp-" && fail "a temporary file was left behind" || ok "no temporary files left"
finish
