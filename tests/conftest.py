"""Shared fixtures: the real shipped model, and a small model trained here from real data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from touchtext.model import TouchpointModel, default_model_path, load_model, save_model
from touchtext.taxonomy import load_taxonomy
from touchtext.training import load_labeled, train

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="session")
def shipped_model() -> tuple[TouchpointModel, dict]:
    """The default model as shipped in models/default (sha256-verified on load)."""
    return load_model()


@pytest.fixture(scope="session")
def labeled_corpus() -> pd.DataFrame:
    return load_labeled(ROOT / "data" / "labeled")


@pytest.fixture(scope="session")
def small_training(labeled_corpus):
    """A model trained on 500 real labeled items (fast), with its card."""
    subset = pd.concat(
        [
            labeled_corpus[labeled_corpus["split"] == "train"].head(500),
            labeled_corpus[labeled_corpus["split"] == "test"].head(150),
        ]
    )
    return train(subset)


@pytest.fixture(scope="session")
def small_model_dir(small_training, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small_model")
    save_model(small_training.model, small_training.card, out)
    return out


@pytest.fixture
def model_copy(small_model_dir, tmp_path) -> Path:
    """A private copy of the small model folder, for tests that modify it."""
    dest = tmp_path / "model"
    shutil.copytree(small_model_dir, dest)
    return dest


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `touchtext` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "touchtext", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=600
    )


__all__ = ["DATA", "ROOT", "default_model_path", "run_cli"]


@pytest.fixture(scope="session")
def classified_sample(shipped_model) -> pd.DataFrame:
    """The shipped hotel-review sample, classified by the shipped model (dates, ratings, locations)."""
    from touchtext.io import read_table
    from touchtext.pipeline import classify

    return classify(read_table(ROOT / "data" / "samples" / "reviews.csv"), model=shipped_model[0])
