"""Classified feedback in a SQL database, written incrementally and read back.

Any SQLAlchemy URL works; SQLite (a file, the default for a bare path) and PostgreSQL (through
psycopg 3) are tested. The schema is created on first use and migrated forward by version
(`touchtext_schema_version`); a database whose schema is newer than this touchtext is refused.

Tables: `touchtext_runs` (one row per run: input, model, counts, status), `touchtext_items`
(one row per feedback item, keyed by a stable `item_id`), `touchtext_mentions` (item x
touchpoint with sentiment, confidences and the evidence span), `touchtext_days` and
`touchtext_touchpoint_days` (counts per UTC day, kept current in the same transaction as the
items) and the view `touchtext_touchpoint_periods` (per day, week and month and touchpoint:
analysed items, mentions by sentiment and shares), which a dashboard can chart directly.

Items are written in batches, each batch (its items, mentions and day counts) in one
transaction, so a run that dies leaves whole batches only; its run row stays `running` and the
next run marks it `failed` and stores what is still missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from . import __version__, schema
from .errors import DatabaseError, InputError
from .io import find_column

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ITEM_ID",
    "MAX_BATCH_SIZE",
    "SCHEMA_VERSION",
    "DatabaseRun",
    "ResultsDatabase",
    "RunCounts",
    "RunInfo",
    "check_batch_size",
    "database_url",
    "detect_id_column",
    "item_ids",
    "read_classified",
    "read_runs",
    "stored_ids",
    "write_results",
]

ITEM_ID: Final = "item_id"  # the stable id column added to classified rows written to a database
DEFAULT_BATCH_SIZE: Final = 1000
MAX_BATCH_SIZE: Final = 10_000
STALE_AFTER: Final = timedelta(hours=6)  # a `running` run from another host without a heartbeat for this long failed
_ID_COLUMN_HINTS = ("id", "item_id", "review_id", "ticket_id", "conversation_id", "call_id", "chat_id",
                    "message_id", "response_id", "case_id")  # fmt: skip
_MAX_ID_LENGTH = 255
_PG_LOCK_KEY = 0x7475_6368  # pg_advisory_xact_lock key serializing schema migrations
_NATIVE_UPSERT: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}  # ON CONFLICT

# -- the schema (version SCHEMA_VERSION) -------------------------------------------------------
_metadata = sa.MetaData()
_Stamp = sa.DateTime(timezone=True)
_Json = sa.JSON()  # plain JSON keeps the input columns in their order (JSONB would sort them)
_Key = sa.String(_MAX_ID_LENGTH)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


VERSIONS = sa.Table(
    "touchtext_schema_version",
    _metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", _Stamp, nullable=False),
    sa.Column("touchtext_version", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
)
RUNS = sa.Table(
    "touchtext_runs",
    _metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False),  # running / finished / failed
    sa.Column("started_at", _Stamp, nullable=False),
    sa.Column("finished_at", _Stamp),
    sa.Column("heartbeat_at", _Stamp, nullable=False),  # updated with every committed batch
    sa.Column("error", sa.Text),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("input_sha256", sa.String(64)),
    sa.Column("mode", sa.String(32), nullable=False),  # all / incremental, "+reclassify"
    sa.Column("id_column", sa.Text),  # NULL: items are keyed by a content hash
    sa.Column("text_column", sa.Text),
    sa.Column("date_column", sa.Text),
    sa.Column("score_column", sa.Text),
    sa.Column("model_name", sa.Text),
    sa.Column("model_version", sa.Text),
    sa.Column("model_sha256", sa.String(64)),
    sa.Column("taxonomy", _Json),
    sa.Column("touchtext_version", sa.String(64), nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    _count("rows_read"),  # rows in the export
    _count("duplicate_rows"),  # rows whose id repeats an earlier row of the same export (first kept)
    _count("already_stored"),  # ids stored before and left as they were
    _count("classified"),  # rows classified by this run
    _count("inserted"),  # new items written
    _count("reclassified"),  # stored items rewritten (--reclassify: stored by another model)
    _count("batches"),  # committed batches
)
ITEMS = sa.Table(
    "touchtext_items",
    _metadata,
    sa.Column("item_id", _Key, primary_key=True),  # the source row's id (--id-col) or "sha256:<row hash>"
    sa.Column("source_row", sa.Integer),  # 1-based row of the export it was first stored from
    sa.Column("source_kind", sa.String(16)),
    sa.Column("occurred_at", _Stamp),  # the item's date (date column), UTC
    sa.Column("occurred_day", sa.Date),  # its UTC day, the Monday of its week, the first of its month
    sa.Column("occurred_week", sa.Date),
    sa.Column("occurred_month", sa.Date),
    sa.Column("score", sa.Float),  # rating / NPS / CSAT (score column)
    sa.Column("clean_text", sa.Text),
    sa.Column("clean_status", sa.String(32)),
    sa.Column("clean_notes", sa.Text),
    sa.Column("text_rating", sa.Float),
    sa.Column("pii_redacted", sa.Text),
    sa.Column("language", sa.String(16)),
    sa.Column("parse_error", sa.Text),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_reason", sa.Text),
    sa.Column("touchpoints", sa.Text),
    sa.Column("sentiments", sa.Text),
    sa.Column("confidence", sa.Text),
    sa.Column("mentions", sa.Text),  # the classified MENTIONS JSON, every evidence sentence
    sa.Column("needs_review", sa.Boolean),
    sa.Column("review_reason", sa.Text),
    sa.Column("extra", _Json),  # the other input columns (not the text column: clean_text stands for it)
    sa.Column("first_run_id", sa.Integer, sa.ForeignKey("touchtext_runs.run_id"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("touchtext_runs.run_id"), nullable=False),  # last classified by
    sa.Column("model_version", sa.Text),
    sa.Column("model_sha256", sa.String(64)),
    sa.Column("classified_at", _Stamp, nullable=False),
    sa.Index("touchtext_items_occurred_at", "occurred_at"),
    sa.Index("touchtext_items_occurred_day", "occurred_day"),
    sa.Index("touchtext_items_status", "status"),
    sa.Index("touchtext_items_run", "run_id"),
)
MENTIONS = sa.Table(
    "touchtext_mentions",
    _metadata,
    sa.Column("item_id", _Key, sa.ForeignKey("touchtext_items.item_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("touchpoint", _Key, primary_key=True),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("sentiment_confidence", sa.Float, nullable=False),
    sa.Column("evidence", sa.Text),  # the best evidence sentence and its span in the item's clean_text
    sa.Column("evidence_start", sa.Integer),
    sa.Column("evidence_end", sa.Integer),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("touchtext_runs.run_id"), nullable=False),
    sa.Index("touchtext_mentions_touchpoint", "touchpoint", "sentiment"),
    sa.Index("touchtext_mentions_sentiment", "sentiment"),
)
DAYS = sa.Table(
    "touchtext_days",
    _metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("month_start", sa.Date, nullable=False),
    _count("items"),  # items dated that day
    _count("analysed"),  # of which analysed (status ok or unclear)
    sa.Index("touchtext_days_week", "week_start"),
    sa.Index("touchtext_days_month", "month_start"),
)
TOUCHPOINT_DAYS = sa.Table(
    "touchtext_touchpoint_days",
    _metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("touchpoint", _Key, primary_key=True),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("month_start", sa.Date, nullable=False),
    _count("mentions"),
    _count("negative"),
    _count("neutral"),
    _count("positive"),
    sa.Index("touchtext_touchpoint_days_touchpoint", "touchpoint", "day"),
    sa.Index("touchtext_touchpoint_days_week", "week_start", "touchpoint"),
    sa.Index("touchtext_touchpoint_days_month", "month_start", "touchpoint"),
)
PERIOD_VIEW: Final = "touchtext_touchpoint_periods"
# touchtext's own columns that items store as columns; any others it adds travel in `extra`.
_ITEM_COLUMNS = tuple(c.name for c in ITEMS.columns if c.name in schema.ADDED_COLUMNS and c.name != schema.ROW_ID)
_TABLE_NAMES = (RUNS.name, ITEMS.name, MENTIONS.name, DAYS.name, TOUCHPOINT_DAYS.name)


def _period_view() -> sa.Select[Any]:
    """Per period (day / week / month), period start and touchpoint: analysed items of the
    period, mentions by sentiment, the share of items with a negative mention and net sentiment.
    Every touchpoint ever mentioned has a row for every period with items (zeros included), so
    a trend line has no gaps."""
    td, d = TOUCHPOINT_DAYS, DAYS
    touchpoints = sa.select(td.c.touchpoint).distinct().subquery("known")
    grid = (
        sa.select(d.c.day, d.c.week_start, d.c.month_start, d.c.analysed, touchpoints.c.touchpoint)
        .join_from(d, touchpoints, sa.true())
        .subquery("grid")
    )
    joined = grid.outerjoin(td, sa.and_(td.c.day == grid.c.day, td.c.touchpoint == grid.c.touchpoint))
    counts = [
        sa.func.coalesce(sa.func.sum(td.c[c]), 0).label(c) for c in ("mentions", "negative", "neutral", "positive")
    ]
    branches = [
        sa.select(sa.literal(kind).label("period"), grid.c[start].label("period_start"), grid.c.touchpoint,
                  sa.func.sum(grid.c.analysed).label("items"), *counts)
        .select_from(joined)
        .group_by(grid.c[start], grid.c.touchpoint)
        for kind, start in (("day", "day"), ("week", "week_start"), ("month", "month_start"))
    ]  # fmt: skip
    union = sa.union_all(*branches).subquery("periods")
    as_float = {name: sa.cast(union.c[name], sa.Float) for name in ("negative", "positive")}
    return sa.select(
        union,
        (as_float["negative"] / sa.func.nullif(union.c["items"], 0)).label("negative_item_share"),
        (as_float["negative"] / sa.func.nullif(union.c.mentions, 0)).label("negative_share"),
        ((as_float["positive"] - as_float["negative"]) / sa.func.nullif(union.c.mentions, 0)).label("net_sentiment"),
    )


def _migrate_to_1(conn: Connection) -> None:
    for table in (RUNS, ITEMS, MENTIONS, DAYS, TOUCHPOINT_DAYS):
        table.create(conn)
    view = _period_view().compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    conn.execute(sa.text(f"CREATE VIEW {PERIOD_VIEW} AS {view}"))


# Forward-only migrations: version -> (what it does, function). A new version adds a step here;
# steps add or change, and never drop data silently. Each runs in one transaction with its row.
MIGRATIONS: dict[int, tuple[str, Any]] = {
    1: ("runs, items, mentions, daily counts and the touchtext_touchpoint_periods view", _migrate_to_1),
}
SCHEMA_VERSION: Final = max(MIGRATIONS)


# -- settings and counts ----------------------------------------------------------------------
@dataclass(frozen=True)
class RunInfo:
    """What a run records about itself: its input, the columns used and the model."""

    input: str = ""
    input_sha256: str | None = None
    mode: str = "all"
    id_column: str | None = None  # None: items keyed by a content hash
    text_column: str | None = None
    date_column: str | None = None
    score_column: str | None = None
    model_name: str = ""
    model_version: str = ""
    model_sha256: str = ""
    taxonomy: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RunCounts:
    """What one run did (a snapshot of its `touchtext_runs` row)."""

    run_id: int
    url: str  # the database, password hidden
    status: str = "running"
    rows_read: int = 0
    duplicate_rows: int = 0
    already_stored: int = 0
    classified: int = 0
    inserted: int = 0
    reclassified: int = 0
    batches: int = 0

    def line(self) -> str:
        """One line for people: what was stored where."""
        return (
            f"Database run {self.run_id} ({self.status}): {self.rows_read} rows read, {self.duplicate_rows} duplicate "
            f"ids, {self.already_stored} already stored, {self.inserted} new items, {self.reclassified} reclassified "
            f"-> {self.url}"
        )


_COUNTERS = ("rows_read", "duplicate_rows", "already_stored", "classified", "inserted", "reclassified", "batches")


# -- URLs, engines and errors ------------------------------------------------------------------
def database_url(url: str | Path | sa.URL) -> sa.URL:
    """Parse a database URL; a bare path means an SQLite file, and `postgresql://` uses psycopg 3.

    Example:
        >>> database_url("postgresql://me@db/touchtext").drivername
        'postgresql+psycopg'
        >>> database_url("results.db").render_as_string()
        'sqlite:///results.db'
    """
    if isinstance(url, sa.URL):
        parsed = url
    elif isinstance(url, Path) or "://" not in str(url):
        text = str(url).strip()
        if not text:
            raise DatabaseError("The database URL is empty; give e.g. sqlite:///touchtext.db or postgresql://HOST/DB.")
        parsed = sa.URL.create("sqlite", database=str(Path(text).expanduser()))
    else:
        try:
            parsed = sa.make_url(str(url).strip())
        except sa.exc.ArgumentError as exc:
            raise DatabaseError(
                f"Cannot parse the database URL {str(url)!r} ({exc}); write it as dialect://user:password@host:port/"
                "database, e.g. sqlite:///touchtext.db or postgresql://touchtext@localhost/feedback."
            ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _shown(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


@contextmanager
def _translated(shown: str) -> Iterator[None]:
    """Turn driver errors (unreachable server, bad credentials, locked file) into DatabaseError."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        hint = "check that the server is running and reachable, and the user, password and database name"
        if shown.startswith("sqlite"):
            hint = "check that the file's folder exists and is writable and that no other program holds it locked"
        raise DatabaseError(f"Database {shown}: {_reason(exc)}; {hint}.") from exc


