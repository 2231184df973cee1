#!/usr/bin/env bash
# Train the default model from scratch in the background, then score it.
#   scripts/train_model.sh [STEPS] [MINUTES]   (defaults: 6000 steps, no time cap; logs to .train/train.log)
# The run is a pure function of (seed, STEPS, thread count): stopping it (MINUTES, Ctrl-C, a reboot) and
# running the same command again resumes from .train/state.pt to the same weights. Delete .train/ to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-6000}"
minutes="${2:-}"
mkdir -p .train
export HF_HUB_OFFLINE=1
nice -n 10 .venv/bin/python -m imagemodel.train --steps "$steps" ${minutes:+--minutes "$minutes"} \
  --out imagemodel/weights/ --state-dir .train/ >> .train/train.log 2>&1
.venv/bin/python -m imagemodel.evaluate --weights imagemodel/weights/ --seeds 4 >> .train/train.log 2>&1
