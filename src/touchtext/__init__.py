"""touchtext: turn customer feedback into touchpoint pain points.

The public API mirrors the command line; every function takes and returns pandas DataFrames.

    >>> import touchtext
    >>> classified = touchtext.classify(df, text_column="review_text")   # doctest: +SKIP
    >>> summary = touchtext.summarize(classified)                         # doctest: +SKIP
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("touchtext")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from .cleaning import CleaningSettings, clean, clean_text, load_cleaning_config, sentences
from .drivers import drivers
from .errors import InputError, LabelError, ModelError, TaxonomyError, TouchtextError
from .io import read_table
from .model import TouchpointModel, load_model, save_model
from .pipeline import RunResult, classify, run
from .redaction import RedactionSettings, Redactor
from .registry import ModelRegistry, load_trusted
from .retraining import Gate, check_drift, retrain
from .summaries import SummaryCounts, alerts, cooccurrence, mentions, quotes, rollup, summarize, summary_tables, trend
from .taxonomy import Taxonomy, Touchpoint, load_taxonomy
from .training import evaluate, load_labeled, train
from .transcripts import turns

__all__ = [
    "CleaningSettings",
    "Gate",
    "InputError",
    "LabelError",
    "ModelError",
    "ModelRegistry",
    "RedactionSettings",
    "Redactor",
    "RunResult",
    "SummaryCounts",
    "Taxonomy",
    "TaxonomyError",
    "Touchpoint",
    "TouchpointModel",
    "TouchtextError",
    "__version__",
    "alerts",
    "check_drift",
    "classify",
    "clean",
    "clean_text",
    "cooccurrence",
    "drivers",
    "evaluate",
    "load_cleaning_config",
    "load_labeled",
    "load_model",
    "load_taxonomy",
    "load_trusted",
    "mentions",
    "quotes",
    "read_table",
    "retrain",
    "rollup",
    "run",
    "save_model",
    "sentences",
    "summarize",
    "summary_tables",
    "train",
    "trend",
    "turns",
]
