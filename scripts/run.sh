#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running MoE Workbench: installs the
# packages, builds, and starts the workbench window. On first start the workbench makes
# the built-in demo model (Qwen3-MoE shape, small preset, RANDOM weights — it babbles;
# load your own with Model → Load model…) and loads it, so every page is alive.
# Arguments go to moe-workbench (see `moe-workbench --help`), e.g. --model PATH.
# Without a display (no $DISPLAY / $WAYLAND_DISPLAY) it starts `moe chat` on the demo
# model in the terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
MOE=build/app/moe
WORKBENCH=build/app/workbench/moe-workbench
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ "${QT_QPA_PLATFORM:-}" = offscreen ]; then
  exec "$WORKBENCH" "$@"
fi
echo "No display found: starting the terminal chat instead (moe-workbench needs a display)." >&2
DEMO_DIR="${MOE_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/moe-workbench/demo}"
if [ ! -f "$DEMO_DIR/model.gguf" ]; then
  echo "Making the demo model (Qwen3-MoE shape, small preset, RANDOM weights) in $DEMO_DIR"
  "$MOE" make-model --arch qwen3moe --preset small --seed 1 --format gguf --out "$DEMO_DIR"
fi
exec "$MOE" chat -m "$DEMO_DIR/model.gguf" "$@"
