"""The quarterly client-risk review: one self-contained HTML file to open, share and print.

`build_review(ledger, "2025Q4", lang="en")` gathers every figure from the
analytics modules (the same SQL models the notebooks use) into a Review;
`render_html(review)` turns it into one HTML file with plotly.js inlined (no
code, nothing fetched from a network); `write_review(...)` does both and can
also print a PDF with headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs
from tqdm.auto import tqdm

from dunning_analytics.common.formatting import (
    FIRST_YEAR,
    LAST_YEAR,
    client_text,
    format_date,
    format_eur,
    format_number,
    format_percent,
    money_sum,
    resolve_lang,
)
from dunning_analytics.common.messages import tr
from dunning_analytics.common.vocabulary import word
from dunning_analytics.ledger import LedgerError, connected, ledger_end_date, query_frame
from dunning_analytics.ledger.outputs import check_output, replacing
from dunning_analytics.present.charts import (
    bucket_colours,
    cash_forecast_chart,
    payment_curve_chart,
    styled,
    tradeoff_chart,
)
from dunning_analytics.questions.aging import aging, aging_totals, bucket_labels
from dunning_analytics.questions.behaviour import PORTFOLIO, payment_curves, portfolio_kpis
from dunning_analytics.questions.dunning import worklist
from dunning_analytics.questions.forecast import backtest, weekly_forecast
from dunning_analytics.questions.risk import (
    LEVELS,
    flag_backtests,
    load_policy,
    risk_flags,
    track_dates,
)

BUCKETS = (30, 60, 90)
TEXT = {
    "en": {
        "title": "Client-risk review {quarter}",
        "until": "up to",
        "broken_promises": "Promises to pay and payment plans broken this quarter",
        "plan_instalment": "payment plan: instalment {n} of {of}",
        "escalated_cases": "Invoices at formal notice, 14-day letter or collection",
        "made": "Ledger {ledger}, figures as of {end}.",
        "pseudonymised": "pseudonymised (clients under aliases)",
        "summary": "Summary",
        "kpis": "Key figures: {quarter} against {previous}",
        "aging": "Aging at quarter end",
        "top": "Largest exposures",
        "movers": "Movers: grade or terms changed",
        "flags": "Deposit and prepayment recommendations",
        "escalations": "Broken promises and escalated cases",
        "curve": "How fast is money in after the due date",
        "forecast": "Cash-in forecast: the next 13 weeks",
        "s_forecast": "Expected in the next 13 weeks: {expected} of the {open} open; "
        "{later} later or never.",
        "forecast_check": "How good was the forecast made at the end of {previous}? Of the "
        "invoices open then, it expected {expected} to come in within {weeks} weeks; "
        "{came_in} did. Weekly error "
        "{wape} (the rule 'paid on the due date': {wape_due}); payment dates were off by "
        "{mae} days on average ({mae_due} for that rule), and {coverage} of them fell inside "
        "the 80 % interval.",
        "forecast_check_none": "No invoices were open at the end of {previous}: nothing to "
        "check the forecast against.",
        "tradeoff_check": "At the {dates} quarter ends from {first} to {last}, with only what "
        "was known on each, the policy asked a deposit or stricter terms of {clients} clients "
        "a quarter, {revenue} of the next six months' revenue, and caught {late} of the amount "
        "paid more than 14 days late (lift {lift}). The curve: what asking the latest payers "
        "first would have caught instead.",
        "figure": "figure",
        "change": "change",
        "outstanding": "Outstanding",
        "overdue": "overdue",
        "dso": "DSO (days)",
        "best_dso": "Best possible DSO (days)",
        "add": "ADD, days delinquent",
        "cei": "CEI (%)",
        "overdue_share": "Overdue share (%)",
        "over_90": "Over 90 days",
        "sales": "Credit sales",
        "client": "Client",
        "grade": "Grade",
        "terms": "Terms",
        "reasons": "Reasons",
        "was": "was",
        "now": "now",
        "bucket": "Bucket",
        "invoice": "Invoice",
        "promised": "Promised for",
        "stage": "Stage",
        "days_overdue": "Days overdue",
        "amount": "Amount",
        "none_found": "None this quarter.",
        "s_outstanding": "{total} outstanding at {end}, {share} overdue ({over90} over 90 days).",
        "s_dso": "DSO {dso} days ({delta} against last quarter); collection effectiveness {cei}.",
        "s_flags": "{flagged} clients need a deposit or stricter terms; {worse} moved to stricter "
        "terms, {better} to milder.",
        "s_promises": "Promises to pay or payment plans broken this quarter: {broken}; "
        "invoices at formal notice or collection: {escalated}.",
        "s_top": "Largest exposure: {name}, {amount}.",
    },
    "nl": {
        "title": "Debiteurenrisico-overzicht {quarter}",
        "until": "tot en met",
        "broken_promises": "Betaalbeloftes en betalingsregelingen die dit kwartaal zijn gebroken",
        "plan_instalment": "betalingsregeling: termijn {n} van {of}",
        "escalated_cases": "Facturen bij aanmaning, veertiendagenbrief of incasso",
        "made": "Administratie {ledger}, cijfers per {end}.",
        "pseudonymised": "gepseudonimiseerd (klanten onder een alias)",
        "summary": "Samenvatting",
        "kpis": "Kerncijfers: {quarter} tegenover {previous}",
        "aging": "Ouderdom openstaande posten aan het eind van het kwartaal",
        "top": "Grootste openstaande bedragen",
        "movers": "Veranderd: beoordeling of voorwaarden",
        "flags": "Aanbetaling en vooruitbetaling: aanbevelingen",
        "escalations": "Gebroken betaalbeloftes en geëscaleerde zaken",
        "curve": "Hoe snel komt het geld binnen na de vervaldatum",
        "forecast": "Verwachte ontvangsten: de komende 13 weken",
        "s_forecast": "Verwacht in de komende 13 weken: {expected} van de {open} openstaand; "
        "{later} later of nooit.",
        "forecast_check": "Hoe goed was de verwachting van eind {previous}? Van de facturen "
        "die toen openstonden verwachtte die {expected} binnen {weeks} weken; er kwam "
        "{came_in} binnen. Afwijking per week "
        "{wape} (de regel 'betaald op de vervaldatum': {wape_due}); betaaldata zaten er "
        "gemiddeld {mae} dagen naast ({mae_due} voor die regel), en {coverage} ervan viel "
        "binnen het 80%-interval.",
        "forecast_check_none": "Eind {previous} stond er niets open: er is geen verwachting "
        "om te toetsen.",
        "tradeoff_check": "Op de {dates} kwartaaleinden van {first} tot {last}, met alleen wat "
        "toen bekend was, vroeg het beleid {clients} klanten per kwartaal een aanbetaling of "
        "strengere voorwaarden, {revenue} van de omzet van de zes maanden erna, en ving het "
        "{late} van het bedrag dat meer dan 14 dagen te laat betaald werd (lift {lift}). De "
        "curve: wat het had opgeleverd de laatste betalers eerst te vragen.",
        "figure": "kengetal",
        "change": "verschil",
        "outstanding": "Openstaand",
        "overdue": "vervallen",
        "dso": "DSO (dagen)",
        "best_dso": "Best mogelijke DSO (dagen)",
        "add": "ADD, dagen te laat",
        "cei": "CEI (%)",
        "overdue_share": "Aandeel vervallen (%)",
        "over_90": "Ouder dan 90 dagen",
        "sales": "Omzet op rekening",
        "client": "Klant",
        "grade": "Beoordeling",
        "terms": "Voorwaarden",
        "reasons": "Redenen",
        "was": "was",
        "now": "nu",
        "bucket": "Ouderdom",
        "invoice": "Factuur",
        "promised": "Beloofd voor",
        "stage": "Stap",
        "days_overdue": "Dagen vervallen",
        "amount": "Bedrag",
        "none_found": "Geen in dit kwartaal.",
        "s_outstanding": "{total} openstaand op {end}, waarvan {share} vervallen ({over90} ouder "
        "dan 90 dagen).",
        "s_dso": "DSO {dso} dagen ({delta} ten opzichte van vorig kwartaal); incasso-effectiviteit "
        "{cei}.",
        "s_flags": "{flagged} klanten hebben een aanbetaling of strengere voorwaarden nodig; "
        "{worse} "
        "naar strengere voorwaarden, {better} naar mildere.",
        "s_promises": "Gebroken betaalbeloftes of betalingsregelingen dit kwartaal: {broken}; "
        "facturen bij aanmaning of incasso: {escalated}.",
        "s_top": "Grootste openstaande bedrag: {name}, {amount}.",
    },
}
LEVEL_NL = {
    "none": "geen",
    "watch": "in de gaten houden",
    "deposit": "aanbetaling",
    "staged": "gefaseerd",
    "prepay": "vooruitbetaling",
    "stop": "geen krediet",
}


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """Return the first and last day of a quarter written as '2025Q4'."""
    match = re.fullmatch(r"(\d{4})\s*[Qq]([1-4])", text.strip())
    if not match:
        raise LedgerError(tr("quarter must look like 2025Q4, not {text!r}", text=text))
    year, q = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise LedgerError(
            tr(
                "quarter {text!r}: give a year from {first} to {last}",
                text=text,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    start = dt.date(year, 3 * q - 2, 1)
    end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
    return start, end


def previous_quarter(start: dt.date) -> tuple[dt.date, dt.date]:
    """Return the quarter before the one starting on `start`."""
    end = start - dt.timedelta(days=1)
    return (pd.Timestamp(end) - pd.offsets.QuarterBegin(1, startingMonth=1)).date(), end


@dataclass
class Review:
    """Every figure of the review, as DataFrames and numbers (money as Decimal)."""

    quarter: str
    previous: str
    start: dt.date
    end: dt.date
    previous_end: dt.date
    lang: str
    ledger_name: str
    kpis: pd.DataFrame  # previous and this quarter
    aging_now: pd.Series
    aging_before: pd.Series
    top_clients: pd.DataFrame
    movers: pd.DataFrame
    flags: pd.DataFrame
    broken_promises: pd.DataFrame
    escalated: pd.DataFrame
    curve: pd.DataFrame
    forecast: pd.DataFrame  # forecast.weekly_forecast as of the quarter's end
    forecast_check: pd.DataFrame  # forecast.backtest at the previous quarter's end
    summary: dict = field(default_factory=dict)
    # risk.flags_tradeoff at the quarter ends with six months known by the quarter's end
    flags_tradeoff: pd.DataFrame = field(default_factory=pd.DataFrame)
    tradeoff_dates: list = field(default_factory=list)


def _quarter_name(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def build_review(
    ledger,
    quarter: str,
    lang: str | None = None,
    progress: bool = False,
    pseudonymise: bool = False,
    allow_partial: bool = False,
) -> Review:
    """Gather the review of `quarter` ('2025Q4') from the ledger.

    With `pseudonymise` (a ledger path), the review is built from a
    pseudonymised copy (privacy.py): clients appear under their aliases.
    A quarter that ends after the ledger's last date is refused (the ledger does
    not know what was paid after it); with `allow_partial` it runs to the ledger's
    last date instead, and says so in its title.
    Raises LedgerError for a missing ledger, a malformed quarter, an unfinished
    quarter, or a quarter without data (no invoice on or before its end, or no
    activity in it).
    """
    try:
        lang = resolve_lang(lang)
    except ValueError as exc:
        raise LedgerError(str(exc)) from exc
    if pseudonymise:
        return _pseudonymised_review(ledger, quarter, lang, progress, allow_partial)
    start, end = parse_quarter(quarter)
    prev_start, prev_end = previous_quarter(start)
    steps = tqdm(total=10, desc=tr("review {quarter}", quarter=quarter), disable=not progress)
    with connected(ledger) as con:
        end = _review_end(con, start, end, lang, allow_partial)
        _check_has_data(con, quarter, start, end, lang)
        parts = _gather(con, (prev_start, prev_end), end, lang, steps)
    now, work = parts.pop("now"), parts.pop("work")
    escalated = work[work["stage"].isin(["formal_notice", "fourteen_day_letter", "collection"])]
    name = _quarter_name(start)
    if end != parse_quarter(quarter)[1]:
        name += f" ({TEXT[lang]['until']} {format_date(end, lang)})"
    review = Review(
        quarter=name,
        previous=_quarter_name(prev_start),
        start=start,
        end=end,
        previous_end=prev_end,
        lang=lang,
        ledger_name=Path(str(ledger)).name if not hasattr(ledger, "execute") else "ledger",
        aging_now=aging_totals(now) if not now.empty else _empty_totals(),
        top_clients=now.sort_values("outstanding", ascending=False).head(10),
        escalated=escalated[
            ["client_id", "name", "invoice_id", "outstanding", "days_overdue", "stage"]
        ],
        **parts,
    )
    review.summary = _summary(review)
    steps.update()
    steps.close()
    return review


def _pseudonymised_review(ledger, quarter: str, lang: str, progress: bool, partial: bool):
    """The review of `quarter` built from a pseudonymised copy of the ledger at path
    `ledger` (clients under their aliases), the copy deleted afterwards."""
    import tempfile

    from dunning_analytics.ledger.privacy import pseudonymised_copy

    if hasattr(ledger, "execute"):
        raise LedgerError(tr("pseudonymise needs the ledger's path, not an open connection"))
    with tempfile.TemporaryDirectory() as folder:
        copy = pseudonymised_copy(ledger, Path(folder) / "pseudonymised.duckdb")
        review = build_review(copy, quarter, lang=lang, progress=progress, allow_partial=partial)
    review.ledger_name = TEXT[lang]["pseudonymised"]
    return review


def _review_end(con, start: dt.date, end: dt.date, lang: str, allow_partial: bool) -> dt.date:
    """The day the review runs to: the quarter's end, or with `allow_partial` the ledger's
    last date when the quarter is not over on it (without: a LedgerError)."""
    last = ledger_end_date(con)
    partial = last is not None and start <= last < end
    if partial and not allow_partial:
        raise LedgerError(
            tr(
                "{quarter} runs to {end}, but the ledger ends on {last}: the quarter is "
                "not over, and a review to its end would count everything unpaid after "
                "that day as overdue. Review a finished quarter, or add --allow-partial to "
                "review {start} .. {last}",
                quarter=_quarter_name(start),
                end=format_date(end, lang),
                last=format_date(last, lang),
                start=format_date(start, lang),
            )
        )
    return last if partial else end


def _check_has_data(con, quarter: str, start: dt.date, end: dt.date, lang: str) -> None:
    """A LedgerError when no invoice is known on `end` or nothing happened in the period."""
    counts = query_frame(
        con,
        """
        SELECT
            (SELECT count(*) FROM invoices WHERE invoice_date <= $end) AS known,
            (SELECT count(*) FROM invoices WHERE invoice_date BETWEEN $start AND $end)
            + (SELECT count(*) FROM payments WHERE paid_date BETWEEN $start AND $end)
                AS active
        """,
        {"start": start, "end": end},
    )
    if counts.loc[0, "known"] == 0 or counts.loc[0, "active"] == 0:
        raise LedgerError(
            tr(
                "no data for {quarter}: the ledger has no invoices or payments in {start} .. {end}",
                quarter=quarter,
                start=format_date(start, lang),
                end=format_date(end, lang),
            )
        )


def _gather(con, previous: tuple[dt.date, dt.date], end: dt.date, lang: str, steps) -> dict:
    """The review's frames on `end` and the previous quarter's (`previous`: its first and
    last day): KPIs, aging now (`now`) and before, flags and movers, broken agreements,
    the worklist (`work`), the payment curve, the forecast and how the last one did."""
    prev_start, prev_end = previous
    start = prev_end + dt.timedelta(days=1)  # this quarter's first day
    kpis = portfolio_kpis(con, prev_start, end, period="quarter")
    steps.update()
    now = aging(con, end, buckets=BUCKETS)
    before = aging(con, prev_end, buckets=BUCKETS)
    steps.update()
    past = _flags_in_the_past(con, end)
    steps.update()
    flags_now = risk_flags(con, end, lang=lang, track_record=past["rule_track_record"])
    flags_before = risk_flags(con, prev_end, lang=lang).set_index("client_id")
    steps.update()
    promises = broken_agreements(con, start, end)
    steps.update()
    work = worklist(con, end, flags=flags_now)
    steps.update()
    curve = payment_curves(con, end, clients=[])
    steps.update()
    forecast = weekly_forecast(con, end, weeks=13)
    # what the forecast made at the previous quarter's end said, against what came in by
    # this quarter's end (nothing later is looked at)
    check_weeks = max(1, (end - prev_end).days // 7)
    forecast_check = backtest(con, [prev_end], weeks=check_weeks, known_on=end)
    steps.update()
    return {
        "flags_tradeoff": past["flags_tradeoff"],
        "tradeoff_dates": past["dates"],
        "now": now,
        "work": work,
        "kpis": kpis,
        "aging_before": aging_totals(before) if not before.empty else _empty_totals(),
        "movers": _movers(flags_before, flags_now),
        "flags": flags_now[flags_now["level"] != "none"],
        "broken_promises": promises,
        "curve": curve[curve["client_id"] == PORTFOLIO],
        "forecast": forecast,
        "forecast_check": forecast_check.assign(weeks=check_weeks),
    }


def _flags_in_the_past(con, end: dt.date) -> dict:
    """The deposit flags replayed on the quarter ends whose six months after are known by
    `end` (risk.track_dates): the ranking with the policy on it and each rule's track
    record, known on `end`. Out: {'dates', 'flags_tradeoff', 'rule_track_record'}."""
    dates = track_dates(con, end)
    if not dates:
        return {"dates": [], "flags_tradeoff": pd.DataFrame(), "rule_track_record": None}
    policy = load_policy()
    answers = flag_backtests(
        con, dates, ("flags_tradeoff", "rule_track_record"), policy, known_on=end
    )
    answers["rule_track_record"].attrs.update(rules=policy["rules"], late_days=14)
    return {"dates": dates, **answers}


def _empty_totals() -> pd.Series:
    labels = bucket_labels(BUCKETS)
    return pd.Series({c: Decimal("0.00") for c in [*labels, "outstanding", "overdue"]})


def _movers(flags_before, flags_now) -> pd.DataFrame:
    """Clients whose grade or recommended level differs between the two quarter ends."""
    rows = []
    for flag in flags_now.itertuples(index=False):
        client = flag.client_id
        grade_now = flag.grade
        grade_before = flags_before["grade"].get(client)
        level_before = flags_before["level"].get(client, "none")
        if grade_before is None and level_before == "none" and flag.level == "none":
            continue  # a new client without terms: not a mover
        if grade_now == grade_before and flag.level == level_before:
            continue
        rows.append(
            {
                "client_id": client,
                "name": flag.name,
                "grade_before": grade_before or "–",
                "grade_now": grade_now,
                "level_before": level_before,
                "level_now": flag.level,
                "direction": (LEVELS.index(flag.level) > LEVELS.index(level_before)) * 1
                - (LEVELS.index(flag.level) < LEVELS.index(level_before)) * 1,
                "reasons": flag.reason_text,
                "open_exposure": flag.open_exposure,
            }
        )
    columns = [
        "client_id",
        "name",
        "grade_before",
        "grade_now",
        "level_before",
        "level_now",
        "direction",
        "reasons",
        "open_exposure",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["direction", "open_exposure"], ascending=[False, False])


def _summary(review: Review) -> dict:
    now = review.kpis.iloc[-1]
    before = review.kpis.iloc[0] if len(review.kpis) > 1 else None
    total = review.aging_now["outstanding"]
    overdue = review.aging_now["overdue"]
    top = review.top_clients.iloc[0] if not review.top_clients.empty else None
    return {
        "outstanding": total,
        "overdue": overdue,
        "overdue_share": float(overdue / total) if total else 0.0,
        "over_90": review.aging_now["over 90"],
        "dso": float(now["dso"]) if now["dso"] is not None else None,
        "dso_change": (
            float(now["dso"]) - float(before["dso"])
            if before is not None and now["dso"] is not None and before["dso"] is not None
            else None
        ),
        "cei": float(now["cei"]) if now["cei"] is not None else None,
        "flagged": int(len(review.flags)),
        "worse": int((review.movers["direction"] > 0).sum()),
        "better": int((review.movers["direction"] < 0).sum()),
        "broken_promises": int(len(review.broken_promises)),
        "escalated": int(len(review.escalated)),
        "top_client": None if top is None else top["name"],
        "top_amount": None if top is None else top["outstanding"],
        "forecast_expected": money_sum(review.forecast["expected_amount"].iloc[:-1]),
        "forecast_later": review.forecast["expected_amount"].iloc[-1],
    }


# ----------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
       margin: 2rem auto; max-width: 1100px; color: #1d2733; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #e4e8ee;
     padding-bottom: 0.3rem; page-break-after: avoid; }
.made { color: #66707c; margin-top: 0; }
.summary { background: #f4f7fa; border-left: 5px solid #3c7dd9; padding: 0.6rem 1.2rem; }
.summary li { margin: 0.35rem 0; font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #e4e8ee; padding: 0.35rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f4f7fa; } td.num, th.num { text-align: right; white-space: nowrap; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.3rem; }
.worse { color: #b3261e; font-weight: 600; } .better { color: #2e7d32; font-weight: 600; }
.chart, .keep { page-break-inside: avoid; break-inside: avoid; }
@page { size: A4; margin: 14mm 12mm; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-before: auto; } }
"""


