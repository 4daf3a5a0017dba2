"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG markup.

matplotlib is imported lazily (it is only needed when a report is written) and used through
its object-oriented API with the SVG canvas, so no display or GUI backend is touched.
Text is emitted as SVG <text> (not paths) so charts stay small and readable by screen readers;
mathtext is off so a '$' in a touchpoint name is shown as is.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["driver_quadrant_svg", "pain_ranking_svg", "trend_svg"]

NEGATIVE, NEUTRAL, POSITIVE = "#c0392b", "#b8b8b8", "#2e8b57"
_STYLE: Any = {  # rcParams; typed Any because matplotlib types keys as a Literal union
    "svg.fonttype": "none",
    "svg.hashsalt": "touchtext",  # stable clip-path ids: the same data gives the same file
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_chart_ids = itertools.count(1)


def _svg(fig: Any) -> str:
    """Serialise a figure to SVG markup for inlining: no XML prolog, ids made unique per chart."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    markup = buffer.getvalue()
    markup = markup[markup.index("<svg") :]
    prefix = f"c{next(_chart_ids)}-"
    markup = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', markup)
    markup = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", markup)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', markup)


@contextmanager
def _figure(width: float, height: float) -> Iterator[Any]:
    """A new matplotlib Figure (no pyplot, no GUI backend) drawn in touchtext's style."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(_STYLE):
        yield Figure(figsize=(width, height), layout="constrained")


def pain_ranking_svg(summary: pd.DataFrame, top: int = 12) -> str:
    """Mentions by sentiment (stacked bars) and negative share with its 95% interval, top pain points."""
    shown = summary[summary["mentions"] > 0].head(top).iloc[::-1]
    with _figure(8.5, 0.32 * max(len(shown), 3) + 0.9) as fig:
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=[3, 2])
        y = np.arange(len(shown))
        start = np.zeros(len(shown))
        for column, colour in (("negative", NEGATIVE), ("neutral", NEUTRAL), ("positive", POSITIVE)):
            values = shown[column].to_numpy(dtype=float)
            left.barh(y, values, left=start, color=colour, label=column, height=0.7)
            start += values
        left.set_yticks(y, shown["name"].tolist())
        left.set_xlabel("mentions")
        left.legend(loc="lower right", frameon=False, fontsize=8)
        share = shown["negative_share"].to_numpy(dtype=float)
        low, high = (
            shown["negative_share_low"].to_numpy(dtype=float),
            shown["negative_share_high"].to_numpy(dtype=float),
        )
        errors = np.clip(np.vstack([share - low, high - share]), 0, None)  # float noise at 0% / 100%
        right.errorbar(share, y, xerr=errors, fmt="o", color=NEGATIVE, ecolor="#888888", capsize=2, markersize=4)
        right.set_xlim(0, 1)
        right.set_xlabel("negative share (95% interval)")
        right.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        return _svg(fig)


def trend_svg(trends: pd.DataFrame, names: dict[str, str], touchpoints: list[str]) -> str:
    """Share of items with a negative mention per period for the given touchpoints; significant rises marked."""
    with _figure(8.5, 3.2) as fig:
        ax = fig.add_subplot()
        periods = sorted(trends["period"].unique())
        x = np.arange(len(periods))
        for tp in touchpoints:
            line = trends[trends["touchpoint"] == tp].set_index("period").reindex(periods)
            share = line["negative_item_share"].to_numpy(dtype=float)
            drawn = ax.plot(x, share, marker="o", markersize=3, label=names.get(tp, tp))
            rises = (line["change"] == "rise").to_numpy()
            ax.scatter(
                x[rises], share[rises], marker="^", s=60, color=drawn[0].get_color(), edgecolor="black", zorder=3
            )
        step = max(1, len(periods) // 12)
        ax.set_xticks(x[::step], [str(p) for p in periods[::step]], rotation=30, ha="right")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_ylabel("items with a complaint")
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False, fontsize=8, loc="upper left", ncols=min(len(touchpoints), 3))
        return _svg(fig)


def driver_quadrant_svg(drivers: pd.DataFrame, names: dict[str, str], label_top: int = 8) -> str:
    """Complaint frequency vs score points lost per complaint; the top-right quadrant is 'fix first'.
    Only the `label_top` highest priorities are named, so labels stay legible."""
    with _figure(7.5, 4.6) as fig:
        ax = fig.add_subplot()
        x = drivers["negative_share"].to_numpy(dtype=float)
        y = -drivers["impact"].to_numpy(dtype=float)
        colours = [NEGATIVE if q.startswith("fix first") else "#4a6fa5" for q in drivers["quadrant"]]
        ax.scatter(x, y, s=30 + 400 * drivers["priority"] / max(drivers["priority"].max(), 1e-9), c=colours, alpha=0.8)
        labelled = set(drivers.nsmallest(label_top, "priority_rank")["touchpoint"])  # the rest: see the table
        for xi, yi, tp in zip(x, y, drivers["touchpoint"], strict=True):
            if tp in labelled:
                ax.annotate(names.get(tp, tp), (xi, yi), xytext=(5, 4), textcoords="offset points", fontsize=8)
        ax.axvline(float(np.median(x)), color="#999999", linestyle="--", linewidth=0.8)
        ax.axhline(float(np.median(y)), color="#999999", linestyle="--", linewidth=0.8)
        ax.set_xlabel("items with a complaint about it (share)")
        ax.set_ylabel("score points lost per complaint")
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.text(0.99, 0.98, "fix first", transform=ax.transAxes, ha="right", va="top", color=NEGATIVE)
        ax.text(0.01, 0.98, "costly but rare", transform=ax.transAxes, ha="left", va="top", color="#555555")
        ax.text(0.99, 0.02, "frequent but mild", transform=ax.transAxes, ha="right", va="bottom", color="#555555")
        return _svg(fig)
