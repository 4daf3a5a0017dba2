"""Retraining behind the promotion gate, label validation, concurrency, and the drift check."""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DATA, ROOT
from touchtext.cli import EXIT_KEPT_CURRENT, EXIT_LOCKED, EXIT_USER_ERROR, main
from touchtext.model import save_model
from touchtext.registry import ModelRegistry
from touchtext.retraining import Gate, check_labels, compare, drift, drift_profile, retrain
from touchtext.training import cleaned_texts, load_labeled, train

PET_GROOMING = (DATA / "drift_pet_grooming.txt").read_text("utf-8").splitlines()


def _write(path: Path, rows: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows.itertuples():
            cell = "|".join(f"{t}:{s}" if s else t for t, s in row.labels.items()) or "none"
            fh.write(json.dumps({"id": row.id, "text": row.text, "labels": cell, "split": row.split}) + "\n")
    return path


def _shuffled(rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    labels = rows["labels"].tolist()
    random.Random(seed).shuffle(labels)
    return rows.assign(labels=labels)


@pytest.fixture(scope="module")
def corpus(labeled_corpus, tmp_path_factory) -> dict[str, Path]:
    """Labeled files sharing one held-out set: the 150 test rows the small session model was scored on."""
    root = tmp_path_factory.mktemp("labels")
    train_rows = labeled_corpus[labeled_corpus["split"] == "train"]
    test_rows = labeled_corpus[labeled_corpus["split"] == "test"].head(150)
    return {
        "base": _write(root / "base" / "labels.jsonl", pd.concat([train_rows.head(250), test_rows])).parent,
        "new": _write(root / "new.jsonl", train_rows.iloc[250:350]),
        "real": _write(root / "real" / "labels.jsonl", pd.concat([train_rows.head(350), test_rows])).parent,
        "shuffled": _write(root / "shuffled" / "labels.jsonl", pd.concat([_shuffled(train_rows.head(150)), test_rows])),
    }


@pytest.fixture(scope="module")
def weak_model_dir(labeled_corpus, tmp_path_factory) -> Path:
    """A real model trained on label-shuffled items: every touchpoint is near chance."""
    train_rows = labeled_corpus[labeled_corpus["split"] == "train"].head(150)
    test_rows = labeled_corpus[labeled_corpus["split"] == "test"].head(150)
    result = train(pd.concat([_shuffled(train_rows), test_rows]))
    return save_model(result.model, result.card, tmp_path_factory.mktemp("weak"))


def _registry(root: Path, seed: Path) -> ModelRegistry:
    registry = ModelRegistry(root)
    registry.initialize(seed=seed)
    return registry


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- the gate -------------------------------------------------------------------------------
def _metrics(macro: float, **f1: tuple[float, int]) -> dict:
    return {"macro_f1": macro, "per_touchpoint": {t: {"f1": v, "support": n} for t, (v, n) in f1.items()}}


@pytest.mark.parametrize(
    ("candidate", "passed", "reason"),
    [
        (_metrics(0.70, billing=(0.70, 20), staff=(0.70, 20)), True, None),
        (_metrics(0.691, billing=(0.66, 20), staff=(0.72, 20)), True, None),  # drops within both tolerances
        (_metrics(0.68, billing=(0.70, 20), staff=(0.66, 20)), False, "macro-F1 fell 0.020 (max 0.010)"),
        (_metrics(0.70, billing=(0.64, 20), staff=(0.76, 20)), False, "billing F1 fell 0.060 (max 0.050)"),
        (_metrics(0.70, billing=(0.70, 20), staff=(0.70, 20), parking=(0.0, 3)), True, None),  # 3 items: not gated
    ],
)
def test_gate(candidate, passed, reason):
    current = _metrics(0.70, billing=(0.70, 20), staff=(0.70, 20), parking=(0.5, 3))
    result = compare(current, candidate, Gate())
    assert result.passed is passed
    assert (reason in result.reasons) if reason else not result.reasons


def test_gate_tolerances_are_configurable():
    current = _metrics(0.70, billing=(0.70, 20))
    candidate = _metrics(0.68, billing=(0.60, 20))
    assert not compare(current, candidate).passed
    assert compare(current, candidate, Gate(max_macro_drop=0.05, max_label_drop=0.2)).passed
    gated = compare(current, candidate, Gate(max_macro_drop=0.05, min_label_support=25)).table
    assert gated.loc[0, "gated"] == False  # noqa: E712 - numpy bool


# -- label validation -----------------------------------------------------------------------
def test_label_problems_are_reported_by_row(corpus, tmp_path, capsys):
    real = pd.read_json(corpus["real"] / "labels.jsonl", lines=True)
    first = real.iloc[0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "x-1", "text": "The wifi password never worked", "labels": "wifi:negative", "split": "train"},
                first.to_dict(),  # exact duplicate: warning, kept once
                {"id": "x-3", "text": first["text"], "labels": "parking:positive", "split": "train"},  # conflict
            ]
        )
        + "\n"
    )
    registry = tmp_path / "models"
    args = ["retrain", "--data", str(corpus["real"]), "--new", str(bad), "--registry", str(registry)]
    assert main([*args, "--log-format", "json"]) == EXIT_USER_ERROR
    out = capsys.readouterr()
    events = _events(out.out)
    assert [e["event"] for e in events] == ["started", "validated", "failed"]
    problems = {(p["file"], p["row"], p["severity"]) for p in events[1]["problems"]}
    assert {("bad.jsonl", 1, "error"), ("bad.jsonl", 2, "warning"), ("bad.jsonl", 3, "error")} <= problems
    assert events[2]["exit_code"] == EXIT_USER_ERROR
    err = out.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("touchtext: error: ") and "bad.jsonl row 1" in err[0]
    assert not (registry / "registry.json").exists()  # nothing trained, nothing registered


