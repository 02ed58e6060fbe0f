#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running MoE Workbench: installs the
# packages, builds, makes the built-in demo model on first run (random weights — it
# babbles; load your own model with `build/app/moe chat -m PATH`) and starts a chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
MOE=build/app/moe
DEMO_DIR="${MOE_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/moe-workbench/demo}"
if [ ! -f "$DEMO_DIR/model.gguf" ]; then
  echo "Making the demo model (Qwen3-MoE shape, small preset, RANDOM weights) in $DEMO_DIR"
  "$MOE" make-model --arch qwen3moe --preset small --seed 1 --format gguf --out "$DEMO_DIR"
fi
exec "$MOE" chat -m "$DEMO_DIR/model.gguf" "$@"
