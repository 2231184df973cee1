#!/usr/bin/env bash
# Retrain the default model from scratch in the background, then score it.
#   scripts/train_model.sh [MINUTES]      (default 140; logs to .train/train.log)
# A previous run's state in .train/state.pt is resumed; delete .train/ to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-140}"
mkdir -p .train
export HF_HUB_OFFLINE=1
nice -n 10 .venv/bin/python -m imagemodel.train --minutes "$minutes" --out imagemodel/weights/ --state-dir .train/ \
  >> .train/train.log 2>&1
.venv/bin/python -m imagemodel.evaluate --weights imagemodel/weights/ --seeds 4 >> .train/train.log 2>&1
