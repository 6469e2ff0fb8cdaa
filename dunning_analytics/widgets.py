"""ipywidgets explorers. Thin: controls call the analytics functions and show their results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as w
from IPython.display import display

from .aging import BUCKET_SCHEMES, aging, aging_totals, bucket_labels
from .charts import aging_by_client_chart, money_table
from .formatting import format_eur
from .ledger import ledger_end_date, open_ledger

_INVOICE_MONEY = ["amount", "paid_amount", "credit_applied", "outstanding"]


CLIENT_CHOICES = 300  # clients offered in the aging explorer's client picker


class AgingExplorer:
    """Aging as of a date, with scheme, basis, client kind and minimum balance controls.

    Every change runs one aging query (by client) and redraws the chart, the
    totals and the client table together; picking a client shows its open
    items. `frame` holds the latest aging by client.
    """

    def __init__(self, ledger: str | Path, as_of: dt.date | None = None, top: int = 15):
        self.con = open_ledger(ledger, read_only=True)
        self.top = top
        start = as_of or ledger_end_date(self.con) or dt.date.today()
        self.as_of = w.DatePicker(description="As of", value=start)
        self.scheme = w.Dropdown(description="Buckets", options=list(BUCKET_SCHEMES))
        self.basis = w.ToggleButtons(
            description="Age by",
            options=[("due date", "due"), ("invoice date", "invoice")],
            value="due",
        )
        self.kind = w.Dropdown(
            description="Clients",
            options=[("all", None), ("business", "business"), ("consumer", "consumer")],
        )
        self.min_amount = w.BoundedFloatText(
            description="Minimum balance €",
            value=0,
            min=0,
            max=1e12,
            step=100,
            style={"description_width": "initial"},
        )
        self.summary = w.HTML()
        self.chart = w.Output()
        self.table = w.Output()
        self.client = w.Dropdown(description="Client", options=[])
        self.invoices = w.Output()
        self.frame = None
        for control in (self.as_of, self.scheme, self.basis, self.kind, self.min_amount):
            control.observe(self.refresh, names="value")
        self.client.observe(self.show_client, names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.as_of, self.scheme, self.kind]),
                w.HBox([self.basis, self.min_amount]),
                self.summary,
                self.chart,
                w.HTML("<b>Clients</b> (largest overdue first)"),
                self.table,
                w.HTML("<b>Open items of one client</b>"),
                self.client,
                self.invoices,
            ]
        )
        self.refresh()

    @property
    def buckets(self) -> tuple[int, ...]:
        return BUCKET_SCHEMES[self.scheme.value]

    def refresh(self, *_) -> None:
        """Recompute the aging for the current controls and redraw everything."""
        if self.as_of.value is None:
            return
        labels = bucket_labels(self.buckets)
        self.frame = aging(
            self.con,
            self.as_of.value,
            buckets=self.buckets,
            basis=self.basis.value,
            client_kind=self.kind.value,
            min_amount=self.min_amount.value or None,
        )
        totals = aging_totals(self.frame) if not self.frame.empty else None
        if totals is None:
            self.summary.value = "<p>Nothing open on this date for these filters.</p>"
        else:
            owed = format_eur(totals["outstanding"])
            overdue = format_eur(totals["overdue"])
            self.summary.value = (
                f"<p><b>{len(self.frame)}</b> clients owe <b>{owed}</b> as of "
                f"{self.as_of.value:%d-%m-%Y}; overdue <b>{overdue}</b>.</p>"
            )
        with self.chart:
            self.chart.clear_output(wait=True)
            display(aging_by_client_chart(self.frame, labels, top=self.top))
        with self.table:
            self.table.clear_output(wait=True)
            display(money_table(self.frame.head(50), [*labels, "outstanding", "overdue"]))
        # the clients with the most overdue first; a list of thousands helps nobody
        # and costs every update (the client explorer finds any client)
        head = self.frame.head(CLIENT_CHOICES)
        options = [(f"{n} ({c})", c) for c, n in zip(head["client_id"], head["name"], strict=True)]
        current = self.client.value
        self.client.options = options
        if options:
            keep = current if current in dict(options).values() else options[0][1]
            if self.client.value != keep:
                self.client.value = keep
            else:
                self.show_client()

    def show_client(self, *_) -> None:
        """Show the open items of the chosen client."""
        with self.invoices:
            self.invoices.clear_output(wait=True)
            if not self.client.value:
                return
            items = aging(
                self.con,
                self.as_of.value,
                buckets=self.buckets,
                basis=self.basis.value,
                by="invoice",
                client_id=self.client.value,
            )
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
            display(money_table(shown, _INVOICE_MONEY))

    def _ipython_display_(self) -> None:
        display(self.widget)


def aging_explorer(ledger: str | Path, as_of: dt.date | None = None) -> AgingExplorer:
    """Return an AgingExplorer on `ledger` (opened read-only); display it in a notebook."""
    return AgingExplorer(ledger, as_of=as_of)


_PROFILE_ROWS = [
    ("grade", "Grade", None),
    ("first_invoice_date", "First invoice", None),
    ("invoices", "Invoices in window", None),
    ("revenue", "Revenue in window", "eur"),
    ("settled_invoices", "Settled", None),
    ("on_time_share", "Paid on time", "pct"),
    ("avg_days_late", "Average days late", "days"),
    ("weighted_days_late", "Amount-weighted days late", "days"),
    ("weighted_lateness_incl_open", "… including open invoices", "days"),
    ("median_days_to_pay", "Median days to pay", "days"),
    ("p90_days_to_pay", "90th percentile days to pay", "days"),
    ("worst_days_late", "Worst delay", "days"),
    ("open_exposure", "Open exposure", "eur"),
    ("overdue_amount", "Overdue", "eur"),
    ("dso_days", "Client DSO", "days"),
    ("reminders", "Reminders", None),
    ("calls", "Calls", None),
    ("formal_notices", "Formal notices", None),
    ("promises_made", "Promises to pay", None),
    ("promises_kept", "… kept", None),
    ("promises_broken", "… broken", None),
    ("disputed_invoices", "Disputed invoices", None),
]


def profile_card(profile) -> str:
    """Return HTML for one client's profile row (a pandas Series from client_profiles)."""
    import html

    def shown(value, how):
        if value is None or (isinstance(value, float) and value != value):
            return "–"
        if how == "eur":
            return format_eur(value)
        if how == "pct":
            return f"{100 * float(value):.0f}%"
        if how == "days":
            return f"{float(value):.0f} days"
        return html.escape(str(value))

    rows = "".join(
        f"<tr><td>{label}</td>"
        f"<td style='text-align:right'><b>{shown(profile[key], how)}</b></td></tr>"
        for key, label, how in _PROFILE_ROWS
    )
    trend = (
        "<p style='color:#b3261e'><b>Getting slower:</b> recent invoices "
        f"{float(profile['recent_lateness']):.0f} days late against "
        f"{float(profile['earlier_lateness']):.0f} before.</p>"
        if profile["slowing"]
        else ""
    )
    name = html.escape(f"{profile['name']} ({profile['client_id']}, {profile['kind']})")
    return f"<h3>{name}</h3>{trend}<table class='da-profile'>{rows}</table>"


