"""touchtext.database against real SQLite files and a real PostgreSQL server.

PostgreSQL comes from TOUCHTEXT_TEST_POSTGRES_URL (CI: `.ci/run` starts Debian's server), else
from a throwaway server started here when the PostgreSQL binaries are installed. Without one
the PostgreSQL cases are skipped with the reason, except under CI, where they fail.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, run_cli
from touchtext import database, schema
from touchtext.errors import DatabaseError, InputError
from touchtext.io import read_table
from touchtext.model import default_model_path, load_model
from touchtext.pipeline import classify, run_to_db, summarize_db
from touchtext.summaries import summary_tables

SAMPLE = ROOT / "data" / "samples" / "reviews.csv"
PG_ENV = "TOUCHTEXT_TEST_POSTGRES_URL"


# -- a PostgreSQL server -----------------------------------------------------------------------
class _NoServerError(Exception):
    pass


def _postgres_bin() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _throwaway_postgres(folder: Path) -> Iterator[str]:
    """initdb + pg_ctl start on 127.0.0.1 in `folder` (as the postgres user when we are root)."""
    binaries = _postgres_bin()
    if binaries is None:
        raise _NoServerError("PostgreSQL is not installed (no pg_ctl; apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise _NoServerError("running as root and there is no postgres user to run the server as") from exc
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    try:
        subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, text=True, timeout=120)  # fmt: skip
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                        "-o", f"-k {folder} -h 127.0.0.1 -p {port} -c fsync=off", "start"],
                       check=True, capture_output=True, text=True, timeout=120)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        raise _NoServerError(f"could not start a PostgreSQL server: {exc} {detail.strip()[-300:]}") from exc
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"No PostgreSQL server under CI ({reason}); .ci/run installs and starts one and sets {PG_ENV}")
    pytest.skip(f"No PostgreSQL server here: {reason}. Set {PG_ENV} or install postgresql; CI always runs these.")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL of a PostgreSQL server on which tests may create databases."""
    given = os.environ.get(PG_ENV)
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="touchtext-pg-"))
    try:
        with _throwaway_postgres(folder) as url:
            yield url
    except _NoServerError as exc:
        _unavailable(str(exc))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database of each kind: an SQLite file, or a fresh database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'touchtext.db'}"
        return
    server = database.database_url(request.getfixturevalue("postgres_server"))
    name = f"touchtext_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# -- data and helpers --------------------------------------------------------------------------
def _export(tmp_path: Path, rows: int | None = None, *, copies: int = 1, drop: tuple[str, ...] = (), name="x.csv"):
    """The shipped review sample (its first `rows`), optionally repeated with fresh review ids."""
    source = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(rows)
    parts = [source.assign(review_id=source["review_id"] + (f"-{i}" if i else "")) for i in range(copies)]
    table = pd.concat(parts, ignore_index=True).drop(columns=list(drop))
    path = tmp_path / name
    table.to_csv(path, index=False)
    return path, table


@contextmanager
def _engine(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database.database_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


def _query(url: str, sql: str) -> pd.DataFrame:
    with _engine(url) as engine, engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.text(sql)).mappings().all())


def _assert_consistent(url: str) -> None:
    """Every item has exactly the mentions its classification lists, and the daily counts
    (and so the period view) equal a recount from the items and mentions."""
    items = _query(url, "SELECT item_id, status, touchpoints, sentiments, occurred_day FROM touchtext_items")
    mentions = _query(url, "SELECT item_id, touchpoint, sentiment FROM touchtext_mentions")
    listed = {(i, pair) for i, cell in zip(items["item_id"], items["sentiments"], strict=True)
              for pair in (cell.split("|") if cell else [])}  # fmt: skip
    stored = set() if mentions.empty else {(i, f"{t}:{s}") for i, t, s in mentions.itertuples(index=False)}
    assert stored == listed
    dated = items.dropna(subset=["occurred_day"]).assign(day=lambda f: f["occurred_day"].astype(str))
    dated["analysed"] = dated["status"].isin(schema.ANALYSED_STATUSES).astype(int)
    expected_days = dated.groupby("day").agg(items=("item_id", "size"), analysed=("analysed", "sum")).reset_index()
    days = _query(url, "SELECT day, items, analysed FROM touchtext_days").assign(day=lambda f: f["day"].astype(str))
    pd.testing.assert_frame_equal(
        days.sort_values("day").reset_index(drop=True), expected_days.astype({"analysed": "int64"}), check_dtype=False
    )
    if mentions.empty:
        return
    joined = mentions.merge(dated[["item_id", "day"]], on="item_id")
    expected = pd.crosstab([joined["day"], joined["touchpoint"]], joined["sentiment"])
    expected = expected.reindex(columns=list(schema.SENTIMENT_LABELS), fill_value=0)
    stored_tp = _query(url, "SELECT day, touchpoint, negative, neutral, positive FROM touchtext_touchpoint_days")
    stored_tp = stored_tp.assign(day=lambda f: f["day"].astype(str)).set_index(["day", "touchpoint"]).sort_index()
    expected.columns.name = None
    pd.testing.assert_frame_equal(stored_tp, expected.sort_index(), check_dtype=False, check_names=False)