def _table(frame: pd.DataFrame, headers: list[str], numeric: set[str], empty: str) -> dict:
    """A table for the template (review.html.j2's `table` macro): its head, its rows (a cell
    a text, or (text, css class) for a coloured one; `numeric` columns right-aligned) and
    what to say when it is empty. Texts are escaped by the template."""

    def cell(name, value) -> dict:
        text, css = value if isinstance(value, tuple) else (value, "")
        return {"text": text, "num": name in numeric, "css": css}

    return {
        "head": [
            {"text": h, "num": n in numeric} for n, h in zip(frame.columns, headers, strict=True)
        ],
        "rows": [
            [cell(name, value) for name, value in zip(frame.columns, row, strict=True)]
            for row in frame.itertuples(index=False)
        ],
        "empty": empty,
    }


def _chart(fig: go.Figure, name: str) -> str:
    """The figure as an HTML fragment with a fixed id (the same review gives the same file)."""
    fragment = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{name}",
        config={"displayModeBar": False, "responsive": True},
    )
    return Markup(f'<div class="chart">{fragment}</div>')


def _client_labels(frame: pd.DataFrame) -> list[str]:
    """'Name (client id)' per row (the id only when it differs)."""
    pairs = zip(frame["name"], frame["client_id"], strict=True)
    return [client_text(n, c) for n, c in pairs]


