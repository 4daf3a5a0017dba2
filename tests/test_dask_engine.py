"""The Dask engine gives the local engine's rows and counts, on a real multi-process cluster."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

from distributed import LocalCluster

from touchtext.cli import main
from touchtext.dask_engine import ClusterError, run_dask
from touchtext.errors import InputError
from touchtext.io import _neutralize, read_table
from touchtext.pipeline import read_classified, run

DATA = Path(__file__).parent / "data"
REVIEWS = DATA / "dask_reviews.csv"  # 236 hotel reviews with date, rating and a `language` column; edge rows
ROWS = 236
PARTITION_ROWS = 50  # 5 chunks on the cluster; the local run uses other chunk boundaries


@pytest.fixture(scope="module")
def cluster():
    """A real cluster: two worker processes, one thread each (as `run_dask` starts by itself)."""
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as local:
        yield local


@pytest.fixture(scope="module")
def local_out(shipped_model, tmp_path_factory) -> Path:
    """The single-machine run of the fixture (in this process, three chunks)."""
    out = tmp_path_factory.mktemp("local")
    run(REVIEWS, out, model=shipped_model[0], jobs=1, chunk_rows=80)
    return out


@pytest.fixture(scope="module")
def dask_out(cluster, shipped_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dask")
    run_dask(REVIEWS, out, scheduler=cluster.scheduler_address, model=shipped_model[0], partition_rows=PARTITION_ROWS)
    return out


def _parts(folder: Path) -> pd.DataFrame:
    """Every part file of a Parquet folder, in name (= input) order."""
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("part-*.parquet"))], ignore_index=True)


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Cells as the text a CSV holds: missing and empty both "" (CSV cannot tell them apart)."""
    return df.astype(object).where(df.notna(), "").map(str)


