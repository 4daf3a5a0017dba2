import copy
import json
import re
import sys

import pandas as pd
import pytest

from touchtext.pipeline import OUTPUT_FILES, classify, run
from touchtext.summaries import mentions


@pytest.fixture
def messy_reviews(tmp_path):
    df = pd.DataFrame(
        {
            "review_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
            "rating": ["1", "5", "3", "2", "4", "1"],
            "review_text": [
                "They charged my card twice and the invoice still shows the wrong amount!!",
                "<p>Breakfast was superb &amp; the staff couldn't do enough for us</p>",
                "",
                "asdfgh",
                "Parking was impossible, the car park was full and the signs were useless",
                None,
            ],
        }
    )
    p = tmp_path / "reviews.csv"
    df.to_csv(p, index=False)
    return p


def test_classify_keeps_every_row_in_order(shipped_model, messy_reviews):
    from touchtext.io import read_table

    table = read_table(messy_reviews)
    out = classify(table, model=shipped_model[0])
    assert len(out) == len(table)
    assert out["review_id"].tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert out["row_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert out["status"].tolist()[2] == "empty" and out["status"].tolist()[5] == "empty"
    assert out.loc[0, "status"] == "ok" and "billing:negative" in out.loc[0, "sentiments"]
    assert out.loc[3, "status"] == "unclear" and out.loc[3, "touchpoints"] == ""
    assert "parking:negative" in out.loc[4, "sentiments"]
    assert out.loc[1, "clean_text"].startswith("Breakfast was superb & the staff")
    for cell, text in zip(out["mentions"], out["clean_text"], strict=True):
        for m in json.loads(cell):
            for span in m["evidence"]:
                assert text[span["start"] : span["end"]] == span["text"]


def test_classify_accepts_a_plain_dataframe(shipped_model):
    out = classify(pd.DataFrame({"comment": ["Lost my luggage on the way to Lisbon."]}), model=shipped_model[0])
    assert out.loc[0, "row_id"] == 1
    assert "baggage" in out.loc[0, "touchpoints"]


def test_classify_keeps_input_columns_named_like_its_own(shipped_model):
    df = pd.DataFrame({"text": ["The invoice was wrong twice and nobody answered."], "language": ["English (UK)"],
                       "status": ["open"], "row_id": [41]})  # fmt: skip
    out = classify(df, model=shipped_model[0])
    assert out.columns.is_unique
    assert out.loc[0, ["language_input", "status_input", "row_id"]].tolist() == ["English (UK)", "open", 41]
    assert out.loc[0, "language"] == "en" and out.loc[0, "status"] == "ok"
    again = classify(out, model=shipped_model[0])  # a classified frame classified again loses nothing either
    assert again.columns.is_unique
    assert again.loc[0, ["language_input", "language_input_2", "touchpoints_input"]].tolist() == [
        "English (UK)",
        "en",
        out.loc[0, "touchpoints"],
    ]
    assert again.loc[0, "touchpoints"] == out.loc[0, "touchpoints"]


def test_run_writes_all_outputs(shipped_model, messy_reviews, tmp_path):
    out_dir = tmp_path / "out"
    result = run(messy_reviews, out_dir, model=shipped_model[0])
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUT_FILES)
    back = pd.read_csv(out_dir / "classified.csv", dtype=str, keep_default_na=False)
    assert back["review_id"].tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert len(pd.read_csv(out_dir / "mentions.csv")) == len(mentions(result.classified))
    summary = pd.read_csv(out_dir / "summary.csv")
    assert summary["pain_rank"].tolist() == list(range(1, len(summary) + 1))
    assert "Touchpoint pain points" in (out_dir / "summary.md").read_text()
    assert "Billing" in result.terminal_table()


