"""What notebook 01 shows of the ledger itself: how many rows each table holds, the loads,
the latest invoices' settlement, days late as a chart and the refused rows, each in the
user's language (headings from vocabulary, tables from charts.shown_table)."""

from __future__ import annotations

import plotly.graph_objects as go

from dunning_analytics.common.formatting import resolve_lang
from dunning_analytics.common.vocabulary import heading, pick
from dunning_analytics.ledger import read_frame
from dunning_analytics.present.charts import shown_table, styled

_TABLES = {
    "clients": ("clients", "klanten"),
    "invoices": ("invoices", "facturen"),
    "payments": ("payments", "betalingen"),
    "contacts": ("contacts", "contactmomenten"),
    "rejected_rows": ("refused rows", "geweigerde rijen"),
}


def table_counts(ledger, lang: str | None = None):
    """In: a ledger. Out: a table of the ledger's tables and their number of rows."""
    counts = read_frame(
        ledger,
        " UNION ALL ".join(
            f"SELECT '{name}' AS table_name, count(*) AS rows FROM {name}" for name in _TABLES
        ),
    )
    counts["table_name"] = [pick(_TABLES[n], lang) for n in counts["table_name"]]
    return shown_table(counts, lang=lang)


def loads_table(ledger, lang: str | None = None):
    """In: a ledger. Out: every load with its file and counts (the sha256 left out)."""
    loads = read_frame(ledger, "SELECT * EXCLUDE (sha256) FROM loads ORDER BY load_id")
    loads["loaded_at"] = [str(t)[:19] for t in loads["loaded_at"]]
    return shown_table(loads, lang=lang, codes=["kind"])


def settlement_table(ledger, lang: str | None = None, rows: int = 20):
    """In: a ledger. Out: the settlement of its `rows` latest invoices (invoice_settlement)."""
    latest = read_frame(
        ledger, f"SELECT * FROM invoice_settlement ORDER BY invoice_date DESC LIMIT {int(rows)}"
    )
    money = ["amount", "paid_direct", "credit_applied", "paid_amount", "outstanding"]
    return shown_table(latest, money=money, lang=lang)


def days_late_chart(ledger, lang: str | None = None) -> go.Figure:
    """In: a ledger. Out: bars of the settled invoices per days late (clipped to -30..120)."""
    late = read_frame(
        ledger,
        """
        SELECT least(greatest(days_late, -30), 120) AS days_late, count(*) AS invoices
        FROM invoice_settlement WHERE days_late IS NOT NULL GROUP BY 1 ORDER BY 1
        """,
    )
    nl = resolve_lang(lang) == "nl"
    figure = go.Figure(go.Bar(x=late["days_late"], y=late["invoices"], marker_color="#4c78a8"))
    return styled(figure).update_layout(
        title=(
            "Voldane facturen naar dagen te laat (afgekapt op -30 en 120)"
            if nl
            else "Settled invoices by days late (clipped at -30 and 120)"
        ),
        xaxis_title=heading("days_late", lang),
        yaxis_title=heading("invoices", lang),
        separators=",." if nl else ".,",
    )


def rejected_table(ledger, lang: str | None = None, rows: int = 50):
    """In: a ledger. Out: the first `rows` refused rows of past loads, with their reasons."""
    refused = read_frame(
        ledger, f"SELECT * FROM rejected_rows ORDER BY load_id, line LIMIT {int(rows)}"
    )
    return shown_table(refused, lang=lang)
