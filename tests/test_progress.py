"""Progress reporting: log lines off a terminal, a bar on one, nothing when quiet."""

import io

from touchtext.progress import BarProgress, LogProgress, NoProgress, make_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_lines_say_rows_share_rate_and_eta():
    stream = io.StringIO()
    progress = LogProgress(stream, every=0.0)
    progress.update(25_000, 0.25)
    progress.update(50_000, 0.5)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # the closing line would repeat the last one
    assert lines[0].startswith("touchtext: 25,000 rows, 25% done, ")
    assert "rows/s, ETA " in lines[0]
    assert lines[-1].startswith("touchtext: 50,000 rows, 50% done")


def test_log_lines_are_spaced_out_and_a_short_run_stays_silent():
    stream = io.StringIO()
    progress = LogProgress(stream, every=3600.0)
    for rows in range(0, 100_000, 10_000):
        progress.update(rows, rows / 100_000)
    progress.close()
    assert stream.getvalue() == ""


def test_auto_chooses_a_bar_on_a_terminal_and_log_lines_elsewhere():
    assert isinstance(make_progress("auto", _Terminal()), BarProgress)
    assert isinstance(make_progress("auto", io.StringIO()), LogProgress)
    assert isinstance(make_progress("quiet", _Terminal()), NoProgress)


def test_the_bar_estimates_its_total_from_the_share_read():
    stream = _Terminal()
    progress = make_progress("bar", stream)
    assert isinstance(progress, BarProgress)
    progress.update(20_000, 0.2)
    assert progress.bar.total == 100_000 and progress.bar.n == 20_000
    progress.update(100_500, 1.0)
    assert progress.bar.total == 100_500
    progress.close()
    assert "rows" in stream.getvalue()


def test_quiet_prints_nothing():
    progress = make_progress("quiet")
    progress.update(10, 0.5)
    progress.close()
