"""Touchpoint taxonomies: the default one shipped with touchtext, or a user's TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from .errors import TaxonomyError

__all__ = ["Facing", "JourneyStage", "Taxonomy", "Touchpoint", "load_taxonomy"]

JourneyStage = Literal[
    "awareness",
    "research",
    "purchase",
    "onboarding_delivery",
    "usage",
    "support",
    "billing",
    "renewal_exit",
]
Facing = Literal["customer_facing", "customer_touching"]
_STAGES: tuple[str, ...] = get_args(JourneyStage)
_FACINGS: tuple[str, ...] = get_args(Facing)


@dataclass(frozen=True)
class Touchpoint:
    """One touchpoint: a stable id plus what analysts need to read and group it."""

    id: str
    name: str
    description: str
    stage: JourneyStage
    facing: Facing
    seeds: tuple[str, ...] = ()  # words and phrases that signal the touchpoint (for `touchtext bootstrap`)


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of touchpoints. Order is the display order; ids are the identity."""

    name: str
    version: str
    touchpoints: tuple[Touchpoint, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Touchpoint ids in taxonomy order."""
        return tuple(t.id for t in self.touchpoints)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (stored in model cards so a model carries its taxonomy)."""
        return {"name": self.name, "version": self.version, "touchpoints": [asdict(t) for t in self.touchpoints]}

    @classmethod
    def from_dict(cls, data: dict[str, object], source: str = "taxonomy data") -> Taxonomy:
        """Rebuild a taxonomy from `to_dict` output, validating it like a file."""
        raw = data.get("touchpoints")
        if not isinstance(raw, list) or not raw:
            raise TaxonomyError(f"{source} lists no touchpoints.")
        tps = tuple(_parse_touchpoint(t, i, source) for i, t in enumerate(raw))
        return cls(name=str(data.get("name", "custom")), version=str(data.get("version", "1")), touchpoints=tps)

    def get(self, touchpoint_id: str) -> Touchpoint:
        """Return the touchpoint with this id, or raise TaxonomyError listing the valid ids."""
        for t in self.touchpoints:
            if t.id == touchpoint_id:
                return t
        raise TaxonomyError(
            f"Unknown touchpoint {touchpoint_id!r} in taxonomy {self.name!r}; valid ids: {', '.join(self.ids)}."
        )


def _parse_touchpoint(raw: object, index: int, source: str) -> Touchpoint:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{source}: [[touchpoint]] #{index + 1} is not a table.")
    missing = [k for k in ("id", "name", "stage", "facing") if not raw.get(k)]
    if missing:
        raise TaxonomyError(
            f"{source}: touchpoint #{index + 1} ({raw.get('id', '?')}) lacks {', '.join(missing)}; "
            "each [[touchpoint]] needs id, name, description, stage and facing."
        )
    tid = str(raw["id"])
    if not tid.replace("_", "").isalnum() or tid != tid.lower():
        raise TaxonomyError(
            f"{source}: touchpoint id {tid!r} must be lowercase letters, digits and underscores "
            "(ids appear in label cells like 'billing:negative')."
        )
    if raw["stage"] not in _STAGES:
        raise TaxonomyError(
            f"{source}: touchpoint {tid!r} has stage {raw['stage']!r}; valid stages: {', '.join(_STAGES)}."
        )
    if raw["facing"] not in _FACINGS:
        raise TaxonomyError(
            f"{source}: touchpoint {tid!r} has facing {raw['facing']!r}; valid values: {', '.join(_FACINGS)}."
        )
    seeds = raw.get("seeds", [])
    if not isinstance(seeds, list | tuple) or not all(isinstance(x, str) and x.strip() for x in seeds):
        raise TaxonomyError(f"{source}: touchpoint {tid!r} has seeds that are not a list of words or phrases.")
    return Touchpoint(
        id=tid,
        name=str(raw["name"]),
        description=str(raw.get("description", "")),
        stage=raw["stage"],
        facing=raw["facing"],
        seeds=tuple(x.strip() for x in seeds),
    )


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy from a TOML file, or the default one when `path` is None.

    Example:
        >>> load_taxonomy().get("billing").stage
        'billing'
    """
    if path is None:
        text = resources.files("touchtext").joinpath("data/default_taxonomy.toml").read_text("utf-8")
        source = "default taxonomy"
    else:
        p = Path(path)
        if not p.is_file():
            raise TaxonomyError(
                f"Taxonomy file {str(p)!r} does not exist; pass a TOML file with [[touchpoint]] tables."
            )
        text = p.read_text("utf-8")
        source = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{source} is not valid TOML: {exc}.") from exc
    raw_tps = data.get("touchpoint")
    if not isinstance(raw_tps, list) or not raw_tps:
        raise TaxonomyError(f"{source} defines no touchpoints; add [[touchpoint]] tables with id, name, stage, facing.")
    tps = tuple(_parse_touchpoint(raw, i, source) for i, raw in enumerate(raw_tps))
    ids = [t.id for t in tps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise TaxonomyError(f"{source} lists touchpoint id(s) {', '.join(dupes)} more than once; ids must be unique.")
    return Taxonomy(
        name=str(data.get("name", Path(source).stem)), version=str(data.get("version", "1")), touchpoints=tps
    )
