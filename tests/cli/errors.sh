#!/usr/bin/env bash
# Bad input: the exit status is non-zero (1, not a crash) and stderr names the file.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

make_tiny olmoe "$SCRATCH/good" || fail "make-model"
good="$SCRATCH/good/model.gguf"

expect_error() { # expect_error NAME FILE-NAMED-IN-STDERR moe-args...
    local name=$1 named=$2; shift 2
    run_moe "$@" >/dev/null 2>"$SCRATCH/stderr.txt"
    local rc=$?
    if [ $rc -ne 1 ]; then fail "$name: exit status $rc (want 1)"; cat "$SCRATCH/stderr.txt" >&2; return; fi
    grep -q "moe: error: " "$SCRATCH/stderr.txt" || fail "$name: no 'moe: error:' prefix"
    grep -qF "$named" "$SCRATCH/stderr.txt" && ok "$name" || { fail "$name: stderr does not name $named"; cat "$SCRATCH/stderr.txt" >&2; }
}

expect_error "missing file (info)" "$SCRATCH/nope.gguf" info "$SCRATCH/nope.gguf"
expect_error "missing file (generate)" "$SCRATCH/nope.gguf" generate -m "$SCRATCH/nope.gguf" -p hi -n 1

for n in 3 20 300 5000 100000; do
    head -c $n "$good" >"$SCRATCH/trunc_$n.gguf"
    expect_error "truncated GGUF ($n bytes, info)" "trunc_$n.gguf" info "$SCRATCH/trunc_$n.gguf"
done
expect_error "truncated GGUF (generate)" "trunc_100000.gguf" generate -m "$SCRATCH/trunc_100000.gguf" -p hi -n 1
expect_error "truncated GGUF (tokenize)" "trunc_5000.gguf" tokenize -m "$SCRATCH/trunc_5000.gguf" hi

printf 'NOPE this is not a model file at all, just some text padding it out\n' >"$SCRATCH/wrong_magic.gguf"
expect_error "wrong magic (info)" "wrong_magic.gguf" info "$SCRATCH/wrong_magic.gguf"
expect_error "wrong magic (generate)" "wrong_magic.gguf" generate -m "$SCRATCH/wrong_magic.gguf" -p hi -n 1
head -c 4 "$good" >"$SCRATCH/magic_only.gguf"
expect_error "magic only" "magic_only.gguf" info "$SCRATCH/magic_only.gguf"

cp -r "$SCRATCH/good/hf" "$SCRATCH/badjson"
printf '{"architectures": ["OlmoeForCausalLM"], "hidden_size": 64,,,' >"$SCRATCH/badjson/config.json"
expect_error "malformed config.json (info)" "config.json" info "$SCRATCH/badjson"
expect_error "malformed config.json (generate)" "config.json" generate -m "$SCRATCH/badjson" -p hi -n 1

cp -r "$SCRATCH/good/hf" "$SCRATCH/badarch"
sed -i 's/OlmoeForCausalLM/BananaForCausalLM/' "$SCRATCH/badarch/config.json"
expect_error "unsupported architecture" "BananaForCausalLM" info "$SCRATCH/badarch"

cp -r "$SCRATCH/good/hf" "$SCRATCH/truncst"
head -c 2000 "$SCRATCH/good/hf/model.safetensors" >"$SCRATCH/truncst/model.safetensors"
expect_error "truncated safetensors" "model.safetensors" generate -m "$SCRATCH/truncst" -p hi -n 1

printf '{ "model": ' >"$SCRATCH/bad_tokenizer.json"
expect_error "malformed tokenizer.json" "bad_tokenizer.json" tokenize --tokenizer "$SCRATCH/bad_tokenizer.json" hi

expect_error "quantized safetensors refused" "safetensors" make-model --out "$SCRATCH/q" --dtype q4_0 --format both
finish
