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

from .cleaning import clean, clean_text
from .errors import InputError, LabelError, ModelError, TaxonomyError, TouchtextError
from .io import read_table
from .model import TouchpointModel, load_model, save_model
from .pipeline import RunResult, classify, run
from .summaries import mentions, summarize
from .taxonomy import Taxonomy, Touchpoint, load_taxonomy
from .training import evaluate, load_labeled, train

__all__ = [
    "InputError",
    "LabelError",
    "ModelError",
    "RunResult",
    "Taxonomy",
    "TaxonomyError",
    "Touchpoint",
    "TouchpointModel",
    "TouchtextError",
    "__version__",
    "classify",
    "clean",
    "clean_text",
    "evaluate",
    "load_labeled",
    "load_model",
    "load_taxonomy",
    "mentions",
    "read_table",
    "run",
    "save_model",
    "summarize",
    "train",
]
