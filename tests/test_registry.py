"""The model registry: verified loading, trust rules, promotion and rollback, locking, crash safety."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from touchtext.cli import EXIT_LOCKED, EXIT_USER_ERROR, main
from touchtext.errors import ModelError
from touchtext.model import CARD_FILE, MODEL_FILE, default_model_path
from touchtext.registry import (
    ModelRegistry,
    RegistryError,
    RegistryLockedError,
    UntrustedModelError,
    load_trusted,
    resolve_model,
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def registry(tmp_path, small_model_dir) -> ModelRegistry:
    """A registry whose current version v0001 is the small real model."""
    reg = ModelRegistry(tmp_path / "models")
    reg.initialize(seed=small_model_dir)
    return reg


def test_without_a_registry_the_shipped_default_is_used(tmp_path):
    reg = ModelRegistry(tmp_path / "nothing")
    assert reg.state()["versions"] == {} and reg.current() is None
    assert resolve_model(None, registry=reg) == default_model_path()
    assert not reg.root.exists()  # reading never creates anything


def test_initialize_registers_the_shipped_default(tmp_path):
    reg = ModelRegistry(tmp_path / "models")
    assert reg.initialize() == "v0001"
    entry = reg.entry("v0001")
    assert entry["origin"] == "shipped default model"
    assert entry["model_sha256"] == _sha(default_model_path() / MODEL_FILE)
    assert reg.initialize() == "v0001"  # idempotent
    state = json.loads(reg.file.read_text())
    assert state["schema_version"] == 1 and state["current"] == "v0001" and state["previous"] is None
    assert set(entry) >= {"path", "model_sha256", "card_sha256", "registered_at", "data_sha256", "metrics", "card"}
    assert entry["metrics"]["macro_f1"] > 0.6 and "staff" in entry["metrics"]["per_touchpoint_f1"]


def test_registry_versions_load_verified(registry, small_model_dir):
    assert registry.current() == "v0001"
    assert registry.path("v0001") == registry.root / "versions" / "v0001"
    assert _sha(registry.path("v0001") / MODEL_FILE) == _sha(small_model_dir / MODEL_FILE)
    _, card = registry.load()
    assert card["model_sha256"] == registry.entry("v0001")["model_sha256"]
    assert resolve_model(None, registry=registry) == registry.path("v0001")
    assert resolve_model("v0001", registry=registry) == registry.path("v0001")


def test_promote_and_rollback(registry, small_model_dir):
    v2 = registry.register(small_model_dir, origin="test")
    assert v2 == "v0002" and registry.current() == "v0001"  # registering does not promote
    registry.promote(v2)
    assert (registry.current(), registry.state()["previous"]) == ("v0002", "v0001")
    assert registry.rollback() == "v0001"
    assert (registry.current(), registry.state()["previous"]) == ("v0001", "v0002")
    assert registry.rollback() == "v0002"  # a second rollback undoes the first
    events = [e["event"] for e in registry.state()["history"]]
    assert events == ["registered", "promoted", "registered", "promoted", "rolled_back", "rolled_back"]


def test_rollback_without_previous_version_says_what_to_do(registry):
    with pytest.raises(RegistryError, match="no previous version to roll back to; use `touchtext models promote"):
        registry.rollback()


def test_unknown_version_lists_the_registered_ones(registry):
    with pytest.raises(RegistryError, match=r"Version 'v0042' is not in .*registered versions: v0001\."):
        registry.promote("v0042")


@pytest.mark.parametrize("name", [MODEL_FILE, CARD_FILE])
def test_tampered_registered_file_is_refused(registry, small_model_dir, name):
    v2 = registry.register(small_model_dir, origin="test")
    with open(registry.path("v0001") / name, "ab") as fh:
        fh.write(b" ")
    with pytest.raises(UntrustedModelError, match=r"but .*registry.json recorded .* for version v0001; refusing"):
        registry.load("v0001")
    registry.promote(v2)
    with pytest.raises(UntrustedModelError, match="refusing to load a modified model file"):
        registry.rollback()  # rolling back to a tampered version is refused too
    assert registry.current() == v2


def test_register_refuses_a_folder_its_card_does_not_vouch_for(registry, model_copy, tmp_path):
    with pytest.raises(ModelError, match=r"Cannot register .*: it needs model.joblib and model_card.json"):
        registry.register(tmp_path)
    (model_copy / MODEL_FILE).write_bytes(b"something else")
    with pytest.raises(ModelError, match=r"Cannot register .* does not match its model card"):
        registry.register(model_copy)
    assert registry.versions() == ["v0001"] and not any((registry.root / "versions").glob(".staging-*"))


def test_unregistered_folder_needs_explicit_trust(registry, model_copy, tmp_path):
    # A byte-identical copy of a registered version is known, so it is trusted.
    assert resolve_model(model_copy, registry=registry) == model_copy
    # The same model retrained elsewhere is not: its bytes are not in the registry.
    other = ModelRegistry(tmp_path / "elsewhere")
    with pytest.raises(UntrustedModelError, match=r"neither registered in .* nor the shipped default .*--trust-model"):
        resolve_model(model_copy, registry=other)
    assert resolve_model(model_copy, registry=other, trust=True) == model_copy
    # The shipped default is trusted wherever its bytes are.
    assert resolve_model(ROOT / "models" / "default", registry=other) == ROOT / "models" / "default"


def test_model_not_matching_its_own_card_is_refused_even_when_trusted(registry, model_copy):
    (model_copy / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="does not match its model card"):
        resolve_model(model_copy, registry=registry, trust=True)


def test_untrusted_model_is_never_unpickled(tmp_path):
    """A pickle that would run code is refused before joblib opens it."""
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "ran"
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    (evil / MODEL_FILE).write_bytes(payload)
    (evil / CARD_FILE).write_text(json.dumps({"model_sha256": hashlib.sha256(payload).hexdigest()}))
    with pytest.raises(UntrustedModelError):
        load_trusted(evil, registry=tmp_path / "models")
    assert not marker.exists()


def test_cli_run_refuses_an_untrusted_model_and_accepts_trust_flag(tmp_path, model_copy, monkeypatch, capsys):
    monkeypatch.setenv("TOUCHTEXT_MODELS", str(tmp_path / "empty-registry"))
    data = tmp_path / "in.csv"
    data.write_text("text\nCharged twice for parking\nLovely staff at reception\n")
    args = ["run", str(data), "--out", str(tmp_path / "out"), "--model", str(model_copy), "--quiet"]
    assert main(args) == EXIT_USER_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "neither registered in" in err[0] and "Pass --trust-model" in err[0]
    assert not (tmp_path / "out").exists()
    assert main([*args, "--trust-model"]) == 0
    assert (tmp_path / "out" / "classified.csv").is_file()


def test_lock_times_out_with_a_clear_message(registry):
    other = ModelRegistry(registry.root)  # its own open file description: flock conflicts as between processes
    with registry.locked(purpose="retrain"):
        started = time.monotonic()
        with pytest.raises(RegistryLockedError, match=rf"locked by another touchtext job \(pid {os.getpid()}, retrain"):
            other.promote("v0001", timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 2
    other.promote("v0001", timeout=0.3)  # released


def test_cli_lock_timeout_exits_5(registry, capsys):
    with ModelRegistry(registry.root).locked():
        code = main(["models", "promote", "v0001", "--registry", str(registry.root), "--lock-timeout", "0.2"])
    assert code == EXIT_LOCKED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("touchtext: error: The model registry") and "--lock-timeout" in err[0]


def test_models_commands(registry, small_model_dir, capsys):
    root = str(registry.root)
    registry.register(small_model_dir, origin="test")
    assert main(["models", "promote", "v0002", "--registry", root]) == 0
    assert "v0002 is now current (previous: v0001)" in capsys.readouterr().out
    assert main(["models", "list", "--registry", root]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split()[:3] == ["version", "status", "registered_at"]
    assert listing[1].split()[:2] == ["v0002", "current"] and listing[2].split()[:2] == ["v0001", "previous"]
    assert main(["models", "show", "--registry", root]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "v0002" and shown["verified"] is True and shown["status"] == "current"
    assert main(["models", "rollback", "--registry", root]) == 0
    assert "v0001 is current again" in capsys.readouterr().out
    assert main(["models", "list", "--registry", root, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["current"] == "v0001"


def test_models_show_reports_a_tampered_version(registry, capsys):
    with open(registry.path("v0001") / MODEL_FILE, "ab") as fh:
        fh.write(b"\0")
    assert main(["models", "show", "v0001", "--registry", str(registry.root)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["verified"] is False and "refusing to load a modified model file" in shown["problem"]


def test_corrupt_registry_file_is_reported(tmp_path, capsys):
    (tmp_path / "registry.json").write_text("{not json")
    assert main(["models", "list", "--registry", str(tmp_path)]) == EXIT_USER_ERROR
    assert "registry.json is not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["models"], ["models", "list"], ["models", "show"], ["models", "promote"],
                                     ["models", "rollback"], ["retrain"], ["drift"]])  # fmt: skip
def test_new_commands_have_help_with_an_example(command, capsys):
    assert main([*command, "--help"]) == 0
    assert "Example: touchtext " + " ".join(command[:1]) in capsys.readouterr().out


_WORKER = textwrap.dedent(
    """
    import os, random, sys
    from touchtext.registry import ModelRegistry, RegistryError

    root, seed = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    for _ in sys.stdin:  # one line per round: fork a child that promotes until it is killed
        pid = os.fork()
        if pid == 0:
            registry, rng = ModelRegistry(root), random.Random(os.getpid())
            while True:
                versions = registry.versions()
                roll = rng.random()
                if roll < 0.25 and len(versions) < 6:
                    registry.register(seed, origin="kill test")
                elif roll < 0.7:
                    registry.promote(rng.choice(versions))
                else:
                    try:
                        registry.rollback()
                    except RegistryError:
                        pass
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
    """
)


def test_kill_during_promotion_leaves_a_loadable_current_model(registry, small_model_dir, tmp_path):
    """SIGKILL a real process at random points while it registers, promotes and rolls back."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    worker = subprocess.Popen(
        [sys.executable, str(script), str(registry.root), str(small_model_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    rng = random.Random(5)
    leftovers = 0
    try:
        assert worker.stdout.readline().strip() == "ready"
        for _ in range(30):
            worker.stdin.write("go\n")
            worker.stdin.flush()
            pid = int(worker.stdout.readline())
            time.sleep(rng.uniform(0.02, 0.4))
            os.kill(pid, signal.SIGKILL)
            assert worker.stdout.readline().strip() == "reaped"
            leftovers += any(registry.root.glob(".registry.json.*.tmp")) or any(
                registry.root.glob("versions/.staging-*")
            )
            state = json.loads(registry.file.read_text())  # always parses
            assert state["current"] in state["versions"]
            for version in state["versions"]:
                registry.verify(version)  # every named version is complete and matches its sha256
            assert (
                _sha(registry.path(state["current"]) / MODEL_FILE)
                == state["versions"][state["current"]]["model_sha256"]
            )
        model, _ = load_trusted(registry=registry)  # the current model loads
        assert model.predict(["Charged twice for one night"])
        with registry.locked(timeout=5):  # the killed holders released the lock; leftovers are swept
            assert not any(registry.root.glob(".registry.json.*.tmp"))
            assert not any(registry.root.glob("versions/.staging-*"))
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)
    history = json.loads(registry.file.read_text())["history"]
    assert len(history) > 30, "the worker should have done many operations between kills"
    print(f"{leftovers} of 30 kills left a half-written file behind; {len(history)} operations recorded")


def test_remove_leftovers_does_not_touch_registered_versions(registry):
    shutil.copytree(registry.path("v0001"), registry.root / "versions" / ".staging-v0002-1")
    (registry.root / ".registry.json.abc.tmp").write_text("{")
    with registry.locked():
        pass
    assert sorted(p.name for p in (registry.root / "versions").iterdir()) == ["v0001"]
    assert registry.load()[1]["model_sha256"]
