"""touchtext's exception family.

The library raises these and never exits; the CLI turns them into one line on stderr and
exit code 2. Messages say what was wrong, what was received and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "ClusterError",
    "DatabaseError",
    "InputError",
    "InputWarning",
    "LabelError",
    "LabelWarning",
    "ModelError",
    "RegistryError",
    "RegistryLockedError",
    "TaxonomyError",
    "TouchtextError",
    "UntrustedModelError",
]


class TouchtextError(Exception):
    """Base class for errors a user can act on (bad input, bad settings, bad model)."""


class InputError(TouchtextError):
    """An input file or DataFrame cannot be read or lacks what is needed."""


class ClusterError(TouchtextError):
    """Dask is not installed, the scheduler cannot be reached, or the workers cannot do the job."""


class DatabaseError(TouchtextError):
    """A results database cannot be reached, is not a touchtext database, or has a newer schema."""


class TaxonomyError(TouchtextError):
    """A taxonomy file is malformed or refers to unknown stages or touchpoints."""


class LabelError(TouchtextError):
    """Labeled training data is malformed (unknown labels, empty cells, too few examples)."""


class LabelWarning(UserWarning):
    """Labeled data has a problem that does not stop training (e.g. an exact duplicate, kept once)."""


class InputWarning(UserWarning):
    """An input file has a problem that does not stop reading (e.g. a repeated column name, renamed)."""


class ModelError(TouchtextError):
    """A model file is missing, incompatible or was built for another taxonomy."""


class RegistryError(TouchtextError):
    """The registry is unreadable, or names a version that does not exist or cannot be used."""


class RegistryLockedError(RegistryError):
    """Another process holds the registry lock and did not release it within the timeout."""


class UntrustedModelError(ModelError):
    """A model file is neither registered nor the shipped default, or differs from its record."""
