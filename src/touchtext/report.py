"""Rendering summaries for people: the HTML report, the Markdown summary and the terminal table."""

from __future__ import annotations

import base64
import hashlib
import html
from typing import TYPE_CHECKING, Any, get_args

import pandas as pd

from . import __version__, schema
from ._charts import driver_quadrant_svg, pain_ranking_svg, trend_svg
from .taxonomy import JourneyStage, Taxonomy

if TYPE_CHECKING:
    from .summaries import SummaryTables

__all__ = [
    "render_label_check",
    "render_metrics",
    "render_report_html",
    "render_summary_markdown",
    "render_terminal_table",
]


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


# -- the HTML report ---------------------------------------------------------------------------
_FILTER_SCRIPT = """
document.getElementById("tp-filter").addEventListener("change", function (event) {
  var chosen = event.target.value;
  document.querySelectorAll("[data-tp]").forEach(function (el) {
    el.hidden = chosen !== "" && el.getAttribute("data-tp").split(" ").indexOf(chosen) < 0;
  });
});
"""
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header,section,footer{max-width:1080px;margin:0 auto;padding:12px 24px}
header{background:#fff;border-bottom:1px solid #ddd;position:sticky;top:0;z-index:1}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:18px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:14px 0 4px}.meta{color:#555;margin:2px 0 6px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chart svg{max-width:100%;height:auto}.neg{color:#c0392b}.pos{color:#2e8b57}
.strip{display:flex;gap:4px;flex-wrap:wrap}.stage{flex:1 1 110px;padding:8px;border-radius:4px;color:#111}
.stage b{display:block;font-size:13px}.stage small{display:block;color:#333}
.chips span{display:inline-block;background:#f3e1de;border-radius:10px;padding:1px 8px;margin:2px;font-size:12px}
blockquote{margin:4px 0 4px 0;padding:4px 10px;border-left:3px solid #c0392b;background:#fff;white-space:pre-wrap}
blockquote.positive{border-left-color:#2e8b57}blockquote cite{display:block;color:#777;font-size:11px}
.note{color:#666;font-size:12px}
"""


def _e(value: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value), quote=True)


def _csp(script: str) -> str:
    """Content-Security-Policy: nothing loads from anywhere; only our own script (by hash) runs."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")  # fmt: skip


def _stage_colour(negative_share: float) -> str:
    """Green (no complaints) to red (all complaints) for the journey strip."""
    red, green = (0xE7, 0x9A, 0x8F), (0xB9, 0xDF, 0xC4)
    mix = [round(g + (r - g) * min(max(negative_share, 0.0), 1.0)) for r, g in zip(red, green, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def _journey_strip(tables: SummaryTables, taxonomy: Taxonomy) -> str:
    summary = tables.summary
    cells = []
    for stage in get_args(JourneyStage):
        rows = summary[summary["stage"] == stage]
        if rows.empty:
            continue
        mentions, negative = int(rows["mentions"].sum()), int(rows["negative"].sum())
        share = negative / mentions if mentions else 0.0
        worst = rows[rows["negative"] > 0].head(2)["name"].tolist()
        ids = " ".join(rows["touchpoint"])
        cells.append(
            f'<div class="stage" data-tp="{_e(ids)}" style="background:{_stage_colour(share)}">'
            f"<b>{_e(stage.replace('_', ' & '))}</b>"
            f"<small>{mentions} mentions · {share:.0%} negative</small>"
            f"<small>{_e(', '.join(worst)) if worst else 'no complaints'}</small></div>"
        )
    return '<div class="strip">' + "".join(cells) + "</div>"


def _ranking_table(summary: pd.DataFrame) -> str:
    rows = []
    for r in summary[summary["mentions"] > 0].itertuples(index=False):
        rows.append(
            f'<tr data-tp="{_e(r.touchpoint)}"><td class="n">{r.pain_rank}</td><td>{_e(r.name)}</td>'
            f"<td>{_e(str(r.stage).replace('_', ' '))}</td><td>{_e(str(r.facing).replace('_', ' '))}</td>"
            f'<td class="n">{r.mentions}</td><td class="n">{r.share:.1%}</td><td class="n neg">{r.negative}</td>'
            f'<td class="n">{r.negative_share:.0%} ({r.negative_share_low:.0%}–{r.negative_share_high:.0%})</td>'
            f'<td class="n">{r.net_sentiment:+.2f}</td><td>{_e(r.top_phrases)}</td></tr>'
        )
    if not rows:
        return '<p class="note">No touchpoint was mentioned.</p>'
    return (
        '<table><thead><tr><th class="n">#</th><th>touchpoint</th><th>stage</th><th>facing</th>'
        '<th class="n">mentions</th><th class="n">share of items</th><th class="n">negative</th>'
        '<th class="n">negative share (95% CI)</th><th class="n">net</th><th>phrases</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _trend_section(tables: SummaryTables, names: dict[str, str]) -> str:
    trends = tables.trend
    if trends.empty:
        return '<p class="note">No date column: trends need a date per item (use --date-col).</p>'
    top = tables.summary[tables.summary["negative"] > 0]["touchpoint"].head(5).tolist()
    parts = [f'<div class="chart">{trend_svg(trends, names, top)}</div>'] if top else []
    parts.append(
        f'<p class="note">Share of items with a complaint per {_e(tables.period)}, top pain points; '
        "▲ marks a significant change from the previous period (two-proportion z-test, p &lt; 0.05).</p>"
    )
    changes = trends[trends["change"] != ""]
    if not changes.empty:
        parts.append(
            '<table><thead><tr><th>period</th><th>touchpoint</th><th>change</th><th class="n">negative items</th>'
            '<th class="n">share</th><th class="n">p</th></tr></thead><tbody>'
        )
        for r in changes.itertuples(index=False):
            parts.append(
                f'<tr data-tp="{_e(r.touchpoint)}"><td>{_e(r.period)}</td><td>{_e(names.get(r.touchpoint))}</td>'
                f'<td class="{"neg" if r.change == "rise" else "pos"}">{_e(r.change)}</td>'
                f'<td class="n">{r.negative} of {r.items}</td><td class="n">{r.negative_item_share:.0%}</td>'
                f'<td class="n">{r.p_value:.3f}</td></tr>'
            )
        parts.append("</tbody></table>")
    return "".join(parts)


def _driver_section(tables: SummaryTables, names: dict[str, str]) -> str:
    table = tables.drivers
    if table.empty:
        return ('<p class="note">No rating, NPS or CSAT column with at least 30 scored items: '
                "driver analysis needs one (use --score-col).</p>")  # fmt: skip
    rows = "".join(
        f'<tr data-tp="{_e(r.touchpoint)}"><td class="n">{r.priority_rank}</td><td>{_e(names.get(r.touchpoint))}</td>'
        f'<td class="n">{r.negative_items}</td><td class="n">{r.impact:+.2f} ({r.impact_low:+.2f} to '
        f'{r.impact_high:+.2f})</td><td class="n">{r.priority:.3f}</td><td>{_e(r.quadrant)}</td></tr>'
        for r in table.itertuples(index=False)
    )
    return (
        f'<div class="chart">{driver_quadrant_svg(table, names)}</div>'
        f'<p class="note">Score column: {_e(tables.score_column)}. Impact: score points a complaint costs '
        "(ridge regression, 95% bootstrap interval); priority: complaint share × impact.</p>"
        '<table><thead><tr><th class="n">priority</th><th>touchpoint</th><th class="n">complaints</th>'
        '<th class="n">impact (95% CI)</th><th class="n">expected loss per item</th><th>quadrant</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _details_section(tables: SummaryTables) -> str:
    parts = []
    for r in tables.summary[tables.summary["mentions"] > 0].itertuples(index=False):
        phrases = tables.phrases[tables.phrases["touchpoint"] == r.touchpoint]["phrase"].tolist()
        chips = "".join(f"<span>{_e(p)}</span>" for p in phrases)
        quotes = []
        for sentiment in ("negative", "positive"):
            picked = tables.quotes[
                (tables.quotes["touchpoint"] == r.touchpoint) & (tables.quotes["sentiment"] == sentiment)
            ]
            quotes += [
                f'<blockquote class="{sentiment}">{_e(q.quote)}'
                f"<cite>{sentiment} · row {_e(q.row_id)}</cite></blockquote>"
                for q in picked.itertuples(index=False)
            ]
        parts.append(
            f'<article data-tp="{_e(r.touchpoint)}"><h3>{_e(r.name)} <span class="note">{r.negative} negative of '
            f"{r.mentions} mentions</span></h3>"
            + (f'<div class="chips">{chips}</div>' if chips else "")
            + "".join(quotes)
            + "</article>"
        )
    return "".join(parts) or '<p class="note">No touchpoint was mentioned.</p>'


def _pairs_section(tables: SummaryTables, names: dict[str, str]) -> str:
    pairs = tables.cooccurrence.head(10)
    if pairs.empty:
        return '<p class="note">No item complains about two touchpoints at once.</p>'
    rows = "".join(
        f'<tr data-tp="{_e(r.touchpoint_a)} {_e(r.touchpoint_b)}"><td>{_e(names.get(r.touchpoint_a))}</td>'
        f'<td>{_e(names.get(r.touchpoint_b))}</td><td class="n">{r.both_negative}</td>'
        f'<td class="n">{r.lift:.1f}</td></tr>'
        for r in pairs.itertuples(index=False)
    )
    return ('<table><thead><tr><th>touchpoint</th><th>with</th><th class="n">items complaining of both</th>'
            f'<th class="n">lift</th></tr></thead><tbody>{rows}</tbody></table>')  # fmt: skip


def render_report_html(tables: SummaryTables, *, taxonomy: Taxonomy, input_name: str = "", model_name: str = "") -> str:
    """One self-contained HTML page: ranked pain points, journey strip, trends, driver quadrant,
    phrases and quotes, with a touchpoint filter. Charts are inline SVG; nothing loads from the
    network; all customer text is escaped and a Content-Security-Policy lets only the page's
    own filter script run."""
    summary = tables.summary
    names = dict(zip(summary["touchpoint"], summary["name"], strict=True))
    analysed = sum(v for k, v in tables.status_counts.items() if k in schema.ANALYSED_STATUSES)
    meta = [f"{tables.items:,} items", f"{analysed:,} analysed"]
    if input_name:
        meta.insert(0, f"input {input_name}")
    if model_name:
        meta.append(f"model {model_name}")
    options = "".join(
        f'<option value="{_e(tp)}">{_e(name)}</option>'
        for tp, name, n in zip(summary["touchpoint"], summary["name"], summary["mentions"], strict=True)
        if n > 0
    )
    ranking_chart = pain_ranking_svg(summary) if (summary["mentions"] > 0).any() else ""
    body = [
        "<header><h1>Touchpoint pain points</h1>",
        f'<p class="meta">{_e(" · ".join(meta))}</p>',
        '<label>Show <select id="tp-filter"><option value="">all touchpoints</option>'
        f"{options}</select></label></header>",
        '<section id="ranking"><h2>What hurts most</h2>',
        f'<div class="chart">{ranking_chart}</div>' if ranking_chart else "",
        f"{_ranking_table(summary)}</section>",
        f'<section id="journey"><h2>Along the journey</h2>{_journey_strip(tables, taxonomy)}</section>',
        f'<section id="trend"><h2>Trend</h2>{_trend_section(tables, names)}</section>',
        f'<section id="drivers"><h2>What drives the score down</h2>{_driver_section(tables, names)}</section>',
        f'<section id="details"><h2>Why: phrases and quotes</h2>{_details_section(tables)}</section>',
        f'<section id="pairs"><h2>Complained about together</h2>{_pairs_section(tables, names)}</section>',
        f'<footer class="note">touchtext {_e(__version__)} · taxonomy {_e(taxonomy.name)} · this file loads '
        "nothing from the network.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp(_FILTER_SCRIPT)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Touchpoint pain points{_e(' — ' + input_name if input_name else '')}</title>"
        f"<style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + f"\n<script>{_FILTER_SCRIPT}</script></body></html>\n"
    )


# -- model metrics ----------------------------------------------------------------------------
def render_metrics(metrics: dict[str, Any], title: str) -> str:
    """Per-touchpoint precision/recall/F1 and the headline scores, as printed by train/evaluate."""
    if not metrics:
        return f"{title}: no rows to score."
    lines = [title, f"{'touchpoint':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for t, v in metrics["per_touchpoint"].items():
        lines.append(f"{t:<20} {v['precision']:>9.2f} {v['recall']:>7.2f} {v['f1']:>6.2f} {v['support']:>8}")
    headline = f"micro-F1 {metrics['micro_f1']:.3f} | macro-F1 {metrics['macro_f1']:.3f}"
    if "sentiment_accuracy" in metrics:
        headline += (
            f" | sentiment accuracy {metrics['sentiment_accuracy']:.3f} "
            f"(macro-F1 {metrics['sentiment_macro_f1']:.3f}, {metrics['sentiment_pairs']} touchpoint-sentiment pairs)"
        )
    if "pair_f1" in metrics:
        headline += f" | pair-F1 {metrics['pair_f1']:.3f}"
    lines.append(headline)
    confused = metrics.get("confused_pairs") or []
    if confused:
        lines.append("most confused (gold -> predicted instead): " + ", ".join(
            f"{c['gold']} -> {c['predicted']} ({c['items']})" for c in confused[:5]))  # fmt: skip
    return "\n".join(lines)


def render_training_report(card: dict[str, Any]) -> str:
    """What `touchtext train` prints: data, time, cross-validated and held-out metrics."""
    data = card["data"]
    language = card.get("settings", {}).get("language", {}).get("lang", "?")
    lines = [
        f"Trained on {data['n_train']} items (language: {language}) in {card['training_seconds']} s; "
        f"held-out test: {data['n_test']} items.",
        "",
    ]
    cv = card.get("cross_validation") or {}
    if cv:
        lines += [render_metrics(cv, f"{cv['folds']}-fold cross-validation on the training items:"), ""]
    lines.append(render_metrics(card.get("metrics") or {}, "Held-out test split:"))
    return "\n".join(lines)


def render_label_check(problems: pd.DataFrame, issues: pd.DataFrame, top: int = 20) -> str:
    """What `touchtext check-labels` prints: format problems by row, then likely mislabeled items."""
    errors = problems[problems["severity"] == "error"]
    lines = [f"Format: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)."]
    lines += [f"  {r.severity}: {r.file} row {r.row}: {r.problem}" for r in problems.head(top).itertuples(index=False)]
    if not errors.empty:
        lines.append("Fix the errors first; likely mislabeled items are looked for once the file loads.")
        return "\n".join(lines)
    lines.append(f"\nLikely mislabeled: {len(issues)} item(s) (the cross-validated model confidently disagrees).")
    for r in issues.head(top).itertuples(index=False):
        lines.append(f"  {r.file} row {r.row} ({r.confidence:.2f}): {_shorten(r.text, 70)}")
        lines.append(f"      {r.labels}  ->  {r.suggested_labels}   [{r.problem}]")
    return "\n".join(lines)
