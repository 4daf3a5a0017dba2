"""Ordered parallel map over worker processes, for chunked runs.

Each worker receives a shared `context` (model, settings) once, when it starts, then one item
at a time; results come back in input order. Only a few items are in flight at once, so
memory stays flat however long the input is.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

import pyarrow

__all__ = ["available_cores", "keep_memory_low", "memory_kept_low", "ordered_map", "return_big_blocks"]

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

_worker_context: Any = None


def available_cores() -> int:
    """Cores this process may run on (respects CPU affinity and container limits)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_BIG_BLOCK = 1 << 20


def return_big_blocks() -> bool:
    """Have glibc's malloc take blocks of 1 MiB or more straight from the OS and give them back
    when freed. By default it raises that threshold to the largest block freed so far (up to
    32 MiB), after which chunk-sized buffers (a chunk's CSV, its pickled form) come from the heap
    and stay resident after they are freed: about a tenth of a streamed run's memory. True if
    set; elsewhere (not Linux, not glibc) nothing changes."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # another C library (musl has no mallopt)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _BIG_BLOCK))


def keep_memory_low() -> pyarrow.MemoryPool | None:
    """Set this process's allocators for a long streamed run: glibc's malloc gives big blocks
    back (`return_big_blocks`), and pyarrow allocates with it too, not with its bundled mimalloc.
    pandas keeps text columns in Arrow buffers, and mimalloc kept the pages a chunk freed for
    Arrow's reuse only (about 80 MB per worker after a 10,000-row chunk), so each process held
    both allocators' peaks. Arrow's pool is left alone off glibc (not measured there) and where
    ARROW_DEFAULT_MEMORY_POOL chooses one. Returns the Arrow pool replaced, if any."""
    if not return_big_blocks() or os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return None
    previous = pyarrow.default_memory_pool()
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return previous


@contextlib.contextmanager
def memory_kept_low() -> Iterator[None]:
    """`keep_memory_low` while a run streams in this process, then Arrow's previous pool back
    (each buffer is freed to the pool it came from). malloc's threshold stays: glibc cannot
    report the old one, and it only makes big freed blocks leave sooner."""
    previous = keep_memory_low()
    try:
        yield
    finally:
        if previous is not None:
            pyarrow.set_memory_pool(previous)


def _worker_start() -> multiprocessing.context.BaseContext:
    """Start workers from a small fork server (safe with the threads a parent may run), not by
    forking this process; each worker imports what it needs. Preloading touchtext in the server
    would save a second of start-up but add a ~270 MB process; where there is no fork server,
    spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([])  # not even __main__: under `python -m touchtext` that imports everything
    return context


def _start_worker(context: Any) -> None:
    """Keep the context for this worker's tasks; leave Ctrl-C to the parent, which stops the pool."""
    global _worker_context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_memory_low()
    _worker_context = context
    gc.freeze()  # the libraries' and the model's objects are long-lived: keep full collections off them


def _run_in_worker(func: Callable[[Any, Any], Any], item: Any) -> Any:
    return func(_worker_context, item)


def ordered_map(
    func: Callable[[C, T], R], items: Iterable[T], *, context: C, jobs: int, in_flight: int | None = None
) -> Generator[R, None, None]:
    """Yield `func(context, item)` for each item, in input order, computed by `jobs` processes.

    With `jobs` <= 1 everything runs in this process (no pickling). Otherwise at most
    `in_flight` items (default 2 per job) are submitted and not yet yielded. `func` must be a
    module-level function; `context` and the items must pickle. If the caller stops early or
    an item fails, queued items are cancelled and the workers stopped.
    """
    if jobs <= 1:
        for item in items:
            yield func(context, item)
        return
    limit = in_flight or 2 * jobs
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_worker_start(),
        initializer=_start_worker,
        initargs=(context,),
    )
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(_run_in_worker, func, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