def summary_lines(review: Review) -> list[str]:
    """The one-screen summary as HTML-safe sentences in the review's language."""
    t = TEXT[review.lang]
    lang = review.lang
    eur = lambda v: html.escape(format_eur(v, lang))  # noqa: E731
    day = lambda v: format_date(v, lang)  # noqa: E731
    esc = html.escape
    s = review.summary
    delta = s["dso_change"]
    lines = [
        t["s_outstanding"].format(
            total=eur(s["outstanding"]),
            end=day(review.end),
            share=format_number(100 * s["overdue_share"], 0, lang) + "%",
            over90=eur(s["over_90"]),
        ),
        t["s_dso"].format(
            dso=format_number(s["dso"], 1, lang),
            delta=("+" if (delta or 0) > 0 else "") + format_number(delta, 1, lang),
            cei=format_number(s["cei"], 0, lang) + "%",
        ),
        t["s_flags"].format(flagged=s["flagged"], worse=s["worse"], better=s["better"]),
        t["s_promises"].format(broken=s["broken_promises"], escalated=s["escalated"]),
    ]
    if s["top_client"] is not None:
        lines.append(t["s_top"].format(name=esc(str(s["top_client"])), amount=eur(s["top_amount"])))
    lines.append(
        t["s_forecast"].format(
            expected=eur(s["forecast_expected"]),
            open=eur(s["outstanding"]),
            later=eur(s["forecast_later"]),
        )
    )
    return lines


