"""Deposit and prepayment flags: which clients pay upfront, and why, with a backtest.

The policy (data/policy.toml, or your copy) sets each rule's thresholds and
the level it gives. The SQL model `client_risk_rules_at(as_of, p)` computes
the numbers and which rules fire, using only what was known on `as_of`; this
module turns that into a recommendation level and plain-language reasons in
English or Dutch, and replays it on past dates (backtest).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import namedtuple
from pathlib import Path

import numpy as np
import pandas as pd

from dunning_analytics.common.formatting import (
    format_date,
    format_eur,
    format_percent,
    money_floats,
    resolve_lang,
)
from dunning_analytics.common.messages import marked, tr
from dunning_analytics.common.settings_file import Setting, SettingsError, check_settings, read_toml
from dunning_analytics.ledger import connected, ledger_signature, money_columns, query_frame
from dunning_analytics.questions.queries import query_on

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "data" / "policy.toml"
LEVELS = ("none", "watch", "deposit", "staged", "prepay", "stop")
LEVEL_NAMES = {
    "en": {
        "none": "no special terms",
        "watch": "watch",
        "deposit": "deposit",
        "staged": "staged invoicing",
        "prepay": "full prepayment",
        "stop": "no further credit",
    },
    "nl": {
        "none": "geen bijzondere voorwaarden",
        "watch": "in de gaten houden",
        "deposit": "aanbetaling",
        "staged": "gefaseerd factureren",
        "prepay": "volledige vooruitbetaling",
        "stop": "geen krediet meer",
    },
}
RULES = (
    "new_client",
    "chronic_late",
    "deteriorating",
    "overdue_now",
    "broken_promise",
    "formal_notice",
    "collection",
    "open_dispute",
    "credit_limit",
    "concentration",
)


def load_policy(path: str | Path | None = None) -> dict:
    """Read a policy TOML (default: data/policy.toml) and return it as a dict.

    Change values in the dict to try another policy, e.g.
    ``policy["rules"]["overdue_now"]["min_days_overdue"] = 30``.
    Raises ValueError for an unknown rule or level.
    """
    path = Path(path or DEFAULT_POLICY)
    policy = read_toml(path, marked("policy file"))
    check_policy(policy, path, path.read_text(encoding="utf-8"))
    return policy


def _share(words: str) -> Setting:
    return Setting("number", 0, 1, words=f"a fraction from 0 to 1 ({words})")


def _count(low: int, high: int, what: str) -> Setting:
    return Setting("int", low, high, words=f"a whole number of {what} from {low} to {high}")


# what every policy value must be (settings_file.check_settings)
POLICY_SETTINGS = {
    "terms.deposit_percent": Setting("number", 0, 100, words="a percentage from 0 to 100"),
    "terms.staged_parts": _count(1, 12, "parts"),
    "rules.*.enabled": Setting("bool"),
    "rules.*.level": Setting("choice", choices=LEVELS),
    "rules.*.min_settled_invoices": _count(0, 1000, "invoices"),
    "rules.*.new_days": _count(0, 3650, "days"),
    "rules.*.last_invoices": _count(1, 1000, "invoices"),
    "rules.*.min_late_share": _share("0.5 for half"),
    "rules.*.min_avg_days_late": Setting("number", 0, 3650, words="days from 0 to 3650"),
    "rules.*.min_change_days": Setting("number", 0, 3650, words="days from 0 to 3650"),
    "rules.*.min_days_overdue": _count(0, 3650, "days"),
    "rules.*.months": _count(1, 240, "months"),
    "rules.*.min_broken": _count(1, 1000, "promises"),
    "rules.*.min_revenue_share": _share("0.25 for a quarter"),
}


def check_policy(policy: dict, path=None, text: str = "") -> None:
    """Raise SettingsError (a ValueError) when the policy names an unknown rule or level,
    or a value does not fit its meaning (POLICY_SETTINGS; with the file's `path` and
    `text`, the message names the line)."""
    check_settings(policy, POLICY_SETTINGS, path, text)
    for name, rule in policy.get("rules", {}).items():
        if name not in RULES:
            raise SettingsError(
                tr(
                    "unknown rule {name!r} in the policy; rules: {rules}",
                    name=name,
                    rules=", ".join(RULES),
                )
            )
        if rule.get("level", "watch") not in LEVELS:
            raise SettingsError(
                tr(
                    "policy rule {name}: level {level!r} must be one of {levels}",
                    name=name,
                    level=rule.get("level"),
                    levels=", ".join(LEVELS),
                )
            )


def _rule(policy: dict, name: str) -> dict:
    return policy.get("rules", {}).get(name, {})


def _sql_params(policy: dict) -> dict:
    """The thresholds as the struct the SQL model reads."""
    r = policy.get("rules", {})

    def get(rule: str, key: str, default):
        return r.get(rule, {}).get(key, default)

    return {
        "new_min_settled": int(get("new_client", "min_settled_invoices", 3)),
        "new_days": int(get("new_client", "new_days", 90)),
        "chronic_last": int(get("chronic_late", "last_invoices", 12)),
        "chronic_share": float(get("chronic_late", "min_late_share", 0.5)),
        "chronic_days": float(get("chronic_late", "min_avg_days_late", 21)),
        "slowing_days": int(get("deteriorating", "min_change_days", 10)),
        "overdue_days": int(get("overdue_now", "min_days_overdue", 60)),
        "promise_months": int(get("broken_promise", "months", 12)),
        "promise_min": int(get("broken_promise", "min_broken", 2)),
        "notice_months": int(get("formal_notice", "months", 24)),
        "collection_months": int(get("collection", "months", 24)),
        "concentration_share": float(get("concentration", "min_revenue_share", 0.25)),
    }


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _reason(rule: str, row, policy: dict, lang: str) -> str:
    """One plain-language reason, with the numbers behind it."""
    nl = lang == "nl"
    r = _rule(policy, rule)
    eur = lambda v: format_eur(v, lang)  # noqa: E731
    day = lambda v: format_date(v, "nl" if nl else "en")  # noqa: E731
    if rule == "new_client":
        n, age = int(row.settled_invoices), int(row.client_age_days)
        first = day(row.first_invoice_date)
        if nl:
            facturen = _plural(n, "betaalde factuur", "betaalde facturen")
            return f"nieuwe klant: {n} {facturen}, eerste factuur {first} ({age} dagen geleden)"
        invoices = _plural(n, "invoice", "invoices")
        return f"new client: {n} settled {invoices}, first invoice {first} ({age} days ago)"
    if rule == "chronic_late":
        late, n, avg = int(row.last_late), int(row.last_settled), float(row.last_late_avg_days)
        if nl:
            return f"betaalde {late} van de laatste {n} facturen te laat, gemiddeld {avg:.0f} dagen"
        return f"paid {late} of the last {n} invoices late, on average {avg:.0f} days"
    if rule == "deteriorating":
        recent, earlier = float(row.recent_lateness), float(row.earlier_lateness)
        if nl:
            return (
                f"betaalt steeds later: recente facturen gemiddeld {recent:.0f} dagen te laat, "
                f"eerder {earlier:.0f}"
            )
        return (
            f"paying later: recent invoices {recent:.0f} days late on average, before {earlier:.0f}"
        )
    if rule == "overdue_now":
        amount, days = eur(row.overdue_amount), int(row.oldest_overdue_days)
        if nl:
            return f"{amount} vervallen, de oudste factuur {days} dagen"
        return f"{amount} overdue, the oldest invoice {days} days"
    if rule == "broken_promise":
        n, months = int(row.broken_promises), int(r.get("months", 12))
        last = day(row.last_broken_date)
        if nl:
            return (
                f"{n} {_plural(n, 'betaalbelofte', 'betaalbeloftes')} niet nagekomen in de laatste "
                f"{months} maanden (laatste beloofd voor {last})"
            )
        return (
            f"broke {n} {_plural(n, 'promise', 'promises')} to pay in the last {months} months "
            f"(the last one for {last})"
        )
    if rule == "formal_notice":
        n, months, last = (
            int(row.formal_notices),
            int(r.get("months", 24)),
            day(row.last_notice_date),
        )
        if nl:
            notices = _plural(n, "aanmaning", "aanmaningen")
            return f"{n} {notices} in de laatste {months} maanden, laatste op {last}"
        return (
            f"{n} formal {_plural(n, 'notice', 'notices')} (aanmaning) "
            f"in the last {months} months, "
            f"the last on {last}"
        )
    if rule == "collection":
        months, last = int(r.get("months", 24)), day(row.last_collection_date)
        if nl:
            return f"uit handen gegeven aan incasso in de laatste {months} maanden ({last})"
        return f"sent to a collection agency in the last {months} months ({last})"
    if rule == "open_dispute":
        n, amount = int(row.open_disputed), eur(row.disputed_amount)
        if nl:
            return f"{n} openstaande {_plural(n, 'factuur', 'facturen')} betwist, samen {amount}"
        return f"{n} open {_plural(n, 'invoice', 'invoices')} disputed, together {amount}"
    if rule == "credit_limit":
        exposure, limit = eur(row.open_exposure), eur(row.credit_limit)
        if nl:
            return f"openstaand {exposure}, boven de kredietlimiet van {limit}"
        return f"open exposure {exposure}, above the credit limit of {limit}"
    if rule == "concentration":
        share = float(row.revenue_share)
        if nl:
            return f"{share:.0%} van de omzet van de laatste 12 maanden"
        return f"{share:.0%} of the revenue of the last 12 months"
    raise ValueError(rule)


def _terms(level: str, policy: dict, lang: str) -> str:
    terms = policy.get("terms", {})
    name = LEVEL_NAMES[lang][level]
    if level == "deposit":
        return f"{name} {int(terms.get('deposit_percent', 30))}%"
    if level == "staged":
        parts = int(terms.get("staged_parts", 3))
        return f"{name} ({parts} {'delen' if lang == 'nl' else 'parts'})"
    return name


# the policy values that change the rules' numbers (look-back windows), not only whether a
# rule fires on them
_NUMBER_PARAMS = (
    "chronic_last",
    "slowing_days",
    "promise_months",
    "notice_months",
    "collection_months",
)


def rule_inputs(
    ledger, as_of: dt.date, policy: dict | None = None, kept: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the model's row per client: the numbers and a fires_<rule> column per rule.

    `kept`: an earlier rule_inputs frame; when it is of the same ledger file, unchanged
    since, of the same date, and the policy's look-back windows are its own, only the
    thresholds differ: the rules fire again on its numbers (client_risk_fires on one row
    per client, not the rules model on the ledger). A connection is always read anew.
    """
    policy = policy or load_policy()
    params = _sql_params(policy)
    source = ledger_signature(ledger)
    numbers_key = (source, as_of, tuple(params[k] for k in _NUMBER_PARAMS))
    with connected(ledger) as con:
        if source is not None and kept is not None and kept.attrs.get("numbers") == numbers_key:
            frame = _fired_again(con, kept, params)
        else:
            frame = query_frame(
                con,
                "SELECT * FROM client_risk_rules_at($as_of, $p) ORDER BY client_id",
                {"as_of": as_of, "p": params},
            )
    frame.attrs["numbers"] = numbers_key
    return frame