def test_touchpoint_with_too_few_examples_is_fatal_and_named_by_row(corpus, tmp_path):
    rows = pd.read_json(corpus["real"] / "labels.jsonl", lines=True)
    carriers = [i for i, cell in rows["labels"].items() if "contract" in cell and rows.at[i, "split"] == "train"]
    kept = rows.drop(index=carriers[2:])
    path = tmp_path / "few.jsonl"
    kept.to_json(path, orient="records", lines=True)
    labeled, problems = check_labels([path])
    assert labeled is None
    errors = problems[problems["severity"] == "error"]
    expected_rows = [kept.index.get_loc(i) + 1 for i in carriers[:2]]
    assert sorted(errors["row"]) == expected_rows
    assert errors["problem"].str.contains("touchpoint 'contract' has only 2 training example").all()


# -- promotion ------------------------------------------------------------------------------
def test_better_candidate_is_promoted_with_a_json_log(corpus, weak_model_dir, tmp_path, capsys):
    registry = _registry(tmp_path / "models", weak_model_dir)
    args = ["retrain", "--data", str(corpus["base"]), "--new", str(corpus["new"]), "--registry", str(registry.root)]
    assert main([*args, "--log-format", "json"]) == 0
    events = _events(capsys.readouterr().out)
    assert [e["event"] for e in events] == ["started", "validated", "trained", "evaluated", "promoted"]
    assert all(e["time"].endswith("+00:00") for e in events)
    evaluated = events[3]
    assert evaluated["held_out"]["n_items"] == 150 and evaluated["current"]["version"] == "v0001"
    assert evaluated["candidate"]["macro_f1"] > evaluated["current"]["macro_f1"] + 0.1
    assert len(evaluated["table"]) == 18 and all(r["passed"] for r in evaluated["table"])
    assert events[4]["version"] == "v0002" and events[4]["previous"] == "v0001"
    state = registry.state()
    assert (state["current"], state["previous"]) == ("v0002", "v0001")
    record = state["versions"]["v0002"]
    assert record["origin"] == "retrain" and record["metrics"]["n_items"] == 150
    assert record["metrics"]["held_out_sha256"] == evaluated["held_out"]["sha256"]
    assert record["card"]["n_train"] == 350
    # The new version carries a drift profile of its held-out rows, so `drift` needs no reference.
    pets = tmp_path / "pets.csv"
    pd.DataFrame({"text": PET_GROOMING}).to_csv(pets, index=False)
    assert main(["drift", "--data", str(pets), "--registry", str(registry.root), "--log-format", "json"]) == 0
    (report,) = _events(capsys.readouterr().out)
    assert report["event"] == "drift" and report["n_new"] == 40
    assert 145 <= report["n_reference"] <= 150  # held-out rows with text left after cleaning
    # Rollback restores the previous version.
    assert main(["models", "rollback", "--registry", str(registry.root)]) == 0
    assert registry.current() == "v0001"
    assert registry.load()[1]["model_sha256"] == state["versions"]["v0001"]["model_sha256"]


