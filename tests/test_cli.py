import json
import re
import shutil

import pandas as pd
import pytest

from tests.conftest import DATA, ROOT, run_cli
from touchtext.pipeline import SUMMARY_FILES

SAMPLES = ROOT / "data" / "samples"
COMMANDS = ["run", "classify", "clean", "summarize", "train", "evaluate", "check-labels", "bootstrap", "suggest"]


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("touchtext, version ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "Example: touchtext " + command in result.stdout


def test_run_on_the_shipped_sample(tmp_path):
    result = run_cli("run", str(SAMPLES / "reviews.csv"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Classified" in result.stdout and "negative" in result.stdout
    source = pd.read_csv(SAMPLES / "reviews.csv", dtype=str, keep_default_na=False)
    classified = pd.read_csv(tmp_path / "classified.csv", dtype=str, keep_default_na=False)
    assert len(classified) == len(source)
    assert classified["review_id"].tolist() == source["review_id"].tolist()
    assert set(classified["status"]) <= {"ok", "unclear", "empty", "unsupported_language"}
    foreign = classified.loc[classified["status"] == "unsupported_language", "review_id"].tolist()
    assert foreign == ["R-100517", "R-100526", "R-100581", "R-101069", "R-101898"]  # in Dutch and Portuguese


def test_summarize_rebuilds_the_summary_from_classified(tmp_path):
    """`summarize` on classified.csv gives the same summary files as `run` (nothing needs the original)."""
    by = ("--by", "location")
    assert run_cli("run", str(SAMPLES / "reviews.csv"), "--out", str(tmp_path / "a"), *by).returncode == 0
    result = run_cli("summarize", str(tmp_path / "a" / "classified.csv"), "--out", str(tmp_path / "b"), *by)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(SUMMARY_FILES)
    first = pd.read_csv(tmp_path / "a" / "summary.csv")
    second = pd.read_csv(tmp_path / "b" / "summary.csv")
    pd.testing.assert_frame_equal(first, second)
    documents = [json.loads((tmp_path / d / "summary.json").read_text(encoding="utf-8")) for d in "ab"]
    assert documents[0] == documents[1]
    assert {"Rotterdam Central", "Porto Ribeira"} <= {r["location"] for r in documents[1]["rollups"]["location"]}


def test_classify_command(tmp_path):
    out = tmp_path / "c.csv"
    result = run_cli("classify", str(SAMPLES / "tickets.jsonl"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(out)) == len((SAMPLES / "tickets.jsonl").read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(
    ("make_input", "extra", "message"),
    [
        (lambda d: d / "missing.csv", [], "touchtext: error: Input file '{p}' does not exist; check the path."),
        (
            lambda d: _write(d / "x.pdf", b"%PDF-1.7"),
            [],
            "touchtext: error: Cannot read 'x.pdf': unsupported file type '.pdf'",
        ),
        (
            lambda d: _write(d / "n.csv", b"id,score\n1,3\n2,4\n"),
            [],
            "touchtext: error: Could not find a text column; the input has columns: id, score.",
        ),
        (
            lambda d: _write(d / "t.csv", b"id,review_text\n1,fine stay\n"),
            ["--text-col", "review"],
            "touchtext: error: Text column 'review' not found; the input has columns: id, review_text. "
            "Did you mean 'review_text'?",
        ),
    ],
)
def test_bad_input_is_one_clean_line(tmp_path, make_input, extra, message):
    p = make_input(tmp_path)
    result = run_cli("run", str(p), "--out", str(tmp_path / "out"), *extra)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message.format(p=p)] or result.stderr.startswith(message.format(p=p))
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_tampered_model_exits_2(model_copy, tmp_path):
    (model_copy / "model.joblib").write_bytes(b"not a model")
    result = run_cli("run", str(SAMPLES / "reviews.csv"), "--out", str(tmp_path), "--model", str(model_copy))
    assert result.returncode == 2
    assert "does not match its model card" in result.stderr


def test_usage_error_exits_2():
    result = run_cli("run")
    assert result.returncode == 2
    assert "Missing argument 'INPUT'" in result.stderr


def test_train_command_writes_a_model(tmp_path, labeled_corpus):
    data = tmp_path / "labels.jsonl"
    subset = pd.concat(
        [
            labeled_corpus[labeled_corpus["split"] == "train"].head(300),
            labeled_corpus[labeled_corpus["split"] == "test"].head(80),
        ]
    )
    with open(data, "w", encoding="utf-8") as fh:
        for row in subset.itertuples():
            cell = "|".join(f"{t}:{s}" if s else t for t, s in row.labels.items()) or "none"
            fh.write(json.dumps({"id": row.id, "text": row.text, "labels": cell, "split": row.split}) + "\n")
    result = run_cli("train", "--data", str(data), "--out", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    assert "macro-F1" in result.stdout and "sentiment accuracy" in result.stdout
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["data"]["n_train"] == 300 and card["data"]["n_test"] == 80
    run = run_cli(
        "run",
        str(SAMPLES / "reviews.csv"),
        "--out",
        str(tmp_path / "o"),
        "--model",
        str(tmp_path / "m"),
        "--trust-model",
    )
    assert run.returncode == 0, run.stderr


def test_unexpected_errors_point_to_debug(tmp_path, model_copy):
    shutil.rmtree(tmp_path / "model", ignore_errors=True)
    bad = tmp_path / "bad_model"
    bad.mkdir()
    (bad / "model.joblib").write_bytes(b"garbage")
    import hashlib

    digest = hashlib.sha256(b"garbage").hexdigest()
    (bad / "model_card.json").write_text(json.dumps({"model_sha256": digest}))
    trusted = ("--model", str(bad), "--trust-model")  # trusted, so it is unpickled and fails unexpectedly
    result = run_cli("run", str(SAMPLES / "reviews.csv"), "--out", str(tmp_path / "o"), *trusted)
    assert result.returncode == 1
    assert "rerun with --debug for the traceback" in result.stderr
    debug = run_cli("--debug", "run", str(SAMPLES / "reviews.csv"), "--out", str(tmp_path / "o"), *trusted)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_clean_command_writes_rows_turns_and_sentences(tmp_path):
    out, turns_file, sentences_file = tmp_path / "c.csv", tmp_path / "t.csv", tmp_path / "s.csv"
    result = run_cli("clean", str(SAMPLES / "transcripts.jsonl"), "--out", str(out), "--turns", str(turns_file),
                     "--sentences", str(sentences_file))  # fmt: skip
    assert result.returncode == 0, result.stderr
    cleaned = pd.read_csv(out, dtype=str, keep_default_na=False)
    source = read_jsonl(SAMPLES / "transcripts.jsonl")
    assert len(cleaned) == len(source)
    assert set(cleaned["source_kind"]) == {"transcript"}
    turns = pd.read_csv(turns_file)
    assert set(turns["role"]) >= {"agent", "customer"}
    assert set(turns["row_id"]) == set(range(1, len(source) + 1))
    sentences = pd.read_csv(sentences_file, dtype={"text": str}, keep_default_na=False)
    raw = dict(enumerate((r["transcript"] for r in source), 1))
    for row in sentences.head(200).to_dict("records"):
        span = raw[row["row_id"]][row["original_start"] : row["original_end"]]
        assert row["text"].split("[")[0][:8] in span  # placeholders aside, the sentence is where it says


def test_keep_pii_flag(tmp_path):
    data = tmp_path / "r.csv"
    data.write_text("id,text\n1,call me on 07700 900123\n", encoding="utf-8")
    redacted = run_cli("clean", str(data), "--out", str(tmp_path / "a.csv"))
    kept = run_cli("clean", str(data), "--out", str(tmp_path / "b.csv"), "--keep-pii")
    assert redacted.returncode == kept.returncode == 0
    assert pd.read_csv(tmp_path / "a.csv")["clean_text"][0] == "call me on [PHONE]"
    assert pd.read_csv(tmp_path / "b.csv")["clean_text"][0] == "call me on 07700 900123"


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_alert_exit_code_and_file(tmp_path):
    source = pd.read_csv(SAMPLES / "reviews.csv", dtype=str, keep_default_na=False)
    for last_day, story in (("2026-08-31", "parking"), ("2026-09-30", "billing")):
        # the Rotterdam car park closed in August; Porto's billing went wrong in September
        upto = tmp_path / f"upto-{last_day}.csv"
        source[source["date"] <= last_day].to_csv(upto, index=False)
        result = run_cli("run", str(upto), "--out", str(tmp_path / last_day), "--alert", "--quiet")
        assert result.returncode == 3, result.stderr
        alerted = json.loads((tmp_path / last_day / "alerts.json").read_text())["alerts"]
        assert {a["touchpoint"] for a in alerted} == {story} and alerted[0]["period"] == last_day[:7]
        assert f"ALERT: {story} complaints rose" in result.stderr
    segmented = run_cli(
        "run", str(SAMPLES / "reviews.csv"), "--out", str(tmp_path / "p"), "--quiet", "--by", "location"
    )
    assert segmented.returncode == 0 and not (tmp_path / "p" / "alerts.json").exists()  # no --alert, no alerts
    rollups = json.loads((tmp_path / "p" / "summary.json").read_text())["rollups"]
    assert set(rollups) == {"stage", "facing", "location"}


def test_train_in_another_language(tmp_path):
    german = ["--data", str(DATA / "german_labels.jsonl"), "--taxonomy", str(DATA / "german_taxonomy.toml")]
    trained = run_cli("train", *german, "--language", "de", "--out", str(tmp_path / "m"))
    assert trained.returncode == 0, trained.stderr
    assert "(language: de)" in trained.stdout and "Warning" not in trained.stderr  # no word on unused touchpoints
    assert "- Language: de" in (tmp_path / "m" / "model_card.md").read_text()
    refused = run_cli("train", *german, "--out", str(tmp_path / "en"))
    assert refused.returncode != 0 and "--language de" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "en").exists()
    unknown = run_cli("train", *german, "--language", "xx", "--out", str(tmp_path / "xx"))
    assert unknown.returncode == 2 and "'xx' is not one of 'en', 'de'" in unknown.stderr


def test_check_labels_in_another_language():
    german = ["--data", str(DATA / "german_labels.jsonl"), "--taxonomy", str(DATA / "german_taxonomy.toml")]
    checked = run_cli("check-labels", *german, "--language", "de")
    assert checked.returncode == 0, checked.stderr
    assert "Format: 0 error(s)" in checked.stdout and "Likely mislabeled" in checked.stdout
    refused = run_cli("check-labels", *german)
    assert refused.returncode != 0 and "--language de" in refused.stderr


def test_train_evaluate_and_classify_with_a_custom_taxonomy(tmp_path):
    """Anyone's labels: a 3-touchpoint taxonomy, labels in a 'tags' column, moods in another."""
    gym = ["--data", str(DATA / "gym_labels.csv"), "--text-col", "comment", "--labels-col", "tags",
           "--sentiment-col", "mood"]  # fmt: skip
    trained = run_cli("train", *gym, "--taxonomy", str(DATA / "gym_taxonomy.toml"), "--out", str(tmp_path / "m"))
    assert trained.returncode == 0, trained.stderr
    assert "cross-validation on the training items" in trained.stdout and "fees" in trained.stdout
    model = ["--model", str(tmp_path / "m"), "--trust-model"]  # a model we just trained ourselves
    evaluated = run_cli("evaluate", *model, *gym, "--out", str(tmp_path / "metrics.json"))
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["per_touchpoint"]) == {"classes", "equipment", "fees"} and "confused_pairs" in metrics
    assert f"macro-F1 {metrics['macro_f1']:.3f}" in evaluated.stdout
    new = tmp_path / "new.csv"
    pd.DataFrame({"comment": ["Spin class cancelled again. And the showers are freezing.", "ok"]}).to_csv(new)
    out, sentences = tmp_path / "c.csv", tmp_path / "s.csv"
    classified = run_cli(
        "classify", str(new), "--out", str(out), *model, "--explain", "3", "--sentences", str(sentences)
    )
    assert classified.returncode == 0, classified.stderr
    rows = pd.read_csv(out, keep_default_na=False)
    assert {"needs_review", "review_reason", "explanation"} <= set(rows.columns) and len(rows) == 2
    assert rows.loc[0, "explanation"].split(":")[0] in {"classes", "equipment", "fees"}
    table = pd.read_csv(sentences)
    assert set(table["row_id"]) <= {1, 2} and (table["end"] > table["start"]).all()


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("billing:negative|invoices", r"labels.csv row 2: unknown touchpoint 'invoices'"),
        ("", r"labels.csv row 2: empty label cell; write `none`"),
        ("parking:negative", r"fewer than 3 training examples: .*parking \(1: labels.csv row 2\)"),
    ],
)
def test_bad_label_files_exit_2_naming_the_rows(tmp_path, labeled_corpus, cell, message):
    rows = labeled_corpus[[("parking" not in labels) for labels in labeled_corpus["labels"]]].head(40)
    cells = ["|".join(f"{t}:{s}" if s else t for t, s in labels.items()) or "none" for labels in rows["labels"]]
    cells[1] = cell
    data = tmp_path / "labels.csv"
    pd.DataFrame({"text": rows["text"], "labels": cells, "split": "train"}).to_csv(data, index=False)
    result = run_cli("train", "--data", str(data), "--out", str(tmp_path / "m"))
    assert result.returncode == 2 and result.stdout == ""
    assert re.search(message, result.stderr), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "m").exists()