@pytest.fixture(scope="module")
def small_sample(small_model_dir) -> pd.DataFrame:
    """The first 60 sample reviews with their ids, classified by the small model."""
    table = read_table(SAMPLE).head(60)
    table[database.ITEM_ID] = database.item_ids(table)
    return classify(table, model=load_model(small_model_dir)[0])


# -- schema and migrations ---------------------------------------------------------------------
def test_database_urls():
    assert database.database_url("postgresql://me:pw@db:5433/feedback").drivername == "postgresql+psycopg"
    assert database.database_url("postgres://db/feedback").drivername == "postgresql+psycopg"
    assert database.database_url("out/touchtext.db").render_as_string() == "sqlite:///out/touchtext.db"
    with pytest.raises(DatabaseError, match="Unknown database type 'nosuch'"):
        database.ResultsDatabase("nosuch://host/db")


def test_the_schema_is_created_on_first_use_with_its_version(db_url):
    with database.ResultsDatabase(db_url) as db:
        assert db.schema_version == database.SCHEMA_VERSION
    with database.ResultsDatabase(db_url):  # a second open changes nothing
        pass
    versions = _query(db_url, "SELECT version, touchtext_version, description FROM touchtext_schema_version")
    assert versions["version"].tolist() == list(range(1, database.SCHEMA_VERSION + 1))
    with _engine(db_url) as engine:
        inspector = sa.inspect(engine)
        assert set(database._TABLE_NAMES) <= set(inspector.get_table_names())
        assert database.PERIOD_VIEW in inspector.get_view_names()
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("touchtext_mentions")}
        assert {("touchpoint", "sentiment"), ("sentiment",)} <= indexed
        assert ("occurred_at",) in {tuple(i["column_names"]) for i in inspector.get_indexes("touchtext_items")}
    assert _query(db_url, f"SELECT * FROM {database.PERIOD_VIEW}").empty


def test_a_newer_schema_is_refused(db_url):
    database.ResultsDatabase(db_url).close()
    with _engine(db_url) as engine, engine.begin() as conn:
        conn.execute(database.VERSIONS.insert().values(version=database.SCHEMA_VERSION + 1, applied_at=database._now(),
                                                       touchtext_version="99.0", description="from the future"))  # fmt: skip
    newer = database.SCHEMA_VERSION + 1
    with pytest.raises(DatabaseError, match=rf"schema version {newer}, newer than this touchtext .* upgrade touchtext"):
        database.ResultsDatabase(db_url)


def test_migrations_run_forward_once_each(db_url, monkeypatch):
    database.ResultsDatabase(db_url).close()
    added = sa.Table("touchtext_probe", sa.MetaData(), sa.Column("x", sa.Integer))
    calls = []

    def add_probe(conn):
        calls.append(1)
        added.create(conn)

    monkeypatch.setattr(
        database, "MIGRATIONS", {**database.MIGRATIONS, database.SCHEMA_VERSION + 1: ("probe", add_probe)}
    )
    for _ in range(2):
        with database.ResultsDatabase(db_url) as db:
            assert db.schema_version == database.SCHEMA_VERSION + 1
    assert calls == [1]
    assert (
        _query(db_url, "SELECT max(version) AS v FROM touchtext_schema_version")["v"][0] == database.SCHEMA_VERSION + 1
    )