def _fired_again(con, kept: pd.DataFrame, params: dict) -> pd.DataFrame:
    """`kept` with its fires_ columns for the thresholds in `params`."""
    import pyarrow as pa

    columns = kept.drop(columns=[c for c in kept.columns if c.startswith("fires_")])
    columns.attrs = {}  # the date in attrs is no Arrow metadata
    for money in money_columns(columns):
        # compared only (with each other and 0): distinct cent amounts below 10^13 stay
        # distinct and in order as floats, and floats convert far faster than Decimals
        columns[money] = columns[money].astype("float64")
    # the rules fire on counts, days, shares and money; the dates (Python objects, slow to
    # convert) only go into the reasons
    columns = columns.loc[:, [not pd.api.types.is_object_dtype(t) for t in columns.dtypes]]
    numbers = pa.Table.from_pandas(columns, preserve_index=False)
    con.register("da_rule_numbers", numbers)
    try:
        fires = query_frame(
            con,
            "SELECT n.client_id, unnest(client_risk_fires(n, $p)) FROM da_rule_numbers AS n",
            {"p": params},
        )
    finally:
        con.unregister("da_rule_numbers")
    fires = fires.set_index("client_id").reindex(kept["client_id"])
    frame = kept.copy()
    for column in fires.columns:
        frame[column] = fires[column].to_numpy()
    return frame