def _create_engine(url: sa.URL) -> Engine:
    backend = url.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().absolute().parent
            if not folder.is_dir():
                raise DatabaseError(
                    f"Cannot open SQLite database {database!r}: folder {str(folder)!r} does not exist; "
                    "create it first or give another path."
                )
        options["connect_args"] = {"timeout": 30}
    elif backend == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        options["connect_args"] = {"connect_timeout": 10, "application_name": "touchtext"}
    try:  # plain executemany: psycopg pipelines it; one huge multi-row VALUES statement is slower to prepare
        engine = sa.create_engine(url, use_insertmanyvalues=False, **options)
    except sa.exc.NoSuchModuleError as exc:
        raise DatabaseError(
            f"Unknown database type {url.drivername!r} in {_shown(url)}; use sqlite:///FILE.db, "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE or another SQLAlchemy URL whose driver is installed."
        ) from exc
    except ImportError as exc:
        raise DatabaseError(
            f"The driver for {url.drivername!r} is not installed ({exc}); install it with pip, or use "
            "postgresql:// (psycopg 3 ships with touchtext) or sqlite:///FILE.db."
        ) from exc
    if backend == "sqlite":
        _sqlite_transactions(engine, wal=bool(url.database) and url.database != ":memory:")
    return engine


def _sqlite_transactions(engine: Engine, *, wal: bool) -> None:
    """Let touchtext issue BEGIN itself: DDL then runs inside transactions (atomic migrations), and
    writers take the write lock at BEGIN IMMEDIATE instead of failing on a lock upgrade. WAL lets
    dashboards read while a run writes."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("touchtext_write") else "BEGIN")


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises."""
    with engine.connect() as conn:
        conn.execution_options(touchtext_write=True)
        with conn.begin():
            yield conn


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- schema versions ---------------------------------------------------------------------------
def _schema_version(conn: Connection, shown: str, *, create: bool) -> int:
    names = set(sa.inspect(conn).get_table_names())
    if VERSIONS.name in names:
        return int(conn.execute(sa.select(sa.func.max(VERSIONS.c.version))).scalar() or 0)
    ours = sorted(names & set(_TABLE_NAMES))
    if ours:
        raise DatabaseError(
            f"{shown} has touchtext tables ({', '.join(ours)}) but no {VERSIONS.name} table, so their schema "
            "version is unknown and touchtext will not change them; use another database or move those tables away."
        )
    if not create:
        raise DatabaseError(
            f"{shown} holds no touchtext results (no {VERSIONS.name} table); "
            "write some first with `touchtext run INPUT --to-db URL`."
        )
    VERSIONS.create(conn)
    return 0