def test_worse_candidate_is_refused_and_current_model_is_unchanged(corpus, small_model_dir, tmp_path, capsys):
    registry = _registry(tmp_path / "models", small_model_dir)
    before = _digest(registry.path("v0001"))
    args = ["retrain", "--data", str(corpus["shuffled"]), "--registry", str(registry.root)]
    assert main(args) == EXIT_KEPT_CURRENT
    out = capsys.readouterr().out
    assert "Kept the current model v0001: macro-F1 fell" in out
    assert "DROP" in out and "macro-F1" in out.splitlines()[-3]
    assert _digest(registry.path("v0001")) == before  # byte for byte
    assert registry.current() == "v0001" and registry.versions() == ["v0001"]
    assert sorted(p.name for p in (registry.root / "versions").iterdir()) == ["v0001"]
    last = registry.state()["history"][-1]
    assert last["event"] == "kept_current" and last["reasons"][0].startswith("macro-F1 fell")


def test_retrain_api_reports_events_and_result(corpus, small_model_dir, tmp_path):
    registry = _registry(tmp_path / "models", small_model_dir)
    seen: list[str] = []
    result = retrain(corpus["shuffled"], registry=registry, on_event=lambda event, _: seen.append(event))
    assert seen == ["started", "validated", "trained", "evaluated", "kept_current"]
    assert not result.promoted and result.current == result.baseline == "v0001"
    assert result.comparison.macro_change < -0.1


def test_retraining_keeps_the_current_model_language(tmp_path):
    """A registry serving a German model retrains a German candidate (English would refuse the texts)."""
    german = DATA / "german_labels.jsonl"
    seed = train(load_labeled(german), language="de")
    registry = _registry(tmp_path / "models", save_model(seed.model, seed.card, tmp_path / "seed"))
    result = retrain(german, registry=registry, force=True)
    assert result.comparison is not None and result.comparison.macro_change == pytest.approx(0.0)
    model, card = registry.load(result.current)
    assert model.processor.settings.lang == "de" and card["settings"]["language"]["lang"] == "de"


def test_retrain_switches_an_english_registry_to_german(tmp_path, capsys):
    """An empty registry starts from the shipped English model; `--language de` trains a German
    candidate, which beats the English model on German held-out texts. Without it the texts are refused."""
    registry = str(tmp_path / "models")
    german = ["retrain", "--data", str(DATA / "german_labels.jsonl"), "--registry", registry]
    assert main([*german, "--log-format", "json"]) == EXIT_USER_ERROR
    assert "--language de" in capsys.readouterr().out
    assert main([*german, "--language", "DE", "--log-format", "json"]) == 0
    events = _events(capsys.readouterr().out)
    assert [e["language"] for e in events if e["event"] == "trained"] == ["de"]
    model, _ = ModelRegistry(tmp_path / "models").load(events[-1]["version"])
    assert model.processor.settings.lang == "de"


def test_unchanged_data_is_not_retrained(labeled_corpus, small_model_dir, tmp_path, capsys):
    """The small session model's exact training data: a nightly job with no new labels does nothing."""
    registry = _registry(tmp_path / "models", small_model_dir)
    train_rows = labeled_corpus[labeled_corpus["split"] == "train"].head(500)
    same = _write(
        tmp_path / "same.jsonl", pd.concat([train_rows, labeled_corpus[labeled_corpus["split"] == "test"].head(150)])
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()  # an empty inbox of new labels is a normal night, not an error
    args = ["retrain", "--data", str(same), "--new", str(inbox), "--registry", str(registry.root)]
    assert main([*args, "--log-format", "json"]) == EXIT_KEPT_CURRENT
    events = _events(capsys.readouterr().out)
    assert [e["event"] for e in events] == ["started", "validated", "kept_current"]
    assert events[-1]["unchanged"] is True and "has not changed since v0001" in events[-1]["reasons"][0]
    assert registry.versions() == ["v0001"]


def test_retrain_waiting_for_the_lock_exits_5(corpus, weak_model_dir, tmp_path, capsys):
    registry = _registry(tmp_path / "models", weak_model_dir)
    args = ["retrain", "--data", str(corpus["real"]), "--registry", str(registry.root), "--lock-timeout", "0.2"]
    with ModelRegistry(registry.root).locked(purpose="retrain"):
        assert main([*args, "--log-format", "json"]) == EXIT_LOCKED
    out = capsys.readouterr()
    events = _events(out.out)
    assert [e["event"] for e in events] == ["started", "failed"] and events[1]["exit_code"] == EXIT_LOCKED
    assert "locked by another touchtext job" in events[1]["error"]
    assert len(out.err.strip().splitlines()) == 1


def test_two_concurrent_retrains_do_not_corrupt_the_registry(corpus, weak_model_dir, tmp_path):
    registry = _registry(tmp_path / "models", weak_model_dir)
    command = [sys.executable, "-m", "touchtext", "retrain", "--data", str(corpus["real"]), "--registry",
               str(registry.root), "--log-format", "json", "--lock-timeout", "600", "--force"]  # fmt: skip
    jobs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            for _ in range(2)]  # fmt: skip
    outputs = [job.communicate(timeout=900) for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], [err for _, err in outputs]
    logs = [_events(out) for out, _ in outputs]
    # Serialized by the lock: one job compared with v0001 and made v0002, the other with v0002.
    compared = sorted(next(e for e in log if e["event"] == "evaluated")["current"]["version"] for log in logs)
    promoted = sorted(log[-1]["version"] for log in logs)
    assert compared == ["v0001", "v0002"] and promoted == ["v0002", "v0003"]
    state = json.loads(registry.file.read_text())
    assert (state["current"], state["previous"]) == ("v0003", "v0002")
    assert sorted(state["versions"]) == ["v0001", "v0002", "v0003"]
    for version in state["versions"]:
        registry.verify(version)
    promotions = [(e["version"], e["from"]) for e in state["history"] if e["event"] == "promoted"]
    assert promotions == [("v0001", None), ("v0002", "v0001"), ("v0003", "v0002")]