def _enabled(policy: dict) -> list[str]:
    """The rules the policy has switched on, in RULES order."""
    return [r for r in RULES if _rule(policy, r).get("enabled", True)]


def _rule_rows(frame: pd.DataFrame):
    """rule_inputs rows as named tuples, built from whole columns (itertuples reads
    Arrow-backed columns one value at a time)."""
    row_type = namedtuple("RuleInputs", frame.columns)
    return map(row_type._make, zip(*(frame[c].tolist() for c in frame.columns), strict=True))


def risk_flags(
    ledger,
    as_of: dt.date,
    policy: dict | None = None,
    lang: str | None = None,
    reasons: int | None = None,
    inputs: pd.DataFrame | None = None,
    track_record: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one recommendation per client as of `as_of`.

    In: ledger, as-of date, a policy dict (load_policy(); default the shipped
    one), 'en' or 'nl'; `reasons`: write the sentences for the first `reasons` rows of
    the result only (a page a person reads; None: every row; rule_reasons writes any
    other client's); `inputs`: rule_inputs(ledger, as_of, policy) when the caller has it;
    `track_record`: rule_track_record's frame, quoted after each reason whose rule it
    measured with the same thresholds ("such clients then paid 79 % more than 14 days late
    (all clients 26 %)": the share of the amount invoiced to them afterwards).
    Out: DataFrame with client_id, name, kind, level (one of LEVELS), level_rank (0-5),
    recommendation (e.g. 'deposit 30%'; in `lang`, default $DUNNING_LANG or English),
    reasons (list of sentences; None past the first `reasons` rows), reason_text (the
    sentences joined; None likewise), rules (fired rule names), grade, revenue,
    open_exposure, overdue_amount; strictest level first.
    """
    lang = resolve_lang(lang)
    policy = policy or load_policy()
    check_policy(policy)
    frame = rule_inputs(ledger, as_of, policy) if inputs is None else inputs
    enabled = _enabled(policy)
    # levels from whole columns: a client's level is the strictest of its fired rules
    fires = np.column_stack(
        [np.zeros(len(frame), dtype=bool)]
        + [frame[f"fires_{r}"].to_numpy(dtype=bool, na_value=False) for r in enabled]
    )
    ranks = np.array([0] + [LEVELS.index(_rule(policy, r).get("level", "watch")) for r in enabled])
    level_rank = (fires * ranks).max(axis=1)
    # strictest level first, then the largest exposure, then client id (the rows come
    # ordered by client id): one numpy lexsort, not pandas' sort of Arrow columns
    exposure = money_floats(frame["open_exposure"])
    order = np.lexsort((np.arange(len(frame)), -np.nan_to_num(exposure), -level_rank))
    level_rank = level_rank[order]
    result = frame[
        ["client_id", "name", "kind", "grade", "revenue", "open_exposure", "overdue_amount"]
    ].iloc[order]
    result["level"] = np.array(LEVELS, dtype=object)[level_rank]
    result["level_rank"] = level_rank
    terms = np.array([_terms(level, policy, lang) for level in LEVELS], dtype=object)
    result["recommendation"] = terms[level_rank]
    # the fired rules' names: one list per distinct combination (a few dozen), not per row
    bits = fires[order, 1:] @ (1 << np.arange(len(enabled), dtype=np.int64))
    names = {b: [r for i, r in enumerate(enabled) if b >> i & 1] for b in np.unique(bits)}
    result["rules"] = [names[b] for b in bits.tolist()]
    # the sentences, for the rows asked for
    count = len(result) if reasons is None else min(max(int(reasons), 0), len(result))
    quotes = _track_quotes(track_record, policy, lang)
    sentences = [
        [_reason(rule, row, policy, lang) + quotes.get(rule, "") for rule in hits]
        for row, hits in zip(
            _rule_rows(frame.iloc[order[:count]]), result["rules"].iloc[:count], strict=True
        )
    ]
    missing = [None] * (len(result) - count)
    result["reasons"] = sentences + missing
    result["reason_text"] = ["; ".join(x) for x in sentences] + missing
    return result.reset_index(drop=True)


def rule_reasons(
    inputs: pd.DataFrame,
    client_id: str,
    policy: dict | None = None,
    lang: str | None = None,
    track_record: pd.DataFrame | None = None,
) -> list[str]:
    """Return one client's reasons (the sentences risk_flags writes, with `track_record`
    as there) from rule_inputs' frame; [] for a client without fired rules or not in it."""
    policy = policy or load_policy()
    rows = inputs[inputs["client_id"] == client_id]
    if rows.empty:
        return []
    row = next(_rule_rows(rows.head(1)))
    hits = [r for r in _enabled(policy) if getattr(row, f"fires_{r}")]
    lang = resolve_lang(lang)
    quotes = _track_quotes(track_record, policy, lang)
    return [_reason(rule, row, policy, lang) + quotes.get(rule, "") for rule in hits]


MIN_TRACK_RECORD = 5  # times a rule fired before its track record is quoted


def _track_quotes(track_record: pd.DataFrame | None, policy: dict, lang: str) -> dict:
    """{rule: ' – such clients then paid … late (all clients …)'} for the rules the track
    record measured with the policy's own thresholds, at least MIN_TRACK_RECORD times."""
    if track_record is None or track_record.empty:
        return {}
    measured = track_record.attrs.get("rules", {})
    rows = track_record.set_index("rule")
    if "all" not in rows.index or rows.loc["all", "late_rate"] is None:
        return {}
    days = int(track_record.attrs.get("late_days", 14))
    everyone = format_percent(float(rows.loc["all", "late_rate"]), 0, lang)
    quotes = {}
    for rule, row in rows.drop(index="all").iterrows():
        if measured.get(rule) != _rule(policy, rule) or row["client_dates"] < MIN_TRACK_RECORD:
            continue
        if row["late_rate"] is None or row["late_rate"] != row["late_rate"]:
            continue
        share = format_percent(float(row["late_rate"]), 0, lang)
        quotes[rule] = (
            f" – zulke klanten betaalden daarna {share} meer dan {days} dagen te laat "
            f"(alle klanten {everyone})"
            if lang == "nl"
            else f" – such clients then paid {share} more than {days} days late "
            f"(all clients {everyone})"
        )
    return quotes


def level_summary(flags: pd.DataFrame) -> pd.DataFrame:
    """Per level: number of clients and their revenue (of the last 12 months) and share."""
    total = sum(flags["revenue"]) or 1
    rows = []
    for level in LEVELS:
        part = flags[flags["level"] == level]
        revenue = sum(part["revenue"])
        rows.append(
            {
                "level": level,
                "clients": len(part),
                "revenue": revenue,
                "revenue_share": float(revenue) / float(total),
            }
        )
    return pd.DataFrame(rows)


def with_thresholds(policy: dict, **changes) -> dict:
    """Return a copy of `policy` with rule settings changed.

    Keys are rule__setting, e.g. with_thresholds(p, overdue_now__min_days_overdue=30).
    """
    changed = copy.deepcopy(policy)
    for key, value in changes.items():
        rule, _, setting = key.partition("__")
        changed.setdefault("rules", {}).setdefault(rule, {})[setting] = value
    check_policy(changed)
    return changed


def _flag_history(con, as_of_dates: list[dt.date], policy: dict, min_level: str):
    """What the rules knew on each date and whether the policy flagged each client then
    (level at least `min_level`). Out: rule_inputs' rows of every date, with as_of and a
    boolean `flagged`."""
    threshold = LEVELS.index(min_level)
    frames = []
    for as_of in as_of_dates:
        inputs = rule_inputs(con, as_of, policy)
        flags = risk_flags(con, as_of, policy, reasons=0, inputs=inputs)
        flagged = flags.loc[flags["level_rank"] >= threshold, "client_id"]
        frames.append(inputs.assign(as_of=as_of, flagged=inputs["client_id"].isin(flagged)))
    columns = ["as_of", "client_id", "last_settled", "last_late", "last_late_avg_days", "flagged"]
    columns += [f"fires_{rule}" for rule in RULES]
    if not frames:  # typed, so the queries bind on no dates too
        types = ["datetime64[us]", "string", "int64", "int64", "float64"] + ["bool"] * (
            len(columns) - 5
        )
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, types, strict=True)})
    return pd.concat(frames, ignore_index=True)[columns]