def _ensure_schema(engine: Engine, shown: str, *, create: bool) -> int:
    """Create the schema or migrate it forward, in one transaction; refuse a newer schema."""
    latest = max(MIGRATIONS)
    with _writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
        current = _schema_version(conn, shown, create=create)
        if current > latest:
            raise DatabaseError(
                f"{shown} has touchtext schema version {current}, newer than this touchtext {__version__} "
                f"understands (up to {latest}); upgrade touchtext (pip install -U touchtext) to use it."
            )
        for version in range(current + 1, latest + 1):
            description, migrate = MIGRATIONS[version]
            migrate(conn)
            conn.execute(
                VERSIONS.insert().values(
                    version=version, applied_at=_now(), touchtext_version=__version__, description=description
                )
            )
    return latest


# -- item ids ----------------------------------------------------------------------------------
def _id_text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _complete_ids(values: pd.Series) -> bool:
    return all(_id_text(v) is not None for v in values.tolist())


def _parse_problems(df: pd.DataFrame) -> list[str]:
    """For each row, why the reader could not parse it ("line 7: ...") or "" for a parsed row: the
    `parse_error` column of `read_table_with_errors`, which `classify` moves to clean_notes."""
    if schema.PARSE_ERROR in df.columns:
        return ["" if pd.isna(v) else str(v) for v in df[schema.PARSE_ERROR].tolist()]
    if schema.CLEAN_STATUS in df.columns and schema.CLEAN_NOTES in df.columns:
        pairs = zip(df[schema.CLEAN_STATUS].tolist(), df[schema.CLEAN_NOTES].tolist(), strict=True)
        return [str(notes) if status == schema.STATUS_PARSE_ERROR else "" for status, notes in pairs]
    return [""] * len(df)