def forecast_check_text(review: Review) -> str:
    """One HTML-safe paragraph: the forecast made at the previous quarter's end against what
    came in by this quarter's end, beside the 'paid on the due date' rule."""
    t, lang = TEXT[review.lang], review.lang
    check = review.forecast_check.set_index("method") if len(review.forecast_check) else None
    if check is None or "forecast" not in check.index:
        return html.escape(t["forecast_check_none"].format(previous=review.previous))
    ours, due = check.loc["forecast"], check.loc["due_date_baseline"]
    share = lambda v: format_percent(v, 0, lang)  # noqa: E731
    return html.escape(
        t["forecast_check"].format(
            previous=review.previous,
            expected=format_eur(ours["expected_cash"], lang),
            weeks=int(ours["weeks"]),
            came_in=format_eur(ours["came_in"], lang),
            wape=share(ours["wape"]),
            wape_due=share(due["wape"]),
            mae=format_number(ours["mae_days"], 1, lang),
            mae_due=format_number(due["mae_days"], 1, lang),
            coverage=share(ours["coverage"]),
        )
    )


def render_html(review: Review) -> str:
    """Return the review as one self-contained HTML document (plotly.js inlined), from the
    template templates/review.html.j2."""
    from dunning_analytics.present.pages import render_page

    t, lang = TEXT[review.lang], review.lang
    aging_table, aging_chart = _aging_parts(review)
    curve_fig = payment_curve_chart(review.curve, lang=lang)
    curve_fig.update_layout(showlegend=False, height=380, title=None)
    forecast_fig = cash_forecast_chart(review.forecast, lang)
    forecast_fig.update_layout(height=380)
    headings = {key: t[key] for key in _SECTIONS}
    headings["kpis"] = t["kpis"].format(quarter=review.quarter, previous=review.previous)
    return render_page(
        "review.html.j2",
        lang=lang,
        title=t["title"].format(quarter=review.quarter),
        made=t["made"].format(ledger=review.ledger_name, end=format_date(review.end, lang)),
        css=Markup(_CSS),
        plotly_js=Markup(get_plotlyjs()),
        summary=[Markup(line) for line in summary_lines(review)],
        headings=headings,
        tables={
            "kpis": _kpi_table(review),
            "aging": aging_table,
            "top": _top_table(review),
            "movers": _movers_table(review),
            "flags": _flags_table(review),
            "promises": _promises_table(review),
            "cases": _cases_table(review),
        },
        charts={
            "aging": aging_chart,
            "curve": _chart(curve_fig, "curve"),
            "forecast": _chart(forecast_fig, "forecast"),
            "tradeoff": _tradeoff_chart(review),
        },
        forecast_check=Markup(forecast_check_text(review)),
        tradeoff_check=Markup(tradeoff_text(review)),
    )