def test_tickets_transcripts_and_auto_replies(shipped_model):
    df = pd.DataFrame({
        "subject": ["Automatic reply: Out of office", "Charged twice"],
        "body": ["I am out of the office until Monday.", "You took my direct debit twice this month.\n\nThanks,\nJo"],
    })  # fmt: skip
    out = classify(df, model=shipped_model[0])
    assert out["status"].tolist() == ["auto_reply", "ok"]
    assert out.loc[0, "touchpoints"] == "" and "automatic reply" in out.loc[0, "status_reason"]
    assert out.loc[1, "clean_text"] == "Charged twice.\nYou took my direct debit twice this month."
    assert "billing" in out.loc[1, "touchpoints"]
    calls = pd.DataFrame({"transcript": ["Agent: Thanks for calling, how can I help?\nCustomer: my bag never arrived, "
                                         "call me on 07700 900123"]})  # fmt: skip
    out = classify(calls, model=shipped_model[0])
    assert out.loc[0, "clean_text"] == "my bag never arrived, call me on [PHONE]"
    assert out.loc[0, "pii_redacted"] == "PHONE" and "baggage" in out.loc[0, "touchpoints"]


def test_the_mentions_kept_while_classifying_are_what_the_mentions_json_reads_back(shipped_model, messy_reviews):
    """Streamed runs build their mention and sentence tables from the mentions kept by _classify
    instead of parsing the MENTIONS JSON again: the two must be the same, row for row."""
    from touchtext import schema
    from touchtext.io import read_table
    from touchtext.pipeline import _classify

    for df in (read_table("data/samples/reviews.csv").head(120), read_table(messy_reviews),
               read_table("data/samples/tickets.jsonl").head(40)):  # fmt: skip
        out, decoded = _classify(df, text_column=None, model=shipped_model[0], source="auto", cleaning=None, explain=0)
        read_back = schema.decode_mentions(out)
        assert decoded == schema.MentionRows.from_decoded(read_back)
        assert decoded.row_id
        for table in (schema.mention_table, schema.sentence_table):
            kept, decoded_json = table(out, decoded=decoded), table(out, decoded=read_back)
            assert kept.equals(decoded_json) and list(kept.dtypes) == list(decoded_json.dtypes)


# -- statuses for bad and hostile input (issue 9) -----------------------------------------------------
def test_every_status_with_its_reason(shipped_model, tmp_path):
    from touchtext.cleaning import CleaningSettings
    from touchtext.io import read_table_with_errors

    long_billing = "They charged my card twice and the invoice is wrong. " * 10  # 530 characters
    long_noise = "zzz qqq www. " * 50
    p = tmp_path / "mixed.csv"
    p.write_text(
        "id,text\n"
        f"1,{long_billing}\n"
        f"2,{long_noise}\n"
        "3,Das Zimmer war schmutzig und das Personal unfreundlich\n"
        "4,Great room, bad breakfast\n"
        "5,👍👍\n"
        "6,\n"
        "7,Lost my luggage on the way to Lisbon.\n",
        encoding="utf-8",
    )
    settings = CleaningSettings(max_chars=200)
    out = classify(read_table_with_errors(p).table, model=shipped_model[0], cleaning=settings)
    assert out["id"].fillna("").tolist() == ["1", "2", "3", "", "5", "6", "7"]
    assert out["status"].tolist() == ["too_long_truncated", "too_long_truncated", "unsupported_language",
                                      "parse_error", "empty", "empty", "ok"]  # fmt: skip
    reasons = out["status_reason"].tolist()
    assert re.fullmatch(r"truncated from 530 to 1\d\d characters; touchpoints: .*billing.*", reasons[0]), reasons[0]
    assert re.fullmatch(
        r"truncated from 650 to 1\d\d characters; no touchpoint above its decision threshold", reasons[1]
    )
    assert reasons[2] == "written in German (de); the model covers English (en) only"
    assert (
        reasons[3]
        == "the input row could not be parsed (line 5: 3 fields, but the header has 2 (an unquoted ',' in the text?))"
    )
    assert reasons[4] == "no words to classify after cleaning (only emoji, symbols or punctuation)"
    assert reasons[5] == "the text cell is empty or missing" and reasons[6] == ""
    assert out.loc[0, "clean_text"].endswith(".") and len(out.loc[0, "clean_text"]) <= 200
    assert "billing" in out.loc[0, "touchpoints"] and out.loc[2, "touchpoints"] == "" and out.loc[2, "language"] == "de"
    # a truncated item was classified: it counts as analysed in the summaries, the others do not
    from touchtext.summaries import summary_tables

    tables = summary_tables(out)
    assert tables.status_counts["too_long_truncated"] == 2
    billing = tables.summary.set_index("touchpoint").loc["billing"]
    assert billing["mentions"] >= 1 and billing["share"] == pytest.approx(billing["mentions"] / 3)  # 3 analysed rows


