"""The quarterly review: content equal to the analytics, movers, papermill, errors."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import make_ledger

from dunning_analytics import LedgerError
from dunning_analytics.cli import main
from dunning_analytics.common.formatting import format_eur
from dunning_analytics.present.review import build_review, parse_quarter, render_html, write_review
from dunning_analytics.questions.aging import aging, aging_totals
from dunning_analytics.questions.behaviour import portfolio_kpis
from dunning_analytics.questions.forecast import weekly_forecast
from dunning_analytics.questions.risk import risk_flags

D = dt.date
E = Decimal
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_quarterly_review.ipynb"


def test_review_figures_equal_the_underlying_functions(demo_ledger):
    review = build_review(demo_ledger, "2026Q3")
    end = D(2026, 9, 30)
    totals = aging_totals(aging(demo_ledger, end))
    assert review.summary["outstanding"] == totals["outstanding"]
    assert review.summary["over_90"] == totals["over 90"]
    kpis = portfolio_kpis(demo_ledger, D(2026, 7, 1), end, period="quarter").iloc[-1]
    assert review.summary["dso"] == pytest.approx(float(kpis["dso"]))
    assert review.summary["cei"] == pytest.approx(float(kpis["cei"]))
    flags = risk_flags(demo_ledger, end)
    assert review.summary["flagged"] == (flags["level"] != "none").sum() > 0
    html = render_html(review)
    assert format_eur(totals["outstanding"]) in html
    assert "<script" in html and "plotly" in html.lower()
    # plotly.js is inlined: no script or stylesheet is loaded from elsewhere
    assert not re.search(r"<(script|link|img)[^>]*(src|href)=", html)
    assert "import dunning_analytics" not in html  # no code
    sections = ("summary", "kpis", "aging", "top", "movers", "flags", "escalations", "curve")
    for section in (*sections, "forecast"):
        assert f'<section id="{section}"' in html


def test_the_review_forecasts_the_next_weeks_and_checks_the_last_forecast(demo_ledger):
    import duckdb

    review = build_review(demo_ledger, "2026Q3")
    end, previous_end = D(2026, 9, 30), D(2026, 6, 30)
    weeks = weekly_forecast(demo_ledger, end)
    assert review.forecast.equals(weeks)
    html = render_html(review)
    expected = sum(weeks["expected_amount"].iloc[:-1])
    assert f"Expected in the next 13 weeks: {format_eur(expected)}" in html
    # the check: what was open at the end of Q2 and got paid in the 13 weeks after it, as
    # the ledger knew it at the end of Q3, recomputed here in SQL
    with duckdb.connect(str(demo_ledger), read_only=True) as con:
        came_in = con.execute(
            """
            SELECT sum(o.outstanding)
            FROM invoice_settlement_at(DATE '2026-06-30') AS o
            JOIN invoice_settlement_at(DATE '2026-09-30') AS s USING (invoice_id)
            WHERE o.outstanding > 0
              AND s.settled_date > DATE '2026-06-30' AND s.settled_date <= DATE '2026-09-29'
            """
        ).fetchone()[0]
    check = review.forecast_check.set_index("method")
    assert check.loc["forecast", "came_in"] == came_in > 0
    assert f"{format_eur(came_in)} did" in html
    assert check.loc["forecast", "wape"] < check.loc["due_date_baseline", "wape"]
    assert (end - previous_end).days // 7 == check.loc["forecast", "weeks"] == 13


def test_dutch_review_formats_for_a_dutch_reader(demo_ledger):
    review = build_review(demo_ledger, "2026Q3", lang="nl")
    html = render_html(review)
    assert format_eur(review.summary["outstanding"], "nl") in html  # € 1.234,56
    assert "30-09-2026" in html and "Samenvatting" in html
    assert re.search(r"€ \d{1,3}(\.\d{3})*,\d\d", html)


def _movers_ledger(path):
    """K1 on time until an invoice due 15 Oct 2025 stays unpaid; K2 pays a long-overdue
    invoice in October; K3 is unchanged and pays an invoice on 31 December."""
    invoices, payments = [], []
    for n in range(6):
        issued = D(2025, 3, 1) + dt.timedelta(days=30 * n)
        due = issued + dt.timedelta(days=30)
        # K3 is the big client, so K1 and K2 stay far below the concentration threshold
        for client, amount in (("K1", "1000.00"), ("K2", "1000.00"), ("K3", "9000.00")):
            invoices.append((f"{client}-{n}", client, issued, due, E(amount)))
            payments.append((f"p{client}-{n}", client, f"{client}-{n}", due, E(amount)))
    invoices.append(("K1-open", "K1", D(2025, 9, 15), D(2025, 10, 15), E("1000.00")))
    invoices.append(("K2-late", "K2", D(2025, 6, 1), D(2025, 7, 1), E("1000.00")))
    payments.append(("pK2-late", "K2", "K2-late", D(2025, 10, 15), E("1000.00")))
    invoices.append(("K3-q4", "K3", D(2025, 10, 1), D(2025, 10, 31), E("1000.00")))
    payments.append(("pK3-q4", "K3", "K3-q4", D(2025, 10, 31), E("1000.00")))
    # the ledger runs to the quarter's end, so the quarter is over
    invoices.append(("K3-dec", "K3", D(2025, 12, 1), D(2025, 12, 31), E("1000.00")))
    payments.append(("pK3-dec", "K3", "K3-dec", D(2025, 12, 31), E("1000.00")))
    return make_ledger(path, invoices, payments)


def test_movers_for_a_ledger_built_to_have_them(ledger):
    con = _movers_ledger(ledger)
    review = build_review(con, "2025Q4")
    movers = review.movers.set_index("client_id")
    assert set(movers.index) == {"K1", "K2"}
    # K1: an invoice 77 days overdue on 31 Dec: full prepayment, worse
    assert (movers.loc["K1", "level_before"], movers.loc["K1", "level_now"]) == ("none", "prepay")
    assert movers.loc["K1", "direction"] == 1
    assert "overdue, the oldest invoice 77 days" in movers.loc["K1", "reasons"]
    # K2: 91 days overdue on 30 Sep, paid in October: back to no special terms
    assert (movers.loc["K2", "level_before"], movers.loc["K2", "level_now"]) == ("prepay", "none")
    assert movers.loc["K2", "direction"] == -1
    assert (review.summary["worse"], review.summary["better"]) == (1, 1)


def test_clear_errors(tmp_path, demo_ledger, capsys):
    with pytest.raises(LedgerError, match="does not exist"):
        build_review(tmp_path / "missing.duckdb", "2025Q4")
    with pytest.raises(LedgerError, match="no data for 2019Q1"):
        build_review(demo_ledger, "2019Q1")
    with pytest.raises(LedgerError, match="quarter must look like"):
        parse_quarter("Q4-2025")
    assert main(["review", "--ledger", str(demo_ledger), "--quarter", "2030Q1", "--quiet"]) == 1
    assert "no data for 2030Q1" in capsys.readouterr().err


def test_an_unfinished_quarter_is_refused_or_labelled_partial(demo_ledger, tmp_path, capsys):
    # the demo ledger ends on 31 October 2026: 2026Q4 is not over
    argv = ["review", "--ledger", str(demo_ledger), "--quarter", "2026Q4", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "the quarter is not over" in err and "--allow-partial" in err
    assert not (tmp_path / "r.html").exists()
    review = build_review(demo_ledger, "2026Q4", allow_partial=True)
    assert review.end == D(2026, 10, 31) and review.quarter == "2026Q4 (up to 2026-10-31)"
    # everything is as of the ledger's last date: the same aging as an aging on that day
    assert (
        review.aging_now["outstanding"]
        == aging_totals(aging(demo_ledger, D(2026, 10, 31)))["outstanding"]
    )
    dutch = build_review(demo_ledger, "2026Q4", lang="nl", allow_partial=True)
    assert "2026Q4 (tot en met 31-10-2026)" in render_html(dutch)
    # a finished quarter is not touched
    assert build_review(demo_ledger, "2026Q3").end == D(2026, 9, 30)


def test_cli_writes_one_html_file(demo_ledger, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert (
        main(
            [
                "review",
                "--ledger",
                str(demo_ledger),
                "--quarter",
                "2026Q2",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert out.exists() and out.stat().st_size > 1_000_000  # plotly.js inside
    assert write_review(demo_ledger, "2026Q2", out=tmp_path / "again.html").read_text() == (
        out.read_text()
    )


def test_review_notebook_through_papermill(demo_ledger, tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "review.html"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "executed.ipynb"),
        parameters={"ledger": str(demo_ledger), "quarter": "2026Q3", "lang": "nl", "out": str(out)},
        progress_bar=False,
        cwd=str(tmp_path),
    )
    html = out.read_text(encoding="utf-8")
    assert "Debiteurenrisico-overzicht 2026Q3" in html
    assert html == render_html(build_review(demo_ledger, "2026Q3", lang="nl"))


def test_kpi_changes_carry_their_sign(demo_ledger):
    review = build_review(demo_ledger, "2026Q3")
    html = render_html(review)
    kpis = html[html.index('<section id="kpis"') :]
    kpis = kpis[: kpis.index("</section>")]
    rows = {
        re.sub("<[^>]+>", "", cells[0]).strip(): [re.sub("<[^>]+>", "", c).strip() for c in cells]
        for cells in (
            re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", kpis, re.S)
        )
        if cells
    }
    before, now = review.aging_before["over 90"], review.aging_now["over 90"]
    change = format_eur(now - before)
    assert rows["Over 90 days"][3] == ("+" + change if now > before else change)
    for label, (_, a, b, delta) in rows.items():
        if delta in ("–", "change"):
            continue
        rising = float(re.sub(r"[^\d.-]", "", b)) > float(re.sub(r"[^\d.-]", "", a))
        assert delta.startswith("+") == rising, (label, a, b, delta)


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="the PDF needs Chromium")
def test_the_review_pdf_numbers_its_pages(demo_ledger, tmp_path):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 reads the PDF's text")
    html = write_review(demo_ledger, "2026Q3", out=tmp_path / "overzicht.html", lang="nl",
                        pdf=True)  # fmt: skip
    document = pdfium.PdfDocument(html.with_suffix(".pdf"))
    pages = len(document)
    assert pages > 1
    for number in range(pages):
        text = document[number].get_textpage().get_text_range()
        assert f"{number + 1} / {pages}" in text, number


def test_the_review_page_comes_from_its_template_and_escapes_what_the_ledger_holds(ledger):
    con = _movers_ledger(ledger)
    con.execute("UPDATE clients SET name = '<script>alert(1)</script> & Zn' WHERE client_id = 'K1'")
    html = render_html(build_review(con, "2025Q4"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Zn" in html  # in the movers' table
    assert '<span class="worse">none → prepay</span>' in html  # stricter terms in red
    # the aging chart, the flags' ranking and the forecast each kept with their text
    assert html.count('<div class="keep">') == 3


def test_the_dutch_review_has_no_english_words_in_its_text_or_charts(demo_ledger):
    """What a Dutch reader sees: the page's text and every chart's titles, axes and series
    names (the payment curve's axes were English in a Dutch review)."""
    import html as html_module

    from test_messages import english_words

    page = render_html(build_review(demo_ledger, "2026Q3", lang="nl"))
    visible = re.sub(r"<script[^>]*>.*?</script>|<style[^>]*>.*?</style>", " ", page, flags=re.S)
    visible = html_module.unescape(re.sub(r"<[^>]+>", " ", visible))
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    charts = [s for s in scripts if "newPlot" in s and "plotly.js v" not in s[:200]]
    chart_texts = [t for s in charts for t in re.findall(r'"(?:text|name)":"([^"]*)"', s)]
    assert len(charts) == 4 and "alle klanten" in chart_texts
    assert "het beleid: te laat betaald" in chart_texts  # the deposit flags' ranking
    assert "dagen na de vervaldatum" in chart_texts
    assert not english_words(visible), english_words(visible)
    assert not english_words(" ".join(chart_texts)), english_words(" ".join(chart_texts))


def test_the_review_shows_the_deposit_flags_as_a_ranking_with_what_was_known(demo_ledger):
    """The review draws the flags' ranking for the past quarter ends whose six months after
    are known by its quarter's end, and says what the policy caught there; a review of the
    ledger's first quarters has no such past and no such section."""
    from dunning_analytics.questions.risk import backtest

    review = build_review(demo_ledger, "2025Q4")
    dates = review.tradeoff_dates
    import duckdb

    with duckdb.connect(str(demo_ledger), read_only=True) as con:
        first = con.execute("SELECT min(invoice_date) FROM invoices").fetchone()[0]
    assert first < dates[0] <= first + dt.timedelta(days=92)  # the first quarter end after it
    assert dates[-1] == D(2025, 6, 30)  # its six months end on the quarter's last day
    result = backtest(demo_ledger, dates, known_on=D(2025, 12, 31))
    revenue = result["flagged_revenue"].sum() / result["revenue"].sum()
    late = result["flagged_late_amount"].sum() / result["late_amount"].sum()
    html = render_html(review)
    assert 'id="chart-tradeoff"' in html
    assert f"{float(revenue):.0%} of the next six months&#x27; revenue" in html
    assert f"caught {float(late):.0%} of the amount paid more than 14 days late" in html
    early = render_html(build_review(demo_ledger, "2024Q1"))
    assert "chart-tradeoff" not in early and "the policy asked" not in early