def detect_id_column(df: pd.DataFrame, id_column: str | None = None) -> str | None:
    """The column holding each row's own id: the one given, else a well-known name (id, review_id,
    ticket_id, conversation_id, ...) whose every row has a value (rows that could not be parsed
    have none and are not counted); None means key rows by a content hash."""
    parsed = df[[not problem for problem in _parse_problems(df)]]
    return find_column(parsed, given=id_column, hints=_ID_COLUMN_HINTS, accepts=_complete_ids, what="Id")


def _input_columns(df: pd.DataFrame) -> list[str]:
    return [str(c) for c in df.columns if c not in schema.ADDED_COLUMNS and c != ITEM_ID]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    if df.columns.empty:
        return [{} for _ in range(len(df))]
    text = df.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str)
    return list(json.loads(text))


def item_ids(df: pd.DataFrame, *, id_column: str | None = None) -> pd.Series:
    """A stable id for every row: its id column's value (given, or detected by name), else
    "sha256:" and the hash of all its input columns, so re-reading the same export gives the same ids.

    A row the reader could not parse (see `read_table_with_errors`) has no cells to go by: it is
    keyed by a hash of its problem, which names its line ("line 7: ...").

    Compute ids on the rows as read, before `classify` (which redacts personal data in the text).

    Example:
        >>> item_ids(pd.DataFrame({"review_id": ["R-1", "R-2"], "text": ["ok", "bad"]})).tolist()
        ['R-1', 'R-2']
    """
    column = detect_id_column(df, id_column)
    problems = _parse_problems(df)
    if column is None:
        records = _records(df[_input_columns(df)])
        ids = [_hashed({schema.PARSE_ERROR: p} if p else r) for r, p in zip(records, problems, strict=True)]
        return pd.Series(ids, index=df.index, name=ITEM_ID, dtype=object)
    values = [_hashed({schema.PARSE_ERROR: p}) if p else _id_text(v)
              for v, p in zip(df[column].tolist(), problems, strict=True)]  # fmt: skip
    positions = df[schema.ROW_ID].tolist() if schema.ROW_ID in df.columns else range(1, len(df) + 1)
    rows = [str(i) for i, v in zip(positions, values, strict=True) if v is None]
    if rows:
        raise InputError(
            f"Id column {column!r} is empty in {len(rows)} row(s) (row {', '.join(rows[:5])}"
            f"{', ...' if len(rows) > 5 else ''}); fill those ids in, or leave out --id-col to key items by a "
            "hash of their content."
        )
    long = [v for v in values if v is not None and len(v) > _MAX_ID_LENGTH]
    if long:
        raise InputError(
            f"Id column {column!r} holds ids longer than {_MAX_ID_LENGTH} characters ({long[0][:40]!r}...); "
            "choose a shorter id column with --id-col."
        )
    return pd.Series(values, index=df.index, name=ITEM_ID, dtype=object)


def _hashed(record: dict[str, Any]) -> str:
    """The id "sha256:<hex>" of a row's cells, hashed as JSON with sorted keys."""
    payload = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


