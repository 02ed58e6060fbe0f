#!/usr/bin/env bash
# `moe chat` driven through a pipe: answers every line, honours /reset, exits at EOF.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

make_tiny qwen2moe "$SCRATCH/m" || fail "make-model"
printf 'Hello there\nTell me about experts\n/reset\nAnd again\n' |
    run_moe chat -m "$SCRATCH/m/model.gguf" --system "You are terse." -n 6 --temp 0 --verbose \
        >"$SCRATCH/out.txt" 2>"$SCRATCH/err.txt"
rc=$?
[ $rc -eq 0 ] && ok "chat exits 0 at end of input" || { fail "chat exit status $rc"; cat "$SCRATCH/err.txt" >&2; }
answers=$(grep -c "^\[reused" "$SCRATCH/err.txt")
[ "$answers" = 3 ] && ok "three answers" || fail "expected 3 answers, saw $answers"
[ -s "$SCRATCH/out.txt" ] && ok "answers on stdout" || fail "no output"
# The second turn reuses the first turn's cache prefix.
grep "^\[reused" "$SCRATCH/err.txt" | sed -n 2p | grep -Eq "^\[reused [1-9][0-9]* of" && ok "second turn reuses the KV cache" \
    || fail "second turn did not reuse the cache"

printf '/exit\nnever answered\n' | run_moe chat -m "$SCRATCH/m/hf" -n 4 --verbose >/dev/null 2>"$SCRATCH/err2.txt"
[ $? -eq 0 ] && ! grep -q "^\[reused" "$SCRATCH/err2.txt" && ok "/exit quits" || fail "/exit"

: | run_moe chat -m "$SCRATCH/m/hf" -n 4 >/dev/null && ok "empty input exits 0" || fail "empty input"
finish