def _tradeoff_chart(review: Review) -> str:
    """The deposit flags' ranking with the policy on it; '' without past quarters."""
    if review.flags_tradeoff.empty:
        return ""
    fig = tradeoff_chart(review.flags_tradeoff, review.lang)
    fig.update_layout(height=420)
    return _chart(fig, "tradeoff")


def tradeoff_text(review: Review) -> str:
    """One HTML-safe sentence: what the policy caught at the past quarter ends ('' without
    them, or without revenue after them)."""
    policy = review.flags_tradeoff
    policy = policy[policy["kind"] == "policy"] if len(policy) else policy
    if policy.empty or not policy["revenue_share"].iloc[0]:
        return ""
    row, lang = policy.iloc[0], review.lang
    share = lambda v: format_percent(v, 0, lang)  # noqa: E731
    dates = review.tradeoff_dates
    return html.escape(
        TEXT[lang]["tradeoff_check"].format(
            dates=len(dates),
            first=format_date(dates[0], lang),
            last=format_date(dates[-1], lang),
            clients=format_number(row["clients_per_date"], 0, lang),
            revenue=share(row["revenue_share"]),
            late=share(row["late_share"]),
            lift=format_number(row["late_share"] / row["revenue_share"], 2, lang),
        )
    )


_SECTIONS = ("summary", "aging", "top", "movers", "flags", "escalations", "broken_promises",
             "escalated_cases", "curve", "forecast")  # fmt: skip