# -- turning classified rows into table rows --------------------------------------------------
def _native(value: Any) -> Any:
    """A value the database drivers accept: None for missing, Python numbers for numpy ones."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _day_keys(day: date) -> tuple[date, date]:
    """The Monday of its (ISO) week and the first of its month."""
    return day - timedelta(days=day.weekday()), day.replace(day=1)


def _dates(rows: pd.DataFrame, column: str | None) -> list[datetime | None]:
    if column is None or column not in rows.columns:
        return [None] * len(rows)
    stamps = pd.to_datetime(rows[column], errors="coerce", utc=True, format="mixed")
    return [None if pd.isna(s) else s.to_pydatetime() for s in stamps]


def _scores(rows: pd.DataFrame, column: str | None) -> list[float | None]:
    if column is None or column not in rows.columns:
        return [None] * len(rows)
    return [_native(v) for v in pd.to_numeric(rows[column], errors="coerce").astype(float)]


def _item_rows(rows: pd.DataFrame, info: RunInfo, run_id: int, now: datetime) -> list[dict[str, Any]]:
    """One dict per classified row, with the columns of touchtext_items."""
    extra_columns = [c for c in rows.columns if c not in (*_ITEM_COLUMNS, schema.ROW_ID, ITEM_ID, info.text_column)]
    extras = _records(rows[extra_columns])
    occurred = _dates(rows, info.date_column)
    scores = _scores(rows, info.score_column)
    row_ids = (
        pd.to_numeric(rows[schema.ROW_ID], errors="coerce").tolist() if schema.ROW_ID in rows else [None] * len(rows)
    )
    cells = {c: rows[c].tolist() if c in rows.columns else [None] * len(rows) for c in _ITEM_COLUMNS}
    if schema.PARSE_ERROR not in rows.columns:  # classify moved the reader's problem to clean_notes
        cells[schema.PARSE_ERROR] = [p or None for p in _parse_problems(rows)]
    out = []
    for i, item_id in enumerate(rows[ITEM_ID]):
        stamp = occurred[i]
        day = stamp.date() if stamp is not None else None
        week, month = _day_keys(day) if day is not None else (None, None)
        record: dict[str, Any] = {c: _native(cells[c][i]) for c in _ITEM_COLUMNS}
        review = record[schema.NEEDS_REVIEW]
        record[schema.NEEDS_REVIEW] = None if review is None else str(review).strip().lower() in ("true", "1")
        source_row = _native(row_ids[i])
        record.update(
            item_id=str(item_id), source_row=None if source_row is None else int(source_row), occurred_at=stamp,
            occurred_day=day, occurred_week=week, occurred_month=month, score=scores[i], extra=extras[i],
            first_run_id=run_id, run_id=run_id, model_version=info.model_version, model_sha256=info.model_sha256,
            classified_at=now,
        )  # fmt: skip
        out.append(record)
    return out


def _mention_rows(rows: pd.DataFrame, run_id: int) -> list[dict[str, Any]]:
    """One dict per item and touchpoint, decoded from MENTIONS as `schema.mention_table` does."""
    out = []
    row_ids = rows[schema.ROW_ID].tolist() if schema.ROW_ID in rows.columns else range(1, len(rows) + 1)
    for item_id, row_id, cell in zip(rows[ITEM_ID], row_ids, rows[schema.MENTIONS], strict=True):
        if not isinstance(cell, str) or not cell.strip():
            continue
        try:
            mentions = json.loads(cell)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"Item {item_id} (row {row_id}): the {schema.MENTIONS!r} cell is not valid JSON ({exc.msg}; "
                f"it starts {cell[:40]!r}). Pass the rows as classify wrote them (or a classified.csv written "
                "by touchtext run/classify, unedited), or classify them again."
            ) from exc
        for m in mentions:
            first = (m.get("evidence") or [{}])[0]
            out.append({"item_id": str(item_id), "touchpoint": m["touchpoint"], "sentiment": m["sentiment"],
                        "confidence": float(m["confidence"]), "sentiment_confidence": float(m["sentiment_confidence"]),
                        "evidence": first.get("text", ""), "evidence_start": first.get("start"),
                        "evidence_end": first.get("end"), "run_id": run_id})  # fmt: skip
    return out


class _Deltas:
    """Changes to the daily counts from the items and mentions of one batch."""

    def __init__(self) -> None:
        self.days: Counter[tuple[date, str]] = Counter()
        self.touchpoints: Counter[tuple[date, str, str]] = Counter()

    def item(self, day: date | None, status: str, sign: int) -> None:
        if day is not None:
            self.days[(day, "items")] += sign
            if status in schema.ANALYSED_STATUSES:
                self.days[(day, "analysed")] += sign

    def mention(self, day: date | None, touchpoint: str, sentiment: str, sign: int) -> None:
        if day is not None:
            self.touchpoints[(day, touchpoint, "mentions")] += sign
            if sentiment in schema.SENTIMENT_LABELS:
                self.touchpoints[(day, touchpoint, sentiment)] += sign

    def apply(self, conn: Connection) -> None:
        days: dict[date, dict[str, Any]] = {}
        for (day, column), n in self.days.items():
            days.setdefault(day, {"day": day, "items": 0, "analysed": 0})[column] = n
        points: dict[tuple[date, str], dict[str, Any]] = {}
        for (day, tp, column), n in self.touchpoints.items():
            empty = {"day": day, "touchpoint": tp, "mentions": 0, "negative": 0, "neutral": 0, "positive": 0}
            points.setdefault((day, tp), empty)[column] = n
        tables = ((DAYS, ("day",), days.values()), (TOUCHPOINT_DAYS, ("day", "touchpoint"), points.values()))
        for table, keys, rows in tables:
            changed = [r | dict(zip(("week_start", "month_start"), _day_keys(r["day"]), strict=True))
                       for r in rows if any(r[c] for c in r if c not in keys)]  # fmt: skip
            if changed:
                _add_counts(conn, table, keys, changed)
        if any(n < 0 for n in (*self.days.values(), *self.touchpoints.values())):
            conn.execute(DAYS.delete().where(DAYS.c["items"] <= 0))
            conn.execute(TOUCHPOINT_DAYS.delete().where(TOUCHPOINT_DAYS.c.mentions <= 0))


def _add_counts(conn: Connection, table: sa.Table, keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Add each row's counts to the stored row with the same keys (inserting it if there is none)."""
    counts = [c for c in rows[0] if c not in keys and c not in ("week_start", "month_start")]
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in keys))  # row locks in one order: no deadlock
    native = _NATIVE_UPSERT.get(conn.dialect.name)
    if native is not None:
        insert = native(table)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=list(keys), set_={c: table.c[c] + insert.excluded[c] for c in counts}
            ),
            rows,
        )
        return
    existing = _existing_keys(conn, table, keys, rows)
    updates = [r for r in rows if tuple(r[k] for k in keys) in existing]
    if updates:
        statement = (
            table.update()
            .where(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
            .values({c: table.c[c] + sa.bindparam(f"add_{c}") for c in counts})
        )
        conn.execute(statement, [{**{f"key_{k}": r[k] for k in keys}, **{f"add_{c}": r[c] for c in counts}}
                                 for r in updates])  # fmt: skip
    inserts = [r for r in rows if tuple(r[k] for k in keys) not in existing]
    if inserts:
        conn.execute(table.insert(), inserts)


def _existing_keys(
    conn: Connection, table: sa.Table, keys: Sequence[str], rows: list[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    first = sorted({r[keys[0]] for r in rows})
    found = conn.execute(sa.select(*(table.c[k] for k in keys)).where(table.c[keys[0]].in_(first))).all()
    return {tuple(r) for r in found}


def _insert_items(conn: Connection, rows: list[dict[str, Any]], run_id: int) -> set[str]:
    """Insert items whose id is not stored yet; return the ids inserted (others were stored meanwhile)."""
    if not rows:
        return set()
    rows = sorted(rows, key=lambda r: r["item_id"])  # concurrent runs take row locks in one order: no deadlock
    native = _NATIVE_UPSERT.get(conn.dialect.name)
    if native is not None:
        conn.execute(native(ITEMS).on_conflict_do_nothing(index_elements=["item_id"]), rows)
        ids = [r["item_id"] for r in rows]
        mine = sa.select(ITEMS.c.item_id).where(ITEMS.c.item_id.in_(ids), ITEMS.c.first_run_id == run_id)
        return set(conn.execute(mine).scalars())  # a run writes an id once: these are the rows just inserted
    taken = _existing_keys(conn, ITEMS, ("item_id",), rows)
    fresh = [r for r in rows if (r["item_id"],) not in taken]
    if fresh:
        conn.execute(ITEMS.insert(), fresh)
    return {r["item_id"] for r in fresh}


_KEPT_ON_REPLACE = ("item_id", "first_run_id", "source_row")


def _store(
    conn: Connection, run_id: int, items: list[dict[str, Any]], mentions: list[dict[str, Any]], replace_ids: set[str]
) -> tuple[set[str], set[str]]:
    """Write one batch: insert new items, rewrite replaced ones, their mentions and the day counts."""
    deltas = _Deltas()
    replacing = [r for r in items if r["item_id"] in replace_ids]
    replaced: set[str] = set()
    if replacing:
        ids = [r["item_id"] for r in replacing]
        old = conn.execute(
            sa.select(ITEMS.c.item_id, ITEMS.c.occurred_day, ITEMS.c.status)
            .where(ITEMS.c.item_id.in_(ids))
            .order_by(ITEMS.c.item_id)  # lock in key order, as every run does
            .with_for_update()
        ).all()
        old_day = {r.item_id: r.occurred_day for r in old}
        for previous in old:
            deltas.item(previous.occurred_day, previous.status, -1)
        old_mentions = conn.execute(
            sa.select(MENTIONS.c.item_id, MENTIONS.c.touchpoint, MENTIONS.c.sentiment).where(
                MENTIONS.c.item_id.in_(ids)
            )
        ).all()
        for gone in old_mentions:
            deltas.mention(old_day[gone.item_id], gone.touchpoint, gone.sentiment, -1)
        conn.execute(MENTIONS.delete().where(MENTIONS.c.item_id.in_(ids)))
        replaced = set(old_day)
        updates = [{k: v for k, v in r.items() if k not in _KEPT_ON_REPLACE} | {"key": r["item_id"]}
                   for r in sorted(replacing, key=lambda r: r["item_id"]) if r["item_id"] in replaced]  # fmt: skip
        if updates:
            conn.execute(ITEMS.update().where(ITEMS.c.item_id == sa.bindparam("key")), updates)
    inserted = _insert_items(conn, [r for r in items if r["item_id"] not in replaced], run_id)
    written = inserted | replaced
    day_of = {}
    for r in items:
        if r["item_id"] in written:
            deltas.item(r["occurred_day"], r["status"], +1)
            day_of[r["item_id"]] = r["occurred_day"]
    new_mentions = [m for m in mentions if m["item_id"] in written]
    if new_mentions:
        conn.execute(MENTIONS.insert(), new_mentions)
    for m in new_mentions:
        deltas.mention(day_of[m["item_id"]], m["touchpoint"], m["sentiment"], +1)
    deltas.apply(conn)
    return inserted, replaced


# -- the database and its runs -----------------------------------------------------------------
class ResultsDatabase:
    """A touchtext results database, opened from a URL; the schema is created or migrated on open.

    With `create=False` the database must already hold touchtext results (for reading).

    Example:
        >>> with ResultsDatabase("sqlite:///touchtext.db") as db:  # doctest: +SKIP
        ...     classified = db.read_classified(since="2026-03-01")
    """

    def __init__(self, url: str | Path | sa.URL, *, create: bool = True, stale_after: timedelta = STALE_AFTER) -> None:
        self.url = database_url(url)
        self.shown = _shown(self.url)
        if not create and self.url.get_backend_name() == "sqlite":
            database = self.url.database or ""
            if database and database != ":memory:" and not Path(database).expanduser().is_file():
                raise DatabaseError(f"SQLite database {database!r} does not exist; check the path (--from-db).")
        self._engine = _create_engine(self.url)
        try:
            with _translated(self.shown):
                self.schema_version = _ensure_schema(self._engine, self.shown, create=create)
                if create:
                    self._mark_interrupted(stale_after)
        except BaseException:
            self._engine.dispose()
            raise

    def __enter__(self) -> ResultsDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def _mark_interrupted(self, stale_after: timedelta) -> None:
        """Mark as failed the `running` runs whose process is gone (same host) or silent too long."""
        host, now = socket.gethostname(), _now()
        with _writing(self._engine) as conn:
            running = conn.execute(
                sa.select(RUNS.c.run_id, RUNS.c.host, RUNS.c.pid, RUNS.c.heartbeat_at).where(RUNS.c.status == "running")
            ).all()
            for run in running:
                if run.host == host and run.pid != os.getpid() and not _pid_alive(run.pid):
                    why = f"process {run.pid} on {run.host} ended without finishing (killed or crashed)"
                elif _aware(run.heartbeat_at) < now - stale_after:
                    why = f"no batch committed since {_aware(run.heartbeat_at).isoformat(timespec='seconds')}"
                else:
                    continue
                conn.execute(
                    RUNS.update()
                    .where(RUNS.c.run_id == run.run_id, RUNS.c.status == "running")
                    .values(status="failed", finished_at=now,
                            error=f"interrupted: {why}; the items of its committed batches are kept")
                )  # fmt: skip

    def stored(self, ids: Iterable[str]) -> pd.DataFrame:
        """The stored items among `ids`: item_id and the model (version, sha256) that classified each."""
        unique = list(dict.fromkeys(str(i) for i in ids))
        found: list[Any] = []
        with _translated(self.shown), self._engine.connect() as conn:
            for start in range(0, len(unique), MAX_BATCH_SIZE):
                chunk = unique[start : start + MAX_BATCH_SIZE]
                query = sa.select(ITEMS.c.item_id, ITEMS.c.model_version, ITEMS.c.model_sha256)
                found += conn.execute(query.where(ITEMS.c.item_id.in_(chunk))).all()
        return pd.DataFrame(found, columns=["item_id", "model_version", "model_sha256"])

    def start_run(self, info: RunInfo) -> DatabaseRun:
        """Record a new run (status `running`) and return it; use it as a context manager so it
        ends `finished`, or `failed` with the error."""
        now = _now()
        row = {
            "status": "running", "started_at": now, "heartbeat_at": now, "input": info.input,
            "input_sha256": info.input_sha256, "mode": info.mode, "id_column": info.id_column,
            "text_column": info.text_column, "date_column": info.date_column, "score_column": info.score_column,
            "model_name": info.model_name, "model_version": info.model_version, "model_sha256": info.model_sha256,
            "taxonomy": dict(info.taxonomy) if info.taxonomy is not None else None, "touchtext_version": __version__,
            "host": socket.gethostname(), "pid": os.getpid(),
        }  # fmt: skip
        with _translated(self.shown), _writing(self._engine) as conn:
            run_id = conn.execute(RUNS.insert().values(row).returning(RUNS.c.run_id)).scalar_one()
        return DatabaseRun(self, int(run_id), info)

    def read_classified(self, since: date | str | None = None) -> pd.DataFrame:
        """Every stored item as classified rows (what `summarize` takes): `row_id` is the item id;
        the other input columns, `occurred_at` and `score` come back as columns. With `since`,
        only items dated on or after that day (undated items are left out)."""
        query = sa.select(ITEMS).order_by(ITEMS.c.first_run_id, ITEMS.c.source_row, ITEMS.c.item_id)
        if since is not None:
            query = query.where(ITEMS.c.occurred_day >= _as_date(since))
        with _translated(self.shown), self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return _classified_frame(rows)

    def runs(self) -> pd.DataFrame:
        """The runs table, oldest first."""
        with _translated(self.shown), self._engine.connect() as conn:
            rows = conn.execute(sa.select(RUNS).order_by(RUNS.c.run_id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in RUNS.columns])

    def taxonomy(self) -> dict[str, Any] | None:
        """The taxonomy recorded by the latest run that recorded one (its model's), if any."""
        query = sa.select(RUNS.c.taxonomy).where(RUNS.c.taxonomy.is_not(None)).order_by(RUNS.c.run_id.desc()).limit(1)
        with _translated(self.shown), self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return dict(found) if found else None


class DatabaseRun:
    """One run writing into a ResultsDatabase: `plan` which rows to store, `write` batches of
    classified rows (each batch one transaction), and end it by leaving the `with` block."""

    def __init__(self, db: ResultsDatabase, run_id: int, info: RunInfo) -> None:
        self.db = db
        self.run_id = run_id
        self.info = info
        self._counts = dict.fromkeys(_COUNTERS, 0)
        self._status = "running"
        self._actions: dict[str, str] = {}  # item id -> "insert" / "replace"
        self._written: set[str] = set()
        self._planned: set[str] = set()  # ids planned by earlier calls of `plan` (earlier chunks)

    def __enter__(self) -> DatabaseRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.finish()
            return
        with suppress(Exception):  # the original error matters more than failing to record it
            self.fail(exc)

    @property
    def counts(self) -> RunCounts:
        """What the run has done so far."""
        return RunCounts(run_id=self.run_id, url=self.db.shown, status=self._status, **self._counts)

    def plan(self, ids: pd.Series, *, incremental: bool = False, reclassify: bool = False) -> pd.Series:
        """Decide what to store for each row of an export, given its item ids in row order; a
        streamed run calls it once per chunk, in input order.

        New ids are inserted (the first row of an id repeated in the export); with `reclassify`,
        stored items classified by another model (sha256) are rewritten; other stored items are
        left as they are. Returns which rows to classify: all of them, or with `incremental`
        only the rows that will be stored.
        """
        first = ~ids.duplicated() & ~ids.isin(self._planned)
        stored = self.db.stored(ids[first])
        known = set(stored["item_id"])
        stale = set(stored.loc[stored["model_sha256"].fillna("") != self.info.model_sha256, "item_id"])
        replace_ids = stale if reclassify else set()
        self._actions.update({i: "insert" for i in ids[first] if i not in known})
        self._actions.update(dict.fromkeys(replace_ids, "replace"))
        self._planned.update(ids[first])
        self._counts["rows_read"] += len(ids)
        self._counts["duplicate_rows"] += int((~first).sum())
        self._counts["already_stored"] += len(known) - len(replace_ids)
        to_store = first & pd.Series([i in self._actions for i in ids], index=ids.index, dtype=bool)
        return to_store if incremental else pd.Series(True, index=ids.index)

    def write(self, classified: pd.DataFrame) -> RunCounts:
        """Store the planned rows among `classified` (it needs an `item_id` column) in one transaction."""
        schema.require_columns(classified, (ITEM_ID, schema.STATUS, schema.MENTIONS, schema.CLEAN_TEXT))
        self._counts["classified"] += len(classified)
        keep, seen = [], set()
        for position, item_id in enumerate(classified[ITEM_ID]):
            if item_id in self._actions and item_id not in self._written and item_id not in seen:
                keep.append(position)
                seen.add(item_id)
        if not keep:
            return self.counts
        rows = classified.iloc[keep]
        now = _now()
        items = _item_rows(rows, self.info, self.run_id, now)
        mentions = _mention_rows(rows, self.run_id)
        replace_ids = {i for i in seen if self._actions[i] == "replace"}
        counts = dict(self._counts)
        with _translated(self.db.shown), _writing(self.db._engine) as conn:
            inserted, replaced = _store(conn, self.run_id, items, mentions, replace_ids)
            counts["inserted"] += len(inserted)
            counts["reclassified"] += len(replaced)
            counts["already_stored"] += len(seen) - len(inserted) - len(replaced)  # stored meanwhile by another run
            counts["batches"] += 1
            conn.execute(RUNS.update().where(RUNS.c.run_id == self.run_id).values(heartbeat_at=now, **counts))
        self._counts = counts
        self._written |= seen
        return self.counts

    def _end(self, values: dict[str, Any]) -> None:
        with _translated(self.db.shown), _writing(self.db._engine) as conn:
            conn.execute(RUNS.update().where(RUNS.c.run_id == self.run_id).values(**values))

    def finish(self) -> RunCounts:
        """Mark the run finished, with its final counts."""
        now = _now()
        self._end({"status": "finished", "finished_at": now, "heartbeat_at": now, **self._counts})
        self._status = "finished"
        return self.counts

    def fail(self, error: BaseException | str) -> RunCounts:
        """Mark the run failed with the error (its committed batches stay)."""
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}".rstrip(": ")
        self._end({"status": "failed", "finished_at": _now(), "error": message[:2000], **self._counts})
        self._status = "failed"
        return self.counts


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InputError(f"--since must be a date like 2026-03-01; got {value!r}.") from exc


_DATABASE_COLUMNS = ("source_row", "first_run_id", "run_id", "model_version", "model_sha256", "classified_at")


def _classified_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """Stored items as classified rows: row_id (= item id), item_id, input columns, occurred_at,
    score, the cleaning and classification columns, then where each row came from."""
    own = (schema.ROW_ID, ITEM_ID, "occurred_at", "score", *_ITEM_COLUMNS, *_DATABASE_COLUMNS)
    extras = pd.DataFrame.from_records([r["extra"] or {} for r in rows], index=range(len(rows)))
    extras = extras.rename(columns={c: f"{c}_input" for c in extras.columns if c in own})
    frame = pd.DataFrame(index=range(len(rows)))
    frame[schema.ROW_ID] = [r["item_id"] for r in rows]
    frame[ITEM_ID] = frame[schema.ROW_ID]
    frame = pd.concat([frame, extras], axis=1)
    frame["occurred_at"] = pd.to_datetime(pd.Series([r["occurred_at"] for r in rows], dtype=object), utc=True)
    frame["score"] = pd.Series([r["score"] for r in rows], dtype=float)
    for column in (*_ITEM_COLUMNS, *_DATABASE_COLUMNS):
        frame[column] = [r[column] for r in rows]
    frame[schema.TEXT_RATING] = pd.array(frame[schema.TEXT_RATING].tolist(), dtype="Float64")
    frame[schema.NEEDS_REVIEW] = frame[schema.NEEDS_REVIEW].fillna(False).astype(bool)
    for column in (schema.CLEAN_NOTES, schema.PII_REDACTED, schema.STATUS_REASON, schema.REVIEW_REASON):
        frame[column] = frame[column].fillna("")
    return frame


# -- one-call functions ------------------------------------------------------------------------
def write_results(
    classified: pd.DataFrame,
    url: str | Path | sa.URL,
    *,
    id_column: str | None = None,
    reclassify: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    info: RunInfo | None = None,
) -> RunCounts:
    """Store classified rows (from `classify`) in a database as one run, in batches.

    Items are keyed by an `item_id` column when there is one, else by their id column (given,
    or detected by name). Rows without either cannot be keyed here: a content hash must be taken
    from the rows as read, before `classify` redacted their text (as `run_to_db` does), or the
    same item would get two ids; add them first with `item_ids`. Stored ids are left alone
    unless `reclassify` and another model classified them. Returns the run's counts.

    Example:
        >>> df["item_id"] = item_ids(df)  # doctest: +SKIP
        >>> write_results(classify(df), "sqlite:///touchtext.db").inserted  # doctest: +SKIP
        340
    """
    check_batch_size(batch_size)
    info = info or RunInfo()
    if ITEM_ID in classified.columns and id_column is None:
        frame = classified
    else:
        if detect_id_column(classified, id_column) is None:
            raise DatabaseError(
                "The classified rows have no item_id column and no id column (id, review_id, ticket_id, ...), "
                "and they cannot be keyed by a hash of their content: classify redacted personal data in "
                "their text, so the hash would differ from the one run_to_db takes of the same row as read, "
                "and the same item would be stored twice. Add ids before classifying "
                "(df['item_id'] = item_ids(df); write_results(classify(df), url)), pass id_column=, "
                "or use run_to_db."
            )
        frame = classified.assign(**{ITEM_ID: item_ids(classified, id_column=id_column)})
        info = replace(info, id_column=detect_id_column(classified, id_column))
    with ResultsDatabase(url) as db, db.start_run(info) as run:
        todo = frame[run.plan(frame[ITEM_ID], incremental=True, reclassify=reclassify)]
        for start in range(0, len(todo), batch_size):
            run.write(todo.iloc[start : start + batch_size])
    return run.counts


def check_batch_size(batch_size: int) -> None:
    """Refuse batch sizes outside 1..MAX_BATCH_SIZE."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InputError(f"The batch size must be between 1 and {MAX_BATCH_SIZE}; got {batch_size}.")


def stored_ids(url: str | Path | sa.URL, ids: Iterable[str]) -> set[str]:
    """Which of `ids` a results database already holds.

    Example:
        >>> stored_ids("sqlite:///touchtext.db", ["R-100127", "R-999"])  # doctest: +SKIP
        {'R-100127'}
    """
    with ResultsDatabase(url, create=False) as db:
        return set(db.stored(ids)["item_id"])


def read_classified(url: str | Path | sa.URL, since: date | str | None = None) -> pd.DataFrame:
    """Every stored item (dated on or after `since`, if given) as classified rows for `summarize`.

    Example:
        >>> summarize(read_classified("sqlite:///touchtext.db", since="2026-06-01"))  # doctest: +SKIP
    """
    with ResultsDatabase(url, create=False) as db:
        return db.read_classified(since)


def read_runs(url: str | Path | sa.URL) -> pd.DataFrame:
    """The runs recorded in a results database, oldest first (status, counts, model, errors).

    Example:
        >>> read_runs("sqlite:///touchtext.db")[["run_id", "status", "inserted"]]  # doctest: +SKIP
    """
    with ResultsDatabase(url, create=False) as db:
        return db.runs()