def flag_backtests(
    ledger,
    as_of_dates: list[dt.date],
    questions: tuple[str, ...],
    policy: dict | None = None,
    **options,
) -> dict[str, pd.DataFrame]:
    """Answer several questions about the policy's flags on past dates from one replay.

    `questions`: any of 'deposit_flags_backtest' (backtest), 'flags_tradeoff'
    (flags_tradeoff) and 'rule_track_record' (rule_track_record); `options`:
    horizon_months (6), min_level ('deposit'), late_days (14), known_on (None: the
    ledger's end). Out: {question: its frame}.
    """
    policy = policy or load_policy()
    params = {
        "horizon": int(options.get("horizon_months", 6)),
        "late_days": int(options.get("late_days", 14)),
        "known_on": options.get("known_on"),
    }
    with connected(ledger) as con:
        history = _flag_history(con, as_of_dates, policy, options.get("min_level", "deposit"))
        con.register("da_flag_history", history)
        try:
            answers = {
                name: query_frame(con, query_on(name, "flag_outcome"), params) for name in questions
            }
        finally:
            con.unregister("da_flag_history")
    if "rule_track_record" in answers:  # the thresholds it was measured with (_track_quotes)
        answers["rule_track_record"].attrs.update(
            rules=copy.deepcopy(policy.get("rules", {})), late_days=params["late_days"]
        )
    return answers