def _kpi_table(review: Review) -> dict:
    """Key figures, last quarter beside this one, with the change."""
    t, lang = TEXT[review.lang], review.lang
    eur = lambda v: format_eur(v, lang)  # noqa: E731
    number = lambda v: format_number(v, 1, lang)  # noqa: E731
    before, now = (
        (review.kpis.iloc[0], review.kpis.iloc[-1])
        if len(review.kpis) > 1
        else (None, review.kpis.iloc[-1])
    )

    def overdue_share(row):
        return (
            100 * float(row["closing_ar"] - row["closing_current"]) / float(row["closing_ar"])
            if row is not None and row["closing_ar"]
            else None
        )

    def signed(delta, shown) -> str:
        """A change as people read it: '+' before a rise, '–' when unknown."""
        if delta is None:
            return "–"
        return ("+" if delta > 0 else "") + shown(delta)

    def money_row(label, key):
        a = before[key] if before is not None else None
        change = None if a is None else now[key] - a
        return (label, eur(a) if a is not None else "–", eur(now[key]), signed(change, eur))

    rows = [money_row(t["sales"], "sales"), money_row(t["outstanding"], "closing_ar")]
    for key, label in (
        ("dso", t["dso"]),
        ("best_dso", t["best_dso"]),
        ("add_days", t["add"]),
        ("cei", t["cei"]),
    ):
        a = float(before[key]) if before is not None and before[key] is not None else None
        b = float(now[key]) if now[key] is not None else None
        change = None if a is None or b is None else b - a
        rows.append((label, number(a), number(b), signed(change, number)))
    a, b = overdue_share(before), overdue_share(now)
    change = None if a is None or b is None else b - a
    rows.append((t["overdue_share"], number(a), number(b), signed(change, number)))
    a, b = review.aging_before["over 90"], review.aging_now["over 90"]
    rows.append((t["over_90"], eur(a), eur(b), signed(b - a, eur)))
    return _table(
        pd.DataFrame(rows, columns=["figure", "before", "now", "change"]),
        [t["figure"], review.previous, review.quarter, t["change"]],
        {"before", "now", "change"},
        t["none_found"],
    )


