#!/usr/bin/env bash
# `moe --help` and every subcommand's --help succeed; bad usage exits 2.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

"$MOE" --help >"$SCRATCH/help.txt" && ok "moe --help" || fail "moe --help exit status"
for cmd in info tokenize generate chat make-model bench quantize eval-quant; do
    grep -q "^  $cmd " "$SCRATCH/help.txt" || fail "moe --help does not list $cmd"
    if "$MOE" "$cmd" --help >"$SCRATCH/$cmd.txt"; then
        grep -q "usage: moe $cmd" "$SCRATCH/$cmd.txt" && ok "$cmd --help" || fail "$cmd --help prints no usage"
    else
        fail "$cmd --help exit status"
    fi
done
grep -q '"decode_fraction"' "$SCRATCH/bench.txt" || fail "bench --help does not document the JSON schema"

"$MOE" >/dev/null 2>&1; [ $? -eq 2 ] && ok "no command exits 2" || fail "no command should exit 2"
"$MOE" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown command exits 2" || fail "unknown command should exit 2"
"$MOE" info --bogus x 2>"$SCRATCH/err.txt"; [ $? -eq 2 ] && ok "unknown flag exits 2" || fail "unknown flag should exit 2"
grep -q "usage: moe info" "$SCRATCH/err.txt" || fail "bad flag does not print usage"
"$MOE" generate -m x -p y --temp abc 2>/dev/null; [ $? -eq 2 ] && ok "non-numeric value exits 2" || fail "--temp abc should exit 2"
"$MOE" make-model --out "$SCRATCH/m" --preset enormous 2>/dev/null; [ $? -eq 2 ] && ok "bad preset exits 2" || fail "bad preset should exit 2"
finish
