import base64
import hashlib
import json
import os
import re
import shutil

import pandas as pd
import pytest

from touchtext.report import render_report_html, render_summary_markdown, render_terminal_table
from touchtext.summaries import summarize, summary_tables


def _summary(taxonomy, text):
    m = [
        {
            "touchpoint": "billing",
            "sentiment": "negative",
            "confidence": 0.9,
            "sentiment_confidence": 0.9,
            "evidence": [{"text": text, "start": 0, "end": len(text)}],
        }
    ]
    df = pd.DataFrame({"row_id": [1, 2], "status": ["ok", "unclear"], "mentions": [json.dumps(m), "[]"]})
    return summarize(df, taxonomy)


def test_markdown_lists_every_touchpoint_and_escapes_text(taxonomy):
    md = render_summary_markdown(
        _summary(taxonomy, "bill | wrong <script>alert(1)</script>"), n_items=2, input_name="x.csv"
    )
    assert md.startswith("# Touchpoint pain points")
    assert "| 1 | Billing, invoicing, payments and credit | billing | 1 | 50.0% | 1 |" in md
    assert "<script>" not in md and "&lt;script&gt;" in md and "bill \\| wrong" in md
    assert md.count("\n| ") == len(taxonomy.ids) + 1  # header plus one row per touchpoint


def test_terminal_table_shows_only_mentioned_touchpoints(taxonomy):
    table = render_terminal_table(_summary(taxonomy, "charged twice"))
    lines = table.splitlines()
    assert len(lines) == 3
    assert "Billing" in lines[2] and "100%" in lines[2]


# -- the HTML report ---------------------------------------------------------------------------
HOSTILE = [
    "<script>window.__pwned = 'script'</script> the invoice was wrong",
    "<img src=x onerror=\"window.__pwned = 'img'\"> billing charged me twice",
    '"><svg onload="window.__pwned=\'svg\'"> bill never arrived',
]


def _hostile_tables(taxonomy):
    """A classified set whose evidence sentences are script-injection payloads."""
    items = []
    for i, text in enumerate(HOSTILE * 2):
        m = {"touchpoint": "billing", "sentiment": "negative", "confidence": 0.9 - i / 100,
             "sentiment_confidence": 0.9, "evidence": [{"text": text, "start": 0, "end": len(text)}]}  # fmt: skip
        p = {"touchpoint": "parking", "sentiment": "positive", "confidence": 0.8, "sentiment_confidence": 0.8,
             "evidence": [{"text": f"easy parking {i}", "start": 0, "end": 14}]}  # fmt: skip
        items.append(json.dumps([m, p] if i % 2 else [m]))
    df = pd.DataFrame({"row_id": range(1, 7), "status": "ok", "mentions": items})
    return summary_tables(df, taxonomy=taxonomy)


def test_report_is_self_contained_escaped_and_locked_down(taxonomy, classified_sample):
    page = render_report_html(_hostile_tables(taxonomy), taxonomy=taxonomy, input_name="<b>x</b>.csv")
    assert "<script>window" not in page and "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;script&gt;window.__pwned" in page and "&lt;img src=x onerror=" in page
    assert "&lt;b&gt;x&lt;/b&gt;.csv" in page
    assert page.count("<script>") == 1  # only the page's own filter script
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    full = render_report_html(summary_tables(classified_sample, taxonomy=taxonomy), taxonomy=taxonomy)
    assert full.count("<svg") == 3  # ranking, trend and driver quadrant charts, inline
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", full) and "<link" not in full and "@import" not in full
    assert not re.search(r"url\((?!#)", full)  # only in-document references (clip paths)


@pytest.fixture(scope="module")
def browser():
    """Real headless Chromium (Debian's package, installed by .ci/run) driven by Playwright."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed here (apt-get install chromium); CI always runs this test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]  # fmt: skip


def _open(browser, path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: problems.append(f"request {r.url}") if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def test_report_renders_in_chromium_and_runs_no_customer_script(browser, taxonomy, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_report_html(_hostile_tables(taxonomy), taxonomy=taxonomy), encoding="utf-8")
    page, problems = _open(browser, path)
    assert page.evaluate("window.__pwned") is None  # no payload ran
    text = page.inner_text("#details")
    assert "<script>window.__pwned = 'script'</script>" in text and "<img src=x onerror=" in text
    assert page.locator("#details img, #details svg, #details script").count() == 0
    page.select_option("#tp-filter", "parking")  # the filter (our own script) still runs under the CSP
    assert page.locator('#details article[data-tp="billing"]').is_hidden()
    assert page.locator('#details article[data-tp="parking"]').is_visible()
    assert problems == []


def test_sample_report_renders_with_charts_and_a_screenshot(browser, taxonomy, classified_sample, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_report_html(summary_tables(classified_sample, taxonomy=taxonomy), taxonomy=taxonomy))
    page, problems = _open(browser, path)
    assert problems == []
    for section in ("#ranking svg", "#trend svg", "#drivers svg"):
        box = page.locator(section).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150
    assert page.locator("#journey .stage").count() == 8
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_report_of_a_hostile_export_runs_no_customer_script(browser, shipped_model, tmp_path):
    """End to end (issue 9): entity-encoded markup in the export decodes to real tags in the
    cleaned text, so evidence quotes carry `<script>`; segment values and the file name are
    hostile too. The report shows them as text and runs none of them."""
    from touchtext.pipeline import run

    payloads = ["&lt;script&gt;window.__pwned = 'script'&lt;/script&gt; They charged my card twice for one night.",
                "&lt;img src=x onerror=\"window.__pwned = 'img'\"&gt; The invoice was wrong and billing never answered.",
                "They charged my card twice &lt;svg onload=\"window.__pwned = 'svg'\"&gt; and the bill was wrong."]  # fmt: skip
    rows = [
        {"text": payloads[i % 3], "location": "<img src=x onerror=\"window.__pwned = 'segment'\">"} for i in range(9)
    ]
    source = tmp_path / '"><svg onload=window.__pwned=1>.csv'
    pd.DataFrame(rows).to_csv(source, index=False)
    result = run(source, tmp_path / "out", model=shipped_model[0], segments=("location",))
    assert "<script>window.__pwned" in " ".join(result.classified["clean_text"])  # the payload survived cleaning
    page_file = tmp_path / "out" / "report.html"
    html = page_file.read_text(encoding="utf-8")
    assert "<script>window" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert html.count("<script>") == 1 and "default-src 'none'" in html
    page, problems = _open(browser, page_file)
    assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned = 'script'</script>" in page.inner_text("body")  # shown as text
    assert problems == []
