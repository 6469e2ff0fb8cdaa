"""Plotly figure builders. Each takes an aggregated DataFrame and returns a go.Figure.

Money arrives as Decimal and is converted to float only here, for drawing.
"""

from __future__ import annotations

import html
import textwrap
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dunning_analytics.common.formatting import (
    client_text,
    format_eur,
    format_number,
    money_sum,
    resolve_lang,
)
from dunning_analytics.common.vocabulary import pick, word
from dunning_analytics.questions.aging import NOT_YET_DUE, UNAPPLIED


def styled(fig: go.Figure) -> go.Figure:
    """Give `fig` every chart's look (plotly's "plotly_white" template); return it.

    The template is set the way plotly sets its default one: already valid, so not checked
    again (checking it takes 50-60 ms a chart, paid by an explorer on every update).
    """
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = pio.templates["plotly_white"]
    finally:
        layout._validate = fig._validate
    return fig


def client_label(name, client_id) -> str:
    """A client as a chart label: its name, with the id only when it differs, as one line
    with <, > and & escaped (plotly reads tags such as <b> or <a href> in labels and hover
    text, so a name from a file never becomes markup)."""
    return html.escape(client_text(name, client_id), quote=False)


# every text a chart shows: key -> (English, Dutch)
_TEXT = {
    "euro": ("euro", "euro"),
    "aging_title": (
        "Outstanding {total}, of which overdue {overdue}",
        "Openstaand {total}, waarvan vervallen {overdue}",
    ),
    "top_of": (
        "the {top} clients with most overdue; the other {rest} clients owe {amount} "
        "({overdue} overdue)",
        "de {top} klanten met het meeste vervallen; de andere {rest} klanten "
        "{amount} ({overdue} vervallen)",
    ),
    "trend_title": (
        "Outstanding per bucket at month end",
        "Openstaand per ouderdom aan maandeinde",
    ),
    "month_end": ("month end", "maandeinde"),
    "scatter_title": ("Clients: lateness against exposure", "Klanten: te laat tegenover risico"),
    "scatter_part": (
        "the {shown} clients with the most open of {total}; the explorer below has every client",
        "de {shown} klanten met het meeste open van {total}; de verkenner hieronder heeft elke "
        "klant",
    ),
    "scatter_x": (
        "weighted days late (open invoices: days overdue so far)",
        "gewogen dagen te laat (open facturen: dagen vervallen tot nu)",
    ),
    "scatter_y": ("open exposure (euro)", "openstaand risico (euro)"),
    "grade": ("grade", "beoordeling"),
    "lateness": ("lateness", "te laat"),
    "days": ("days", "dagen"),
    "open": ("open", "open"),
    "revenue": ("revenue", "omzet"),
    "timeline_title": ("Invoices and contacts", "Facturen en contacten"),
    "paid_on_time": ("paid on time", "op tijd betaald"),
    "paid_late": ("paid late", "te laat betaald"),
    "open_not_due": ("open, not yet due", "open, nog niet vervallen"),
    "open_overdue": ("open and overdue", "open en vervallen"),
    "due_date": ("due date", "vervaldatum"),
    "invoice": ("invoice", "factuur"),
    "client": ("client", "klant"),
    "portfolio": ("all clients", "alle klanten"),
    "curve_title": (
        "Share of invoiced amount paid, by days after the due date",
        "Aandeel van het gefactureerde bedrag betaald, per dag na de vervaldatum",
    ),
    "curve_x": ("days after the due date", "dagen na de vervaldatum"),
    "curve_y": ("% of amount paid", "% van het bedrag betaald"),
    "curve_hover": ("day %{x}: %{y:.0f}% paid", "dag %{x}: %{y:.0f}% betaald"),
    "kpi_title": ("Receivables KPIs", "Kengetallen debiteuren"),
    "dso": ("DSO", "DSO"),
    "best_dso": ("best possible DSO", "best mogelijke DSO"),
    "countback_dso": ("countback DSO", "countback-DSO"),
    "add_days": ("ADD (days delinquent)", "ADD (dagen te laat)"),
    "cei": ("CEI %", "CEI %"),
    "level_title": ("Clients and revenue per level", "Klanten en omzet per niveau"),
    "clients": ("clients", "klanten"),
    "revenue_share": ("share of revenue", "aandeel in de omzet"),
    "pct_revenue": ("% of revenue", "% van de omzet"),
    "cash_title": (
        "Expected cash-in per week: {total} in {weeks} weeks; {later} later or never",
        "Verwachte ontvangsten per week: {total} in {weeks} weken; {later} later of nooit",
    ),
    "cash_expected": ("expected", "verwacht"),
    "cash_band": ("80 % band", "80%-band"),
    "cash_hover": (
        "week from %{customdata[0]}: %{customdata[1]} (80 %: %{customdata[2]} – %{customdata[3]})",
        "week vanaf %{customdata[0]}: %{customdata[1]} (80%: %{customdata[2]} – %{customdata[3]})",
    ),
    "week_from": ("week from", "week vanaf"),
    "error_title": (
        "Backtest: how far off was the expected payment date?",
        "Terugtoets: hoe ver zat de verwachte betaaldatum ernaast?",
    ),
    "error_y": ("mean error (days)", "gemiddelde afwijking (dagen)"),
    "error_text": ("{days} days; weekly error {wape}", "{days} dagen; weekafwijking {wape}"),
}