def test_check_labels_reports_rows_then_likely_mislabeled_items(tmp_path):
    gym = ("--text-col", "comment", "--labels-col", "tags", "--sentiment-col", "mood",
           "--taxonomy", str(DATA / "gym_taxonomy.toml"))  # fmt: skip
    broken = tmp_path / "broken.csv"
    pd.read_csv(DATA / "gym_labels.csv").assign(tags=lambda d: d["tags"].where(d.index != 4, "clases")).to_csv(
        broken, index=False
    )
    bad = run_cli("check-labels", "--data", str(broken), *gym)
    assert bad.returncode == 2 and "error: broken.csv row 5: unknown touchpoint 'clases'" in bad.stdout
    out = tmp_path / "issues.csv"
    good = run_cli("check-labels", "--data", str(DATA / "gym_labels.csv"), *gym, "--out", str(out))
    assert good.returncode == 0, good.stderr
    assert "Format: 0 error(s)" in good.stdout and "Likely mislabeled:" in good.stdout and out.exists()


def test_classify_and_clean_keep_unparsed_rows_or_stop_with_strict(tmp_path):
    data = tmp_path / "export.jsonl"
    data.write_text('{"text": "Lost my bag"}\n{"text": broken\n{"text": "Rude staff"}\n', encoding="utf-8")
    out, errors = tmp_path / "c.csv", tmp_path / "e.csv"
    result = run_cli("classify", str(data), "--out", str(out), "--errors", str(errors))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        f"touchtext: warning: 1 row(s) could not be parsed (line 2); they are kept with status parse_error; "
        f"details in {errors} (--strict stops instead)"
    )
    assert pd.read_csv(out, keep_default_na=False)["status"].tolist()[1] == "parse_error"
    assert pd.read_csv(errors)[["row_id", "line"]].values.tolist() == [[2, 2]]
    strict = run_cli("clean", str(data), "--out", str(tmp_path / "clean.csv"), "--strict")
    assert strict.returncode == 2 and not (tmp_path / "clean.csv").exists()
    assert strict.stderr.strip().splitlines() == [
        f"touchtext: error: {data}, line 2: invalid JSON (Expecting value); fix or remove that line."
    ]