# -- drift ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def held_out_profiles(shipped_model, labeled_corpus):
    """The shipped model's profiles of two disjoint halves of the held-out rows."""
    model, _ = shipped_model
    test_rows = labeled_corpus[labeled_corpus["split"] == "test"]
    half = test_rows["id"].map(lambda i: int(hashlib.sha256(i.encode()).hexdigest(), 16) % 2 == 0)
    return drift_profile(model, cleaned_texts(test_rows[half])), drift_profile(model, cleaned_texts(test_rows[~half]))


def test_drift_ok_on_data_like_the_training_data(held_out_profiles):
    report = drift(*held_out_profiles)
    assert report.verdict == "ok", report.reasons
    assert report.metrics["mix_distance"] < 0.2


def test_drift_advises_relabeling_for_a_new_business(shipped_model, held_out_profiles):
    new = drift_profile(shipped_model[0], cleaned_texts(pd.DataFrame({"text": PET_GROOMING})))
    report = drift(held_out_profiles[0], new)
    assert report.verdict == "relabel advised"
    assert any(r.startswith("unknown-word rate rose") for r in report.reasons)
    assert report.metrics["oov_rate_new"] > report.metrics["oov_rate_reference"] + 0.1


def test_drift_advises_retraining_when_the_mix_moves(
    shipped_model, held_out_profiles, labeled_corpus, capsys, tmp_path, monkeypatch
):
    """The hotel sample: known words, confident predictions, a very different touchpoint mix."""
    monkeypatch.setenv("TOUCHTEXT_MODELS", str(tmp_path / "no-registry"))
    args = [
        "drift",
        "--data",
        str(ROOT / "data" / "samples" / "reviews.csv"),
        "--reference",
        str(ROOT / "data" / "labeled"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    # 340 rows: 1 empty, 2 emoji or punctuation only
    reference = int(re.match(r"337 new items vs (\d+) reference items", out).group(1))
    held_out = int((labeled_corpus["split"] == "test").sum())
    assert held_out - 5 <= reference <= held_out  # held-out rows with text left after cleaning
    assert "Verdict: retrain advised" in out and "touchpoint mix moved (Jensen-Shannon distance" in out


def test_drift_without_a_reference_profile_says_how_to_give_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOUCHTEXT_MODELS", str(tmp_path / "no-registry"))
    pets = tmp_path / "pets.csv"
    pd.DataFrame({"text": PET_GROOMING}).to_csv(pets, index=False)
    assert main(["drift", "--data", str(pets)]) == EXIT_USER_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no stored drift profile" in err[0] and "--reference data/labeled" in err[0]


def test_drift_needs_enough_items(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOUCHTEXT_MODELS", str(tmp_path / "no-registry"))
    few = tmp_path / "few.csv"
    pd.DataFrame({"text": PET_GROOMING[:5]}).to_csv(few, index=False)
    assert main(["drift", "--data", str(few), "--reference", str(ROOT / "data" / "labeled")]) == EXIT_USER_ERROR
    assert "drift needs at least 30" in capsys.readouterr().err