def chart_text(key: str, lang: str | None = None) -> str:
    """Return a chart text in `lang` (or $DUNNING_LANG)."""
    return pick(_TEXT[key], lang)


def _separators(lang: str | None) -> str:
    """plotly's decimal and thousands separators for `lang`: Dutch 1.234,5; English 1,234.5."""
    return ",." if resolve_lang(lang) == "nl" else ".,"


_OVERDUE_COLOURS = ["#f6d55c", "#f3a24b", "#e8743b", "#d1453b", "#a4262c", "#6d1a1f"]
_NOT_YET_DUE_COLOUR = "#3caea3"
_UNAPPLIED_COLOUR = "#8a8d91"


def bucket_colours(labels: list[str]) -> dict[str, str]:
    """Return a colour per bucket label.

    Green for not yet due, yellow to dark red for overdue, grey for unapplied credit.
    """
    overdue = [b for b in labels if b not in (NOT_YET_DUE, UNAPPLIED)]
    step = max(1, len(_OVERDUE_COLOURS) // max(1, len(overdue)))
    colours = {NOT_YET_DUE: _NOT_YET_DUE_COLOUR, UNAPPLIED: _UNAPPLIED_COLOUR}
    for i, label in enumerate(overdue):
        colours[label] = _OVERDUE_COLOURS[min(i * step, len(_OVERDUE_COLOURS) - 1)]
    return colours


def _float(values) -> list[float]:
    return [float(v) if isinstance(v, Decimal) else float(v or 0) for v in values]


def top_clients_with_other(frame: pd.DataFrame, labels: list[str], top: int = 15) -> pd.DataFrame:
    """Return the `top` clients by overdue amount plus one 'other clients' row summing the rest."""
    head = frame.head(top).copy()
    rest = frame.iloc[top:]
    if not rest.empty:
        other = {c: money_sum(rest[c]) for c in [*labels, "outstanding", "overdue"]}
        other.update(client_id="", name=f"other clients ({len(rest)})", kind="")
        head = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    return head


def aging_by_client_chart(
    frame: pd.DataFrame,
    labels: list[str],
    top: int = 15,
    title: str | None = None,
    lang: str | None = None,
) -> go.Figure:
    """Stacked horizontal bars: each client's balance split into aging buckets.

    In: aging(..., by='client') (largest overdue first) and its bucket labels.
    The `top` clients by overdue amount get a bar each, so their buckets stay
    readable; the rest is not drawn as one long bar but told in the subtitle (how
    many clients, what they owe). Each bar's customdata holds its client id, for
    a click to open that client's invoices.
    """
    shown = frame.head(top)
    rest = frame.iloc[top:]
    names = [client_label(n, c) for n, c in zip(shown["name"], shown["client_id"], strict=True)]
    colours = bucket_colours(labels)
    fig = go.Figure()
    for label in labels:
        values = _float(shown[label]) if label in shown else []
        if not any(values):
            continue
        name = word(label, lang)
        fig.add_bar(
            name=name,
            y=names,
            x=values,
            orientation="h",
            marker_color=colours[label],
            customdata=[
                [c, format_eur(v, lang)]
                for c, v in zip(shown["client_id"], shown[label], strict=True)
            ],
            hovertemplate="%{y}<br>" + name + ": %{customdata[1]}<extra></extra>",
        )
    total = money_sum(frame["outstanding"])
    overdue = money_sum(frame["overdue"])
    heading = title or chart_text("aging_title", lang).format(
        total=format_eur(total, lang), overdue=format_eur(overdue, lang)
    )
    if not rest.empty:
        heading += (
            "<br><sub>"
            + chart_text("top_of", lang).format(
                top=len(shown),
                rest=len(rest),
                amount=format_eur(money_sum(rest["outstanding"]), lang),
                overdue=format_eur(money_sum(rest["overdue"]), lang),
            )
            + "</sub>"
        )
    styled(fig).update_layout(
        barmode="relative",
        title=heading,
        xaxis_title=chart_text("euro", lang),
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": -0.15},
        height=max(350, 28 * len(names) + 180),
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        separators=_separators(lang),
    )
    return fig


def aging_trend_chart(
    trend: pd.DataFrame, title: str | None = None, lang: str | None = None
) -> go.Figure:
    """Stacked bars of outstanding per bucket at every month end (from aging_trend)."""
    labels = list(dict.fromkeys(trend.sort_values("bucket_order")["bucket"]))
    colours = bucket_colours(labels)
    fig = go.Figure()
    for label in labels:
        part = trend[trend["bucket"] == label]
        values = _float(part["outstanding"])
        if not any(values):
            continue
        name = word(label, lang)
        fig.add_bar(
            name=name,
            x=[str(d) for d in part["month_end"]],
            y=values,
            marker_color=colours[label],
            customdata=[format_eur(v, lang) for v in part["outstanding"]],
            hovertemplate="%{x|%d-%m-%Y}<br>" + name + ": %{customdata}<extra></extra>",
        )
    styled(fig).update_layout(
        barmode="relative",
        title=title or chart_text("trend_title", lang),
        yaxis_title=chart_text("euro", lang),
        xaxis={"title": chart_text("month_end", lang), "tickformat": "%m-%Y"},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


def money_table(frame: pd.DataFrame, money_columns: list[str], lang: str | None = None):
    """Return a pandas Styler showing `frame` with euro-formatted money columns, right-aligned
    and never wrapped (the € stays with its amount); other fractional numbers with two
    decimals in `lang`'s way (0,27, not 0.270000).

    Every text is HTML-escaped: a client named <script>...</script> shows as text.
    """
    formats = {c: (lambda v, lang=lang: format_eur(v, lang)) for c in money_columns if c in frame}
    fractions = [
        c for c in frame.columns if c not in formats and pd.api.types.is_float_dtype(frame[c])
    ]
    formats |= {c: (lambda v, lang=lang: format_number(v, 2, lang)) for c in fractions}
    right = [c for c in money_columns if c in frame] + fractions
    return (
        frame.style.format(formats, na_rep="", escape="html")
        .format_index(escape="html", axis=1)
        .set_properties(subset=right, **{"text-align": "right", "white-space": "nowrap"})
        .set_table_styles(
            {c: [{"selector": "th", "props": [("text-align", "right")]}] for c in right},
            overwrite=False,
        )
        .hide(axis="index")
    )


def shown_table(
    frame: pd.DataFrame,
    money=(),
    numbers: dict[str, int] | None = None,
    lang: str | None = None,
    codes=(),
):
    """Return a tidy Styler of `frame` for a notebook, in `lang` (or $DUNNING_LANG).

    Headings and the values of the `codes` columns (buckets, grades, ladder steps) are
    translated; `money` columns show euros, `numbers` columns their digits ({'dso': 1}),
    date columns dd-mm-jjjj in Dutch and yyyy-mm-dd in English; figures and their
    headings are right-aligned. Text is HTML-escaped.
    """
    import datetime as dt

    from dunning_analytics.common.formatting import format_date
    from dunning_analytics.common.vocabulary import heading, shown_frame

    lang = resolve_lang(lang)
    numbers = numbers or {}
    shown = shown_frame(frame, lang, codes)
    money_heads = [heading(c, lang) for c in money if c in frame]
    number_heads = {heading(c, lang): d for c, d in numbers.items() if c in frame}
    dates = []
    for column in frame.columns:
        first = frame[column].dropna().head(1).tolist()
        if first and isinstance(first[0], dt.date) and not isinstance(first[0], dt.datetime):
            target = heading(column, lang)
            dates.append(target)
            shown[target] = [
                format_date(v, lang) if isinstance(v, dt.date) else "" for v in frame[column]
            ]
    # dates on one line (26-10-2026, never 26-/10-/2026)
    table = money_table(shown, money_heads, lang).set_properties(
        subset=dates, **{"white-space": "nowrap"}
    )
    if number_heads:
        table = table.format(
            {h: (lambda v, d=d: format_number(v, d, lang)) for h, d in number_heads.items()},
            subset=list(number_heads),
            na_rep="–",
        ).set_properties(subset=list(number_heads), **{"text-align": "right"})
        table = table.set_table_styles(
            {h: [{"selector": "th", "props": [("text-align", "right")]}] for h in number_heads},
            overwrite=False,
        )
    return table


GRADE_COLOURS = {"A": "#2e9e5b", "B": "#f6c445", "C": "#e8743b", "D": "#b3261e", "new": "#7a8ca3"}
_CONTACT_SYMBOLS = {
    "service_call": ("circle-open", "#3c7dd9"),
    "reminder": ("diamond", "#f3a24b"),
    "call": ("circle", "#3c7dd9"),
    "promise_to_pay": ("star", "#2e9e5b"),
    "formal_notice": ("square", "#d1453b"),
    "fourteen_day_letter": ("square-open", "#d1453b"),
    "collection": ("x", "#6d1a1f"),
    "payment_plan": ("triangle-up", "#7a5cc7"),
    "dispute": ("hexagon", "#8a8d91"),
}


# clients one scatter draws: each is an SVG marker, and 38,462 of them made every later
# change on the page take about a second of the browser's compositing
SCATTER_CLIENTS = 1_000


def client_scatter(
    profiles: pd.DataFrame,
    title: str | None = None,
    lang: str | None = None,
    limit: int = SCATTER_CLIENTS,
) -> go.Figure:
    """Scatter of clients: weighted lateness (x) against open exposure (y).

    Bubble size is revenue, colour the grade.

    In: client_profiles(...). Clients without due invoices are left out. Of more than
    `limit` clients, the `limit` with the most open (then the most revenue) are drawn, and
    the title says so.
    """
    shown = profiles[profiles["weighted_lateness_incl_open"].notna()]
    total = len(shown)
    heading = title or chart_text("scatter_title", lang)
    if total > limit:
        keys = shown.assign(_open=_float(shown["open_exposure"]), _rev=_float(shown["revenue"]))
        shown = keys.sort_values(["_open", "_rev"], ascending=False, kind="stable").head(limit)
        part = chart_text("scatter_part", lang).format(
            shown=format_number(limit, 0, lang), total=format_number(total, 0, lang)
        )
        heading += f"<br><sub>{part}</sub>"
    fig = go.Figure()
    revenue = _float(shown["revenue"])
    peak = max(revenue) if revenue else 1.0
    t = lambda key: chart_text(key, lang)  # noqa: E731
    for grade, colour in GRADE_COLOURS.items():
        part = shown[shown["grade"] == grade]
        if part.empty:
            continue
        sizes = [8 + 40 * (v / peak) ** 0.5 if peak > 0 else 8 for v in _float(part["revenue"])]
        fig.add_scatter(
            name=f"{t('grade')} {word(grade, lang)}",
            mode="markers",
            x=_float(part["weighted_lateness_incl_open"]),
            y=_float(part["open_exposure"]),
            marker={"size": sizes, "color": colour, "line": {"width": 1, "color": "white"}},
            text=[client_label(n, c) for n, c in zip(part["name"], part["client_id"], strict=True)],
            customdata=[
                [format_eur(r, lang), format_eur(e, lang)]
                for r, e in zip(part["revenue"], part["open_exposure"], strict=True)
            ],
            hovertemplate=f"%{{text}}<br>{t('lateness')} %{{x:.0f}} {t('days')}"
            f"<br>{t('open')} %{{customdata[1]}}<br>{t('revenue')} %{{customdata[0]}}"
            "<extra></extra>",
        )
    styled(fig).update_layout(
        title=heading,
        xaxis_title=t("scatter_x"),
        yaxis_title=t("scatter_y"),
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


def client_timeline_chart(
    invoices: pd.DataFrame,
    contacts: pd.DataFrame,
    title: str | None = None,
    lang: str | None = None,
    as_of=None,
) -> go.Figure:
    """Each invoice as a bar from invoice date to settlement (or the as-of date), with contacts.

    Bars, each colour in the legend: green paid on time, orange paid late, blue
    open and not yet due, red open and overdue (as of `as_of`, default the latest
    end date); a tick marks each due date; contacts (reminders, calls, promises,
    notices) are markers on the invoice they concern, or on a 'client' row.
    """
    fig = go.Figure()
    t = lambda key: chart_text(key, lang)  # noqa: E731
    labels = list(invoices["invoice_id"])
    ends = pd.to_datetime(invoices["end_date"])
    as_of = pd.Timestamp(as_of) if as_of is not None else (ends.max() if len(ends) else None)
    status = []
    for settled, late, due in zip(
        invoices["settled_date"], invoices["days_late"].fillna(0), invoices["due_date"], strict=True
    ):
        if pd.isna(settled):
            status.append("open_overdue" if pd.Timestamp(due) < as_of else "open_not_due")
        else:
            status.append("paid_late" if (late or 0) > 0 else "paid_on_time")
    colours = {
        "paid_on_time": "#2e9e5b",
        "paid_late": "#f3a24b",
        "open_not_due": "#3c7dd9",
        "open_overdue": "#d1453b",
    }
    starts = pd.to_datetime(invoices["invoice_date"])
    for key, colour in colours.items():
        rows = [i for i, s in enumerate(status) if s == key]
        if not rows:
            continue
        fig.add_bar(
            name=t(key),
            y=[labels[i] for i in rows],
            x=[max(1, (ends.iloc[i] - starts.iloc[i]).days) * 86_400_000 for i in rows],
            base=[starts.iloc[i].isoformat() for i in rows],
            orientation="h",
            marker_color=colour,
            customdata=[format_eur(invoices["amount"].iloc[i], lang) for i in rows],
            hovertemplate="%{y} %{customdata}<extra></extra>",
        )
    fig.add_scatter(
        name=t("due_date"),
        mode="markers",
        y=labels,
        x=[pd.Timestamp(d).isoformat() for d in invoices["due_date"]],
        marker={"symbol": "line-ns-open", "size": 14, "color": "#222"},
    )
    # invoices in date order (as they come), not grouped by their colour's trace
    fig.update_yaxes(categoryorder="array", categoryarray=[*labels, t("client")])
    for kind, (symbol, tint) in _CONTACT_SYMBOLS.items():
        part = contacts[contacts["kind"] == kind]
        if part.empty:
            continue
        fig.add_scatter(
            name=word(kind, lang),
            mode="markers",
            y=[i if isinstance(i, str) else t("client") for i in part["invoice_id"]],
            x=[pd.Timestamp(v).isoformat() for v in part["contact_at"]],
            marker={"symbol": symbol, "size": 10, "color": tint},
            text=[o if isinstance(o, str) else "" for o in part["outcome"]],
            hovertemplate="%{x|%d-%m-%Y} " + word(kind, lang) + " %{text}<extra></extra>",
        )
    styled(fig).update_layout(
        title=title or t("timeline_title"),
        barmode="overlay",
        xaxis={"type": "date", "tickformat": "%d-%m-%Y"},
        yaxis={"autorange": "reversed", "type": "category", "title": t("invoice")},
        height=max(350, 18 * len(labels) + 180),
        legend={"orientation": "h", "y": -0.1},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig


def payment_curve_chart(
    curves: pd.DataFrame, names: dict[str, str] | None = None, lang: str | None = None
) -> go.Figure:
    """Lines: share of invoiced amount paid by day N after the due date, per client or portfolio."""
    fig = go.Figure()
    names = names or {}
    t = lambda key: chart_text(key, lang)  # noqa: E731
    for client_id, part in curves.groupby("client_id", sort=False):
        portfolio = client_id == "(portfolio)"  # behaviour.PORTFOLIO: every client together
        fig.add_scatter(
            name=names.get(client_id, t("portfolio"))
            if portfolio
            else client_label(names.get(client_id, client_id), client_id),
            mode="lines",
            x=list(part["day"]),
            y=[100 * float(v) for v in part["paid_share"]],
            line={"width": 3 if client_id == "(portfolio)" else 2},
            hovertemplate=t("curve_hover") + "<extra></extra>",
        )
    fig.add_vline(x=0, line_dash="dot", line_color="#888")
    styled(fig).update_layout(
        title=t("curve_title"),
        xaxis_title=t("curve_x"),
        yaxis={"title": t("curve_y"), "range": [0, 100]},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


def kpi_chart(kpis: pd.DataFrame, title: str | None = None, lang: str | None = None) -> go.Figure:
    """DSO, best possible DSO, countback DSO and ADD as lines; CEI on the right axis."""
    fig = go.Figure()
    t = lambda key: chart_text(key, lang)  # noqa: E731
    x = [str(d) for d in kpis["period_end"]]
    for column in ("dso", "best_dso", "countback_dso", "add_days"):
        fig.add_scatter(name=t(column), x=x, y=_float(kpis[column].fillna(0)), mode="lines+markers")
    fig.add_scatter(
        name=t("cei"),
        x=x,
        y=_float(kpis["cei"].fillna(0)),
        mode="lines",
        yaxis="y2",
        line={"dash": "dot", "color": "#555"},
    )
    styled(fig).update_layout(
        title=title or t("kpi_title"),
        yaxis={"title": t("days")},
        xaxis={"tickformat": "%d-%m-%Y"},
        yaxis2={
            "title": t("cei"),
            "overlaying": "y",
            "side": "right",
            "range": [0, 110],
            "dtick": 20,
        },
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


LEVEL_COLOURS = {
    "none": "#c9d3dd",
    "watch": "#f6d55c",
    "deposit": "#f3a24b",
    "staged": "#e8743b",
    "prepay": "#d1453b",
    "stop": "#6d1a1f",
}


def level_chart(
    summary: pd.DataFrame, title: str | None = None, lang: str | None = None
) -> go.Figure:
    """Bars per recommendation level: clients (left) and share of revenue (right)."""
    from dunning_analytics.questions.risk import LEVEL_NAMES

    fig = go.Figure()
    t = lambda key: chart_text(key, lang)  # noqa: E731
    colours = [LEVEL_COLOURS[level] for level in summary["level"]]
    # long level names on two lines, so neighbours never overlap ("geen bijzondere<br>...")
    levels = [
        "<br>".join(textwrap.wrap(LEVEL_NAMES[resolve_lang(lang)][level], 14))
        for level in summary["level"]
    ]
    fig.add_bar(
        name=t("clients"),
        x=levels,
        y=list(summary["clients"]),
        marker_color=colours,
        text=list(summary["clients"]),
        textposition="outside",
    )
    fig.add_scatter(
        name=t("revenue_share"),
        x=levels,
        y=[100 * v for v in summary["revenue_share"]],
        yaxis="y2",
        mode="markers+lines",
        marker={"size": 10, "color": "#333"},
    )
    styled(fig).update_layout(
        title=title or t("level_title"),
        yaxis={"title": t("clients")},
        yaxis2={
            "title": t("pct_revenue"),
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "dtick": 20,
        },
        legend={"orientation": "h", "y": -0.2},
        height=380,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


_BACKTEST_TEXT = {
    "revenue_share": ("share of revenue (the friction)", "aandeel in de omzet (het ongemak)"),
    "late_share": ("share of amount paid late", "aandeel in het te laat betaalde bedrag"),
    "collection_share": (
        "share of amount sent to collection",
        "aandeel in het bedrag naar incasso",
    ),
    "title": (
        "Backtest: what the flagged clients did in the following months",
        "Terugblik: wat de gemarkeerde klanten in de maanden erna deden",
    ),
    "yaxis": ("% coming from flagged clients", "% afkomstig van gemarkeerde klanten"),
    "xaxis": ("flags as of", "markering op"),
}


def backtest_chart(result: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Per backtest date: flagged clients' share of revenue against their share of late
    and collected amounts in the following months. Late share far above revenue share
    means the flags pick the right clients."""
    from dunning_analytics.common.formatting import format_date

    t = lambda key: pick(_BACKTEST_TEXT[key], lang)  # noqa: E731
    x = [format_date(d, lang) for d in result["as_of"]]
    fig = go.Figure()
    for column, colour in (
        ("revenue_share", "#8a8d91"),
        ("late_share", "#e8743b"),
        ("collection_share", "#6d1a1f"),
    ):
        fig.add_bar(
            name=t(column),
            x=x,
            y=[100 * float(v) if v == v and v is not None else 0 for v in result[column]],
            marker_color=colour,
        )
    styled(fig).update_layout(
        title=t("title"),
        barmode="group",
        yaxis={"title": t("yaxis"), "range": [0, 100]},
        xaxis={"title": t("xaxis"), "type": "category"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


_TRADEOFF_TEXT = {
    "title": (
        "Who to ask a deposit: what each choice would have caught",
        "Wie om een aanbetaling vragen: wat elke keuze zou hebben opgeleverd",
    ),
    "xaxis": (
        "% of the next months' revenue asked to prepay",
        "% van de omzet van de maanden erna dat vooruit moet",
    ),
    "yaxis": ("% of the amount caught", "% van het bedrag dat u afvangt"),
    "late_share": ("paid late, latest payers first", "te laat betaald, laatste betalers eerst"),
    "collection_share": (
        "sent to collection, latest payers first",
        "naar incasso, laatste betalers eerst",
    ),
    "policy": ("the policy", "het beleid"),
    "chance": ("no better than chance", "niet beter dan toeval"),
    "hover": (
        "clients averaging at least %{customdata:.0f} days late<br>%{x:.0f} % of revenue, "
        "%{y:.0f} % caught",
        "klanten gemiddeld minstens %{customdata:.0f} dagen te laat<br>%{x:.0f} % van de omzet, "
        "%{y:.0f} % afgevangen",
    ),
}


def tradeoff_chart(tradeoff: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """The deposit flags as a ranking (risk.flags_tradeoff): the share of revenue asked to
    prepay against the share of the late and of the collected amount it would have caught,
    the latest payers asked first, with the policy as a point on it. Above the diagonal,
    the choice catches more than its share."""
    t = lambda key: pick(_TRADEOFF_TEXT[key], lang)  # noqa: E731
    curve = tradeoff[tradeoff["kind"] == "curve"]
    policy = tradeoff[tradeoff["kind"] == "policy"]
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 100], y=[0, 100], mode="lines", name=t("chance"),
        line={"color": "#8a8d91", "dash": "dot"}, hoverinfo="skip",
    )  # fmt: skip
    for column, colour in (("late_share", "#e8743b"), ("collection_share", "#6d1a1f")):
        fig.add_scatter(
            x=[0, *_percent(curve["revenue_share"])],
            y=[0, *_percent(curve[column])],
            customdata=[None, *_float(curve["min_score"])],
            mode="lines", name=t(column), line={"color": colour, "shape": "hv"},
            hovertemplate=t("hover"),
        )  # fmt: skip
        fig.add_scatter(
            x=_percent(policy["revenue_share"]), y=_percent(policy[column]), mode="markers",
            name=f"{t('policy')}: {t(column).split(',')[0]}", showlegend=column == "late_share",
            marker={"color": colour, "size": 13, "symbol": "diamond",
                    "line": {"color": "#222", "width": 1}},
        )  # fmt: skip
    styled(fig).update_layout(
        title=t("title"),
        xaxis={"title": t("xaxis"), "range": [0, 100]},
        yaxis={"title": t("yaxis"), "range": [0, 100]},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


def _percent(values) -> list[float]:
    """Shares (0-1, None for none) as percentages; None stays a gap in the line."""
    return [None if v is None or v != v else 100 * float(v) for v in values]


def grade_counts(profiles: pd.DataFrame, lang: str | None = None):
    """How many clients have each grade (behaviour.client_profiles), as a one-row table:
    A, B, C, D and new side by side, in `lang`."""
    from dunning_analytics.questions.behaviour import GRADES

    counts = profiles["grade"].value_counts().reindex(list(GRADES), fill_value=0)
    frame = pd.DataFrame([counts.to_list()], columns=[word(g, lang) for g in GRADES])
    frame.insert(0, pick(("grade", "beoordeling"), lang), [pick(("clients", "klanten"), lang)])
    return shown_table(frame, lang=lang)


def backtest_table(result: pd.DataFrame, lang: str | None = None):
    """The deposit flags' backtest (risk.backtest) as a tidy table in `lang`: per date the
    flagged clients, the revenue and late and collected amounts after it, and the shares."""
    columns = ["as_of", "flagged_clients", "revenue", "late_amount", "flagged_late_amount",
               "collection_amount", "flagged_collection_amount", "revenue_share", "late_share",
               "lift"]  # fmt: skip
    shown = result[columns].rename(columns={"revenue": "revenue_next"})
    money = ["revenue_next", "late_amount", "flagged_late_amount", "collection_amount",
             "flagged_collection_amount"]  # fmt: skip
    numbers = {"revenue_share": 2, "late_share": 2, "lift": 2}
    return shown_table(shown, money=money, numbers=numbers, lang=lang)


def week_actions_chart(actions: pd.DataFrame, as_of, lang: str | None = None) -> go.Figure:
    """Bars of the week's actions per day and kind; the backlog from earlier weeks as one bar
    of its own at the left, labelled with its oldest date, so it is not mistaken for this
    week's work. In: dunning.week_actions(...)."""
    from dunning_analytics.common.formatting import format_date

    nl = resolve_lang(lang) == "nl"
    fig = go.Figure()
    backlog = actions[actions["backlog"]]
    earlier = (
        ("eerdere weken, sinds " if nl else "earlier weeks, since ")
        + format_date(min(backlog["action_date"]), lang)
        if not backlog.empty
        else None
    )
    days = sorted({d for d in actions.loc[~actions["backlog"], "action_date"]})
    x_order = ([earlier] if earlier else []) + [format_date(d, lang) for d in days]
    for kind in dict.fromkeys(actions["next_action"]):
        part = actions[actions["next_action"] == kind]
        counts = {earlier: int(part["backlog"].sum())} if earlier else {}
        for d in days:
            counts[format_date(d, lang)] = int(
                ((part["action_date"] == d) & ~part["backlog"]).sum()
            )
        fig.add_bar(name=word(kind, lang), x=x_order, y=[counts.get(x, 0) for x in x_order])
    styled(fig).update_layout(
        barmode="stack",
        title=("Acties per dag, deze week" if nl else "Actions per day, this week")
        + (f" (week {pd.Timestamp(as_of).isocalendar().week})"),
        xaxis={"type": "category", "title": ""},
        yaxis_title="acties" if nl else "actions",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig


def cash_forecast_chart(weeks: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Bars of the expected cash-in per week with the 80 % band behind them; the title says
    the total in the horizon and what comes later or never. In: forecast.weekly_forecast
    (the last row, week_start None, is what comes after the horizon)."""
    from dunning_analytics.common.formatting import format_date

    t = lambda key: chart_text(key, lang)  # noqa: E731
    shown = weeks[weeks["week_start"].notna()]
    later = weeks.loc[weeks["week_start"].isna(), "expected_amount"]
    x = list(shown["week_start"])
    expected, low, high = (_float(shown[c]) for c in ("expected_amount", "low", "high"))
    customdata = [
        [format_date(d, lang), *(format_eur(v, lang) for v in values)]
        for d, *values in zip(x, shown["expected_amount"], shown["low"], shown["high"], strict=True)
    ]
    fig = go.Figure()
    fig.add_scatter(x=x, y=low, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=x,
        y=high,
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(31, 119, 180, 0.18)",
        name=t("cash_band"),
        hoverinfo="skip",
    )
    fig.add_bar(
        x=x,
        y=expected,
        name=t("cash_expected"),
        marker_color="#1f77b4",
        customdata=customdata,
        hovertemplate=t("cash_hover") + "<extra></extra>",
    )
    title = t("cash_title").format(
        total=format_eur(money_sum(shown["expected_amount"]), lang),
        weeks=len(shown),
        later=format_eur(later.iloc[0] if len(later) else 0, lang),
    )
    styled(fig).update_layout(
        title=title,
        xaxis={
            "title": t("week_from"),
            "tickformat": "%d-%m" if resolve_lang(lang) == "nl" else "%b %d",
        },
        yaxis_title=t("euro"),
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig


def forecast_error_chart(result: pd.DataFrame, lang: str | None = None) -> go.Figure:
    """Bars of the expected-date error (days) of the forecast and the two baselines, each
    labelled with its weekly cash-in error. In: forecast.backtest."""
    from dunning_analytics.common.formatting import format_percent

    t = lambda key: chart_text(key, lang)  # noqa: E731
    fig = go.Figure()
    fig.add_bar(
        x=[word(m, lang) for m in result["method"]],
        y=_float(result["mae_days"]),
        marker_color=["#1f77b4" if m == "forecast" else "#8a8d91" for m in result["method"]],
        text=[
            t("error_text").format(days=format_number(d, 1, lang), wape=format_percent(w, 0, lang))
            for d, w in zip(result["mae_days"], result["wape"], strict=True)
        ],
        textposition="outside",
        showlegend=False,
    )
    styled(fig).update_layout(
        title=t("error_title"),
        yaxis_title=t("error_y"),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        separators=_separators(lang),
    )
    return fig