def test_touchtext_tables_without_a_version_are_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with _engine(url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE touchtext_items (item_id TEXT)"))
    with pytest.raises(
        DatabaseError, match=r"has touchtext tables \(touchtext_items\) but no touchtext_schema_version"
    ):
        database.ResultsDatabase(url)


def test_reading_needs_an_existing_touchtext_database(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist; check the path"):
        database.read_classified(tmp_path / "missing.db")
    empty = tmp_path / "empty.db"
    with _engine(f"sqlite:///{empty}") as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE other (x INTEGER)"))
    with pytest.raises(DatabaseError, match="holds no touchtext results"):
        database.read_classified(empty)


# -- ids ---------------------------------------------------------------------------------------
def test_item_ids_come_from_the_id_column_or_a_content_hash():
    df = pd.DataFrame({"review_id": ["R-1", "R-2"], "text": ["ok", "bad"]})
    assert database.item_ids(df).tolist() == ["R-1", "R-2"]
    assert database.item_ids(df, id_column="text").tolist() == ["ok", "bad"]
    no_ids = df.drop(columns="review_id")
    hashed = database.item_ids(no_ids)
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", i) for i in hashed)
    assert database.item_ids(no_ids).tolist() == hashed.tolist()
    assert database.item_ids(no_ids.assign(date="2026-01-01"))[0] != hashed[0]
    gappy = pd.DataFrame({"review_id": ["R-1", None], "text": ["ok", "bad"]})
    assert database.item_ids(gappy)[0].startswith("sha256:")  # a detected id column must be complete
    with pytest.raises(InputError, match=r"Id column 'review_id' is empty in 1 row\(s\) \(row 2\)"):
        database.item_ids(gappy, id_column="review_id")


# -- writing -----------------------------------------------------------------------------------
def test_rerunning_the_same_export_adds_nothing(db_url, tmp_path, small_model_dir):
    path, table = _export(tmp_path, 40)
    first = run_to_db(path, db_url, model=small_model_dir, batch_size=15).database
    second = run_to_db(path, db_url, model=small_model_dir, batch_size=15).database
    assert (first.inserted, first.batches, first.status) == (40, 3, "finished")
    assert (second.rows_read, second.already_stored, second.inserted, second.batches) == (40, 40, 0, 0)
    items = _query(db_url, "SELECT item_id, first_run_id, run_id FROM touchtext_items")
    assert sorted(items["item_id"]) == sorted(table["review_id"])
    assert set(items["run_id"]) == {first.run_id}
    _assert_consistent(db_url)


def test_exports_without_ids_are_keyed_by_content_and_duplicates_kept_once(db_url, tmp_path, small_model_dir):
    rows = read_table(SAMPLE).drop(columns=["review_id"]).head(20)
    doubled = pd.concat([rows, rows.iloc[[3]]], ignore_index=True)
    doubled[database.ITEM_ID] = database.item_ids(doubled)  # before classify, as the README says
    classified = classify(doubled, model=load_model(small_model_dir)[0])
    counts = database.write_results(classified, db_url)
    assert (counts.rows_read, counts.duplicate_rows, counts.inserted) == (21, 1, 20)
    assert database.write_results(classified, db_url).inserted == 0
    ids = _query(db_url, "SELECT item_id FROM touchtext_items")["item_id"]
    assert len(ids) == 20 and ids.str.startswith("sha256:").all()


def test_write_results_keys_rows_as_run_to_db_does_or_refuses_to_hash(db_url, tmp_path, small_model_dir):
    path = tmp_path / "pii.csv"
    path.write_text("text,location\n\"Call me on 07700 900123, the room was cold\",Leeds\n"
                    "Email jane.doe@example.com about the refund,York\nLovely staff,Leeds\n", encoding="utf-8")  # fmt: skip
    stored = run_to_db(path, db_url, model=small_model_dir).database
    assert stored.inserted == 3
    table = read_table(path)
    model = load_model(small_model_dir)[0]
    classified = classify(table, model=model)
    assert classified["text"].iloc[0] != table["text"].iloc[0]  # classify redacted the raw text
    with pytest.raises(DatabaseError, match=r"no item_id column and no id column.*item_ids\(df\).*or use run_to_db"):
        database.write_results(classified, db_url)
    table[database.ITEM_ID] = database.item_ids(table)
    again = database.write_results(classify(table, model=model), db_url)
    assert (again.inserted, again.already_stored) == (0, 3)  # the same three items, not six
    assert len(_query(db_url, "SELECT item_id FROM touchtext_items")) == 3


@pytest.mark.parametrize("with_ids", [True, False])
def test_run_to_db_stores_unparseable_rows_and_strict_stores_nothing(db_url, tmp_path, small_model_dir, with_ids):
    path = tmp_path / "broken.csv"
    lines = ["review_id,text,location", "R-1,The staff were lovely,Leeds", "R-2,Room was cold,and,noisy,York",
             "R-3,Parking cost too much,York", "R-4,Breakfast was great,Leeds"]  # fmt: skip
    if not with_ids:
        lines = [line.split(",", 1)[1] for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.csv, line 3: .*fields, but the header has"):
        run_to_db(path, db_url, model=small_model_dir, strict=True)
    assert _query(db_url, "SELECT count(*) AS n FROM touchtext_items")["n"].tolist() == [0]
    assert database.read_runs(db_url).empty

    result = run_to_db(path, db_url, model=small_model_dir, out_dir=tmp_path / "out")
    assert (result.database.rows_read, result.database.inserted) == (4, 4)
    items = _query(db_url, "SELECT item_id, source_row, status, parse_error, clean_notes FROM touchtext_items "
                           "ORDER BY source_row")  # fmt: skip
    assert items["status"].tolist().count("parse_error") == 1
    bad = items[items["status"] == "parse_error"].iloc[0]
    assert bad["source_row"] == 2 and bad["item_id"].startswith("sha256:")
    assert bad["parse_error"].startswith("line 3: ") and bad["clean_notes"] == bad["parse_error"]
    if with_ids:
        assert items.loc[items["status"] != "parse_error", "item_id"].tolist() == ["R-1", "R-3", "R-4"]
    errors = pd.read_csv(tmp_path / "out" / "errors.csv")
    assert errors[["row_id", "line"]].values.tolist() == [[2, 3]]
    rerun = run_to_db(path, db_url, model=small_model_dir).database
    assert (rerun.inserted, rerun.already_stored) == (0, 4)  # the unparsed row keeps its id


def test_batches_are_stored_in_key_order_so_concurrent_runs_lock_rows_alike(tmp_path, small_sample):
    seen: list[tuple[str, list[tuple]]] = []

    def record(conn, clause, multiparams, params, options):
        table = getattr(clause, "table", None)
        if isinstance(clause, sa.Insert) and len(multiparams) > 1:  # many rows in one statement
            keys = {"touchtext_items": ("item_id",), "touchtext_days": ("day",),
                    "touchtext_touchpoint_days": ("day", "touchpoint")}.get(table.name)  # fmt: skip
            if keys:
                seen.append((table.name, [tuple(r[k] for k in keys) for r in multiparams]))

    backwards = small_sample.iloc[::-1]
    assert backwards[database.ITEM_ID].tolist() != sorted(backwards[database.ITEM_ID])
    sa.event.listen(sa.engine.Engine, "before_execute", record)
    try:
        database.write_results(backwards, f"sqlite:///{tmp_path / 't.db'}", info=database.RunInfo(date_column="date"))
    finally:
        sa.event.remove(sa.engine.Engine, "before_execute", record)
    assert {name for name, _ in seen} == {"touchtext_items", "touchtext_days", "touchtext_touchpoint_days"}
    for name, keys in seen:
        assert keys == sorted(keys), name


def test_a_broken_mentions_cell_names_the_row_and_what_to_pass(tmp_path, small_sample):
    rows = small_sample.head(3).copy()
    rows.loc[rows.index[1], schema.MENTIONS] = '[{"touchpoint": "staff", '
    with pytest.raises(InputError, match=r"\(row 2\): the 'mentions' cell is not valid JSON .*classified\.csv "
                                         r"written by touchtext run/classify, unedited"):  # fmt: skip
        database.write_results(rows, f"sqlite:///{tmp_path / 't.db'}")


def test_incremental_classifies_only_the_new_rows(db_url, tmp_path, small_model_dir):
    old, _ = _export(tmp_path, 40, name="old.csv")
    new, table = _export(tmp_path, 60, name="new.csv")
    run_to_db(old, db_url, model=small_model_dir)
    result = run_to_db(new, db_url, model=small_model_dir, incremental=True, batch_size=7)
    counts = result.database
    assert (counts.classified, counts.inserted, counts.already_stored, counts.batches) == (20, 20, 40, 3)
    stored_now = _query(db_url, f"SELECT item_id FROM touchtext_items WHERE run_id = {counts.run_id}")
    assert sorted(stored_now["item_id"]) == sorted(table["review_id"].tolist()[40:])
    assert result.stats.rows == 20  # only the new rows were classified
    runs = database.read_runs(db_url)
    assert runs["mode"].tolist() == ["all", "incremental"]
    assert runs["classified"].tolist() == [40, 20]
    assert len(_query(db_url, "SELECT item_id FROM touchtext_items")) == 60
    _assert_consistent(db_url)


def test_reclassify_rewrites_rows_of_another_model_and_records_which_model(db_url, tmp_path, small_model_dir):
    old, _ = _export(tmp_path, 30, name="old.csv")
    new, _ = _export(tmp_path, 40, name="new.csv")
    small_sha = load_model(small_model_dir)[1]["model_sha256"]
    shipped_sha = load_model()[1]["model_sha256"]
    assert small_sha != shipped_sha
    run_to_db(old, db_url, model=small_model_dir)
    kept = run_to_db(old, db_url, model=default_model_path()).database  # a new model alone changes nothing
    assert (kept.inserted, kept.reclassified, kept.already_stored) == (0, 0, 30)
    redone = run_to_db(new, db_url, model=default_model_path(), reclassify=True, incremental=True).database
    assert (redone.classified, redone.reclassified, redone.inserted) == (40, 30, 10)
    items = _query(db_url, "SELECT item_id, model_sha256, run_id, first_run_id FROM touchtext_items")
    assert set(items["model_sha256"]) == {shipped_sha}
    assert set(items["run_id"]) == {redone.run_id}
    assert sorted(items["first_run_id"].value_counts().tolist()) == [10, 30]  # kept from the first store
    assert set(_query(db_url, "SELECT run_id FROM touchtext_mentions")["run_id"]) == {redone.run_id}
    again = run_to_db(new, db_url, model=default_model_path(), reclassify=True, incremental=True).database
    assert (again.classified, again.reclassified, again.already_stored) == (0, 0, 40)
    runs = database.read_runs(db_url)
    assert runs["model_sha256"].tolist() == [small_sha, shipped_sha, shipped_sha, shipped_sha]
    _assert_consistent(db_url)


def test_the_portable_sql_path_stores_the_same_as_native_upserts(tmp_path, monkeypatch, small_sample, shipped_model):
    other = classify(small_sample.drop(columns=list(schema.CLEANING_COLUMNS + schema.CLASSIFICATION_COLUMNS)),
                     model=shipped_model[0])  # fmt: skip
    urls = {}
    for name, native in (("native", database._NATIVE_UPSERT), ("portable", {})):
        monkeypatch.setattr(database, "_NATIVE_UPSERT", native)
        urls[name] = f"sqlite:///{tmp_path / name}.db"
        info = database.RunInfo(date_column="date", model_sha256="a" * 64)
        database.write_results(small_sample.head(40), urls[name], info=info, batch_size=9)
        counts = database.write_results(other, urls[name], reclassify=True, batch_size=9,
                                        info=database.RunInfo(date_column="date", model_sha256="b" * 64))  # fmt: skip
        assert (counts.reclassified, counts.inserted) == (40, 20)
        _assert_consistent(urls[name])
    for table in ("touchtext_days", "touchtext_touchpoint_days", database.PERIOD_VIEW):
        order = "ORDER BY 1, 2, 3" if table == database.PERIOD_VIEW else "ORDER BY 1, 2"
        native, portable = (_query(urls[n], f"SELECT * FROM {table} {order}") for n in ("native", "portable"))
        pd.testing.assert_frame_equal(native, portable)


def test_a_failing_run_is_marked_failed_and_keeps_its_committed_batches(db_url, small_sample):
    with (
        database.ResultsDatabase(db_url) as db,
        pytest.raises(RuntimeError, match="boom"),
        db.start_run(database.RunInfo(input="test")) as run,
    ):
        run.plan(small_sample[database.ITEM_ID])
        run.write(small_sample.head(10))
        raise RuntimeError("boom")
    runs = database.read_runs(db_url)
    assert runs[["status", "error", "inserted", "batches"]].values.tolist() == [["failed", "RuntimeError: boom", 10, 1]]
    assert len(_query(db_url, "SELECT item_id FROM touchtext_items")) == 10


def test_a_run_killed_mid_write_leaves_whole_batches_and_the_next_run_completes(db_url, tmp_path, small_model_dir):
    path, table = _export(tmp_path, copies=6)
    batch = 50
    args = ["run", str(path), "--to-db", db_url, "--model", str(small_model_dir), "--trust-model",
            "--batch-size", str(batch), "--quiet"]  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "touchtext", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    stored = 0
    with _engine(db_url) as engine:
        while stored < 2 * batch:
            assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read()}"
            assert time.monotonic() < deadline, "no batch was committed within 300 s"
            time.sleep(0.02)
            try:
                with engine.connect() as conn:
                    stored = conn.execute(sa.text("SELECT count(*) FROM touchtext_items")).scalar_one()
            except sa.exc.DBAPIError:  # the schema is not there yet
                stored = 0
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stderr.close()

    stored = len(_query(db_url, "SELECT item_id FROM touchtext_items"))
    assert 0 < stored < len(table) and stored % batch == 0  # whole batches only
    killed = database.read_runs(db_url)
    assert killed[["status", "inserted", "batches"]].values.tolist() == [["running", stored, stored // batch]]
    _assert_consistent(db_url)

    rerun = run_cli(*args)
    assert rerun.returncode == 0, rerun.stderr
    runs = database.read_runs(db_url)
    assert runs["status"].tolist() == ["failed", "finished"]
    assert runs["error"][0].startswith("interrupted: process ")
    assert (runs["already_stored"][1], runs["inserted"][1]) == (stored, len(table) - stored)
    items = _query(db_url, "SELECT item_id FROM touchtext_items")
    assert len(items) == len(table)
    assert sorted(items["item_id"]) == sorted(table["review_id"])  # exactly one row per input row
    _assert_consistent(db_url)


# -- reading back ------------------------------------------------------------------------------
def test_summarize_from_db_equals_summarizing_the_files(db_url, tmp_path, small_model_dir):
    path, table = _export(tmp_path)
    model = ("--model", str(small_model_dir), "--trust-model")
    ran = run_cli("run", str(path), "--to-db", db_url, "--out", str(tmp_path / "a"), "--by", "location", *model)
    assert ran.returncode == 0, ran.stderr
    assert f"Database run 1 (finished): {len(table)} rows read" in ran.stdout
    summed = run_cli("summarize", "--from-db", db_url, "--out", str(tmp_path / "b"), "--by", "location")
    assert summed.returncode == 0, summed.stderr

    from_files = read_table(tmp_path / "a" / "classified.csv", add_row_id=False)
    review_of = dict(zip(from_files["row_id"].astype(int), from_files["review_id"], strict=True))
    a, b = (pd.read_csv(tmp_path / d / "summary.csv", dtype={"top_example_row_id": str}) for d in "ab")
    a["top_example_row_id"] = a["top_example_row_id"].map(lambda r: review_of.get(int(r)) if pd.notna(r) else r)
    pd.testing.assert_frame_equal(a, b)

    expected = summary_tables(from_files.assign(row_id=from_files[database.ITEM_ID]), date_column="date",
                              score_column="rating", segments=("location",)).document()  # fmt: skip
    document = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    assert (document.pop("date_column"), document.pop("score_column")) == ("occurred_at", "score")
    expected.pop("date_column"), expected.pop("score_column")
    assert document == json.loads(json.dumps(expected))
    assert document["items"] == len(table) and document["trend"] and document["drivers"]


def test_since_keeps_the_items_dated_from_that_day(db_url, tmp_path, small_model_dir):
    path, table = _export(tmp_path)
    run_to_db(path, db_url, model=small_model_dir)
    recent = database.read_classified(db_url, since="2026-07-01")
    assert sorted(recent[database.ITEM_ID]) == sorted(table.loc[table["date"] >= "2026-07-01", "review_id"])
    assert (recent["occurred_at"] >= pd.Timestamp("2026-07-01", tz="UTC")).all()
    result = summarize_db(db_url, tmp_path / "july", since="2026-07-01")
    assert result.tables.items == len(recent) and result.tables.date_column == "occurred_at"
    with pytest.raises(InputError, match="--since must be a date like 2026-03-01; got 'July'"):
        database.read_classified(db_url, since="July")


def test_the_period_view_equals_the_summary_trend(db_url, tmp_path, small_model_dir):
    path, _ = _export(tmp_path)
    result = run_to_db(path, db_url, model=small_model_dir, period="month")
    view = _query(db_url, f"SELECT * FROM {database.PERIOD_VIEW} WHERE period = 'month'")
    view["period"] = view["period_start"].astype(str).str[:7]
    trend = result.tables.trend
    assert set(trend.loc[trend["mentions"] > 0, "touchpoint"]) == set(view["touchpoint"])
    columns = ["period", "touchpoint", "items", "mentions", "negative"]
    expected = trend[trend["touchpoint"].isin(view["touchpoint"])][columns].sort_values(columns[:2])
    stored = view[columns].sort_values(columns[:2])
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
    share = view["negative_item_share"].to_numpy(dtype=float)
    assert share == pytest.approx((view["negative"] / view["items"]).to_numpy(dtype=float))


def test_the_readme_queries_run(db_url, tmp_path, small_model_dir):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Results in a database", 1)[1].split("\n## ", 1)[0]
    queries = re.findall(r"```sql\n(.*?)```", section, flags=re.S)
    assert len(queries) >= 2
    path, _ = _export(tmp_path)
    run_to_db(path, db_url, model=small_model_dir)
    for query in queries:
        assert not _query(db_url, query.strip().rstrip(";")).empty, query


# -- the command line --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["run", str(SAMPLE), "--to-db", "nosuch://host/db"],
         "touchtext: error: Unknown database type 'nosuch' in nosuch://host/db; use sqlite:///FILE.db, "
         "postgresql://USER:PASSWORD@HOST:PORT/DATABASE or another SQLAlchemy URL whose driver is installed."),
        (["run", str(SAMPLE), "--to-db", "/no/such/folder/t.db"],
         "touchtext: error: Cannot open SQLite database '/no/such/folder/t.db': folder '/no/such/folder' does not "
         "exist; create it first or give another path."),
        (["summarize", "--from-db", "/no/such.db", "--out", "unused"],
         "touchtext: error: SQLite database '/no/such.db' does not exist; check the path (--from-db)."),
    ],
)  # fmt: skip
def test_database_errors_are_one_line_with_exit_2(args, line):
    result = run_cli(*args)
    assert (result.returncode, result.stderr) == (2, line + "\n")


def test_an_unreachable_server_is_one_line_with_exit_2(tmp_path):
    port = _free_port()
    result = run_cli("run", str(SAMPLE), "--to-db", f"postgresql://touchtext:secret@127.0.0.1:{port}/feedback")
    assert result.returncode == 2
    assert re.fullmatch(rf"touchtext: error: Database postgresql\+psycopg://touchtext:\*\*\*@127\.0\.0\.1:{port}/"
                        r"feedback: .*refused.*; check that the server is running and reachable, and the user, "
                        r"password and database name\.\n", result.stderr), result.stderr  # fmt: skip


def test_run_needs_out_or_to_db(tmp_path):
    result = run_cli("run", str(SAMPLE))
    assert result.returncode == 2 and "Give --out DIR, --to-db URL, or both." in result.stderr
    result = run_cli("run", str(SAMPLE), "--out", str(tmp_path), "--incremental")
    assert result.returncode == 2 and "--incremental can only be used with --to-db URL." in result.stderr
