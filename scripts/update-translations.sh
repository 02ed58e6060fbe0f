#!/usr/bin/env bash
# Refreshes translations/*.ts from the workbench's sources (ui/ and app/workbench/) with
# Qt's lupdate; translate the new entries with Qt Linguist (`linguist FILE.ts`). The
# build compiles the .ts files with lrelease and embeds them.
set -euo pipefail
cd "$(dirname "$0")/.."
LUPDATE=$(command -v lupdate6 || command -v /usr/lib/qt6/bin/lupdate || echo lupdate)
for ts in translations/*.ts; do
  "$LUPDATE" -no-obsolete -locations relative ui app/workbench -ts "$ts"
done
