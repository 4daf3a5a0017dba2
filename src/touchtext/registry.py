"""A versioned model registry: verified loading, atomic promotion and rollback, one writer at a time.

Layout (the root is `--registry DIR`, else `$TOUCHTEXT_MODELS`, else `./models`):

    models/
      registry.json          schema_version, current, previous, versions {...}, history [...]
      .registry.lock         flock()ed by every writer (retrain, promote, rollback)
      versions/v0001/        model.joblib, model_card.json, model_card.md [, drift_profile.json]
      default/               the shipped model; not managed here, trusted by its bytes

Version folders are immutable once registered: they are built in a staging folder, fsynced and
renamed into place, and only then named in registry.json, which is itself replaced atomically
(temporary file, fsync, rename, fsync of the folder). A process killed at any point leaves
either the old or the new registry.json, and every version it names is complete. Promotion and
rollback only rewrite registry.json.

Trust: joblib files run code when loaded, so a model folder is loaded only when its model file
is byte-identical (sha256) to a version recorded in the registry or to the shipped default
model, or when the caller says `trust=True` (`--trust-model`). A registered version is also
refused when its files no longer match the sha256 the registry recorded.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ModelError, RegistryError, RegistryLockedError, UntrustedModelError
from .io import write_text
from .model import CARD_FILE, CARD_MARKDOWN, MODEL_FILE, default_model_path, file_sha256, load_model, save_model

if TYPE_CHECKING:
    from .model import TouchpointModel

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "PROFILE_FILE",
    "REGISTRY_ENV",
    "ModelRegistry",
    "RegistryError",
    "RegistryLockedError",
    "UntrustedModelError",
    "load_trusted",
    "registry_root",
    "resolve_model",
]

REGISTRY_ENV = "TOUCHTEXT_MODELS"
REGISTRY_FILE = "registry.json"
LOCK_FILE = ".registry.lock"
VERSIONS_DIR = "versions"
PROFILE_FILE = "drift_profile.json"
SCHEMA_VERSION = 1
DEFAULT_LOCK_TIMEOUT = 60.0
MAX_HISTORY = 500
_VERSION = re.compile(r"^v(\d{4,})$")
_STAGING_PREFIX = ".staging-"


def registry_root(root: str | Path | None = None) -> Path:
    """The registry folder: `root` if given, else $TOUCHTEXT_MODELS, else ./models.

    Example:
        >>> registry_root("/srv/touchtext/models")
        PosixPath('/srv/touchtext/models')
    """
    if root is not None:
        return Path(root)
    return Path(os.environ.get(REGISTRY_ENV) or "models")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)


def _version_number(name: str) -> int | None:
    match = _VERSION.match(name)
    return int(match.group(1)) if match else None


def _empty_state() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "current": None, "previous": None, "versions": {}, "history": []}


def _card_mismatch(folder: Path) -> str | None:
    """Why a folder's model file does not match its own card, or None when it does."""
    try:
        card = json.loads((folder / CARD_FILE).read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # load_model reports a missing or unreadable card with its own message
    actual = file_sha256(folder / MODEL_FILE)
    if isinstance(card, dict) and card.get("model_sha256") == actual:
        return None
    claimed = card.get("model_sha256") if isinstance(card, dict) else None
    return (
        f"{folder / MODEL_FILE} does not match its model card (sha256 {actual[:12]}..., card says "
        f"{str(claimed)[:12]}...); refusing to load a file that may have been modified. "
        "Retrain the model or restore both files together."
    )


def _check_complete(folder: Path) -> None:
    """Refuse to register a folder without a model file and a readable card that vouches for it."""
    if not (folder / MODEL_FILE).is_file() or not (folder / CARD_FILE).is_file():
        raise ModelError(f"Cannot register {folder}: it needs {MODEL_FILE} and {CARD_FILE}.")
    try:
        json.loads((folder / CARD_FILE).read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"Cannot register {folder}: {CARD_FILE} is not valid JSON ({exc}).") from exc
    problem = _card_mismatch(folder)
    if problem:
        raise ModelError(f"Cannot register {folder}: {problem}")


class ModelRegistry:
    """Versioned models in one folder, with a current and a previous version.

    Every method reads registry.json afresh, so several processes can use one registry;
    writers serialize on a lock file (`locked`), which is re-entrant within one instance.

    Example:
        >>> registry = ModelRegistry("models")
        >>> registry.initialize()  # registers the shipped default as v0001 if empty  # doctest: +SKIP
        >>> model, card = registry.load()  # the current version, sha256-verified  # doctest: +SKIP
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = registry_root(root)
        self._lock_depth = 0

    # -- reading --------------------------------------------------------------------------
    @property
    def file(self) -> Path:
        """The registry file, `registry.json` in the root."""
        return self.root / REGISTRY_FILE

    @property
    def lock_file(self) -> Path:
        """The lock file every writer holds."""
        return self.root / LOCK_FILE

    def exists(self) -> bool:
        """True once a registry.json has been written."""
        return self.file.is_file()

    def state(self) -> dict[str, Any]:
        """The parsed registry (an empty one when no registry.json exists yet)."""
        if not self.exists():
            return _empty_state()
        try:
            state = json.loads(self.file.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise RegistryError(
                f"{self.file} is not valid JSON ({exc}); it is only ever replaced atomically, so it was edited "
                "by hand or the disk is damaged. Restore it from a backup."
            ) from exc
        if not isinstance(state, dict) or state.get("schema_version") != SCHEMA_VERSION:
            raise RegistryError(
                f"{self.file} has schema_version {state.get('schema_version') if isinstance(state, dict) else None!r}; "
                f"this touchtext reads version {SCHEMA_VERSION}. Upgrade touchtext or point --registry elsewhere."
            )
        return state

    def versions(self) -> list[str]:
        """Registered version names, oldest first."""
        return sorted(self.state()["versions"], key=lambda v: _version_number(v) or 0)

    def current(self) -> str | None:
        """The current version's name, or None for an empty registry."""
        return self.state()["current"]  # type: ignore[no-any-return]

    def entry(self, version: str) -> dict[str, Any]:
        """The registry record of one version (path, sha256s, card summary, metrics)."""
        versions = self.state()["versions"]
        if version not in versions:
            known = ", ".join(self.versions()) or "none yet"
            raise RegistryError(f"Version {version!r} is not in {self.file}; registered versions: {known}.")
        return dict(versions[version])

    def path(self, version: str) -> Path:
        """The folder holding a registered version."""
        return self.root / self.entry(version)["path"]

    def find(self, sha256: str) -> str | None:
        """The registered version whose model file has this sha256, if any."""
        for version, record in self.state()["versions"].items():
            if record.get("model_sha256") == sha256:
                return str(version)
        return None

    def verify(self, version: str) -> Path:
        """Check a version's files against the sha256s recorded for it; return its folder."""
        record = self.entry(version)
        folder = self.root / record["path"]
        for name, key in ((MODEL_FILE, "model_sha256"), (CARD_FILE, "card_sha256")):
            file = folder / name
            if not file.is_file():
                raise UntrustedModelError(
                    f"{file} is missing, though {self.file} registers version {version}; restore the folder "
                    "or promote another version (`touchtext models list`)."
                )
            actual = file_sha256(file)
            if actual != record[key]:
                raise UntrustedModelError(
                    f"{file} has sha256 {actual[:12]}... but {self.file} recorded {record[key][:12]}... for "
                    f"version {version}; refusing to load a modified model file. Restore the file, or roll back "
                    "or promote another version (`touchtext models rollback`)."
                )
        return folder

    def load(self, version: str | None = None) -> tuple[TouchpointModel, dict[str, Any]]:
        """Load a version (default: the current one) after verifying its sha256s."""
        name = version or self.current()
        if name is None:
            raise RegistryError(f"{self.file} has no current version yet; run `touchtext retrain` first.")
        return load_model(self.verify(name))

    def summary(self) -> pd.DataFrame:
        """One row per version, newest first: status, when and how it was made, its F1, its sha256.

        Example:
            >>> ModelRegistry("models").summary()[["version", "status", "macro_f1"]]  # doctest: +SKIP
        """
        state = self.state()
        rows = []
        for version in reversed(self.versions()):
            record = state["versions"][version]
            status = "current" if version == state["current"] else "previous" if version == state["previous"] else ""
            rows.append(
                {
                    "version": version,
                    "status": status,
                    "registered_at": record.get("registered_at"),
                    "origin": record.get("origin"),
                    "n_train": record.get("card", {}).get("n_train"),
                    "macro_f1": record.get("metrics", {}).get("macro_f1"),
                    "evaluated_on": record.get("metrics", {}).get("evaluated_on"),
                    "model_sha256": str(record.get("model_sha256", ""))[:12],
                }
            )
        columns = [
            "version",
            "status",
            "registered_at",
            "origin",
            "n_train",
            "macro_f1",
            "evaluated_on",
            "model_sha256",
        ]
        return pd.DataFrame(rows, columns=columns)

    # -- locking --------------------------------------------------------------------------
    def _lock_holder(self) -> str:
        try:
            info = json.loads(self.lock_file.read_text("utf-8"))
            return f" (pid {info['pid']}, {info['purpose']} since {info['since']})"
        except (OSError, ValueError, KeyError, TypeError):
            return ""

    @contextmanager
    def locked(self, timeout: float = DEFAULT_LOCK_TIMEOUT, purpose: str = "registry update") -> Iterator[None]:
        """Hold the registry's exclusive lock, waiting up to `timeout` seconds for it.

        The lock is an `fcntl.flock` on `.registry.lock` (local Linux/macOS file systems);
        the kernel releases it when the holder exits, however it exits.
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + max(timeout, 0.0)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise RegistryLockedError(
                            f"The model registry {self.root} is locked by another touchtext job"
                            f"{self._lock_holder()}; waited {timeout:g} s. Try again later or raise --lock-timeout."
                        ) from None
                    time.sleep(0.05)
            info = {"pid": os.getpid(), "purpose": purpose, "since": _now()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
            self._lock_depth = 1
            try:
                self._remove_leftovers()
                yield
            finally:
                self._lock_depth = 0
        finally:
            os.close(fd)  # releases the flock

    def _require_lock(self) -> None:
        if not self._lock_depth:
            raise RuntimeError("registry writes must run inside `with registry.locked():`")

    def _remove_leftovers(self) -> None:
        """Delete staging folders and temporary files that a killed writer left behind."""
        for tmp in self.root.glob(f".{REGISTRY_FILE}.*.tmp"):
            tmp.unlink(missing_ok=True)
        versions = self.root / VERSIONS_DIR
        if versions.is_dir():
            for staging in versions.glob(f"{_STAGING_PREFIX}*"):
                shutil.rmtree(staging, ignore_errors=True)

    # -- writing --------------------------------------------------------------------------
    def _write(self, state: dict[str, Any], event: Mapping[str, Any] | None = None) -> None:
        self._require_lock()
        if event is not None:
            state["history"] = [*state.get("history", []), {"at": _now(), **event}][-MAX_HISTORY:]
        write_text(json.dumps(state, indent=2) + "\n", self.file)

    def record(self, event: Mapping[str, Any], timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        """Append an event (e.g. a refused candidate) to the registry's history."""
        with self.locked(timeout):
            self._write(self.state(), event)

    def _next_version(self, state: Mapping[str, Any]) -> str:
        numbers = [_version_number(v) or 0 for v in state["versions"]]
        versions = self.root / VERSIONS_DIR
        if versions.is_dir():  # folders of a writer killed before registering them are skipped, not reused
            numbers += [_version_number(p.name) or 0 for p in versions.iterdir()]
        return f"v{max(numbers, default=0) + 1:04d}"

    def register(
        self,
        source: str | Path | None = None,
        *,
        model: TouchpointModel | None = None,
        card: Mapping[str, Any] | None = None,
        origin: str = "",
        metrics: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> str:
        """Add a model as a new version (not current) and return its name.

        Give either a model folder to copy (`source`; registering it is the decision to trust
        it) or a fitted `model` with its `card`. `metrics` (from the promotion gate) and a
        drift `profile` are stored with it.
        """
        if (source is None) == (model is None):
            raise ValueError("register() needs either a model folder or a model with its card")
        if source is not None:
            _check_complete(Path(source))
        with self.locked(timeout):
            state = self.state()
            version = self._next_version(state)
            versions = self.root / VERSIONS_DIR
            versions.mkdir(parents=True, exist_ok=True)
            staging = versions / f"{_STAGING_PREFIX}{version}-{os.getpid()}"
            staging.mkdir()
            try:
                if source is not None:
                    for name in (MODEL_FILE, CARD_FILE, CARD_MARKDOWN, PROFILE_FILE):
                        if (Path(source) / name).is_file():
                            shutil.copyfile(Path(source) / name, staging / name)
                else:
                    save_model(model, card or {}, staging)  # type: ignore[arg-type]
                if profile is not None:
                    (staging / PROFILE_FILE).write_text(json.dumps(profile) + "\n", "utf-8")
                _fsync_tree(staging)
                os.rename(staging, versions / version)
                _fsync_dir(versions)
            finally:
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
            state["versions"][version] = self._record(version, origin, metrics)
            self._write(state, {"event": "registered", "version": version, "origin": origin})
            return version

    def _record(self, version: str, origin: str, metrics: Mapping[str, Any] | None) -> dict[str, Any]:
        folder = self.root / VERSIONS_DIR / version
        card = json.loads((folder / CARD_FILE).read_text("utf-8"))
        data = card.get("data", {})
        if metrics is None:  # no gate evaluation: keep what the card measured on its own held-out split
            card_metrics = card.get("metrics", {})
            metrics = {
                "evaluated_on": "the model card's held-out split",
                "n_items": card_metrics.get("n_items"),
                "macro_f1": card_metrics.get("macro_f1"),
                "per_touchpoint_f1": {t: m.get("f1") for t, m in card_metrics.get("per_touchpoint", {}).items()},
            }
        return {
            "path": f"{VERSIONS_DIR}/{version}",
            "model_sha256": file_sha256(folder / MODEL_FILE),
            "card_sha256": file_sha256(folder / CARD_FILE),
            "registered_at": _now(),
            "origin": origin,
            "card": {
                "name": card.get("name"),
                "created_at": card.get("created_at"),
                "taxonomy": (card.get("taxonomy") or {}).get("name"),
                "n_train": data.get("n_train"),
                "n_test": data.get("n_test"),
            },
            "data_sha256": data.get("sha256"),
            "metrics": dict(metrics),
        }

    def initialize(self, seed: str | Path | None = None, timeout: float = DEFAULT_LOCK_TIMEOUT) -> str:
        """Make sure the registry has a current version; an empty one gets `seed` (default: the
        shipped model) as its first, current version. Returns the current version."""
        with self.locked(timeout):
            current = self.current()
            if current is not None:
                return current
            folder = Path(seed) if seed is not None else default_model_path()
            origin = "shipped default model" if seed is None else f"seeded from {folder}"
            version = self.register(folder, origin=origin)
            return self.promote(version, reason="initial version")

    def promote(self, version: str, *, reason: str = "manual", timeout: float = DEFAULT_LOCK_TIMEOUT) -> str:
        """Make `version` current (after verifying its files); the old current becomes previous."""
        with self.locked(timeout):
            self.verify(version)
            state = self.state()
            old = state["current"]
            if old != version:
                state["previous"], state["current"] = old, version
            self._write(state, {"event": "promoted", "version": version, "from": old, "reason": reason})
            return version

    def rollback(self, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> str:
        """Make the previous version current again (a second rollback undoes the first)."""
        with self.locked(timeout):
            state = self.state()
            previous = state["previous"]
            if previous is None:
                raise RegistryError(
                    f"{self.file} has no previous version to roll back to; "
                    "use `touchtext models promote VERSION` to pick one."
                )
            self.verify(previous)
            state["previous"], state["current"] = state["current"], previous
            self._write(state, {"event": "rolled_back", "version": previous, "from": state["previous"]})
            return str(previous)


def resolve_model(
    model: str | Path | None = None,
    *,
    trust: bool = False,
    registry: str | Path | ModelRegistry | None = None,
) -> Path:
    """The model folder to load, once it is known to be trustworthy.

    `model` is None (the registry's current version, else the shipped default), a registered
    version name such as `v0003`, or a folder. A folder is accepted when its model file's
    sha256 is that of a registered version or of the shipped default, or when `trust` is True;
    otherwise UntrustedModelError says how to proceed.

    Example:
        >>> resolve_model("v0002", registry="models")  # doctest: +SKIP
        PosixPath('models/versions/v0002')
    """
    reg = registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)
    if model is None:
        current = reg.current()
        return reg.verify(current) if current is not None else default_model_path()
    name = str(model)
    if _version_number(name) is not None and not Path(name).exists():
        return reg.verify(name)
    folder = Path(model)
    if folder.is_file():
        folder = folder.parent
    if not (folder / MODEL_FILE).is_file():
        return folder  # load_model explains what is missing; nothing gets unpickled
    problem = _card_mismatch(folder)
    if problem:
        raise ModelError(problem)
    if trust:
        return folder
    sha = file_sha256(folder / MODEL_FILE)
    default = default_model_path() / MODEL_FILE
    if default.is_file() and sha == file_sha256(default):
        return folder
    if reg.find(sha) is not None:
        return folder
    raise UntrustedModelError(
        f"{folder} holds a model that is neither registered in {reg.file} nor the shipped default "
        f"(sha256 {sha[:12]}...); model files run code when loaded, so touchtext only opens known ones. "
        "Pass --trust-model (Python: trust=True) if you trust whoever wrote it, or let "
        "`touchtext retrain` produce a registered model."
    )


def load_trusted(
    model: str | Path | None = None,
    *,
    trust: bool = False,
    registry: str | Path | ModelRegistry | None = None,
) -> tuple[TouchpointModel, dict[str, Any]]:
    """Load a model through the registry's trust rules (see `resolve_model`).

    Example:
        >>> model, card = load_trusted()  # current registry version, or the shipped default
    """
    return load_model(resolve_model(model, trust=trust, registry=registry))
