"""Dutch collection law: statutory interest and extrajudicial collection costs.

- `statutory_interest(principal, start, end, kind)`: wettelijke handelsrente
  (art. 6:119a BW, kind='commercial') or wettelijke rente (art. 6:119 BW,
  kind='consumer'). Simple interest per day over the principal, divisor 365
  (also in leap years), split at every rate change; after each full year from
  the start of default, that year's interest is added to the principal
  (6:119 lid 2 / 6:119a lid 3). Interest runs over the days from `start` (the
  first day of default, normally the day after the due date) up to `end` (the
  day of payment or calculation, not counted). Each period's interest is
  rounded half-up to cents.
- `collection_costs(principal, vat_rate=None)`: the scale of the Besluit
  vergoeding voor buitengerechtelijke incassokosten (BIK).
- `claim_costs(principals, kind, letter_expired)`: the costs for a claim of
  several invoices: business claims at least EUR 40 per invoice; consumer
  claims only once a 14-day letter (veertiendagenbrief) has expired.

The rates come from data/statutory_rates.csv (kind, valid_from, rate_percent,
source); add a row for a new rate, no code change needed.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from dunning_analytics.common.messages import tr

RATES_FILE = Path(__file__).resolve().parents[2] / "data" / "statutory_rates.csv"
CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(365)
RATE_STALE_DAYS = 184  # rates are set per half year: warn when the table may be behind
BIK_BANDS = (  # (band width, rate): the scale over the principal
    (Decimal("2500"), Decimal("0.15")),
    (Decimal("2500"), Decimal("0.10")),
    (Decimal("5000"), Decimal("0.05")),
    (Decimal("190000"), Decimal("0.01")),
    (None, Decimal("0.005")),
)
BIK_MINIMUM = Decimal("40.00")
BIK_MAXIMUM = Decimal("6775.00")


def cents(value) -> Decimal:
    """Round half-up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rate:
    kind: str
    valid_from: dt.date
    percent: Decimal
    source: str


