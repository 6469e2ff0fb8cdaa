"""The cash-in forecast in a notebook: the weekly chart with its band and the invoices behind
each week (CashForecastView), and "if I invoice this client today, when is it paid?" beside
the deposit advice (NewInvoicePanel).

Thin: the numbers come from forecast.py (the SQL payment curves); these classes arrange
controls, a plotly FigureWidget and an itables table, and update them in place.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import display

from dunning_analytics.common.formatting import (
    client_text,
    format_date,
    format_eur,
    format_percent,
    parse_amount,
    to_cents,
)
from dunning_analytics.common.vocabulary import pick
from dunning_analytics.ledger import connected, ledger_end_date
from dunning_analytics.notebook.shared_figure import FigureWidget
from dunning_analytics.notebook.widgets import (
    DateControl,
    _replace,
    data_line,
    interactive_table,
    table_data,
    ui_text,
)
from dunning_analytics.present.charts import cash_forecast_chart
from dunning_analytics.questions.forecast import (
    curves,
    invoice_forecast,
    invoice_weeks,
    new_invoice_forecast,
    weekly_forecast,
)
from dunning_analytics.questions.risk import rule_reasons

# texts: key -> (English, Dutch)
_TEXT = {
    "weeks": ("Weeks", "Weken"),
    "week": ("Week", "Week"),
    "later": ("later or never", "later of nooit"),
    "summary": (
        "Open now <b>{open}</b> in {n} invoices. Expected in the next {weeks} weeks "
        "<b>{expected}</b>; later or never <b>{later}</b>.",
        "Nu open <b>{open}</b> in {n} facturen. Verwacht in de komende {weeks} weken "
        "<b>{expected}</b>; later of nooit <b>{later}</b>.",
    ),
    "behind": (
        "<b>Invoices behind the week from {day}</b>: {n} invoices, together {amount} expected "
        "(each invoice's outstanding amount times its chance of being paid that week)",
        "<b>Facturen achter de week vanaf {day}</b>: {n} facturen, samen {amount} verwacht "
        "(het openstaande bedrag van elke factuur maal de kans dat hij die week betaald wordt)",
    ),
    "behind_later": (
        "<b>Invoices expected after the horizon or never</b>: {n} invoices, together {amount}",
        "<b>Facturen verwacht na de horizon of nooit</b>: {n} facturen, samen {amount}",
    ),
    "invoices": (
        "<b>{n} open invoices</b>, {amount} outstanding; sort by any column, search",
        "<b>{n} open facturen</b>, {amount} openstaand; sorteer op elke kolom, zoek",
    ),
    "client": ("Client", "Klant"),
    "amount": ("Amount €", "Bedrag €"),
    "term": ("Term (days)", "Termijn (dagen)"),
    "bad_amount": ("{text!r} is not an amount", "{text!r} is geen bedrag"),
    "advice": ("<b>{name}</b> ({client}): {terms}", "<b>{name}</b> ({client}): {terms}"),
    "no_terms": ("no special terms", "geen bijzondere voorwaarden"),
    "deposit": (
        "a deposit of {percent} % is {deposit} up front; {rest} rides on the forecast below.",
        "een aanbetaling van {percent}% is {deposit} vooraf; {rest} hangt af van de verwachting "
        "hieronder.",
    ),
    "new_invoice": (
        "If you invoice {amount} on {day} with {term} days, it is due on {due}. Expected "
        "payment around <b class='da-new-expected'>{expected}</b> (80 %: {low} – {high}); "
        "chance paid within 30 days after the due date: <b>{p30}</b>.",
        "Factureert u {amount} op {day} met {term} dagen, dan vervalt de factuur op {due}. "
        "Verwachte betaling rond <b class='da-new-expected'>{expected}</b> (80%: {low} – "
        "{high}); kans betaald binnen 30 dagen na de vervaldatum: <b>{p30}</b>.",
    ),
    "never": ("not within a year", "niet binnen een jaar"),
    "basis": (
        "Based on {n} of the client's invoices (its own curve weighs {weight}) and the "
        "portfolio's.",
        "Op basis van {n} facturen van deze klant (eigen curve weegt {weight}) en die van de "
        "hele portefeuille.",
    ),
    "basis_none": (
        "The client has no invoices due yet: this is the portfolio's curve.",
        "Deze klant heeft nog geen vervallen facturen: dit is de curve van de hele portefeuille.",
    ),
    "limit": (
        "Open now {open}; with this invoice {after}, {side} the credit limit of {limit}.",
        "Nu open {open}; met deze factuur {after}, {side} de kredietlimiet van {limit}.",
    ),
    "above": ("above", "boven"),
    "within": ("within", "binnen"),
}


def _t(key: str, lang: str) -> str:
    return pick(_TEXT[key], lang)


def expected_because(row, lang: str) -> str:
    """In a few words, what an open invoice's expected date rests on (a row of
    forecast.invoice_forecast): the client's paid invoices in its curve or all clients'
    (disputed ones for a disputed invoice), and a pending promise, which the date does not
    follow."""
    n, weight = int(row.curve_invoices), round(100 * row.own_weight)
    if row.disputed:
        parts = [pick(("disputed: like all clients' disputed invoices",
                       "betwist: zoals betwiste facturen van alle klanten"), lang)]  # fmt: skip
        if n:
            parts = [pick((f"disputed: this client's {n} disputed invoices of the last year "
                           f"({weight} %), the rest all clients' disputed ones",
                           f"betwist: {n} betwiste facturen van deze klant in het laatste jaar "
                           f"({weight} %), de rest die van alle klanten"), lang)]  # fmt: skip
    elif n == 0:
        parts = [pick(("like all clients (no paid invoices yet)",
                       "zoals alle klanten (nog geen betaalde facturen)"), lang)]  # fmt: skip
    else:
        parts = [pick((f"this client's {n} invoices of the last year ({weight} %), the rest "
                       "all clients'",
                       f"{n} facturen van deze klant in het laatste jaar ({weight} %), de rest "
                       "alle klanten"), lang)]  # fmt: skip
    if row.promised_date is not None and row.promised_date == row.promised_date:
        day = format_date(row.promised_date, lang)
        parts.append(pick((f"promised for {day}", f"belofte voor {day}"), lang))
    return "; ".join(parts)


class CashForecastView:
    """The weekly cash-in forecast as of a date: a chart with the 80 % band, a summary, and
    a week picker with the invoices behind the chosen week.

    In: the ledger's path (opened read-only while a forecast is computed), the as-of date
    (default the ledger's last date), `lang`, the number of weeks (default 13).
    """

    _MONEY = ["outstanding", "expected_amount"]

    def __init__(
        self,
        ledger: str | Path,
        as_of: dt.date | None = None,
        lang: str | None = None,
        weeks: int = 13,
    ):
        from dunning_analytics.common.formatting import resolve_lang

        self.ledger = ledger
        self.lang = resolve_lang(lang)
        start = as_of or ledger_end_date(ledger)
        self.as_of = DateControl(start, self.lang)
        self.weeks = w.IntSlider(
            description=_t("weeks", self.lang), value=weeks, min=4, max=26, continuous_update=False
        )
        self.busy = w.HTML()
        self.summary = w.HTML()
        self.chart = FigureWidget()
        self.week = w.Dropdown(description=_t("week", self.lang), layout={"width": "420px"})
        self.caption = w.HTML()
        self.table = interactive_table(self._behind_frame(None), self._MONEY, self.lang)
        self.forecast: pd.DataFrame | None = None
        self.invoices: pd.DataFrame | None = None
        self.behind: pd.DataFrame | None = None
        self.names: dict[str, str] = {}
        self.as_of.observe(self.refresh)
        self.weeks.observe(self.refresh, names="value")
        self.week.observe(self.show_week, names="value")
        self.widget = w.VBox(
            [
                data_line(ledger, self.lang),
                w.HBox([self.as_of.widget, self.weeks, self.busy]),
                self.summary,
                self.chart,
                self.week,
                self.caption,
                self.table,
            ]
        )
        self.refresh()

    def refresh(self, *_) -> None:
        """Forecast as of the chosen date for the chosen number of weeks; redraw in place."""
        as_of = self.as_of.value
        if as_of is None:
            return
        self.busy.value = f"<i>⏳ {ui_text('busy', self.lang)}</i>"
        weeks = self.weeks.value
        with connected(self.ledger) as con:
            model = curves(con, as_of)
            self.invoices = invoices = invoice_forecast(con, as_of, model=model)
            self.behind = invoice_weeks(con, as_of, weeks, invoices, model=model)
            self.forecast = weekly_forecast(con, as_of, weeks, behind=self.behind)
            self.names = dict(con.execute("SELECT client_id, name FROM clients").fetchall())
        lang = self.lang
        self.summary.value = _t("summary", lang).format(
            open=format_eur(invoices["outstanding"].sum() if len(invoices) else 0, lang),
            n=len(invoices),
            weeks=weeks,
            expected=format_eur(self.forecast["expected_amount"].iloc[:-1].sum(), lang),
            later=format_eur(self.forecast["expected_amount"].iloc[-1], lang),
        )
        _replace(self.chart, cash_forecast_chart(self.forecast, lang))
        options = [
            (f"{format_date(row.week_start, lang)} · {format_eur(row.expected_amount, lang)}", k)
            for k, row in enumerate(self.forecast.iloc[:-1].itertuples(index=False))
        ]
        later = self.forecast["expected_amount"].iloc[-1]
        options.append((f"{_t('later', lang)} · {format_eur(later, lang)}", weeks))
        chosen = self.week.value if self.week.value is not None else 0
        self.week.unobserve(self.show_week, names="value")
        self.week.options = options  # the same week stays chosen where there still is one
        self.week.value = min(chosen, weeks)
        self.week.observe(self.show_week, names="value")
        self.show_week()
        self.busy.value = ""

    def pick_week(self, index: int) -> None:
        """Show the invoices behind week `index` (0 = the first week; the number of weeks:
        after the horizon or never)."""
        self.week.value = index

    def _behind_frame(self, rows: pd.DataFrame | None) -> pd.DataFrame:
        columns = [
            "invoice_id",
            "client_id",
            "name",
            "due_date",
            "outstanding",
            "expected_date",
            "chance_in_week",
            "expected_amount",
        ]
        if rows is None:
            return pd.DataFrame(columns=columns)
        out = rows.assign(
            name=rows["client_id"].map(self.names),
            chance_in_week=(100 * rows["share"]).round(1),
            expected_amount=rows["expected_amount"].map(to_cents),
        )
        return out.sort_values("expected_amount", ascending=False)[columns]

    def show_week(self, *_) -> None:
        """Fill the table with the invoices behind the chosen week."""
        if self.behind is None or self.week.value is None:
            return
        index, weeks = self.week.value, len(self.forecast) - 1
        starts = self.forecast["week_start"]
        if index < weeks:
            rows = self.behind[self.behind["week_start"] == starts.iloc[index]]
        else:
            rows = self.behind[self.behind["week_start"].isna()]
        frame = self._behind_frame(rows)
        amount = format_eur(self.forecast["expected_amount"].iloc[index], self.lang)
        if index < weeks:
            day = format_date(starts.iloc[index], self.lang)
            text = _t("behind", self.lang).format(day=day, n=len(frame), amount=amount)
        else:
            text = _t("behind_later", self.lang).format(n=len(frame), amount=amount)
        self.caption.value = text
        self.table.update(**table_data(frame, self._MONEY, self.lang))

    def invoice_table(self):
        """Every open invoice's forecast as of the chosen date (expected date, 80 % interval,
        chance of payment within 30 days after the due date): a caption and a sortable
        table, in a VBox."""
        frame = self.invoices.assign(
            name=self.invoices["client_id"].map(self.names),
            p_paid_30_pct=(100 * self.invoices["p_paid_30_days_after_due"]).round(0),
            why=[expected_because(row, self.lang) for row in self.invoices.itertuples()],
        )
        columns = [
            "invoice_id",
            "client_id",
            "name",
            "outstanding",
            "due_date",
            "days_overdue",
            "expected_date",
            "p10_date",
            "p90_date",
            "p_paid_30_pct",
            "why",
        ]
        caption = _t("invoices", self.lang).format(
            n=len(frame),
            amount=format_eur(frame["outstanding"].sum() if len(frame) else 0, self.lang),
        )
        table = interactive_table(frame[columns], ["outstanding"], self.lang)
        return w.VBox([w.HTML(caption), table])

    def _ipython_display_(self) -> None:
        display(self.widget)


def cash_forecast_view(
    ledger: str | Path, as_of: dt.date | None = None, lang: str | None = None, weeks: int = 13
) -> CashForecastView:
    """Return a CashForecastView on `ledger`; display it in a notebook."""
    return CashForecastView(ledger, as_of=as_of, lang=lang, weeks=weeks)


class NewInvoicePanel:
    """Pick a client, type an amount and a payment term: the client's current terms (the risk
    explorer's flags, its sliders included), what a deposit would be, and when an invoice
    sent today would be paid (forecast.new_invoice_forecast, the same curves as for open
    invoices).

    In: a RiskExplorer (its ledger, as-of date and current flags are used).
    """

    def __init__(self, explorer, term_days: int = 30):
        self.explorer = explorer
        self.lang = explorer.lang
        with connected(explorer.ledger) as con:
            clients = con.execute(
                "SELECT client_id, name, payment_term_days, credit_limit FROM clients ORDER BY name"
            ).fetchall()
            self.clients = {c[0]: c for c in clients}
            self.as_of = explorer.as_of.value
            self.model = curves(con, self.as_of)
        self.client = w.Dropdown(
            description=_t("client", self.lang),
            options=[(client_text(name, client_id), client_id) for client_id, name, *_ in clients],
            layout={"width": "420px"},
        )
        self.amount = w.Text(
            description=_t("amount", self.lang),
            value=format_eur(1000, self.lang).replace("€", "").strip(),
            continuous_update=False,
            layout={"width": "240px"},
        )
        self.term = w.BoundedIntText(
            description=_t("term", self.lang), value=term_days, min=0, max=365
        )
        self.output = w.HTML()
        self.client.observe(self._client_changed, names="value")
        for control in (self.amount, self.term):
            control.observe(self.show, names="value")
        self.widget = w.VBox([w.HBox([self.client, self.amount, self.term]), self.output])
        # the explorer's date and sliders change the flags: show them again after it refreshed
        explorer.as_of.observe(self.show)
        for slider in explorer.sliders.values():
            slider.observe(self.show, names="value")
        self._client_changed()

    def _client_changed(self, *_) -> None:
        """A client with its own payment term gets it in the term field."""
        own = self.clients.get(self.client.value, (None, None, None, None))[2]
        if own is not None and own != self.term.value:
            self.term.value = int(own)  # observed: shows the forecast
        else:
            self.show()

    def show(self, *_) -> None:
        """Recompute the advice and the forecast for the chosen client, amount and term."""
        lang, client_id = self.lang, self.client.value
        if client_id is None:
            return
        try:
            amount = parse_amount(self.amount.value, lang)
        except ValueError:
            text = _t("bad_amount", lang).format(text=self.amount.value)
            self.output.value = f"<p style='color:#b3261e'>{html.escape(text)}</p>"
            return
        as_of = self.explorer.as_of.value or self.as_of
        if as_of != self.as_of:
            self.as_of, self.model = as_of, curves(self.explorer.ledger, as_of)
        forecast = new_invoice_forecast(
            self.explorer.ledger, as_of, client_id, self.term.value, model=self.model
        )
        _, name, _, limit = self.clients[client_id]
        flags = self.explorer.flags
        flag = flags[flags["client_id"] == client_id].iloc[0] if flags is not None else None
        parts = [self._advice(client_id, name, flag, amount)]
        day = lambda d: format_date(d, lang) if d else _t("never", lang)  # noqa: E731
        parts.append(
            _t("new_invoice", lang).format(
                amount=format_eur(amount, lang),
                day=format_date(as_of, lang),
                term=self.term.value,
                due=format_date(forecast["due_date"], lang),
                expected=day(forecast["expected_date"]),
                low=day(forecast["p10_date"]),
                high=day(forecast["p90_date"]),
                p30=format_percent(forecast["p_paid_30_days_after_due"], 0, lang),
            )
        )
        parts.append(
            _t("basis", lang).format(
                n=forecast["invoices"], weight=format_percent(forecast["own_weight"], 0, lang)
            )
            if forecast["invoices"]
            else _t("basis_none", lang)
        )
        if limit and flag is not None:  # a limit of 0: none set (as the credit-limit rule)
            after = flag["open_exposure"] + amount
            parts.append(
                _t("limit", lang).format(
                    open=format_eur(flag["open_exposure"], lang),
                    after=format_eur(after, lang),
                    side=_t("above" if after > limit else "within", lang),
                    limit=format_eur(limit, lang),
                )
            )
        self.output.value = "".join(f"<p>{part}</p>" for part in parts)

    def _advice(self, client_id: str, name: str, flag, amount) -> str:
        """The client's terms with the reasons, and a deposit's amount when one is due."""
        lang = self.lang
        if flag is None or flag["level"] == "none":
            terms = _t("no_terms", lang)
        else:
            sentences = flag["reasons"]
            if not isinstance(sentences, list):  # past the rows the explorer wrote them for
                sentences = rule_reasons(
                    self.explorer.inputs,
                    flag["client_id"],
                    self.explorer.current_policy(),
                    self.explorer.lang,
                    self.explorer.track_record,
                )
            reasons = "; ".join(html.escape(r) for r in sentences)
            terms = f"<b>{html.escape(flag['recommendation'])}</b> ({reasons})"
        text = _t("advice", lang).format(
            name=html.escape(str(name)), client=html.escape(client_id), terms=terms
        )
        if flag is not None and flag["level"] == "deposit":
            percent = self.explorer.current_policy()["terms"]["deposit_percent"]
            deposit = to_cents(amount * percent / 100)
            text += "; " + _t("deposit", lang).format(
                percent=percent,
                deposit=format_eur(deposit, lang),
                rest=format_eur(amount - deposit, lang),
            )
        return text

    def _ipython_display_(self) -> None:
        display(self.widget)


def new_invoice_panel(explorer, term_days: int = 30) -> NewInvoicePanel:
    """Return a NewInvoicePanel beside `explorer` (a RiskExplorer); display it."""
    return NewInvoicePanel(explorer, term_days=term_days)
