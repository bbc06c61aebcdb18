#!/usr/bin/env bash
# One command: set up, then run the service on the embedded store in ./var (or MONGODB_URI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/dossier serve "$@"
