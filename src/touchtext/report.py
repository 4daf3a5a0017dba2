"""Rendering summaries for people: the Markdown summary and the terminal pain-point table."""

from __future__ import annotations

import pandas as pd

__all__ = ["render_summary_markdown", "render_terminal_table"]


def _shorten(text: object, width: int) -> str:
    s = " ".join(str(text).split()) if isinstance(text, str) else ""
    return s if len(s) <= width else s[: width - 1].rstrip() + "…"


def _md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return _shorten(text, 160).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_summary_markdown(
    summary: pd.DataFrame,
    *,
    n_items: int,
    input_name: str = "",
    model_name: str = "",
    trends: pd.DataFrame | None = None,
    quote_table: pd.DataFrame | None = None,
    driver_table: pd.DataFrame | None = None,
) -> str:
    """A Markdown report: the ranked pain points with counts, negative share and an example."""
    lines = ["# Touchpoint pain points", ""]
    if input_name:
        lines.append(f"Input: `{input_name}` · items: {n_items}" + (f" · model: {model_name}" if model_name else ""))
        lines.append("")
    lines += [
        "Ranked by negative mentions. Negative share comes with a 95% Wilson interval, "
        "so small counts are not over-read.",
        "",
        "| rank | touchpoint | stage | mentions | share | negative | negative share (95% CI) "
        "| net sentiment | example |",
        "|---:|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in summary.itertuples(index=False):
        lines.append(
            f"| {r.pain_rank} | {r.name} | {r.stage.replace('_', ' ')} | {r.mentions} | {r.share:.1%} | {r.negative} | "
            f"{r.negative_share:.0%} ({r.negative_share_low:.0%}–{r.negative_share_high:.0%}) | "
            f"{r.net_sentiment:+.2f} | {_md_cell(r.top_example)} |"
        )
    if driver_table is not None and not driver_table.empty:
        names = dict(zip(summary["touchpoint"], summary["name"], strict=True))
        lines += [
            "",
            "## What drives the score down",
            "",
            "Impact: score points a complaint about the touchpoint costs (ridge regression, 95% bootstrap interval). "
            "Priority: complaint share x impact, the expected score lost per item.",
            "",
            "| priority | touchpoint | complaints | impact (95% CI) | expected loss per item | quadrant |",
            "|---:|---|---:|---|---:|---|",
        ]
        for r in driver_table.head(10).itertuples(index=False):
            lines.append(
                f"| {r.priority_rank} | {names.get(r.touchpoint, r.touchpoint)} | {r.negative_items} | "
                f"{r.impact:+.2f} ({r.impact_low:+.2f} to {r.impact_high:+.2f}) | {r.priority:.3f} | {r.quadrant} |"
            )
    if trends is not None and not trends.empty:
        changes = trends[trends["change"] != ""]
        lines += ["", "## Significant changes by period", ""]
        if changes.empty:
            lines.append(
                "No period's share of items with a negative mention differs significantly from the one before."
            )
        else:
            names = dict(zip(summary["touchpoint"], summary["name"], strict=True))
            lines += [
                "Share of items with a negative mention vs the previous period (two-proportion z-test, p < 0.05).",
                "",
                "| period | touchpoint | change | negative items | share | p |",
                "|---|---|---|---:|---:|---:|",
            ]
            for r in changes.itertuples(index=False):
                lines.append(f"| {r.period} | {names.get(r.touchpoint, r.touchpoint)} | {r.change} | {r.negative} "
                             f"of {r.items} | {r.negative_item_share:.0%} | {r.p_value:.3f} |")  # fmt: skip
    if quote_table is not None and not quote_table.empty:
        lines += ["", "## What customers say about the top pain points", ""]
        for tp in summary[summary["negative"] > 0]["touchpoint"].head(5):
            picked = quote_table[(quote_table["touchpoint"] == tp) & (quote_table["sentiment"] == "negative")]
            if picked.empty:
                continue
            row = summary.loc[summary["touchpoint"] == tp].iloc[0]
            explained = f" — phrases: {_md_cell(row['top_phrases'])}" if row.get("top_phrases") else ""
            lines.append(f"**{row['name']}**{explained}")
            lines += [f'- "{_md_cell(q.quote)}" (row {q.row_id})' for q in picked.itertuples(index=False)]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_terminal_table(summary: pd.DataFrame, top: int = 10) -> str:
    """A fixed-width table of the top pain points for the terminal."""
    shown = summary[summary["mentions"] > 0].head(top)
    header = f"{'#':>2}  {'touchpoint':<38} {'mentions':>8} {'negative':>8} {'neg %':>6} {'net':>6}"
    lines = [header, "-" * len(header)]
    for r in shown.itertuples(index=False):
        lines.append(
            f"{r.pain_rank:>2}  {_shorten(r.name, 38):<38} {r.mentions:>8} {r.negative:>8} "
            f"{r.negative_share:>6.0%} {r.net_sentiment:>+6.2f}"
        )
    if shown.empty:
        lines.append("(no touchpoint was mentioned)")
    return "\n".join(lines)
