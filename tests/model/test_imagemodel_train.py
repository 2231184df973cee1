"""Retraining reproduces: a run is a function of (seed, steps), however it is stopped and resumed."""

import sys

import pytest
from safetensors.torch import load_file

from imagemodel import train

# The adapter pretrains on 128 prompts a step whatever --batch-size says: one step is enough to be
# part of what a resumed run must reproduce.
TINY_RUN = ["--steps", "3", "--batch-size", "4", "--adapter-steps", "1", "--warmup-steps", "2", "--threads", "1"]


def run_training(monkeypatch, out, state_dir, *extra: str) -> None:
    monkeypatch.setattr(sys, "argv", ["train", *TINY_RUN, "--out", str(out), "--state-dir", str(state_dir), *extra])
    train.main()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    with pytest.MonkeyPatch.context() as monkeypatch:
        run_training(monkeypatch, run_dir / "weights", run_dir / "state")
    return load_file(str(run_dir / "weights" / train.WEIGHTS_FILE))


def test_a_run_stopped_after_every_step_and_resumed_gives_the_same_weights(
    tmp_path, monkeypatch, uninterrupted
) -> None:
    for _ in range(3):  # --minutes 0 stops each invocation after one step, checkpointed
        run_training(monkeypatch, tmp_path / "weights", tmp_path / "state", "--minutes", "0")
    resumed = load_file(str(tmp_path / "weights" / train.WEIGHTS_FILE))
    assert resumed.keys() == uninterrupted.keys()
    assert all(resumed[k].equal(uninterrupted[k]) for k in uninterrupted)


def test_another_seed_gives_other_weights(tmp_path, monkeypatch, uninterrupted) -> None:
    run_training(monkeypatch, tmp_path / "weights", tmp_path / "state", "--seed", "1")
    other = load_file(str(tmp_path / "weights" / train.WEIGHTS_FILE))
    assert any(not other[k].equal(uninterrupted[k]) for k in uninterrupted)