def _aging_parts(review: Review) -> tuple[dict, Markup]:
    """The aging at both quarter ends: the table and its stacked bar chart."""
    t, lang = TEXT[review.lang], review.lang
    day = lambda v: format_date(v, lang)  # noqa: E731
    labels = bucket_labels(BUCKETS)
    names = [word(b, lang) for b in labels]
    table = _table(
        pd.DataFrame(
            {
                "bucket": names,
                "before": [format_eur(review.aging_before[b], lang) for b in labels],
                "now": [format_eur(review.aging_now[b], lang) for b in labels],
            }
        ),
        [t["bucket"], day(review.previous_end), day(review.end)],
        {"before", "now"},
        t["none_found"],
    )
    colours = bucket_colours(labels)
    fig = go.Figure()
    for label, name in zip(labels, names, strict=True):
        fig.add_bar(
            name=name,
            x=[day(review.previous_end), day(review.end)],
            y=[float(review.aging_before[label]), float(review.aging_now[label])],
            marker_color=colours[label],
        )
    styled(fig).update_layout(
        barmode="relative",
        xaxis={"type": "category"},  # the two quarter ends, not a time axis with months between
        yaxis_title="euro",
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h"},
    )
    return table, _chart(fig, "aging")


def _top_table(review: Review) -> dict:
    """The largest exposures at the quarter's end."""
    t, lang, top = TEXT[review.lang], review.lang, review.top_clients
    return _table(
        pd.DataFrame(
            {
                "client": _client_labels(top),
                "outstanding": [format_eur(v, lang) for v in top["outstanding"]],
                "overdue": [format_eur(v, lang) for v in top["overdue"]],
                "over_90": [format_eur(v, lang) for v in top["over 90"]],
            }
        ),
        [t["client"], t["outstanding"], t["overdue"], t["over_90"]],
        {"outstanding", "overdue", "over_90"},
        t["none_found"],
    )


def _movers_table(review: Review) -> dict:
    """Clients whose grade or terms changed: stricter terms red, milder green."""
    t, lang, movers = TEXT[review.lang], review.lang, review.movers

    def level(value):
        return LEVEL_NL.get(value, value) if lang == "nl" else value

    def grade(value):
        return str(word(value, lang))

    steps = zip(movers["level_before"], movers["level_now"], movers["direction"], strict=True)
    return _table(
        pd.DataFrame(
            {
                "client": _client_labels(movers),
                "grade": [
                    f"{grade(g0)} → {grade(g1)}"
                    for g0, g1 in zip(movers["grade_before"], movers["grade_now"], strict=True)
                ],
                "terms": [
                    (f"{level(a)} → {level(b)}", "worse" if d > 0 else "better" if d < 0 else "")
                    for a, b, d in steps
                ],
                "reasons": list(movers["reasons"]),
            }
        ),
        [t["client"], t["grade"], t["terms"], t["reasons"]],
        set(),
        t["none_found"],
    )


def _flags_table(review: Review) -> dict:
    """The clients who need a deposit or stricter terms, with their reasons."""
    t, lang, flags = TEXT[review.lang], review.lang, review.flags
    return _table(
        pd.DataFrame(
            {
                "client": _client_labels(flags),
                "terms": list(flags["recommendation"]),
                "reasons": list(flags["reason_text"]),
                "exposure": [format_eur(v, lang) for v in flags["open_exposure"]],
            }
        ),
        [t["client"], t["terms"], t["reasons"], t["outstanding"]],
        {"exposure"},
        t["none_found"],
    )


def _promises_table(review: Review) -> dict:
    """The promises to pay and payment plans broken this quarter."""
    t, lang, promises = TEXT[review.lang], review.lang, review.broken_promises
    plans = zip(
        promises["invoice_id"], promises["instalment"], promises["instalments"], strict=True
    )
    return _table(
        pd.DataFrame(
            {
                "client": _client_labels(promises),
                "invoice": [
                    str(i) if isinstance(i, str) else _plan_text(n, of, t) for i, n, of in plans
                ],
                "promised": [format_date(d, lang) for d in promises["promised_date"]],
                "amount": [
                    format_eur(v, lang) if v is not None and v == v else "–"
                    for v in promises["promised_amount"]
                ],
            }
        ),
        [t["client"], t["invoice"], t["promised"], t["amount"]],
        {"amount"},
        t["none_found"],
    )