def test_parse_errors_go_to_errors_csv_and_strict_writes_nothing(shipped_model, tmp_path):
    from touchtext.errors import InputError

    p = tmp_path / "broken.jsonl"
    p.write_text('{"text": "Lost my bag"}\n{"text": oops}\n{"text": "Rude staff"}\n', encoding="utf-8")
    result = run(p, tmp_path / "out", model=shipped_model[0])
    errors = pd.read_csv(tmp_path / "out" / "errors.csv", dtype=str, keep_default_na=False)
    assert errors.to_dict("records") == [{"row_id": "2", "line": "2", "problem": "invalid JSON (Expecting value)",
                                          "excerpt": '{"text": oops}'}]  # fmt: skip
    assert result.classified["status"].tolist()[1] == "parse_error"
    with pytest.raises(InputError, match=r"broken.jsonl, line 2: invalid JSON \(Expecting value\); fix or remove"):
        run(p, tmp_path / "strict", model=shipped_model[0], strict=True)
    assert not (tmp_path / "strict").exists()


def test_an_interrupted_run_leaves_no_partial_file(shipped_model, messy_reviews, tmp_path, monkeypatch):
    """Ctrl-C while the report is being written: every file at its final path is whole (or absent)."""
    import touchtext.pipeline as pipeline

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "report.html").write_text("<p>yesterday's report</p>", encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    real_write_text = pipeline.write_text

    def write_half(text, path):
        if str(path).endswith("report.html"):
            with pipeline.atomic_path(path) as tmp:  # type: ignore[attr-defined]
                tmp.write_text(text[: len(text) // 2], encoding="utf-8")
                interrupted()
        return real_write_text(text, path)

    monkeypatch.setattr(pipeline, "write_text", write_half)
    monkeypatch.setattr(
        pipeline, "atomic_path", __import__("touchtext.io", fromlist=["atomic_path"]).atomic_path, raising=False
    )
    with pytest.raises(KeyboardInterrupt):
        run(messy_reviews, out_dir, model=shipped_model[0])
    names = sorted(p.name for p in out_dir.iterdir())
    assert not [n for n in names if n.endswith(".tmp")]  # no temporary file left behind
    assert (out_dir / "report.html").read_text(encoding="utf-8") == "<p>yesterday's report</p>"
    classified = pd.read_csv(out_dir / "classified.csv", dtype=str, keep_default_na=False)
    assert classified["review_id"].tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]  # written whole before the stop


# -- streaming ---------------------------------------------------------------------------------
ROW_FILES = ("classified.csv", "mentions.csv", "sentences.csv", "errors.csv")


@pytest.fixture(scope="module")
def sample_with_a_broken_record(tmp_path_factory):
    """The shipped review sample with one unparseable record in the middle."""
    from pathlib import Path

    lines = Path("data/samples/reviews.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path_factory.mktemp("stream") / "reviews.csv"
    path.write_text("".join([*lines[:150], 'R-BROKEN,2026-02-01,Leeds,Google,2,,"unclosed quote\n', *lines[150:]]),
                    encoding="utf-8")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def whole_file_run(shipped_model, sample_with_a_broken_record, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    return run(sample_with_a_broken_record, out, model=shipped_model[0], jobs=1, chunk_rows=1_000_000), out


@pytest.mark.parametrize(("jobs", "chunk_rows"), [(1, 1), (1, 37), (2, 29)])
def test_a_streamed_run_writes_exactly_what_a_whole_file_run_writes(
    shipped_model, sample_with_a_broken_record, whole_file_run, tmp_path, jobs, chunk_rows
):
    whole, whole_dir = whole_file_run
    result = run(sample_with_a_broken_record, tmp_path, model=shipped_model[0], jobs=jobs, chunk_rows=chunk_rows)
    for name in (*ROW_FILES, "summary.csv", "summary.json", "summary.md"):
        assert (tmp_path / name).read_bytes() == (whole_dir / name).read_bytes(), name
    assert result.stats.rows == whole.stats.rows == len(pd.read_csv(whole_dir / "classified.csv"))
    assert result.stats.status == whole.stats.status and whole.stats.status["parse_error"] == 1
    assert result.stats.unparsed_lines == whole.stats.unparsed_lines == (151,)
    assert result.classified["row_id"].tolist() == list(range(1, whole.stats.rows + 1))
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no part files or folders left


def test_a_run_whose_workers_fail_leaves_no_part_files_and_no_new_output_folder(
    shipped_model, sample_with_a_broken_record, tmp_path
):
    """Workers write their chunks' rows to part files in a hidden folder beside the outputs: a run
    that fails removes it with its temporary outputs and the output folder it created."""
    from sklearn.exceptions import NotFittedError

    unfitted = copy.copy(shipped_model[0])
    del unfitted.touchpoint_clf_  # every chunk fails in its worker
    folder = tmp_path / "new" / "out"
    with pytest.raises(NotFittedError):
        run(sample_with_a_broken_record, folder, model=unfitted, jobs=2, chunk_rows=29)
    assert not folder.exists()
    assert not list(tmp_path.rglob(".touchtext-parts-*"))


def test_a_run_failing_midway_stops_its_workers_before_removing_their_part_files(
    shipped_model, sample_with_a_broken_record, tmp_path, monkeypatch
):
    """A failure after some chunks were appended: chunks still in flight in the workers may write
    part files until the workers stop; none is left, and the old outputs stay in place."""
    import touchtext.pipeline as pipeline

    (tmp_path / "classified.csv").write_text("yesterday\n", encoding="utf-8")
    real, appended = pipeline.AppendingCsv.append_file, []

    def fail_on_the_third_chunk(self, part):
        appended.append(part.name)
        if part.name.startswith("2."):
            raise OSError("disk full")
        real(self, part)

    monkeypatch.setattr(pipeline.AppendingCsv, "append_file", fail_on_the_third_chunk)
    with pytest.raises(OSError, match="disk full"):
        run(sample_with_a_broken_record, tmp_path, model=shipped_model[0], jobs=2, chunk_rows=29)
    assert appended[0] == "0.classified.csv" and appended[-1].startswith("2.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classified.csv"]
    assert (tmp_path / "classified.csv").read_text(encoding="utf-8") == "yesterday\n"


def test_a_second_interrupt_while_the_workers_stop_still_removes_every_temporary_file(
    shipped_model, sample_with_a_broken_record, tmp_path, monkeypatch
):
    """Ctrl-C, then Ctrl-C again while the workers are being stopped: the temporary outputs, the part
    files and the output folder the run created are removed all the same."""
    import touchtext.pipeline as pipeline

    real_map, real_add, seen = pipeline.ordered_map, pipeline._Tally.add, []

    def impatient_map(*args, **kwargs):
        try:
            yield from real_map(*args, **kwargs)
        finally:
            raise KeyboardInterrupt("second Ctrl-C")

    def interrupted_add(self, out):
        seen.append(out.index)
        if len(seen) == 3:
            raise KeyboardInterrupt("first Ctrl-C")
        real_add(self, out)

    monkeypatch.setattr(pipeline, "ordered_map", impatient_map)
    monkeypatch.setattr(pipeline._Tally, "add", interrupted_add)
    with pytest.raises(KeyboardInterrupt, match="second"):
        run(sample_with_a_broken_record, tmp_path / "new" / "out", model=shipped_model[0], jobs=2, chunk_rows=29)
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == []


def test_a_single_chunk_input_is_classified_in_this_process(shipped_model, messy_reviews, tmp_path, monkeypatch):
    import touchtext.pipeline as pipeline

    used = []
    real = pipeline.ordered_map

    def spy(*args, **kwargs):
        used.append(kwargs["jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ordered_map", spy)
    run(messy_reviews, tmp_path, model=shipped_model[0], jobs=4)
    assert used == [1]  # no worker processes to start for six rows


def test_an_export_without_rows_is_refused_and_nothing_is_written(shipped_model, tmp_path):
    from touchtext.errors import InputError

    p = tmp_path / "empty.csv"
    p.write_text("review_id,review_text\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"header row .* but no data rows"):
        run(p, tmp_path / "out", model=shipped_model[0], chunk_rows=10)
    assert not (tmp_path / "out").exists()


def test_a_failing_chunk_leaves_the_previous_outputs_in_place(shipped_model, sample_with_a_broken_record, tmp_path,
                                                              monkeypatch):  # fmt: skip
    import touchtext.pipeline as pipeline

    (tmp_path / "classified.csv").write_text("yesterday\n", encoding="utf-8")
    real = pipeline._process_chunk

    def fail_on_third(plan, chunk):
        if chunk.index == 2:
            raise RuntimeError("disk on fire")
        return real(plan, chunk)

    monkeypatch.setattr(pipeline, "_process_chunk", fail_on_third)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(sample_with_a_broken_record, tmp_path, model=shipped_model[0], jobs=1, chunk_rows=50)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classified.csv"]  # no temporary files either
    assert (tmp_path / "classified.csv").read_text(encoding="utf-8") == "yesterday\n"


def test_classify_file_streams_and_reports_what_it_did(shipped_model, sample_with_a_broken_record, whole_file_run,
                                                       tmp_path):  # fmt: skip
    from touchtext.pipeline import classify_file

    stats = classify_file(sample_with_a_broken_record, tmp_path / "c.csv", model=shipped_model[0], chunk_rows=100,
                          jobs=1, sentences_file=tmp_path / "s.csv", errors_file=tmp_path / "e.csv")  # fmt: skip
    _, whole_dir = whole_file_run
    assert (tmp_path / "c.csv").read_bytes() == (whole_dir / "classified.csv").read_bytes()
    assert (tmp_path / "s.csv").read_bytes() == (whole_dir / "sentences.csv").read_bytes()
    assert (tmp_path / "e.csv").read_bytes() == (whole_dir / "errors.csv").read_bytes()
    assert stats.rows == whole_file_run[0].stats.rows and stats.status["parse_error"] == 1
    assert stats.needs_review == int(pd.read_csv(tmp_path / "c.csv")["needs_review"].sum())


@pytest.fixture(scope="module")
def long_export(tmp_path_factory):
    """4,080 reviews (the sample twelve times over, with fresh ids): long enough to stop midway."""
    sample = pd.read_csv("data/samples/reviews.csv", dtype=str, keep_default_na=False)
    copies = pd.concat([sample] * 12, ignore_index=True)
    copies["review_id"] = [f"L-{i:05d}" for i in range(len(copies))]
    path = tmp_path_factory.mktemp("long") / "long.csv"
    copies.to_csv(path, index=False)
    return path


def _start_run(export, out_dir):
    import subprocess
    import sys

    command = [sys.executable, "-m", "touchtext", "run", str(export), "--out", str(out_dir), "--jobs", "2",
               "--chunk-rows", "200", "--quiet"]  # fmt: skip
    return subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE, text=True)


def _wait_for_temporary_rows(out_dir, proc, timeout=120.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partial = [p for p in out_dir.glob(".classified.csv.*") if p.stat().st_size > 50_000]
        if partial:
            return partial[0]
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the run never started writing")


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGINT"])
def test_a_killed_or_interrupted_run_leaves_no_half_written_file(long_export, tmp_path, signal_name):
    import os
    import signal

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "classified.csv").write_text("yesterday's rows\n", encoding="utf-8")
    proc = _start_run(long_export, out_dir)
    _wait_for_temporary_rows(out_dir, proc)
    os.killpg(proc.pid, getattr(signal, signal_name))  # the whole process group, as a terminal's Ctrl-C does
    code = proc.wait(timeout=120)
    assert (out_dir / "classified.csv").read_text(encoding="utf-8") == "yesterday's rows\n"
    assert not [name for name in OUTPUT_FILES if name != "classified.csv" and (out_dir / name).exists()]
    if signal_name == "SIGINT":
        assert code == 130
        assert "interrupted" in proc.stderr.read()
        assert not list(out_dir.glob(".*.tmp"))  # discarded, not left behind
        assert not list(out_dir.glob(".touchtext-parts-*"))  # the workers' part files too
    else:
        assert code == -signal.SIGKILL  # hidden .tmp files may remain; the next run ignores them


def test_worker_processes_do_not_load_the_database_libraries():
    """Chunk workers import touchtext.pipeline; SQLAlchemy (~26 MB a process) loads only for databases."""
    import subprocess
    import sys

    code = "import sys, touchtext.pipeline; print(sorted(m for m in ('sqlalchemy', 'psycopg') if m in sys.modules))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]"


def test_a_streamed_run_keeps_the_model_out_of_full_collections_only_while_it_runs(
    shipped_model, sample_with_a_broken_record, tmp_path, monkeypatch
):
    import gc

    import touchtext.pipeline as pipeline

    model = shipped_model[0]
    real = pipeline._process_chunk
    frozen_while_running = []

    def spy(plan, chunk):
        frozen_while_running.append(gc.get_freeze_count())
        assert not any(ref is model for ref in gc.get_objects(generation=2))  # frozen: no pass walks it
        return real(plan, chunk)

    monkeypatch.setattr(pipeline, "_process_chunk", spy)
    assert gc.get_freeze_count() == 0
    run(sample_with_a_broken_record, tmp_path, model=model, jobs=1, chunk_rows=50)
    assert len(frozen_while_running) > 1 and min(frozen_while_running) > 0
    assert gc.get_freeze_count() == 0  # unfrozen after: a long-lived caller's garbage is collected again

    def fail(plan, chunk):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "_process_chunk", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):  # and after a failed run
        run(sample_with_a_broken_record, tmp_path / "failed", model=model, jobs=1, chunk_rows=50)
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_streamed_run_allocates_arrow_buffers_with_malloc_and_restores_the_caller_s_pool(
    shipped_model, sample_with_a_broken_record, tmp_path, monkeypatch
):
    import pyarrow

    import touchtext.pipeline as pipeline

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    real = pipeline._process_chunk
    pools = []

    def spy(plan, chunk):
        pools.append(pyarrow.default_memory_pool().backend_name)
        return real(plan, chunk)

    monkeypatch.setattr(pipeline, "_process_chunk", spy)
    original = pyarrow.default_memory_pool()
    pyarrow.set_memory_pool(pyarrow.mimalloc_memory_pool())  # the caller's choice
    try:
        run(sample_with_a_broken_record, tmp_path, model=shipped_model[0], jobs=1, chunk_rows=50)
        assert pools and set(pools) == {"system"}
        assert pyarrow.default_memory_pool().backend_name == "mimalloc"
    finally:
        pyarrow.set_memory_pool(original)


def test_a_caller_s_own_frozen_objects_stay_frozen():
    import gc

    from touchtext.pipeline import _long_lived_objects_frozen

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with _long_lived_objects_frozen():
            assert gc.get_freeze_count() == before
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_the_garbage_collector_is_paused_only_while_a_chunk_is_processed():
    import gc

    from touchtext.pipeline import _cyclic_gc_paused

    for enabled in (True, False):
        gc.enable() if enabled else gc.disable()
        with _cyclic_gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
    gc.enable()
