"""ipywidgets explorers. Thin: controls call the analytics functions and show their results.

Every explorer builds its charts once as plotly FigureWidgets and its tables once as
itables ITable widgets, and a control change updates them in place (aggregates only),
with a busy note while the kernel works. Texts follow `lang` (or $DUNNING_LANG).
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
    money_floats,
    parse_date,
    plain_text,
    resolve_lang,
)
from dunning_analytics.common.vocabulary import heading, pick, shown_frame, word
from dunning_analytics.ledger import LedgerError, connected, ledger_end_date
from dunning_analytics.ledger.outputs import unique_path
from dunning_analytics.notebook.shared_figure import FigureWidget
from dunning_analytics.present.charts import aging_by_client_chart, money_table, styled
from dunning_analytics.present.pages import render_page
from dunning_analytics.questions.aging import BUCKET_SCHEMES, aging, aging_totals, bucket_labels

_INVOICE_MONEY = ["amount", "paid_amount", "credit_applied", "outstanding"]

# explorer texts: key -> (English, Dutch)
_UI = {
    "as_of": ("As of", "Peildatum"),
    "buckets": ("Buckets", "Indeling"),
    "age_by": ("Age by", "Ouderdom vanaf"),
    "due date": ("due date", "vervaldatum"),
    "invoice date": ("invoice date", "factuurdatum"),
    "clients": ("Clients", "Klanten"),
    "all": ("all", "alle"),
    "min_balance": ("Minimum balance €", "Minimaal saldo €"),
    "client": ("Client", "Klant"),
    "busy": ("updating…", "bijwerken…"),
    "export": ("Export to Excel", "Naar Excel"),
    "letter": ("Letter", "Brief"),
    "write_letters": ("Write the letters", "Brieven maken"),
    "folder": ("Folder", "Map"),
    "no_letters": ("No letters due this week.", "Deze week zijn er geen brieven nodig."),
    "wrote_letters": (
        "Wrote {n} letters (PDF and e-mail draft) and letters.csv to {folder}",
        "{n} brieven (pdf en e-mailconcept) en letters.csv geschreven naar {folder}",
    ),
    "letters_not_written": (
        "Not written (see letters.csv): {which}",
        "Niet geschreven (zie letters.csv): {which}",
    ),
    "not_saved": ("Not written: {why}", "Niet geschreven: {why}"),
    "nothing": (
        "Nothing open on {day} for these filters.",
        "Niets open op {day} met deze filters.",
    ),
    "owe": (
        "<b>{n}</b> clients owe <b>{owed}</b> as of {day}; overdue <b>{overdue}</b>.",
        "<b>{n}</b> klanten hebben <b>{owed}</b> open op {day}; vervallen <b>{overdue}</b>.",
    ),
    "table_title": (
        "<b>Every client</b> (largest overdue first; sort by any column, search, click a row "
        "for its invoices)",
        "<b>Alle klanten</b> (meeste vervallen eerst; sorteer op elke kolom, zoek, klik op een "
        "rij voor de facturen)",
    ),
    "items_of": ("<b>Open items of {name}</b>", "<b>Openstaande posten van {name}</b>"),
    "no_client": (
        "<b>Open items</b>: no client to show for these filters.",
        "<b>Openstaande posten</b>: geen klant te tonen met deze filters.",
    ),
    "wrote": (
        "Wrote {path} ({n} rows and a totals row).",
        "{path} geschreven ({n} rijen en een totaalregel).",
    ),
    "bad_date": ("{text!r} is not a date (dd-mm-jjjj)", "{text!r} is geen datum (dd-mm-jjjj)"),
}


def ui_text(key: str, lang: str | None = None) -> str:
    """Return an explorer text in `lang` (or $DUNNING_LANG)."""
    return pick(_UI[key], lang)


class DateControl:
    """The as-of date control: a date picker in English; in Dutch a text field that reads and
    shows dd-mm-jjjj (a browser's date picker follows the browser's language, not ours).

    `widget` is the ipywidget; `value` the chosen date (None while the text is not a date);
    `observe(callback)` calls back on every change to a valid date. `label`: the text
    before it (default the as-of date's).
    """

    def __init__(self, value: dt.date, lang: str, label: str | None = None):
        self.lang = lang
        label = label or ui_text("as_of", lang)
        self.error = w.HTML()
        if lang == "nl":
            self.input = w.Text(
                description=label,
                value=format_date(value, lang),
                continuous_update=False,
                layout={"width": "230px"},
            )
        else:
            self.input = w.DatePicker(description=label, value=value)
        self.widget = w.HBox([self.input, self.error])

    @property
    def value(self) -> dt.date | None:
        if isinstance(self.input, w.DatePicker):
            return self.input.value
        try:
            self.error.value = ""
            return parse_date(self.input.value)
        except ValueError:
            text = ui_text("bad_date", self.lang).format(text=self.input.value)
            self.error.value = f"<span style='color:#b3261e'>{html.escape(text)}</span>"
            return None

    def set(self, day: dt.date) -> None:
        """Show `day` (a date in the picker, dd-mm-jjjj in the Dutch text field)."""
        self.input.value = day if isinstance(self.input, w.DatePicker) else format_date(day, "nl")

    def observe(self, callback) -> None:
        self.input.observe(callback, names="value")


def _euro_columns(frame, money: list[str], lang: str) -> list[dict]:
    """itables columnDefs: money columns right-aligned and shown in euros by the browser's
    Intl.NumberFormat in the language's locale, while sorting uses the number itself."""
    from itables import JavascriptFunction

    locale = "nl-NL" if lang == "nl" else "en-IE"
    targets = [i for i, c in enumerate(frame.columns) if c in money]
    return [
        {
            "targets": targets,
            "className": "dt-right",
            "render": JavascriptFunction(
                "function (data, type) { if (type !== 'display' || data === null) return data;"
                f" return new Intl.NumberFormat('{locale}', "
                "{style: 'currency', currency: 'EUR'}).format(data); }"
            ),
        }
    ]


def _floats(frame, money: list[str]):
    """A copy with money columns as floats (for the browser table; totals stay exact here)."""
    out = frame.copy()
    for column in money:
        if column in out:
            # one cast per column (Arrow decimals by Arrow); missing stays None
            values = pd.Series(money_floats(out[column]), index=out.index)
            out[column] = values.astype(object).where(values.notna(), None)
    return out


_TREND_SHOWN = ["quarter", "weighted_lateness"]  # what the client explorer's trend draws
PICKER_CLIENTS = 200  # clients listed in the aging explorer's picker

_TABLE_CODES = ["kind", "grade", "bucket", "item_type"]  # columns whose values are translated


def table_data(frame, money: list[str], lang: str) -> dict:
    """The arguments an ITable gets for `frame`: the data (headings and codes in `lang`,
    money as floats) and the columnDefs that show the money in euros."""
    # a plain index: itables shows any other index (a sorted frame's) as a first column,
    # which would shift the euro columns by one
    shown = shown_frame(_floats(frame, money), lang, codes=_TABLE_CODES).reset_index(drop=True)
    return {
        "df": shown,
        "columnDefs": _euro_columns(shown, [heading(c, lang) for c in money], lang),
    }


def interactive_table(frame, money: list[str], lang: str, **options):
    """An itables ITable widget of `frame` (headings in `lang`), sortable and searchable,
    money in euros; one row can be selected (select=True) for a drill-down. Update it
    with `table.update(**table_data(frame, money, lang))`."""
    from itables.widget import ITable

    return ITable(
        **table_data(frame, money, lang),
        maxBytes=0,  # aggregates only: every row, never a silent sample
        classes="display compact",
        style="width:100%;table-layout:auto",
        scrollX=True,
        language=_DUTCH_DATATABLES if lang == "nl" else {},
        **options,
    )


_DUTCH_DATATABLES = {
    "search": "Zoeken:",
    "lengthMenu": "_MENU_ per pagina",
    "info": "_START_ tot _END_ van _TOTAL_",
    "infoEmpty": "geen rijen",
    "infoFiltered": "(gefilterd uit _MAX_)",
    "zeroRecords": "Niets gevonden",
    "emptyTable": "Geen gegevens",
}


class AgingExplorer:
    """Aging as of a date, with scheme, basis, client kind and minimum balance controls.

    Every change runs one aging query (by client) and updates the chart (a plotly
    FigureWidget, in place), the totals and the client table (an itables widget with
    every client, sortable and searchable) together. Clicking a client's row, or picking
    it in the list, shows its open items (a click on a bar is wired too, but not yet seen
    to arrive from the browser in the tests); when the filters leave no client, the
    open items are cleared too. "Export to Excel" writes what is shown, with a totals
    row. `frame` holds the latest aging by client; `timings` the seconds of each update.
    """

    def __init__(
        self,
        ledger: str | Path,
        as_of: dt.date | None = None,
        top: int = 15,
        lang: str | None = None,
        export_folder: str | Path = ".",
    ):

        self.lang = resolve_lang(lang)
        t = lambda key: ui_text(key, self.lang)  # noqa: E731
        self.ledger = ledger  # opened for each update and closed again: never held
        self.top = top
        self.export_folder = Path(export_folder)
        start = as_of or ledger_end_date(self.ledger) or dt.date.today()
        self.as_of = DateControl(start, self.lang)
        self.scheme = w.Dropdown(description=t("buckets"), options=list(BUCKET_SCHEMES))
        self.basis = w.ToggleButtons(
            description=t("age_by"),
            options=[(t("due date"), "due"), (t("invoice date"), "invoice")],
            value="due",
        )
        self.kind = w.Dropdown(
            description=t("clients"),
            options=[
                (t("all"), "all"),
                (word("business", self.lang), "business"),
                (word("consumer", self.lang), "consumer"),
            ],
        )
        self.min_amount = w.BoundedFloatText(
            description=t("min_balance"),
            value=0,
            min=0,
            max=1e12,
            step=100,
            style={"description_width": "initial"},
        )
        self.busy = w.HTML(layout={"min_width": "110px"})
        self.export_button = w.Button(description=t("export"), icon="file-excel")
        self.export_note = w.HTML()
        self.summary = w.HTML()
        self.chart = FigureWidget()
        self.table = interactive_table(
            pd.DataFrame(columns=["client_id", "name"]), [], self.lang, select={"style": "single"}
        )
        self.client = w.Dropdown(description=t("client"), options=[], layout={"width": "520px"})
        self.items_title = w.HTML()
        self.invoices = w.HTML()
        self.frame = None
        self.timings: list[float] = []
        self._listing = False  # True while the picker's options are being replaced
        self.as_of.observe(self.refresh)
        for control in (self.scheme, self.basis, self.kind, self.min_amount):
            control.observe(self.refresh, names="value")
        self.client.observe(self.show_client, names="value")
        self.table.observe(self._row_selected, names="selected_rows")
        self.export_button.on_click(self.export)
        self.widget = w.VBox(
            [
                data_line(ledger, self.lang),
                w.HBox([self.as_of.widget, self.scheme, self.kind]),
                w.HBox([self.basis, self.min_amount, self.export_button, self.busy]),
                self.export_note,
                self.summary,
                self.chart,
                w.HTML(t("table_title")),
                self.table,
                self.items_title,
                self.client,
                self.invoices,
            ]
        )
        self.refresh()

    @property
    def buckets(self) -> tuple[int, ...]:
        return BUCKET_SCHEMES[self.scheme.value]

    def refresh(self, *_) -> None:
        """Recompute the aging for the current controls and update every panel in place
        (one connection for the update's queries, closed after it)."""
        import time

        as_of = self.as_of.value
        if as_of is None:
            return
        started = time.perf_counter()
        self.busy.value = f"<i>⏳ {ui_text('busy', self.lang)}</i>"
        with connected(self.ledger) as con:
            self._update(con, as_of)
        self.busy.value = ""
        self.timings.append(time.perf_counter() - started)

    def _update(self, con, as_of: dt.date) -> None:
        labels = bucket_labels(self.buckets)
        self.frame = aging(
            con,
            as_of,
            buckets=self.buckets,
            basis=self.basis.value,
            client_kind=None if self.kind.value == "all" else self.kind.value,
            min_amount=self.min_amount.value or None,
        )
        day = format_date(as_of, self.lang)
        if self.frame.empty:
            self.summary.value = f"<p>{ui_text('nothing', self.lang).format(day=day)}</p>"
        else:
            totals = aging_totals(self.frame)
            self.summary.value = (
                "<p>"
                + ui_text("owe", self.lang).format(
                    n=len(self.frame),
                    owed=format_eur(totals["outstanding"], self.lang),
                    day=day,
                    overdue=format_eur(totals["overdue"], self.lang),
                )
                + "</p>"
            )
        self._draw_chart(labels)
        money = [*labels, "outstanding", "overdue"]
        self.table.update(**table_data(self.frame, money, self.lang), selected_rows=[])
        self._list_clients()
        self._show_items(con)

    def _list_clients(self) -> None:
        """List the clients owing most in the picker (the table finds any other), keeping
        the picked client while it still owes; the picker's own changes show no client
        (the update shows the picked one once, after)."""
        shown = self.frame.head(PICKER_CLIENTS)
        options = [
            (client_text(n, c), c) for c, n in zip(shown["client_id"], shown["name"], strict=True)
        ]
        current = self.client.value
        owing = current in self.frame["client_id"].values
        if owing and current not in shown["client_id"].values:
            options.insert(0, self._option(current))
        self._listing = True
        try:
            self.client.options = options
            if options:
                self.client.value = current if owing else options[0][1]
        finally:
            self._listing = False

    def _draw_chart(self, labels: list[str]) -> None:
        """Replace the chart's traces and layout in one batch (the widget stays)."""
        fresh = aging_by_client_chart(self.frame, labels, top=self.top, lang=self.lang)
        if self.frame.empty:
            fresh.update_layout(
                title=ui_text("nothing", self.lang).format(
                    day=format_date(self.as_of.value, self.lang)
                )
            )
        _replace(self.chart, fresh)
        for trace in self.chart.data:
            trace.on_click(self._bar_clicked)

    def _option(self, client_id: str) -> tuple[str, str]:
        name = self.frame.loc[self.frame["client_id"] == client_id, "name"].iloc[0]
        return (client_text(name, client_id), client_id)

    def pick(self, client_id: str) -> None:
        """Show `client_id`'s open items (adding the client to the picker when not listed)."""
        if client_id not in {c for _, c in self.client.options}:
            self.client.options = [self._option(client_id), *self.client.options]
        self.client.value = client_id

    def _bar_clicked(self, trace, points, *_) -> None:
        if points.point_inds:
            self.pick(trace.customdata[points.point_inds[0]][0])

    def _row_selected(self, change) -> None:
        rows = change["new"]
        if rows and self.frame is not None and rows[0] < len(self.frame):
            self.pick(self.frame["client_id"].iloc[rows[0]])

    def show_client(self, *_) -> None:
        """Show the open items of the chosen client (or say there is none to show)."""
        if not self._listing:
            self._show_items(self.ledger)

    def _show_items(self, ledger) -> None:
        """show_client, reading `ledger` (a path, or the connection of an update)."""
        if not self.client.value or self.frame is None or self.frame.empty:
            self.items_title.value = ui_text("no_client", self.lang)
            self.invoices.value = ""
            return
        items = aging(
            ledger,
            self.as_of.value,
            buckets=self.buckets,
            basis=self.basis.value,
            by="invoice",
            client_id=self.client.value,
        )
        name = next(
            (label for label, c in self.client.options if c == self.client.value),
            self.client.value,
        )
        self.items_title.value = ui_text("items_of", self.lang).format(name=html.escape(name))
        shown = items[
            [
                "item_type",
                "invoice_id",
                "invoice_date",
                "due_date",
                *_INVOICE_MONEY,
                "days_overdue",
                "bucket",
                "disputed",
            ]
        ]
        money = [heading(c, self.lang) for c in _INVOICE_MONEY]
        table = shown_frame(shown, self.lang, codes=["item_type", "bucket"])
        self.invoices.value = money_table(table, money, self.lang).to_html()

    def export(self, *_) -> Path:
        """Write the aging shown (every client, headings in the explorer's language, a totals
        row) to aging-<date>.xlsx in `export_folder`; return its path."""
        from dunning_analytics.present.exports import report_frame, write_table

        money = [*bucket_labels(self.buckets), "outstanding", "overdue"]
        shown, money_headings = report_frame(self.frame, money, self.lang, codes=["kind"])
        stem = pick(("aging", "ouderdom"), self.lang)
        # a file of the same name the kit did not write is kept: the next free name instead
        path = write_table(
            shown,
            unique_path(
                self.export_folder / f"{stem}-{self.as_of.value.isoformat()}.xlsx", self.ledger
            ),
            sheet=f"{stem} {format_date(self.as_of.value, self.lang)}",
            lang=self.lang,
            money_columns=money_headings,
            ledger=self.ledger,
            title=f"{pick(('Aging as of', 'Ouderdom per'), self.lang)} "
            f"{format_date(self.as_of.value, self.lang)}",
        )
        note = ui_text("wrote", self.lang).format(path=path.name, n=len(self.frame))
        self.export_note.value = (
            f"<a href='{html.escape(path.name)}' download>{html.escape(note)}</a>"
        )
        return path

    def _ipython_display_(self) -> None:
        display(self.widget)


def aging_explorer(
    ledger: str | Path, as_of: dt.date | None = None, lang: str | None = None
) -> AgingExplorer:
    """Return an AgingExplorer on `ledger` (opened read-only); display it in a notebook."""
    return AgingExplorer(ledger, as_of=as_of, lang=lang)


# profile card rows: column, English label, Dutch label, how to show the value
_PROFILE_ROWS = [
    ("grade", "Grade", "Beoordeling", "word"),
    ("first_invoice_date", "First invoice", "Eerste factuur", "date"),
    ("invoices", "Invoices in window", "Facturen in de periode", None),
    ("revenue", "Revenue in window", "Omzet in de periode", "eur"),
    ("settled_invoices", "Settled", "Betaald", None),
    ("on_time_share", "Paid on time", "Op tijd betaald", "pct"),
    ("avg_days_late", "Average days late", "Gemiddeld dagen te laat", "days"),
    (
        "weighted_days_late",
        "Amount-weighted days late",
        "Naar bedrag gewogen dagen te laat",
        "days",
    ),
    ("weighted_lateness_incl_open", "… including open invoices", "… met open facturen", "days"),
    ("median_days_to_pay", "Median days to pay", "Mediaan dagen tot betaling", "days"),
    ("p90_days_to_pay", "90th percentile days to pay", "90e percentiel dagen tot betaling", "days"),
    ("worst_days_late", "Worst delay", "Grootste vertraging", "days"),
    ("open_exposure", "Open exposure", "Openstaand", "eur"),
    ("overdue_amount", "Overdue", "Vervallen", "eur"),
    ("dso_days", "Client DSO", "DSO van de klant", "days"),
    ("reminders", "Reminders", "Herinneringen", None),
    ("calls", "Calls", "Telefoontjes", None),
    ("formal_notices", "Formal notices", "Aanmaningen", None),
    ("promises_made", "Promises to pay", "Betaalbeloftes", None),
    ("promises_kept", "… kept", "… nagekomen", None),
    ("promises_broken", "… broken", "… gebroken", None),
    ("disputed_invoices", "Disputed invoices", "Betwiste facturen", None),
]


def profile_card(profile, lang: str | None = None) -> str:
    """Return HTML for one client's profile row (a pandas Series from client_profiles), from
    the template profile_card.html.j2."""
    from dunning_analytics.common.formatting import format_number

    lang = resolve_lang(lang)
    nl = lang == "nl"

    def shown(value, how):
        if value is None or (isinstance(value, float) and value != value):
            return "–"
        if how == "eur":
            return format_eur(value, lang)
        if how == "pct":
            return format_number(100 * float(value), 0, lang) + "%"
        if how == "days":
            return f"{format_number(value, 0, lang)} {'dagen' if nl else 'days'}"
        if how == "date":
            return format_date(value, lang)
        if how == "word":
            return str(word(value, lang))
        return str(value)

    slowing = None
    if profile["slowing"]:
        recent = format_number(profile["recent_lateness"], 0, lang)
        earlier = format_number(profile["earlier_lateness"], 0, lang)
        slowing = {
            "head": "Betaalt steeds later:" if nl else "Getting slower:",
            "text": f"recente facturen {recent} dagen te laat tegen {earlier} daarvoor."
            if nl
            else f"recent invoices {recent} days late against {earlier} before.",
        }
    kind = word(profile["kind"], lang)
    return render_page(
        "profile_card.html.j2",
        title=f"{profile['name']} ({profile['client_id']}, {kind})",
        slowing=slowing,
        rows=[
            (label_nl if nl else label, shown(profile[key], how))
            for key, label, label_nl, how in _PROFILE_ROWS
        ],
    )


class ClientExplorer:
    """Pick a client: its profile card, invoice/contact timeline and quarterly trend.

    The two charts are FigureWidgets updated in place when the client changes.
    """

    def __init__(self, ledger: str | Path, as_of: dt.date | None = None, lang: str | None = None):

        from dunning_analytics.questions.behaviour import client_profiles, client_trend

        self.lang = resolve_lang(lang)
        self.ledger = ledger  # opened for each update and closed again: never held
        self.as_of = as_of or ledger_end_date(self.ledger) or dt.date.today()
        self.profiles = client_profiles(self.ledger, self.as_of)
        # every client's quarters and the portfolio's, as of the explorer's date like the
        # profiles: a pick reads its client's rows instead of asking the ledger again
        self.trends = dict(tuple(client_trend(self.ledger, self.as_of).groupby("client_id")))
        grade = "beoordeling" if self.lang == "nl" else "grade"
        options = [
            (f"{client_text(n, c)} · {grade} {word(g, self.lang)}", c)
            for c, n, g in zip(
                self.profiles["client_id"],
                self.profiles["name"],
                self.profiles["grade"],
                strict=True,
            )
        ]
        self.client = w.Dropdown(
            description=ui_text("client", self.lang), options=options, layout={"width": "520px"}
        )
        self.card = w.HTML()
        self.timeline = FigureWidget()
        self.trend = FigureWidget()
        self.trend_note = w.HTML()
        self.timings: list[float] = []
        self.client.observe(self.show, names="value")
        self.widget = w.VBox(
            [
                data_line(ledger, self.lang),
                self.client,
                w.HBox([self.card, w.VBox([self.trend, self.trend_note])]),
                self.timeline,
            ]
        )
        self.show()

    def show(self, *_) -> None:
        """Update the card, timeline and trend of the chosen client."""
        import time

        import plotly.graph_objects as go

        from dunning_analytics.present.charts import client_timeline_chart
        from dunning_analytics.questions.behaviour import PORTFOLIO, client_timeline

        client_id = self.client.value
        if client_id is None:
            return
        started = time.perf_counter()
        nl = self.lang == "nl"
        profile = self.profiles.set_index("client_id").loc[client_id]
        profile["client_id"] = client_id
        self.card.value = profile_card(profile, self.lang)
        invoices, contacts = client_timeline(self.ledger, self.as_of, client_id)
        kept = [self.trends[who] for who in (client_id, PORTFOLIO) if who in self.trends]
        trend = pd.concat(kept) if kept else pd.DataFrame(columns=["client_id", *_TREND_SHOWN])
        recent = invoices.tail(30)
        shown_contacts = contacts[
            contacts["invoice_id"].isin(recent["invoice_id"]) | contacts["invoice_id"].isna()
        ]
        title = (
            f"Laatste {len(recent)} facturen en contacten"
            if nl
            else f"Last {len(recent)} invoices and contacts"
        )
        _replace(
            self.timeline,
            client_timeline_chart(
                recent, shown_contacts, title=title, lang=self.lang, as_of=self.as_of
            ),
        )
        fig = go.Figure()
        names = {client_id: "deze klant" if nl else "this client"}
        for who in (client_id, PORTFOLIO):
            part = trend[trend["client_id"] == who]
            fig.add_bar(
                name=names.get(who, "alle klanten" if nl else "all clients"),
                x=list(part["quarter"]),
                y=[float(v) for v in part["weighted_lateness"]],
            )
        has_own = (trend["client_id"] == client_id).any()
        self.trend_note.value = (
            ""
            if has_own
            else "<i>"
            + (
                "Deze klant heeft nog geen vervallen facturen: alleen alle klanten."
                if nl
                else "This client has no due invoices yet: all clients only."
            )
            + "</i>"
        )
        styled(fig).update_layout(
            title="Gewogen dagen te laat per kwartaal (op vervaldatum)"
            if nl
            else "Weighted days late per quarter (by due date)",
            height=380,
            width=520,
            barmode="group",
            showlegend=True,
            legend={"orientation": "h", "y": -0.15},
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        # quarters in date order, a quarter this client had no invoice in shown empty
        fig.update_xaxes(categoryorder="category ascending")
        _replace(self.trend, fig)
        self.timings.append(time.perf_counter() - started)

    def _ipython_display_(self) -> None:
        display(self.widget)


def _replace(widget, figure) -> None:
    """Make the FigureWidget `widget` show `figure`'s traces and layout.

    When the traces are of the same number and types (an explorer's chart for another
    date or client), only what changed goes to the browser, as one update that plotly
    draws once; otherwise the traces are replaced (three messages, three drawings). The
    layout is always updated by what changed.
    """
    same_traces = len(widget.data) == len(figure.data) and all(
        old.type == new.type for old, new in zip(widget.data, figure.data, strict=True)
    )
    with widget.batch_update():
        if same_traces:
            for old, new in zip(widget.data, figure.data, strict=True):
                old.update(_replacing(old, new), overwrite=True)
        else:
            widget.data = []
            widget.add_traces(list(figure.data))
        widget.layout.update(_replacing(widget.layout, figure.layout), overwrite=True)


def _replacing(old, new) -> dict:
    """The update that turns plotly object `old` into `new`: every property of `new`, and
    None (back to plotly's default) for a property only `old` has."""
    props, before = new.to_plotly_json(), old.to_plotly_json()
    gone = {key: None for key in before if key not in props and key != "uid"}
    # what is unchanged is left out: plotly would check it again (the template: ~50 ms)
    return {**gone, **{key: value for key, value in props.items() if before.get(key) != value}}


def client_explorer(
    ledger: str | Path, as_of: dt.date | None = None, lang: str | None = None
) -> ClientExplorer:
    """Return a ClientExplorer on `ledger` (opened read-only); display it in a notebook."""
    return ClientExplorer(ledger, as_of=as_of, lang=lang)


_SLIDERS = {
    ("new_client", "min_settled_invoices"): (
        "New: fewer settled invoices than",
        "Nieuw: minder betaalde facturen dan",
    ),
    ("chronic_late", "min_avg_days_late"): (
        "Chronic late: average days late ≥",
        "Structureel te laat: gemiddeld dagen ≥",
    ),
    ("overdue_now", "min_days_overdue"): (
        "Overdue now: days overdue ≥",
        "Nu vervallen: dagen vervallen ≥",
    ),
    ("broken_promise", "min_broken"): (
        "Broken promises (12 months) ≥",
        "Gebroken beloftes (12 maanden) ≥",
    ),
    ("concentration", "min_revenue_share"): (
        "Concentration: revenue share ≥",
        "Concentratie: aandeel omzet ≥",
    ),
}


FLAGGED_ROWS = 1000  # flagged clients the risk explorer's table lists, strictest first


TRACK_QUARTERS = 4  # the risk explorer's track record: the last year's replayable quarter ends


class RiskExplorer:
    """What-if sliders for the main policy thresholds; counts, revenue and the flagged list
    update together (one query per change; chart and table updated in place)."""

    def __init__(self, ledger: str | Path, as_of: dt.date | None = None, lang: str | None = None):

        from dunning_analytics.questions.risk import load_policy

        self.ledger = ledger  # opened for each update and closed again: never held
        self.lang = resolve_lang(lang)
        nl = self.lang == "nl"
        self.policy = load_policy()
        rules = self.policy["rules"]
        start = as_of or ledger_end_date(self.ledger) or dt.date.today()
        style = {"description_width": "260px"}
        layout = {"width": "560px"}
        ranges = {
            ("new_client", "min_settled_invoices"): (w.IntSlider, 1, 12, 1),
            ("chronic_late", "min_avg_days_late"): (w.IntSlider, 1, 90, 1),
            ("overdue_now", "min_days_overdue"): (w.IntSlider, 7, 180, 1),
            ("broken_promise", "min_broken"): (w.IntSlider, 1, 6, 1),
            ("concentration", "min_revenue_share"): (w.FloatSlider, 0.05, 0.6, 0.05),
        }
        self.as_of = DateControl(start, self.lang)
        self.sliders = {}
        for (rule, key), (kind, low, high, step) in ranges.items():
            value = rules[rule][key]
            self.sliders[(rule, key)] = kind(
                description=_SLIDERS[(rule, key)][nl],
                value=int(value) if kind is w.IntSlider else value,
                min=low,
                max=high,
                step=step,
                continuous_update=False,
                style=style,
                layout=layout,
            )
        self.busy = w.HTML()
        self.summary = w.HTML()
        self.chart = FigureWidget()
        self.table = interactive_table(self._flagged_frame(None), ["open_exposure"], self.lang)
        self.flags = self.inputs = None
        self.track_record, self._track_as_of = None, None  # rule_track_record as of a date
        self.timings: list[float] = []
        self.as_of.observe(self.refresh)
        for control in self.sliders.values():
            control.observe(self.refresh, names="value")
        self.widget = w.VBox(
            [
                data_line(ledger, self.lang),
                w.HBox([self.as_of.widget, self.busy]),
                *self.sliders.values(),
                self.summary,
                self.chart,
                self.table,
            ]
        )
        self.refresh()

    def current_policy(self) -> dict:
        """The policy with the sliders' values."""
        from dunning_analytics.questions.risk import with_thresholds

        changes = {f"{rule}__{key}": s.value for (rule, key), s in self.sliders.items()}
        return with_thresholds(self.policy, **changes)

    def _flagged_frame(self, flags):
        import pandas as pd

        columns = ["client_id", "name", "grade", "recommendation", "reason_text", "open_exposure"]
        if flags is None:
            return pd.DataFrame(columns=columns)
        return flags.loc[flags["level"] != "none", columns].head(FLAGGED_ROWS)

    def refresh(self, *_) -> None:
        """Recompute the flags for the sliders' policy and update in place."""
        import time

        from dunning_analytics.common.formatting import format_number, format_percent
        from dunning_analytics.present.charts import level_chart
        from dunning_analytics.questions.risk import (
            level_summary,
            risk_flags,
            rule_inputs,
            rule_track_record,
        )

        as_of = self.as_of.value
        if as_of is None:
            return
        started = time.perf_counter()
        self.busy.value = f"<i>⏳ {ui_text('busy', self.lang)}</i>"
        policy = self.current_policy()
        # a moved threshold fires the rules again on the date's numbers (kept)
        self.inputs = rule_inputs(self.ledger, as_of, policy, kept=self.inputs)
        if self._track_as_of != as_of:  # what such clients did later, known on the date
            self.track_record = rule_track_record(
                self.ledger, as_of, self.policy, quarters=TRACK_QUARTERS
            )
            self._track_as_of = as_of
        # the sentences for the rows the table lists; rule_reasons writes any other's
        self.flags = risk_flags(
            self.ledger, as_of, policy, lang=self.lang, reasons=FLAGGED_ROWS, inputs=self.inputs,
            track_record=self.track_record,
        )  # fmt: skip
        summary = level_summary(self.flags)
        flagged = self._flagged_frame(self.flags)
        share = format_percent(
            float(summary.loc[summary["level"] != "none", "revenue_share"].sum()), 0, self.lang
        )
        flagged_count = int((self.flags["level"] != "none").sum())
        count = f"<b class='da-flagged-count'>{flagged_count}</b>"
        self.summary.value = (
            f"<p>{count} van {len(self.flags)} klanten hebben bijzondere voorwaarden nodig, samen "
            f"<b>{share}</b> van de omzet van de laatste 12 maanden.</p>"
            if self.lang == "nl"
            else f"<p>{count} of {len(self.flags)} clients need special terms, together "
            f"<b>{share}</b> of the last 12 months' revenue.</p>"
        )
        if flagged_count > FLAGGED_ROWS:
            rows = format_number(FLAGGED_ROWS, 0, self.lang)
            self.summary.value += (
                f"<p>De tabel toont de {rows} strengste.</p>"
                if self.lang == "nl"
                else f"<p>The table lists the {rows} strictest.</p>"
            )
        _replace(self.chart, level_chart(summary, lang=self.lang))
        self.table.update(**table_data(flagged, ["open_exposure"], self.lang))
        self.busy.value = ""
        self.timings.append(time.perf_counter() - started)

    def _ipython_display_(self) -> None:
        display(self.widget)


def risk_explorer(
    ledger: str | Path, as_of: dt.date | None = None, lang: str | None = None
) -> RiskExplorer:
    """Return a RiskExplorer on `ledger` (opened read-only); display it in a notebook."""
    return RiskExplorer(ledger, as_of=as_of, lang=lang)


def data_line(ledger, lang: str) -> w.HTML:
    """A view's first line: up to which date the ledger has data (and, when that is over a
    week ago, to load the newest export)."""
    from dunning_analytics.ledger import data_note

    return w.HTML(f"<p class='da-data-note'>{html.escape(data_note(ledger, lang))}</p>")


class LettersPanel:
    """The week's letters: pick one to preview it as it will be printed, and write them all
    (PDF, .eml draft, letters.csv) into a folder with one button.

    In: a list of letters.Letter (letters.letters_due), the folder to write to, the
    language. The preview is the letter's own HTML in a sandboxed frame, so its page
    styles stay inside it.
    """

    def __init__(
        self, letters, folder: str | Path = "letters", lang: str | None = None, ledger=None
    ):
        self.lang = resolve_lang(lang)
        self.letters = letters
        self.ledger = ledger  # its files are never written over
        t = lambda key: ui_text(key, self.lang)  # noqa: E731
        self.picker = w.Dropdown(
            description=t("letter"),
            options=[
                (f"{word(x.kind, self.lang)}: {client_text(x.name, x.client_id)}", i)
                for i, x in enumerate(letters)
            ],
            layout={"width": "640px"},
        )
        self.preview = w.HTML()
        self.folder = w.Text(value=str(folder), description=t("folder"))
        self.button = w.Button(description=t("write_letters"), icon="envelope")
        self.note = w.HTML()
        self.picker.observe(self.show, names="value")
        self.button.on_click(self.write)
        self.widget = w.VBox(
            [self.picker, self.preview, w.HBox([self.folder, self.button]), self.note]
        )
        self.show()

    def show(self, *_) -> None:
        """Show the picked letter (or say there is none)."""
        if not self.letters:
            self.preview.value = f"<p>{ui_text('no_letters', self.lang)}</p>"
            return
        letter = self.letters[self.picker.value]
        self.preview.value = (
            f"<iframe class='da-letter' sandbox srcdoc=\"{html.escape(letter.html)}\" "
            "style='width:100%;height:720px;border:1px solid #ccc;background:#fff'></iframe>"
        )

    def write(self, *_):
        """Write every letter into the folder; return the letters.csv table."""
        from dunning_analytics.act.letters import write_letters

        try:
            table = write_letters(self.letters, self.folder.value, ledger=self.ledger)
        except LedgerError as exc:
            self.note.value = html.escape(ui_text("not_saved", self.lang).format(why=exc))
            return None
        failed = table[table["status"] != "written"]
        note = ui_text("wrote_letters", self.lang).format(
            n=len(table) - len(failed), folder=self.folder.value
        )
        if len(failed):
            which = ", ".join(
                f"{k} {plain_text(c)}"
                for k, c in zip(failed["kind"], failed["client_id"], strict=True)
            )
            note += ". " + ui_text("letters_not_written", self.lang).format(which=which)
        self.note.value = html.escape(note)
        return table

    def _ipython_display_(self) -> None:
        display(self.widget)


def letters_panel(ledger, as_of: dt.date, folder: str | Path = "letters", lang=None):
    """The LettersPanel of the week of `as_of` on `ledger`; when the letters cannot be made
    (no sender details of your own yet), a panel without letters that says why."""
    from dunning_analytics.act.letters import letters_due

    try:
        letters, why = letters_due(ledger, as_of, lang=lang), None
    except LedgerError as exc:
        letters, why = [], str(exc)
    panel = LettersPanel(letters, folder=folder, lang=lang, ledger=ledger)
    if why:
        panel.preview.value = f"<p>{html.escape(why)}</p>"
        panel.button.disabled = True
    return panel