def _cases_table(review: Review) -> dict:
    """The invoices at formal notice or with a collection agency."""
    t, lang, cases = TEXT[review.lang], review.lang, review.escalated
    return _table(
        pd.DataFrame(
            {
                "client": _client_labels(cases),
                "invoice": list(cases["invoice_id"]),
                "stage": [str(word(s, lang)) for s in cases["stage"]],
                "days": [str(d) for d in cases["days_overdue"]],
                "amount": [format_eur(v, lang) for v in cases["outstanding"]],
            }
        ),
        [t["client"], t["invoice"], t["stage"], t["days_overdue"], t["amount"]],
        {"days", "amount"},
        t["none_found"],
    )


def _plan_text(number, instalments, t: dict) -> str:
    """'payment plan: instalment 2 of 5' for a broken plan's row; '–' for none."""
    if number is None or number != number:
        return "–"
    return t["plan_instalment"].format(n=int(number), of=int(instalments))


def broken_agreements(con, start: dt.date, end: dt.date, grace: int | None = None):
    """The promises to pay and payment plans broken in start..end, as known on `end`.

    Out: one row per broken promise (its invoice, promised date and amount) and one per
    broken payment plan (its first missed instalment: number, due date, amount; of how
    many), in date order: client_id, name, invoice_id, promised_on, promised_date,
    promised_amount, instalment, instalments. `grace`: the ladder's plan_grace_days.
    """
    from dunning_analytics.questions.dunning import plan_grace_days

    grace = plan_grace_days() if grace is None else grace
    return query_frame(
        con,
        """
        WITH
        broken_promises AS (
            SELECT p.client_id, p.invoice_id, p.promised_on, p.promised_date,
                   p.promised_amount, NULL::INTEGER AS instalment, NULL::INTEGER AS instalments
            FROM promise_outcome_at($end) AS p
            WHERE p.outcome = 'broken' AND p.promised_date BETWEEN $start AND $end
        ),

        broken_plans AS (
            SELECT s.client_id, NULL AS invoice_id, s.agreed_on AS promised_on,
                   s.due_date AS promised_date, s.amount AS promised_amount,
                   s.number AS instalment, s.instalments
            FROM plan_instalment_status_at($end, $grace) AS s
            WHERE s.status = 'broken'
            QUALIFY row_number() OVER (PARTITION BY s.contact_id ORDER BY s.number) = 1
        ),

        final AS (
            SELECT b.*, c.name
            FROM (
                SELECT * FROM broken_promises
                UNION ALL
                SELECT * FROM broken_plans WHERE promised_date BETWEEN $start AND $end
            ) AS b
            JOIN clients AS c USING (client_id)
        )

        SELECT client_id, name, invoice_id, promised_on, promised_date, promised_amount,
               instalment, instalments
        FROM final ORDER BY promised_date, client_id
        """,
        {"start": start, "end": end, "grace": grace},
    )


def write_pdf(html_path: Path, pdf_path: Path, ledger=None, force: bool = False) -> Path:
    """Print the HTML page at `html_path` to an A4 PDF at `pdf_path` with page numbers at
    the foot of every page (pdf.print_pdfs: never onto `ledger`'s files, never over a file
    the kit did not write unless `force`, never half a PDF). Raises what kept it from
    being written."""
    from dunning_analytics.present.pdf import PdfJob, print_pdfs

    (printed,) = print_pdfs([PdfJob(Path(html_path), Path(pdf_path), page_numbers=True)],
                            ledger, force)  # fmt: skip
    if isinstance(printed, Exception):
        raise printed
    return printed


def write_review(
    ledger,
    quarter: str,
    out: str | Path | None = None,
    lang: str | None = None,
    pdf: bool = False,
    progress: bool = False,
    pseudonymise: bool = False,
    allow_partial: bool = False,
    force: bool = False,
) -> Path:
    """Build and write the review of `quarter` as HTML (default review-<quarter>.html);
    with `pdf`, also an A4 PDF beside it; with `pseudonymise`, clients under aliases;
    with `allow_partial`, an unfinished quarter up to the ledger's last date.
    The files never replace the ledger's own, nor a file the kit did not write unless
    `force` (outputs.replacing); both are checked before the review is built.
    Returns the HTML path."""
    if out:  # refused before the work, not after it
        for target in [Path(out), Path(out).with_suffix(".pdf")][: 2 if pdf else 1]:
            check_output(target, ledger, force)
    review = build_review(
        ledger,
        quarter,
        lang=lang,
        progress=progress,
        pseudonymise=pseudonymise,
        allow_partial=allow_partial,
    )
    stem = "risico-overzicht" if resolve_lang(lang) == "nl" else "review"
    path = Path(out or f"{stem}-{_quarter_name(review.start)}.html")
    with replacing(path, ledger, force) as tmp:
        tmp.write_text(render_html(review), encoding="utf-8")
    if pdf:
        write_pdf(path, path.with_suffix(".pdf"), ledger, force)
    return path