def backtest(
    ledger,
    as_of_dates: list[dt.date],
    policy: dict | None = None,
    horizon_months: int = 6,
    min_level: str = "deposit",
    late_days: int = 14,
    known_on: dt.date | None = None,
) -> pd.DataFrame:
    """Replay the policy on past dates and measure what the flags would have caught.

    For each date D: flag clients with only what was known on D (level at
    least `min_level`); then, over invoices issued in the `horizon_months`
    after D, compare the flagged clients' share of revenue with their share of
    the amount paid more than `late_days` late (or still open that long past
    due at the ledger's end, or on `known_on`: nothing later is looked at) and of
    the amount that went to collection. Out: one row per date with those
    amounts and shares, and `lift` = late share / revenue share.
    """
    options = {"horizon_months": horizon_months, "min_level": min_level,
               "late_days": late_days, "known_on": known_on}  # fmt: skip
    name = "deposit_flags_backtest"
    return flag_backtests(ledger, as_of_dates, (name,), policy, **options)[name]


def flags_tradeoff(
    ledger,
    as_of_dates: list[dt.date],
    policy: dict | None = None,
    horizon_months: int = 6,
    min_level: str = "deposit",
    late_days: int = 14,
    known_on: dt.date | None = None,
) -> pd.DataFrame:
    """The flags as a ranking: on each date order the clients by what the rules knew then
    (the average days late over their last settled invoices, on time counting as 0) and
    measure, for every cut of that order, the share of the next `horizon_months`' revenue
    asked to prepay against the share of the amount later paid more than `late_days` late
    and of the amount sent to collection; the policy's own flags (level at least
    `min_level`) as one point beside it. `known_on`: as in backtest.

    Out: rows of kind 'curve' (min_score: the cut, days late on average; clients_per_date;
    revenue_share, late_share, collection_share, cumulative from the latest payers) and
    one row of kind 'policy' with the same shares for the policy's flags.
    """
    options = {"horizon_months": horizon_months, "min_level": min_level,
               "late_days": late_days, "known_on": known_on}  # fmt: skip
    name = "flags_tradeoff"
    return flag_backtests(ledger, as_of_dates, (name,), policy, **options)[name]