def load_rates(path: str | Path | None = None) -> list[Rate]:
    """Read the statutory rate table (CSV: kind, valid_from, rate_percent, source)."""
    rows = []
    with open(path or RATES_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kind = row["kind"].strip()
            if kind not in ("commercial", "consumer"):
                raise ValueError(f"rate file: kind must be commercial or consumer, not {kind!r}")
            rows.append(
                Rate(
                    kind,
                    dt.date.fromisoformat(row["valid_from"].strip()),
                    Decimal(row["rate_percent"].strip()),
                    row.get("source", "").strip(),
                )
            )
    return sorted(rows, key=lambda r: (r.kind, r.valid_from))


@dataclass
class InterestPeriod:
    start: dt.date
    end: dt.date  # not counted
    days: int
    principal: Decimal
    rate_percent: Decimal
    interest: Decimal


@dataclass(frozen=True)
class PaymentApplied:
    """One payment on a claim and what it paid (art. 6:44 BW: costs, then interest, then
    principal; before the claim was made, or with nothing claimed, all to the principal)."""

    day: dt.date
    amount: Decimal
    costs: Decimal
    interest: Decimal
    principal: Decimal


@dataclass
class InterestResult:
    """Total interest, the periods it is made of, and warnings (e.g. a stale rate table);
    with payments (`claim_run`): how each was applied and what is left of the principal,
    the interest and the costs."""

    total: Decimal
    periods: list[InterestPeriod] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    payments: list[PaymentApplied] = field(default_factory=list)
    principal_left: Decimal = Decimal("0.00")
    interest_left: Decimal = Decimal("0.00")
    costs_left: Decimal = Decimal("0.00")


def _anniversary(start: dt.date, years: int) -> dt.date:
    """Return the day `years` full years after `start`, each counted from `start`
    ("telkens na afloop van een jaar"): from 29 February that is 28 February in a
    common year and 29 February again in a leap year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return start.replace(year=start.year + years, day=28)


def statutory_interest(
    principal,
    start: dt.date,
    end: dt.date,
    kind: str = "commercial",
    rates: list[Rate] | None = None,
    lang: str | None = None,
) -> InterestResult:
    """Return the statutory interest on `principal` from `start` (counted) to `end` (not counted).

    In: principal in euros (Decimal or str; floats are converted via str),
    first day of default, end day, kind 'commercial' (handelsrente, B2B) or
    'consumer' (wettelijke rente). Out: InterestResult(total, periods,
    warnings in `lang`). Raises ValueError when no rate is known for the start date.
    """
    return claim_run(principal, start, end, kind, rates=rates, lang=lang)


@dataclass
class _Claim:
    """What is left of one claim while it runs: the principal, interest that joined it
    after a full year (still unpaid), this year's unpaid interest and the costs."""

    principal: Decimal
    capitalised: Decimal = Decimal("0.00")
    interest: Decimal = Decimal("0.00")
    costs: Decimal = Decimal("0.00")

    @property
    def base(self) -> Decimal:
        """What the interest runs on: the principal and the interest added to it."""
        return self.principal + self.capitalised

    def year_ends(self) -> None:
        """A full year of default: the year's unpaid interest joins the base."""
        self.capitalised += self.interest
        self.interest = Decimal("0.00")

    def pay(self, day: dt.date, amount: Decimal, to_costs: bool, to_interest: bool):
        """Apply `amount` received on `day`: costs (when `to_costs`), interest (when
        `to_interest`: the oldest, added to the base, first), then principal."""
        costs = min(amount, self.costs) if to_costs and amount > 0 else Decimal("0.00")
        rest = amount - costs
        owed = self.capitalised + self.interest
        interest = min(rest, owed) if to_interest and rest > 0 else Decimal("0.00")
        from_capitalised = min(interest, self.capitalised)
        self.costs -= costs
        self.capitalised -= from_capitalised
        self.interest -= interest - from_capitalised
        self.principal -= rest - interest
        return PaymentApplied(day, amount, costs, interest, rest - interest)


def claim_run(
    principal,
    start: dt.date,
    end: dt.date,
    kind: str = "commercial",
    payments=(),
    costs=Decimal("0.00"),
    claimed_on: dt.date | None = None,
    costs_from: dt.date | None = None,
    rates: list[Rate] | None = None,
    lang: str | None = None,
) -> InterestResult:
    """Run one claim from `start` (first day of default, counted) to `end` (not counted).

    In: the principal open on `start`; `payments` as (day, amount) pairs received on the
    claim (those from `start` to before `end` count; a negative amount is money taken
    back); the claim's collection `costs`, owed from `costs_from` (None: not owed while
    the payments come in); `claimed_on`, the day interest and costs were claimed (the
    first formal notice or 14-day letter). A payment on or after `claimed_on` goes first
    to the costs owed, then to the interest, then to the principal (art. 6:44 BW); an
    earlier one, and every one while nothing is claimed, to the principal. Interest runs
    per day on the principal really left (from a payment's day on, the new one), split at
    rate changes; after each full year the year's unpaid interest joins the principal.
    Out: InterestResult with the interest accrued (total, periods), how each payment was
    applied, and principal_left, interest_left, costs_left. Raises ValueError when no
    rate is known for `start`.
    """
    table = _rate_table(kind, rates, start)
    claim = _Claim(cents(Decimal(str(principal))), costs=cents(Decimal(str(costs))))
    result = InterestResult(total=Decimal("0.00"))
    received = sorted((d, Decimal(str(a))) for d, a in payments if start <= d < end)
    if end > start and claim.principal > 0:
        changes = [r.valid_from for r in table if start < r.valid_from < end]
        anniversaries = []
        while (year_end := _anniversary(start, len(anniversaries) + 1)) < end:
            anniversaries.append(year_end)
        cuts = sorted({start, end, *changes, *anniversaries, *(d for d, _ in received)})
        for left, right in zip(cuts, cuts[1:], strict=False):
            if left in anniversaries:
                claim.year_ends()
            for day, amount in (p for p in received if p[0] == left):
                claimed = claimed_on is not None and day >= claimed_on
                owed_costs = claimed and costs_from is not None and day >= costs_from
                result.payments.append(claim.pay(day, amount, owed_costs, claimed))
            rate = [r for r in table if r.valid_from <= left][-1].percent
            days = (right - left).days
            interest = cents(claim.base * rate / 100 * days / DAYS_PER_YEAR)
            claim.interest += interest
            result.total += interest
            result.periods.append(InterestPeriod(left, right, days, claim.base, rate, interest))
        result.warnings += _stale_warning(table, kind, end, lang)
    result.principal_left = claim.principal
    result.interest_left = claim.capitalised + claim.interest
    result.costs_left = claim.costs
    return result


def _rate_table(kind: str, rates: list[Rate] | None, start: dt.date) -> list[Rate]:
    """The rates of `kind` in date order; ValueError for another kind or a `start` before
    the first rate."""
    if kind not in ("commercial", "consumer"):
        raise ValueError("kind must be 'commercial' or 'consumer'")
    table = [r for r in (rates or load_rates()) if r.kind == kind]
    if not table or table[0].valid_from > start:
        first = table[0].valid_from if table else "none"
        raise ValueError(
            tr(
                "no {kind} statutory rate known on {start} (the rate file starts "
                "{first}); add the rate to data/statutory_rates.csv",
                kind=kind,
                start=start,
                first=first,
            )
        )
    return table


def _stale_warning(table: list[Rate], kind: str, end: dt.date, lang: str | None) -> list[str]:
    """A warning in `lang` when the newest rate is more than half a year before `end`."""
    last = table[-1].valid_from
    if (end - last).days <= RATE_STALE_DAYS:
        return []
    from dunning_analytics.common.formatting import format_date
    from dunning_analytics.common.vocabulary import pick

    since = format_date(last, lang)
    name = pick(
        ("commercial", "handelsrente") if kind == "commercial" else ("consumer", "wettelijke"),
        lang,
    )
    return [
        pick(
            (
                f"the newest {name} rate in the table is from {since}; rates change every "
                "half year: check for a newer one and add it to data/statutory_rates.csv",
                f"het nieuwste {name}-tarief in de tabel is van {since}; de tarieven "
                "veranderen elk half jaar: zoek een nieuwer en zet het in "
                "data/statutory_rates.csv",
            ),
            lang,
        )
    ]


def collection_costs(principal, vat_rate=None) -> Decimal:
    """Return the BIK collection costs over `principal` (minimum EUR 40, maximum EUR 6,775).

    15 % of the first 2,500, 10 % of the next 2,500, 5 % of the next 5,000,
    1 % of the next 190,000, 0.5 % above; rounded half-up to cents. With
    `vat_rate` (e.g. Decimal('0.21'), for a creditor who cannot deduct VAT)
    the VAT is added on top.
    """
    rest = Decimal(str(principal))
    if rest <= 0:
        return Decimal("0.00")
    costs = Decimal("0")
    for width, rate in BIK_BANDS:
        part = rest if width is None else min(rest, width)
        costs += part * rate
        rest -= part
        if rest <= 0:
            break
    costs = min(max(cents(costs), BIK_MINIMUM), BIK_MAXIMUM)
    if vat_rate is not None:
        costs = cents(costs * (1 + Decimal(str(vat_rate))))
    return costs


def claim_costs(
    principals, kind: str = "business", letter_expired: bool = False, vat_rate=None
) -> Decimal:
    """Return the collection costs for a claim made of several invoices' principals.

    Business: the BIK scale over the total, but at least EUR 40 per invoice.
    Consumer: the BIK scale over the total, and only when a 14-day letter has
    expired (otherwise 0).
    """
    amounts = [Decimal(str(p)) for p in principals if Decimal(str(p)) > 0]
    if not amounts:
        return Decimal("0.00")
    if kind == "consumer":
        return collection_costs(sum(amounts), vat_rate) if letter_expired else Decimal("0.00")
    costs = max(collection_costs(sum(amounts)), BIK_MINIMUM * len(amounts))
    if vat_rate is not None:
        costs = cents(costs * (1 + Decimal(str(vat_rate))))
    return costs
