#!/usr/bin/env bash
# `moe profile`: a run over the built-in prompts is saved, listed, exported to JSON and
# CSV, imported back identically; bad input is refused before anything is overwritten.
MOE=$1 SCRATCH=$2
source "$(dirname "$0")/common.inc"

make_tiny qwen3moe "$SCRATCH/m" || fail "make-model"
model="$SCRATCH/m/model.gguf"
db="$SCRATCH/run.db"

run_moe profile -m "$model" --builtin --max-tokens 4 --out "$db" >"$SCRATCH/summary.txt" 2>/dev/null \
    && ok "profile --builtin" || fail "profile --builtin"
grep -q "hottest" "$SCRATCH/summary.txt" && ok "summary printed" || fail "no summary"
run_moe profile list "$db" | grep -q "random weights" && ok "list labels random weights" || fail "list"
run_moe profile export "$db" --json --out "$SCRATCH/a.json" && ok "export json" || fail "export json"
run_moe profile export "$db" --csv --out "$SCRATCH/a.csv" && ok "export csv" || fail "export csv"
head -1 "$SCRATCH/a.csv" | grep -q "step,prompt,prefill,moe_layer" && ok "csv header" || fail "csv header"
# Counts per layer sum to tokens x top-k (2 for the tiny preset), read from the export.
python3 - "$SCRATCH/a.json" <<'PY' && ok "counts sum to tokens x top-k" || fail "count sums"
import json, sys
run = json.load(open(sys.argv[1]))
k, E, L = run["topK"], run["numExperts"], run["numMoeLayers"]
assert run["steps"]
for st in run["steps"]:
    for m in range(L):
        assert sum(st["expertCounts"][m * E:(m + 1) * E]) == st["tokens"] * k, st["index"]
PY
run_moe profile import "$SCRATCH/a.json" --out "$SCRATCH/b.db" >/dev/null && ok "import" || fail "import"
run_moe profile export "$SCRATCH/b.db" --json --out "$SCRATCH/b.json" || fail "re-export"
python3 - "$SCRATCH/a.json" "$SCRATCH/b.json" <<'PY' && ok "export -> import -> export identical" || fail "round trip differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("id", None); b.pop("id", None)
assert a == b
PY

expect_error() { # expect_error NAME TEXT-IN-STDERR moe-args...
    local name=$1 named=$2; shift 2
    run_moe "$@" >/dev/null 2>"$SCRATCH/stderr.txt"
    local rc=$?
    if [ $rc -ne 1 ]; then fail "$name: exit status $rc (want 1)"; cat "$SCRATCH/stderr.txt" >&2; return; fi
    grep -qF "$named" "$SCRATCH/stderr.txt" && ok "$name" || { fail "$name: stderr does not name $named"; cat "$SCRATCH/stderr.txt" >&2; }
}
printf 'a fine prompt\n\xff\xfe broken\n' >"$SCRATCH/latin1.txt"
expect_error "prompts not UTF-8" "latin1.txt" profile -m "$model" --prompts "$SCRATCH/latin1.txt" --out "$SCRATCH/x.db"
printf '\n   \n' >"$SCRATCH/empty.txt"
expect_error "empty prompt set" "empty.txt" profile -m "$model" --prompts "$SCRATCH/empty.txt" --out "$SCRATCH/x.db"
expect_error "unwritable output" "/proc/nope/run.db" profile -m "$model" --builtin --out /proc/nope/run.db
printf 'this is my shopping list, not a database\n' >"$SCRATCH/notes.db"
before=$(sha256sum "$SCRATCH/notes.db")
expect_error "non-database run.db" "notes.db" profile -m "$model" --builtin --out "$SCRATCH/notes.db"
[ "$before" = "$(sha256sum "$SCRATCH/notes.db")" ] && ok "non-database file untouched" || fail "notes.db was changed"
expect_error "show on a non-database" "notes.db" profile show "$SCRATCH/notes.db"
[ ! -e "$SCRATCH/x.db" ] && ok "no store created for bad prompts" || fail "x.db created despite bad prompts"
finish
