"""Throughput and peak memory of `touchtext run` against spaCy's own text-classification pipeline.

For each size N (synthetic reviews of about 40 words, `benchmarks/synthetic_reviews.py`, seed 7)
it times, on the same CSV:

- jobs1 / jobs2: `python -m touchtext run CSV --out DIR --quiet --jobs 1|2` (read, clean,
  classify, summarize, write), end to end, start-up included;
- dask: the same with `--engine dask` on a local cluster (skipped while the CLI has no
  `--engine` option or dask.distributed is missing);
- spacy: a trained `textcat_multilabel` in its default architecture (`spacy.TextCatEnsemble.v2`,
  trained by `model_comparison.train_touchpoint_textcat`, cached with `nlp.to_disk`) running
  `list(nlp.pipe(texts, n_process=2))` over the first `--spacy-rows` review texts. Its docs/s is
  the rate of the `nlp.pipe` call alone (model loading and CSV reading excluded), so the
  comparison leans towards spaCy, which also skips cleaning, sentiment, summaries and writing.

Every system runs in its own subprocess. Peak memory is sampled every `--interval` seconds with
psutil over the whole process tree (the process and all its descendants, recursively: pool
workers, fork server, Dask nanny and worker processes): the peak of the summed RSS and the peak
RSS of the largest single process. Summed RSS counts pages shared between forked processes once
per process, so it overstates the tree's footprint; the summed PSS (shared pages split between
their users) is sampled too with --pss, once a second (reading it costs the kernel ~4 ms a
process, which at the RSS rate would slow the run being measured).

Run from the repository root on a quiet machine:
    python benchmarks/throughput.py                                # 10k, 100k, 1M; all systems
    python benchmarks/throughput.py --sizes 2000,5000 --spacy-rows 2000   # smoke run

Prints a Markdown table and the target checks; writes `--out` (JSON) and `--md` (Markdown).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
SEED = 7
SYSTEMS = ("jobs1", "jobs2", "dask", "spacy")
MB = 1_000_000
TARGET_SECONDS = 120.0  # 1M rows, --jobs 2, end to end
TARGET_RSS_MB = 1_500.0  # 1.5 GB, summed over the process tree
# Reading a process's PSS (smaps_rollup) costs ~4 ms of kernel time per 500 MB process: every
# 0.1 s over five processes that is a fifth of a core taken from the run being measured.
PSS_INTERVAL_S = 1.0
TARGET_GROWTH = 0.20  # peak RSS 100k -> 1M
TARGET_SPEEDUP = 3.0  # jobs2 docs/s over spaCy's
SPACY_MODEL = "spacy_textcat_default"
LEFTOVER_GRACE_S = 3.0  # descendants still running this long after the run exits are reported and killed
csv.field_size_limit(2**31 - 1)


# --- measuring a process tree --------------------------------------------------------------------


@dataclass
class Usage:
    """Wall time and memory of one subprocess and its descendants."""

    seconds: float
    returncode: int
    peak_tree_rss: int = 0
    peak_single_rss: int = 0
    peak_tree_pss: int = 0
    max_processes: int = 0
    samples: int = 0
    leftovers: list[int] = field(default_factory=list)  # descendants still alive after the run (then killed)
    timed_out: bool = False


def _child_pids(pid: int) -> list[int] | None:
    """Children of `pid` from /proc/PID/task/*/children (cheap); None where the kernel does not offer it."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    children: list[int] = []
    for task in tasks:
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            if task.exists():  # the kernel has no children files
                return None
        except OSError:  # the thread or process ended meanwhile
            continue
    return children


def _tree(root: psutil.Process, seen: dict[int, psutil.Process]) -> list[psutil.Process]:
    """`root` and all its descendants, recursively."""
    procs, stack = [root], [root.pid]
    while stack:
        pids = _child_pids(stack.pop())
        if pids is None:  # no /proc children files: psutil scans every process (slower, same answer)
            try:
                return [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return []
        for pid in pids:
            if pid not in seen:
                try:
                    seen[pid] = psutil.Process(pid)
                except psutil.NoSuchProcess:
                    continue
            procs.append(seen[pid])
            stack.append(pid)
    return procs


def _sample(root: psutil.Process, usage: Usage, seen: dict[int, psutil.Process], pss: bool) -> None:
    total = biggest = total_pss = count = 0
    for proc in _tree(root, seen):
        try:
            if pss:
                info = proc.memory_full_info()
                total_pss += info.pss
            else:
                info = proc.memory_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        seen.setdefault(proc.pid, proc)
        total += info.rss
        biggest = max(biggest, info.rss)
        count += 1
    usage.peak_tree_rss = max(usage.peak_tree_rss, total)
    usage.peak_single_rss = max(usage.peak_single_rss, biggest)
    usage.peak_tree_pss = max(usage.peak_tree_pss, total_pss)  # 0 in samples without PSS
    usage.max_processes = max(usage.max_processes, count)
    usage.samples += 1


def run_measured(command: Sequence[str], log: Path, *, interval: float, timeout: float, pss: bool = False) -> Usage:
    """Run `command` (output to `log`), sampling the memory of its process tree until it exits."""
    seen: dict[int, psutil.Process] = {}
    stop = threading.Event()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        root = psutil.Process(popen.pid)
        usage = Usage(seconds=0.0, returncode=0)

        def sampler() -> None:
            last_pss = -PSS_INTERVAL_S
            while not stop.is_set():
                now = time.perf_counter()
                with_pss = pss and now - last_pss >= PSS_INTERVAL_S
                _sample(root, usage, seen, with_pss)
                last_pss = now if with_pss else last_pss
                stop.wait(interval)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        try:
            usage.returncode = popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            usage.timed_out = True
            os.killpg(popen.pid, signal.SIGKILL)  # its own session: only the processes this run started
            usage.returncode = popen.wait()
        usage.seconds = time.perf_counter() - started
        stop.set()
        thread.join()
    # Descendants get a grace period to exit on their own; whatever is still running then is killed (by pid).
    _, alive = psutil.wait_procs([p for pid, p in seen.items() if pid != popen.pid], timeout=LEFTOVER_GRACE_S)
    for proc in alive:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                usage.leftovers.append(proc.pid)
                proc.kill()
        except psutil.NoSuchProcess:
            pass
    return usage


# --- inputs ----------------------------------------------------------------------------------------


def _digest(paths: Sequence[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def reviews_csv(n: int, workdir: Path, seed: int = SEED) -> Path:
    """The CSV of `n` synthetic reviews in `workdir`, written once and reused while its recipe is unchanged."""
    path = workdir / f"reviews_{n}_seed{seed}.csv"
    meta_path = path.with_suffix(".json")
    recipe = {
        "rows": n,
        "seed": seed,
        "generator": _digest([BENCH / "synthetic_reviews.py", *sorted((ROOT / "data" / "labeled").glob("*.jsonl"))]),
    }
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("recipe") == recipe and meta.get("bytes") == path.stat().st_size:
            return path
    sys.path.insert(0, str(BENCH))
    from synthetic_reviews import write_reviews

    started = time.perf_counter()
    tmp = path.with_name(path.name + ".part")
    write_reviews(n, tmp, seed=seed)
    tmp.replace(path)
    meta_path.write_text(json.dumps({"recipe": recipe, "bytes": path.stat().st_size}) + "\n")
    print(f"wrote {path} ({n:,} rows, {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return path


def spacy_model(workdir: Path) -> tuple[Path, dict[str, Any]]:
    """The default-architecture `textcat_multilabel` pipeline, trained as model_comparison.py does, cached on disk."""
    import spacy

    target = workdir / SPACY_MODEL
    meta_path = workdir / f"{SPACY_MODEL}.json"
    recipe = {
        "labeled": _digest(sorted((ROOT / "data" / "labeled").glob("*.jsonl"))),
        "spacy": spacy.__version__,
    }
    if target.is_dir() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("recipe") == recipe:
            return target, meta
    sys.path.insert(0, str(BENCH))
    from model_comparison import Epochs, label_matrix, train_touchpoint_textcat

    from touchtext.taxonomy import load_taxonomy
    from touchtext.training import cleaned_texts, load_labeled

    print("training spaCy textcat_multilabel (default architecture); cached afterwards", file=sys.stderr)
    labeled = load_labeled(ROOT / "data" / "labeled")
    ids = load_taxonomy().ids
    train_rows = labeled[labeled["split"] == "train"]
    Y = label_matrix(train_rows["labels"].tolist(), ids)
    nlp, log = train_touchpoint_textcat(cleaned_texts(train_rows), Y, ids, Epochs())
    architecture = nlp.config["components"]["textcat_multilabel"]["model"]["@architectures"]
    tmp = workdir / f"{SPACY_MODEL}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    meta = {"recipe": recipe, "architecture": architecture, "training": str(log), "labels": len(ids)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return target, meta


def count_records(path: Path) -> int:
    """Data rows of a CSV (quoted newlines inside a field do not count)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def classified_rows(out: Path) -> tuple[int | None, str]:
    """Rows of the run's classified output (classified.csv, or the dask engine's classified/*.parquet) and its form."""
    if (out / "classified.csv").is_file():
        return count_records(out / "classified.csv"), "classified.csv"
    parts = sorted((out / "classified").glob("*.parquet"))
    if parts:
        import pyarrow.parquet as pq

        return sum(
            pq.ParquetFile(part).metadata.num_rows for part in parts
        ), f"classified/ ({len(parts)} Parquet parts)"
    return None, "no classified output"


def summary_items(out: Path) -> int | None:
    """The item count in summary.json, when it has a top-level one."""
    try:
        summary = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    for key in ("items", "n_items", "rows"):
        if isinstance(summary.get(key), int):
            return summary[key]
    return None


# --- systems ---------------------------------------------------------------------------------------


def run_help() -> str:
    """`touchtext run --help`, to see which options the installed CLI has."""
    done = subprocess.run(
        [sys.executable, "-m", "touchtext", "run", "--help"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


def touchtext_command(
    system: str, data: Path, out: Path, help_text: str, dask_jobs: int, extra: Sequence[str] = ()
) -> list[str] | str:
    """The CLI command for `system`, or why it cannot run here."""
    command = [sys.executable, "-m", "touchtext", "run", str(data), "--out", str(out), "--quiet", *extra]
    has_jobs = "--jobs" in help_text
    if system in ("jobs1", "jobs2"):
        return [*command, "--jobs", system[-1]] if has_jobs else "`touchtext run` has no --jobs option"
    if system == "dask":
        if "--engine" not in help_text:
            return "`touchtext run` has no --engine option (yet)"
        if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
            return "dask / dask.distributed not installed"
        return [*command, "--engine", "dask", *(["--jobs", str(dask_jobs)] if has_jobs else [])]
    raise ValueError(f"unknown system {system!r}; valid: {', '.join(SYSTEMS)}")


def _tail(log: Path, lines: int = 3) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " / ".join(text[-lines:])[-400:]


def machine_now() -> dict[str, Any]:
    """Load and free memory just before a run."""
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "available_mb": round(psutil.virtual_memory().available / MB),
    }


def _usage_fields(usage: Usage) -> dict[str, Any]:
    return {
        "seconds": round(usage.seconds, 3),
        "returncode": usage.returncode,
        "peak_rss_tree_mb": round(usage.peak_tree_rss / MB, 1),
        "peak_rss_largest_mb": round(usage.peak_single_rss / MB, 1),
        "peak_pss_tree_mb": round(usage.peak_tree_pss / MB, 1) if usage.peak_tree_pss else None,
        "max_processes": usage.max_processes,
        "samples": usage.samples,
        "leftover_pids_killed": usage.leftovers,
        "timed_out": usage.timed_out,
    }


def bench_touchtext(system: str, n: int, data: Path, args: argparse.Namespace, help_text: str) -> dict[str, Any]:
    """One end-to-end `touchtext run` of `system` over `data`, checked for exit code 0 and `n` classified rows."""
    result: dict[str, Any] = {"size": n, "system": system, **machine_now()}
    out = args.workdir / "out" / f"{n}_{system}"
    command = touchtext_command(system, data, out, help_text, args.dask_jobs, args.extra)
    if isinstance(command, str):
        return {**result, "status": "skipped", "reason": command}
    shutil.rmtree(out, ignore_errors=True)
    log = args.workdir / "logs" / f"{n}_{system}.log"
    usage = run_measured(command, log, interval=args.interval, timeout=args.timeout, pss=args.pss)
    result |= {"command": " ".join(command[1:]), "log": str(log), **_usage_fields(usage)}
    if usage.timed_out:
        return {**result, "status": "failed", "reason": f"timed out after {args.timeout:.0f} s"}
    if usage.returncode != 0:
        return {**result, "status": "failed", "reason": f"exit {usage.returncode}: {_tail(log)}"}
    rows, form = classified_rows(out)
    result |= {"rows": rows, "output": form, "summary_items": summary_items(out), "docs_per_s": n / usage.seconds}
    if not args.keep_outputs:
        shutil.rmtree(out, ignore_errors=True)
    if rows != n:
        return {**result, "status": "failed", "reason": f"{form} has {rows} rows, expected {n}"}
    fixed = args.fixed_cost.get(system)
    if fixed is not None and usage.seconds > fixed:
        result["docs_per_s_excl_fixed"] = n / (usage.seconds - fixed)
    return {**result, "status": "ok"}


def fixed_costs(args: argparse.Namespace, help_text: str) -> dict[str, float]:
    """Wall time of each touchtext system on a tiny file: start-up, model loading, worker start, writing."""
    if args.fixed_rows <= 0 or set(args.systems) <= {"spacy"}:
        return {}
    data = reviews_csv(args.fixed_rows, args.workdir)
    costs = {}
    for system in args.systems:
        if system == "spacy":
            continue
        result = bench_touchtext(system, args.fixed_rows, data, args, help_text)
        if result["status"] == "ok":
            costs[system] = result["seconds"]
    return costs


def bench_spacy(n: int, data: Path, model: Path, args: argparse.Namespace) -> dict[str, Any]:
    """`nlp.pipe` over the first `--spacy-rows` texts of `data`, in a subprocess measured like the others."""
    rows = min(n, args.spacy_rows)
    result: dict[str, Any] = {"size": n, "system": "spacy", **machine_now()}
    report = args.workdir / "logs" / f"{n}_spacy.json"
    report.unlink(missing_ok=True)
    command = [
        sys.executable, __file__, "--spacy-worker", str(model), str(data), str(rows),
        str(args.spacy_batch_size), str(args.spacy_processes), str(report),
    ]  # fmt: skip
    log = args.workdir / "logs" / f"{n}_spacy.log"
    usage = run_measured(command, log, interval=args.interval, timeout=args.timeout, pss=args.pss)
    result |= {"command": f"nlp.pipe(texts, n_process={args.spacy_processes}, batch_size={args.spacy_batch_size})"}
    result |= {"log": str(log), **_usage_fields(usage)}
    if usage.returncode != 0 or not report.exists():
        return {**result, "status": "failed", "reason": f"exit {usage.returncode}: {_tail(log)}"}
    worker = json.loads(report.read_text())
    if worker["rows"] != rows:
        return {**result, "status": "failed", "reason": f"spaCy returned {worker['rows']} docs, expected {rows}"}
    result |= {
        "rows": rows,
        "process_seconds": round(usage.seconds, 3),  # whole subprocess: start-up, loading, reading, pipe
        "seconds": round(worker["pipe_s"], 3),
        "load_seconds": round(worker["load_s"], 3),
        "docs_per_s": rows / worker["pipe_s"],
        "docs_with_a_label": worker["with_label"],
    }
    return {**result, "status": "ok"}


def spacy_worker(argv: Sequence[str]) -> None:
    """Subprocess body for the spaCy system: load, read, time `nlp.pipe`, write a JSON report."""
    import spacy

    model, data, rows, batch_size, processes, report = argv
    started = time.perf_counter()
    nlp = spacy.load(model)
    texts = []
    with open(data, newline="", encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= int(rows):
                break
            texts.append(row["review_text"])
    loaded = time.perf_counter()
    docs = list(nlp.pipe(texts, n_process=int(processes), batch_size=int(batch_size)))
    piped = time.perf_counter()
    with_label = sum(any(score >= 0.5 for score in doc.cats.values()) for doc in docs)
    summary = {"rows": len(docs), "load_s": loaded - started, "pipe_s": piped - loaded, "with_label": with_label}
    Path(report).write_text(json.dumps(summary) + "\n")


# --- report ----------------------------------------------------------------------------------------


def _spacy_rate(results: Sequence[dict[str, Any]], n: int) -> float | None:
    for r in results:
        if r["size"] == n and r["system"] == "spacy" and r["status"] == "ok":
            return float(r["docs_per_s"])
    return None


def _find(results: Sequence[dict[str, Any]], n: int, system: str) -> dict[str, Any] | None:
    for r in results:
        if r["size"] == n and r["system"] == system and r["status"] == "ok":
            return r
    return None


def table(results: Sequence[dict[str, Any]]) -> str:
    """The Markdown results table."""
    lines = [
        "| size | system | rows | seconds | docs/s | peak RSS (tree, MB) | peak RSS largest process (MB) "
        "| ratio vs spaCy |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r["status"] != "ok":
            reason = str(r["reason"]).replace("|", "\\|")
            lines.append(f"| {r['size']:,} | {r['system']} | {r['status'].upper()}: {reason} | | | | | |")
            continue
        spacy_rate = _spacy_rate(results, r["size"])
        ratio = "" if spacy_rate is None else f"{r['docs_per_s'] / spacy_rate:.2f}x"
        lines.append(
            f"| {r['size']:,} | {r['system']} | {r['rows']:,} | {r['seconds']:.1f} | {r['docs_per_s']:,.0f} "
            f"| {r['peak_rss_tree_mb']:,.0f} | {r['peak_rss_largest_mb']:,.0f} | {ratio} |"
        )
    return "\n".join(lines)


def check_targets(results: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The issue's targets, each MET / NOT MET / NOT CHECKED with the figures behind it."""
    checks = []
    run = _find(results, 1_000_000, "jobs2")
    if run is None:
        status, detail = "NOT CHECKED", "no successful 1,000,000-row jobs2 run"
    else:
        ok = run["seconds"] <= TARGET_SECONDS
        status, detail = ("MET" if ok else "NOT MET"), f"{run['seconds']:.1f} s (target <= {TARGET_SECONDS:.0f} s)"
    checks.append({"target": "1M reviews end to end with --jobs 2 in <= 120 s", "status": status, "detail": detail})

    jobs2 = [r for r in results if r["system"] == "jobs2" and r["status"] == "ok"]
    if not jobs2:
        status, detail = "NOT CHECKED", "no successful jobs2 run"
    else:
        worst = max(jobs2, key=lambda r: r["peak_rss_tree_mb"])
        ok = worst["peak_rss_tree_mb"] < TARGET_RSS_MB
        status = "MET" if ok else "NOT MET"
        detail = (
            f"largest peak {worst['peak_rss_tree_mb']:,.0f} MB summed over the tree at {worst['size']:,} rows "
            f"(target < {TARGET_RSS_MB:,.0f} MB); sizes: "
            + ", ".join(f"{r['size']:,}: {r['peak_rss_tree_mb']:,.0f} MB" for r in jobs2)
        )
    checks.append({"target": "jobs2 peak RSS (process tree) < 1.5 GB", "status": status, "detail": detail})

    small, big = _find(results, 100_000, "jobs2"), _find(results, 1_000_000, "jobs2")
    if small is None or big is None:
        status, detail = "NOT CHECKED", "needs successful jobs2 runs at 100,000 and 1,000,000 rows"
    else:
        growth = big["peak_rss_tree_mb"] / small["peak_rss_tree_mb"] - 1
        status = "MET" if abs(growth) <= TARGET_GROWTH else "NOT MET"
        detail = (
            f"{small['peak_rss_tree_mb']:,.0f} MB -> {big['peak_rss_tree_mb']:,.0f} MB ({growth:+.1%}; "
            f"target within {TARGET_GROWTH:.0%})"
        )
    checks.append({"target": "jobs2 peak RSS flat from 100k to 1M rows", "status": status, "detail": detail})

    pairs = [(r, _spacy_rate(results, r["size"])) for r in jobs2]
    pairs = [(r, s) for r, s in pairs if s]
    if not pairs:
        status, detail = "NOT CHECKED", "needs a successful jobs2 and spacy run at the same size"
    else:
        headline, rate = max(pairs, key=lambda p: p[0]["size"])
        ratio = headline["docs_per_s"] / rate
        status = "MET" if ratio >= TARGET_SPEEDUP else "NOT MET"
        detail = (
            f"at {headline['size']:,} rows: {headline['docs_per_s']:,.0f} vs {rate:,.0f} docs/s = {ratio:.2f}x "
            f"(target >= {TARGET_SPEEDUP:.0f}x); all sizes: "
            + ", ".join(f"{r['size']:,}: {r['docs_per_s'] / s:.2f}x" for r, s in pairs)
        )
    checks.append({"target": "jobs2 docs/s >= 3x spaCy's nlp.pipe (n_process=2)", "status": status, "detail": detail})
    return checks


def notes(results: Sequence[dict[str, Any]], meta: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """What the figures mean, and anything odd seen during the runs."""
    spacy_meta = meta["spacy_model"]
    lines = [
        "touchtext systems: wall time of the whole `python -m touchtext run ... --quiet` subprocess (start-up, "
        "reading, cleaning, classifying with sentiment, summarizing, writing every output); docs/s = rows / that time.",
        f"Peak RSS: process tree (the process and all descendants) sampled every {args.interval} s with psutil; "
        "'tree' = peak of the summed RSS (pages shared between forked processes count once per process), "
        "'largest process' = peak RSS of the biggest single process. 1 MB = 10^6 bytes."
        + (
            f" The JSON also has the summed PSS (shared pages split between their users), sampled every "
            f"{PSS_INTERVAL_S:g} s."
            if args.pss
            else ""
        ),
    ]
    if spacy_meta:
        lines.append(
            f"spacy: `{spacy_meta.get('architecture')}` textcat_multilabel ({spacy_meta.get('training')}); "
            f"docs/s = rows / time of `list(nlp.pipe(texts, n_process={args.spacy_processes}, "
            f"batch_size={args.spacy_batch_size}))` alone (worker start-up included), over the first "
            f"min(size, {args.spacy_rows:,}) raw review texts of each size: a rate, so a sample is fair. Model loading "
            "and CSV reading are excluded, and spaCy does no cleaning, sentiment, summaries or writing: the "
            "comparison favours spaCy."
        )
        per_batch = args.spacy_batch_size * args.spacy_processes
        if any(r["system"] == "spacy" and r.get("rows", per_batch * 2) < per_batch * 2 for r in results):
            lines.append(
                f"spaCy samples under {per_batch * 2:,} rows give its {args.spacy_processes} processes only a batch "
                f"or two of {args.spacy_batch_size:,}: worker start-up dominates; use the default --spacy-rows."
            )
    if args.extra:
        lines.append(f"Every touchtext run had these extra options: `{' '.join(args.extra)}`.")
    if args.fixed_cost:
        lines.append(
            f"Fixed cost (same system on {args.fixed_rows} rows): "
            + ", ".join(f"{s} {t:.1f} s" for s, t in args.fixed_cost.items())
            + "; the JSON's `docs_per_s_excl_fixed` = rows / (seconds - fixed cost), an estimate of the streaming rate."
        )
    for r in results:
        if r.get("leftover_pids_killed"):
            lines.append(
                f"{r['size']:,} {r['system']}: processes still alive after exit, killed: {r['leftover_pids_killed']}"
            )
        if r["status"] == "ok" and r.get("summary_items") not in (None, r["rows"]):
            lines.append(
                f"{r['size']:,} {r['system']}: summary.json counts {r['summary_items']} items, {r['rows']} rows"
            )
    loads = [r["load_average"][0] for r in results if "load_average" in r]
    if loads and max(loads) > 0.5:
        lines.append(
            f"1-minute load average before runs reached {max(loads):.2f} on {meta['cpu_count']} cores: "
            "the machine was not quiet; figures are noisy."
        )
    return lines


def render(
    results: Sequence[dict[str, Any]], checks: Sequence[dict[str, str]], notes_: Sequence[str], meta: dict[str, Any]
) -> str:
    """The whole Markdown report."""
    parts = ["# Throughput", "", table(results), "", "## Targets", ""]
    parts += [f"- **{c['status']}** {c['target']}: {c['detail']}" for c in checks]
    parts += ["", "## Notes", "", *[f"- {n}" for n in notes_], ""]
    parts.append(
        f"Environment: Python {meta['python']}, spaCy {meta['spacy']}, touchtext {meta['touchtext']}, "
        f"{meta['cpu_count']} CPU cores ({meta['machine']}, {meta.get('cpu_model', 'unknown')}; "
        f"single-core calibration {meta.get('cpu_calibration_s', float('nan')):.3f} s, lower is faster), "
        f"{meta['memory_mb']:,} MB RAM, {meta['date']}."
    )
    parts += ["", f"Reproduce (from the repository root): `{meta['command']}`", ""]
    return "\n".join(parts)


def cpu_model() -> str:
    """The CPU's model name as Linux reports it ('unknown' elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_calibration() -> float:
    """Seconds for a fixed single-core pure-Python workload (best of 3), most of a run's time
    being Python: virtual machines of one kind differ in speed (the same 1M run took 161 s on one
    and 108 s on another), so runs are comparable only where this figure is close."""

    def work() -> int:
        total = 0
        for i in range(2_000_000):
            total += i * i % 7
        return total

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # not installed
        return None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated, of: {', '.join(SYSTEMS)}")
    parser.add_argument("--spacy-rows", type=int, default=20_000, help="rows of each size that spaCy classifies")
    parser.add_argument("--spacy-batch-size", type=int, default=1000, help="nlp.pipe batch_size (spaCy's default)")
    parser.add_argument("--spacy-processes", type=int, default=2, help="nlp.pipe n_process")
    parser.add_argument("--dask-jobs", type=int, default=2, help="--jobs for the dask engine")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/touchtext-bench"))
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "throughput.json")
    parser.add_argument("--md", type=Path, default=BENCH / "results" / "throughput.md")
    parser.add_argument("--interval", type=float, default=0.1, help="memory sampling interval, seconds")
    parser.add_argument("--pss", action="store_true", help="also sample PSS (reads smaps_rollup: costlier)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    parser.add_argument("--fixed-rows", type=int, default=200, help="rows of the fixed-cost run (0: skip it)")
    parser.add_argument(
        "--touchtext-args", default="", help='extra options for every touchtext run, e.g. "--chunk-rows 1000"'
    )
    parser.add_argument("--keep-outputs", action="store_true", help="keep each run's output folder")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    args.extra = shlex.split(args.touchtext_args)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(args.systems) - set(SYSTEMS))
    if unknown:
        parser.error(f"unknown system(s) {', '.join(unknown)}; valid: {', '.join(SYSTEMS)}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the inputs, run every size x system, print and write the report."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--spacy-worker"]:
        spacy_worker(argv[1:])
        return
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    help_text = run_help()
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "benchmarks/throughput.py", *argv]),
        "python": platform.python_version(),
        "spacy": _version("spacy"),
        "touchtext": _version("touchtext"),
        "dask": _version("dask"),
        "psutil": psutil.__version__,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "cpu_calibration_s": cpu_calibration(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "memory_mb": round(psutil.virtual_memory().total / MB),
        "cli_has_jobs": "--jobs" in help_text,
        "cli_has_engine": "--engine" in help_text,
        "seed": SEED,
    }
    model = None
    if "spacy" in args.systems:
        model, meta["spacy_model"] = spacy_model(args.workdir)
    else:
        meta["spacy_model"] = {}
    args.fixed_cost = {}
    args.fixed_cost = fixed_costs(args, help_text)
    meta["fixed_cost_seconds"] = args.fixed_cost
    results = []
    for n in args.sizes:
        data = reviews_csv(n, args.workdir)
        for system in args.systems:
            if system == "spacy":
                assert model is not None
                result = bench_spacy(n, data, model, args)
            else:
                result = bench_touchtext(system, n, data, args, help_text)
            results.append(result)
            shown = f"{result.get('seconds', 0):.1f} s" if result["status"] == "ok" else result.get("reason", "")
            print(f"{n:,} {system}: {result['status']} {shown}", file=sys.stderr)
    checks = check_targets(results)
    notes_ = notes(results, meta, args)
    text = render(results, checks, notes_, meta)
    print(text)
    for path, content in (
        (args.out, json.dumps({"machine": meta, "results": results, "targets": checks, "notes": notes_}, indent=2)),
        (args.md, text),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