def _parquet_as_csv_text(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet rows as classified.csv shows them: CSV writing quotes formula-like cells (=SUM...)."""
    return _as_text(df).map(_neutralize)


def assert_same_rows(dask_dir: Path, local_dir: Path) -> None:
    local = read_classified(local_dir / "classified.csv")
    rows = _parts(dask_dir / "classified")
    assert list(rows.columns) == list(local.columns)
    assert rows["row_id"].tolist() == local["row_id"].tolist() == list(range(1, ROWS + 1))
    pd.testing.assert_frame_equal(_parquet_as_csv_text(rows), _as_text(local))


def assert_same_summaries(dask_dir: Path, local_dir: Path) -> None:
    assert (dask_dir / "summary.csv").read_bytes() == (local_dir / "summary.csv").read_bytes()
    dask_doc = json.loads((dask_dir / "summary.json").read_text(encoding="utf-8"))
    assert dask_doc == json.loads((local_dir / "summary.json").read_text(encoding="utf-8"))
    for name in ("summary.md", "report.html"):
        assert (dask_dir / name).is_file()


def test_rows_equal_the_local_engine_row_for_row(dask_out, local_out):
    assert_same_rows(dask_out, local_out)
    rows = _parts(dask_out / "classified")
    assert "language_input" in rows.columns  # the input's own language column, renamed as io.read_table does
    assert rows.loc[rows["review_id"] == "R-900002", "review_text"].tolist() == ["NA"]  # "NA" is text, not missing


def test_counts_equal_the_local_engine(dask_out, local_out):
    assert_same_summaries(dask_out, local_out)
    doc = json.loads((dask_out / "summary.json").read_text(encoding="utf-8"))
    assert doc["items"] == ROWS
    assert doc["date_column"] == "date" and doc["score_column"] == "rating"
    assert doc["trend"] and doc["drivers"]


def test_writes_one_parquet_part_per_chunk(dask_out, local_out):
    for name in ("classified", "mentions"):
        parts = sorted(p.name for p in (dask_out / name).iterdir())
        assert parts == [f"part-{i:05d}.parquet" for i in range(5)]  # 236 rows / 50, no temporary files left
    local_mentions = read_table(local_out / "mentions.csv", add_row_id=False)
    dask_mentions = _parts(dask_out / "mentions")
    assert len(dask_mentions) == len(local_mentions)
    assert dask_mentions["row_id"].tolist() == local_mentions["row_id"].astype(int).tolist()
    assert not [p for p in dask_out.iterdir() if p.name.startswith(".")]


def _split(source: Path, first: Path, second: Path, at: int) -> None:
    """Two CSV files with the header and rows [0, at) and [at, end) of `source`."""
    with open(source, encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    for path, rows in ((first, body[:at]), (second, body[at:])):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, *rows])


def _gzip(tmp: Path) -> Path:
    path = tmp / "reviews.csv.gz"
    path.write_bytes(gzip.compress(REVIEWS.read_bytes()))
    return path


def _glob(tmp: Path) -> Path:
    _split(REVIEWS, tmp / "export-1.csv", tmp / "export-2.csv", at=97)
    return tmp / "export-*.csv"


def _parquet_dataset(tmp: Path) -> Path:
    table = read_table(REVIEWS, add_row_id=False)
    folder = tmp / "dataset"
    folder.mkdir()
    table.iloc[:130].to_parquet(folder / "part.0.parquet", index=False)
    table.iloc[130:].to_parquet(folder / "part.1.parquet", index=False)
    return folder


@pytest.mark.parametrize("make_input", [_gzip, _glob, _parquet_dataset], ids=["gzip", "glob", "parquet"])
def test_other_inputs_give_the_same_rows_and_counts(make_input, cluster, shipped_model, local_out, tmp_path):
    source = make_input(tmp_path)
    out = tmp_path / "out"
    result = run_dask(source, out, scheduler=cluster.scheduler_address, model=shipped_model[0], partition_rows=60)
    assert_same_rows(out, local_out)
    assert_same_summaries(out, local_out)
    assert result.stats is not None and result.stats.rows == ROWS


def test_cli_runs_on_an_existing_cluster(cluster, local_out, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(REVIEWS), "--out", str(out), "--engine", "dask", "--scheduler",
                 cluster.scheduler_address, "--chunk-rows", "100", "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert len(list((out / "classified").glob("part-*.parquet"))) == 3
    assert_same_rows(out, local_out)
    assert_same_summaries(out, local_out)


def test_without_a_scheduler_it_starts_and_closes_its_own_cluster(shipped_model, tmp_path):
    _split(REVIEWS, tmp_path / "few.csv", tmp_path / "rest.csv", at=12)
    result = run_dask(tmp_path / "few.csv", tmp_path / "out", workers=1, model=shipped_model[0], partition_rows=5)
    assert result.stats is not None and result.stats.rows == 12
    assert len(list((tmp_path / "out" / "classified").glob("part-*.parquet"))) == 3


def test_unreachable_scheduler_is_named(tmp_path, shipped_model):
    with pytest.raises(ClusterError, match=r"Could not reach the Dask scheduler at 'tcp://127\.0\.0\.1:9' within 2 s"):
        run_dask(REVIEWS, tmp_path / "out", scheduler="tcp://127.0.0.1:9", model=shipped_model[0], connect_timeout=2)
    assert not (tmp_path / "out" / "classified").exists()


def test_cli_reports_an_unreachable_scheduler_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("touchtext.dask_engine.CONNECT_TIMEOUT", 1.0)
    code = main(["run", str(REVIEWS), "--out", str(tmp_path), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("touchtext: error: Could not reach the Dask scheduler at 'tcp://127.0.0.1:9'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler ADDRESS can only be used with --engine dask."),
        (["--engine", "dask", "--to-db", "sqlite:///x.db"], "--to-db is not supported with --engine dask yet"),
        (["--engine", "dask", "--sheet", "1"], "--engine dask does not read Excel (--sheet)"),
    ],
)
def test_cli_refuses_options_dask_cannot_honour(args, message, tmp_path, capsys):
    assert main(["run", str(REVIEWS), "--out", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "classified").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing-*.csv", "No file matches"),
        ("reviews.xlsx", "the Dask engine reads"),
        ("nothing.csv", "does not exist"),
    ],
)
def test_bad_inputs_are_refused_before_the_cluster_starts(name, message, tmp_path):
    (tmp_path / "reviews.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=message):
        run_dask(tmp_path / name, tmp_path / "out", scheduler="tcp://127.0.0.1:9")


def test_cli_says_how_to_install_dask_when_it_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    assert main(["run", str(REVIEWS), "--out", str(tmp_path), "--engine", "dask"]) == 2
    assert "install it with pip install 'touchtext[dask]'" in capsys.readouterr().err


def test_mixed_formats_are_refused(tmp_path):
    (tmp_path / "a.csv").write_text("text\nhello\n")
    (tmp_path / "b.jsonl").write_text('{"text": "hello"}\n')
    with pytest.raises(InputError, match=r"matches files of different formats \(\.csv, \.jsonl\)"):
        run_dask(tmp_path / "*.*", tmp_path / "out", scheduler="tcp://127.0.0.1:9")


def test_an_input_without_rows_is_refused_as_by_the_local_engine(cluster, tmp_path):
    (tmp_path / "empty.csv").write_text("review_id,date,rating,review_text\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.csv has a header row but no data rows"):
        run_dask(tmp_path / "empty.csv", tmp_path / "out", scheduler=cluster.scheduler_address)
    assert not (tmp_path / "out").exists()


def test_a_failed_run_leaves_the_previous_outputs(cluster, shipped_model, tmp_path):
    out = tmp_path / "out"
    (out / "classified").mkdir(parents=True)
    (out / "classified" / "part-00000.parquet").write_text("an earlier run")
    with pytest.raises(InputError, match="Cannot roll up by 'region'"):  # raised on the workers, chunk by chunk
        run_dask(REVIEWS, out, scheduler=cluster.scheduler_address, model=shipped_model[0],
                 partition_rows=PARTITION_ROWS, segments=("region",))  # fmt: skip
    assert [p.name for p in (out / "classified").iterdir()] == ["part-00000.parquet"]
    assert (out / "classified" / "part-00000.parquet").read_text() == "an earlier run"
    assert sorted(p.name for p in out.iterdir()) == ["classified"]  # no temporary folder, no mentions


def test_a_killed_run_leaves_no_classified_folder(cluster, tmp_path):
    big = tmp_path / "big.csv"
    with open(REVIEWS, encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    with open(big, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *(body * 6)])
    out = tmp_path / "out"
    script = (
        "import sys; from touchtext.dask_engine import run_dask; "
        "run_dask(sys.argv[1], sys.argv[2], scheduler=sys.argv[3], partition_rows=20)"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(big), str(out), cluster.scheduler_address])
    try:
        deadline = time.monotonic() + 90
        while not list(out.glob(".classified.*.tmp/part-*.parquet")):  # some parts written, run not done
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no part was written in 90 s"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert not (out / "classified").exists()
    assert not (out / "summary.csv").exists()
