"""Plotly figure builders. Each takes an aggregated DataFrame and returns a go.Figure.

Money arrives as Decimal and is converted to float only here, for drawing.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go

from .aging import NOT_YET_DUE, UNAPPLIED
from .formatting import format_eur

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
        other = {c: sum(rest[c], Decimal("0.00")) for c in [*labels, "outstanding", "overdue"]}
        other.update(client_id="", name=f"other clients ({len(rest)})", kind="")
        head = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    return head


def aging_by_client_chart(
    frame: pd.DataFrame, labels: list[str], top: int = 15, title: str | None = None
) -> go.Figure:
    """Stacked horizontal bars: each client's balance split into aging buckets.

    In: aging(..., by='client') and its bucket labels. The `top` clients by
    overdue amount are shown, the rest summed as 'other clients'.
    """
    shown = top_clients_with_other(frame, labels, top)
    names = [
        f"{n} ({c})" if c else n for n, c in zip(shown["name"], shown["client_id"], strict=True)
    ]
    colours = bucket_colours(labels)
    fig = go.Figure()
    for label in labels:
        values = _float(shown[label]) if label in shown else []
        if not any(values):
            continue
        fig.add_bar(
            name=label,
            y=names,
            x=values,
            orientation="h",
            marker_color=colours[label],
            customdata=[format_eur(v) for v in shown[label]],
            hovertemplate="%{y}<br>" + label + ": %{customdata}<extra></extra>",
        )
    total = sum(frame["outstanding"], Decimal("0.00")) if not frame.empty else Decimal("0")
    overdue = sum(frame["overdue"], Decimal("0.00")) if not frame.empty else Decimal("0")
    fig.update_layout(
        barmode="relative",
        title=title or f"Outstanding {format_eur(total)}, of which overdue {format_eur(overdue)}",
        xaxis_title="euro",
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.15},
        height=max(350, 28 * len(names) + 160),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        template="plotly_white",
    )
    return fig


def aging_trend_chart(
    trend: pd.DataFrame, title: str = "Outstanding per bucket at month end"
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
        fig.add_bar(
            name=label,
            x=[str(d) for d in part["month_end"]],
            y=values,
            marker_color=colours[label],
            customdata=[format_eur(v) for v in part["outstanding"]],
            hovertemplate="%{x}<br>" + label + ": %{customdata}<extra></extra>",
        )
    fig.update_layout(
        barmode="relative",
        title=title,
        yaxis_title="euro",
        xaxis_title="month end",
        legend={"orientation": "h", "y": -0.2},
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig


def money_table(frame: pd.DataFrame, money_columns: list[str], lang: str = "en"):
    """Return a pandas Styler showing `frame` with euro-formatted money columns, right-aligned."""
    formats = {c: (lambda v, lang=lang: format_eur(v, lang)) for c in money_columns if c in frame}
    return (
        frame.style.format(formats, na_rep="")
        .set_properties(subset=[c for c in money_columns if c in frame], **{"text-align": "right"})
        .hide(axis="index")
    )
