"""Ordered parallel map: input order, real worker processes, failures and early stops."""

import os
import subprocess
import sys

import pytest

from touchtext._parallel import available_cores, ordered_map


def _square_with_pid(offset: int, item: int) -> tuple[int, int]:
    return item * item + offset, os.getpid()


def _arrow_pool(context: None, item: int) -> str:
    import pyarrow

    return pyarrow.default_memory_pool().backend_name


def _fail_on_three(context: None, item: int) -> int:
    if item == 3:
        raise ValueError(f"bad item {item}")
    return item


def test_results_come_back_in_input_order_from_worker_processes():
    results = list(ordered_map(_square_with_pid, range(40), context=1, jobs=2, in_flight=5))
    assert [value for value, _ in results] == [i * i + 1 for i in range(40)]
    assert os.getpid() not in {pid for _, pid in results}  # computed in workers, not here


def test_one_job_runs_in_this_process():
    results = list(ordered_map(_square_with_pid, [2, 3], context=0, jobs=1))
    assert results == [(4, os.getpid()), (9, os.getpid())]


def test_a_failing_item_raises_its_error_in_the_caller():
    seen = []
    with pytest.raises(ValueError, match="bad item 3"):
        for value in ordered_map(_fail_on_three, range(10), context=None, jobs=2):
            seen.append(value)
    assert seen == [0, 1, 2]


def test_stopping_early_does_not_consume_the_whole_input():
    pulled = []

    def items():
        for i in range(1000):
            pulled.append(i)
            yield i

    mapped = ordered_map(_square_with_pid, items(), context=0, jobs=2, in_flight=3)
    first = [next(mapped)[0] for _ in range(2)]
    mapped.close()
    assert first == [0, 1]
    assert len(pulled) <= 5  # only a few items were ever in flight


def test_available_cores_is_positive():
    assert available_cores() >= 1


_FREED_AFTER_A_BIG_BLOCK = """
import sys, psutil
from touchtext._parallel import return_big_blocks
if sys.argv[1] == "set":
    assert return_big_blocks()
process = psutil.Process()
big = b"x" * (16 << 20); del big  # once a 16 MiB block is freed, glibc keeps blocks that size on its heap
block = b"y" * (8 << 20)
held = process.memory_info().rss
del block
print((held - process.memory_info().rss) >> 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_big_freed_blocks_go_back_to_the_system_in_streamed_runs():
    """Chunk-sized buffers pass through the parent and the workers; once return_big_blocks is set
    (as both do), a freed 8 MiB block leaves the process even after a bigger one was freed, where
    glibc's default would usually keep it on its heap (0 MiB returned, run on its own here)."""
    run = subprocess.run([sys.executable, "-c", _FREED_AFTER_A_BIG_BLOCK, "set"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) >= 7


_FREED_AFTER_A_TEXT_COLUMN = """
import pandas as pd, psutil, pyarrow
from touchtext._parallel import keep_memory_low
keep_memory_low()
assert pyarrow.default_memory_pool().backend_name == "system"
process = psutil.Process()
words = pd.Series([f"review number {i} with some words" for i in range(1_000_000)], dtype="str")
before = process.memory_info().rss
shouted = words.str.upper()  # about 40 MB of Arrow buffers
held = process.memory_info().rss
del shouted
print((held - before) >> 20, (held - process.memory_info().rss) >> 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_text_columns_go_back_to_the_system_in_streamed_runs():
    """pandas keeps text in Arrow buffers; with keep_memory_low (set in the parent and the
    workers) Arrow allocates with malloc, so a freed column's memory leaves the process. Arrow's
    own mimalloc would keep it for Arrow's reuse only (0 MiB returned, run on its own here)."""
    run = subprocess.run([sys.executable, "-c", _FREED_AFTER_A_TEXT_COLUMN], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    held, returned = map(int, run.stdout.split())
    assert held >= 30
    assert returned >= held * 3 // 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_workers_allocate_arrow_buffers_with_malloc():
    assert set(ordered_map(_arrow_pool, range(4), context=None, jobs=2)) == {"system"}


def test_a_chosen_arrow_pool_is_left_alone():
    code = "from touchtext._parallel import keep_memory_low; import pyarrow; print(keep_memory_low(), pyarrow.default_memory_pool().backend_name)"
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["None", "mimalloc"]