class ClientExplorer:
    """Pick a client: its profile card, invoice/contact timeline and quarterly trend."""

    def __init__(self, ledger: str | Path, as_of: dt.date | None = None):
        from .behaviour import client_profiles

        self.con = open_ledger(ledger, read_only=True)
        self.as_of = as_of or ledger_end_date(self.con) or dt.date.today()
        self.profiles = client_profiles(self.con, self.as_of)
        options = [
            (f"{n} ({c}) · grade {g}", c)
            for c, n, g in zip(
                self.profiles["client_id"],
                self.profiles["name"],
                self.profiles["grade"],
                strict=True,
            )
        ]
        self.client = w.Dropdown(description="Client", options=options, layout={"width": "520px"})
        self.card = w.HTML()
        self.timeline = w.Output()
        self.trend = w.Output()
        self.client.observe(self.show, names="value")
        self.widget = w.VBox([self.client, w.HBox([self.card, self.trend]), self.timeline])
        self.show()

    def show(self, *_) -> None:
        """Redraw the card, timeline and trend of the chosen client."""
        import plotly.graph_objects as go

        from .behaviour import client_timeline, client_trend
        from .charts import client_timeline_chart

        client_id = self.client.value
        if client_id is None:
            return
        profile = self.profiles.set_index("client_id").loc[client_id]
        profile["client_id"] = client_id
        self.card.value = profile_card(profile)
        invoices, contacts = client_timeline(self.con, self.as_of, client_id)
        recent = invoices.tail(30)
        shown_contacts = contacts[
            contacts["invoice_id"].isin(recent["invoice_id"]) | contacts["invoice_id"].isna()
        ]
        with self.timeline:
            self.timeline.clear_output(wait=True)
            display(
                client_timeline_chart(
                    recent, shown_contacts, title=f"Last {len(recent)} invoices and contacts"
                )
            )
        trend = client_trend(self.con, self.as_of, client_id=client_id)
        fig = go.Figure()
        for who, part in trend.groupby("client_id"):
            fig.add_bar(
                name="this client" if who == client_id else "all clients",
                x=list(part["quarter"]),
                y=[float(v) for v in part["weighted_lateness"]],
            )
        fig.update_layout(
            title="Weighted days late per quarter (by due date)",
            template="plotly_white",
            height=380,
            width=520,
            barmode="group",
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        with self.trend:
            self.trend.clear_output(wait=True)
            display(fig)

    def _ipython_display_(self) -> None:
        display(self.widget)


def client_explorer(ledger: str | Path, as_of: dt.date | None = None) -> ClientExplorer:
    """Return a ClientExplorer on `ledger` (opened read-only); display it in a notebook."""
    return ClientExplorer(ledger, as_of=as_of)


class RiskExplorer:
    """What-if sliders for the main policy thresholds; counts, revenue and the flagged list
    update together (one query per change)."""

    def __init__(self, ledger: str | Path, as_of: dt.date | None = None, lang: str = "en"):
        from .risk import load_policy

        self.con = open_ledger(ledger, read_only=True)
        self.lang = lang
        self.policy = load_policy()
        rules = self.policy["rules"]
        start = as_of or ledger_end_date(self.con) or dt.date.today()
        style = {"description_width": "230px"}
        layout = {"width": "520px"}

        def slider(kind, description, value, low, high, step=1):
            return kind(
                description=description,
                value=value,
                min=low,
                max=high,
                step=step,
                continuous_update=False,
                style=style,
                layout=layout,
            )

        self.as_of = w.DatePicker(description="As of", value=start)
        self.sliders = {
            ("new_client", "min_settled_invoices"): slider(
                w.IntSlider,
                "New: fewer settled invoices than",
                rules["new_client"]["min_settled_invoices"],
                1,
                12,
            ),
            ("chronic_late", "min_avg_days_late"): slider(
                w.IntSlider,
                "Chronic late: average days late ≥",
                int(rules["chronic_late"]["min_avg_days_late"]),
                1,
                90,
            ),
            ("overdue_now", "min_days_overdue"): slider(
                w.IntSlider,
                "Overdue now: days overdue ≥",
                rules["overdue_now"]["min_days_overdue"],
                7,
                180,
            ),
            ("broken_promise", "min_broken"): slider(
                w.IntSlider,
                "Broken promises (12 months) ≥",
                rules["broken_promise"]["min_broken"],
                1,
                6,
            ),
            ("concentration", "min_revenue_share"): slider(
                w.FloatSlider,
                "Concentration: revenue share ≥",
                rules["concentration"]["min_revenue_share"],
                0.05,
                0.6,
                0.05,
            ),
        }
        self.summary = w.HTML()
        self.chart = w.Output()
        self.table = w.Output()
        self.flags = None
        self.as_of.observe(self.refresh, names="value")
        for control in self.sliders.values():
            control.observe(self.refresh, names="value")
        self.widget = w.VBox(
            [self.as_of, *self.sliders.values(), self.summary, self.chart, self.table]
        )
        self.refresh()

    def current_policy(self) -> dict:
        """The policy with the sliders' values."""
        from .risk import with_thresholds

        changes = {f"{rule}__{key}": s.value for (rule, key), s in self.sliders.items()}
        return with_thresholds(self.policy, **changes)

    def refresh(self, *_) -> None:
        """Recompute the flags for the sliders' policy and redraw."""

        from .charts import level_chart, money_table
        from .risk import level_summary, risk_flags

        if self.as_of.value is None:
            return
        self.flags = risk_flags(self.con, self.as_of.value, self.current_policy(), lang=self.lang)
        summary = level_summary(self.flags)
        flagged = self.flags[self.flags["level"] != "none"]
        share = float(summary.loc[summary["level"] != "none", "revenue_share"].sum())
        self.summary.value = (
            f"<p><b class='da-flagged-count'>{len(flagged)}</b> of {len(self.flags)} clients "
            f"need special terms, together <b>{share:.0%}</b> of the last 12 months' revenue.</p>"
        )
        with self.chart:
            self.chart.clear_output(wait=True)
            display(level_chart(summary))
        shown = flagged[
            ["client_id", "name", "grade", "recommendation", "reason_text", "open_exposure"]
        ].copy()
        with self.table:
            self.table.clear_output(wait=True)
            display(money_table(shown, ["open_exposure"]))

    def _ipython_display_(self) -> None:
        display(self.widget)


def risk_explorer(
    ledger: str | Path, as_of: dt.date | None = None, lang: str = "en"
) -> RiskExplorer:
    """Return a RiskExplorer on `ledger` (opened read-only); display it in a notebook."""
    return RiskExplorer(ledger, as_of=as_of, lang=lang)