def track_dates(ledger, as_of: dt.date, horizon_months: int = 6, years: int = 2):
    """The quarter ends of the `years` before `as_of` (after the ledger's first invoice)
    whose `horizon_months` after them are over by `as_of`: the dates a backtest known on
    `as_of` can replay."""
    with connected(ledger) as con:
        first = con.execute("SELECT min(invoice_date) FROM invoices").fetchone()[0]
    if first is None:
        return []
    since = max(dt.date(as_of.year - years, 1, 1), first)
    ends = [d.date() for d in pd.date_range(since, as_of, freq="QE")]
    return [
        d for d in ends if (pd.Timestamp(d) + pd.DateOffset(months=horizon_months)).date() <= as_of
    ]


def rule_track_record(
    ledger,
    as_of: dt.date,
    policy: dict | None = None,
    late_days: int = 14,
    quarters: int | None = None,
) -> pd.DataFrame:
    """What the clients each rule picked out paid late afterwards, known on `as_of`: the
    rules replayed at track_dates(ledger, as_of) with `policy`'s thresholds (the last
    `quarters` of them when given: each is a replay of every rule, about 0.9 s at 1 million
    invoices).

    Out: rule ('all' for every client), client_dates, revenue and late_amount of the
    invoices issued in the six months after each date, late_rate (the share paid more than
    `late_days` late); attrs['rules'] holds the thresholds it was measured with (risk_flags
    only quotes a rule whose thresholds are the same). Empty without such dates.
    """
    policy = policy or load_policy()
    dates = track_dates(ledger, as_of)
    if quarters is not None:
        dates = dates[-quarters:] if quarters > 0 else []
    name = "rule_track_record"
    if not dates:
        return pd.DataFrame(columns=["rule", "client_dates", "revenue", "late_amount", "late_rate"])
    answers = flag_backtests(ledger, dates, (name,), policy, late_days=late_days, known_on=as_of)
    return answers[name]
