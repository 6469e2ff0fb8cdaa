"""Deposit and prepayment flags: every rule fires when it should and only then; backtest."""

import datetime as dt
import shutil
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from conftest import make_ledger

from dunning_analytics.cli import main
from dunning_analytics.questions.risk import (
    LEVELS,
    backtest,
    level_summary,
    load_policy,
    risk_flags,
    with_thresholds,
)

D = dt.date
E = Decimal
AS_OF = D(2025, 12, 31)


def base(k1_late=(0,) * 6, k1_amount="1000.00", k2_amount="9000.00"):
    """K1 and K2: six monthly invoices each in 2025, paid `k1_late` days late (K2 on time)."""
    invoices, payments = [], []
    for n in range(6):
        issued = D(2025, 3, 1) + dt.timedelta(days=30 * n)
        due = issued + dt.timedelta(days=30)
        invoices.append((f"A{n}", "K1", issued, due, E(k1_amount)))
        payments.append((f"a{n}", "K1", f"A{n}", due + dt.timedelta(days=k1_late[n]), E(k1_amount)))
        invoices.append((f"B{n}", "K2", issued, due, E(k2_amount)))
        payments.append((f"b{n}", "K2", f"B{n}", due, E(k2_amount)))
    return invoices, payments


def k1_flags(path, invoices, payments, contacts=(), policy=None, setup=None):
    con = make_ledger(path, invoices, payments, contacts)
    if setup:
        con.execute(setup)
    flags = risk_flags(con, AS_OF, policy).set_index("client_id")
    con.close()
    return flags.loc["K1"]


def test_a_clean_client_gets_no_flag(ledger):
    row = k1_flags(ledger, *base())
    assert row["rules"] == [] and row["level"] == "none"


def test_new_client(ledger, tmp_path):
    invoices = [("N1", "K1", D(2025, 11, 1), D(2025, 12, 1), E("500.00"))]
    payments = [("n1", "K1", "N1", D(2025, 12, 1), E("500.00"))]
    row = k1_flags(ledger, invoices, payments)
    # watched by default (the backtest found new clients no later than others); a policy
    # that follows the source's advice asks every new client a deposit
    assert "new_client" in row["rules"] and row["level"] == "watch"
    advised = with_thresholds(load_policy(), new_client__level="deposit")
    row = k1_flags(tmp_path / "advised.duckdb", invoices, payments, policy=advised)
    assert row["level"] == "deposit" and row["recommendation"] == "deposit 30%"
    assert (
        row["reasons"][0] == "new client: 1 settled invoice, first invoice 2025-11-01 (60 days ago)"
    )


def test_chronic_late(ledger, tmp_path):
    row = k1_flags(ledger, *base(k1_late=(35, 35, 40, 30, 0, 45)))
    assert "chronic_late" in row["rules"] and row["level"] == "deposit"
    # 5 of 6 late, on average (35+35+40+30+45)/5 = 37
    assert "paid 5 of the last 6 invoices late, on average 37 days" in row["reasons"]
    quiet = k1_flags(tmp_path / "q.duckdb", *base(k1_late=(35, 0, 0, 0, 0, 3)))
    assert "chronic_late" not in quiet["rules"]


def test_deteriorating(ledger, tmp_path):
    invoices, payments = [], []
    for n in range(12):
        issued = D(2025, 1, 1) + dt.timedelta(days=30 * n)
        due = issued + dt.timedelta(days=14)
        invoices.append((f"S{n}", "K1", issued, due, E("100.00")))
        late = 40 if n >= 8 else 0
        if due + dt.timedelta(days=late) <= AS_OF:
            payments.append((f"s{n}", "K1", f"S{n}", due + dt.timedelta(days=late), E("100.00")))
    row = k1_flags(ledger, invoices, payments)
    assert "deteriorating" in row["rules"]
    assert any(r.startswith("paying later: recent invoices 40 days late") for r in row["reasons"])
    quiet = k1_flags(tmp_path / "q.duckdb", *base())
    assert "deteriorating" not in quiet["rules"]


def test_overdue_now(ledger, tmp_path):
    invoices, payments = base()
    old = invoices + [("O1", "K1", D(2025, 9, 1), D(2025, 10, 1), E("750.00"))]  # 91 days overdue
    row = k1_flags(ledger, old, payments)
    assert "overdue_now" in row["rules"] and row["level"] == "prepay"
    assert "€750.00 overdue, the oldest invoice 91 days" in row["reasons"]
    recent = invoices + [("O1", "K1", D(2025, 11, 1), D(2025, 12, 1), E("750.00"))]  # 30 days
    assert "overdue_now" not in k1_flags(tmp_path / "q.duckdb", recent, payments)["rules"]


def _promise(cid, invoice, made, promised):
    return (
        cid,
        "K1",
        invoice,
        dt.datetime.combine(made, dt.time(10)),
        "promise_to_pay",
        promised,
        E("1000.00"),
    )


def test_broken_promise(ledger, tmp_path):
    invoices, payments = base(k1_late=(0, 0, 10, 10, 0, 0))
    # A2 due 30 May, paid 9 June; A3 due 29 June, paid 9 July
    broken = [
        _promise("c1", "A2", D(2025, 6, 1), D(2025, 6, 5)),
        _promise("c2", "A3", D(2025, 7, 1), D(2025, 7, 4)),
    ]
    row = k1_flags(ledger, invoices, payments, broken)
    assert "broken_promise" in row["rules"]
    assert (
        "broke 2 promises to pay in the last 12 months (the last one for 2025-07-04)"
        in row["reasons"]
    )
    kept = [
        _promise("c1", "A2", D(2025, 6, 1), D(2025, 6, 10)),
        _promise("c2", "A3", D(2025, 7, 1), D(2025, 7, 10)),
    ]
    assert (
        "broken_promise" not in k1_flags(tmp_path / "q.duckdb", invoices, payments, kept)["rules"]
    )


def test_formal_notice_and_collection(ledger, tmp_path):
    invoices, payments = base()
    recent = [
        ("f1", "K1", "A1", dt.datetime(2025, 6, 15, 10), "formal_notice"),
        ("f2", "K1", "A1", dt.datetime(2025, 7, 15, 10), "collection"),
    ]
    row = k1_flags(ledger, invoices, payments, recent)
    assert {"formal_notice", "collection"} <= set(row["rules"])
    assert row["level"] == "stop" and row["recommendation"] == "no further credit"
    assert (
        "1 formal notice (aanmaning) in the last 24 months, the last on 2025-06-15"
        in row["reasons"]
    )
    long_ago = [
        ("f1", "K1", None, dt.datetime(2023, 6, 15, 10), "formal_notice"),
        ("f2", "K1", None, dt.datetime(2023, 7, 15, 10), "collection"),
    ]
    quiet = k1_flags(tmp_path / "q.duckdb", invoices, payments, long_ago)
    assert not {"formal_notice", "collection"} & set(quiet["rules"])


def test_open_dispute(ledger, tmp_path):
    invoices, payments = base()
    invoices = invoices + [("X1", "K1", D(2025, 12, 1), D(2025, 12, 31), E("400.00"))]
    row = k1_flags(
        ledger,
        invoices,
        payments,
        setup="UPDATE invoices SET disputed = true WHERE invoice_id = 'X1'",
    )
    assert "open_dispute" in row["rules"]
    assert "1 open invoice disputed, together €400.00" in row["reasons"]
    quiet = k1_flags(
        tmp_path / "q.duckdb",
        *base(),
        setup="UPDATE invoices SET disputed = true WHERE invoice_id = 'A1'",
    )
    assert "open_dispute" not in quiet["rules"]


def test_credit_limit(ledger, tmp_path):
    invoices, payments = base()
    invoices = invoices + [("X1", "K1", D(2025, 12, 20), D(2026, 1, 19), E("1500.00"))]
    row = k1_flags(
        ledger,
        invoices,
        payments,
        setup="UPDATE clients SET credit_limit = 1000 WHERE client_id = 'K1'",
    )
    assert "credit_limit" in row["rules"]
    assert "open exposure €1,500.00, above the credit limit of €1,000.00" in row["reasons"]
    quiet = k1_flags(
        tmp_path / "q.duckdb",
        invoices,
        payments,
        setup="UPDATE clients SET credit_limit = 2000 WHERE client_id = 'K1'",
    )
    assert "credit_limit" not in quiet["rules"]


def test_concentration(ledger, tmp_path):
    row = k1_flags(ledger, *base(k1_amount="9000.00", k2_amount="1000.00"))
    assert (
        "concentration" in row["rules"]
        and "90% of the revenue of the last 12 months" in row["reasons"]
    )
    assert "concentration" not in k1_flags(tmp_path / "q.duckdb", *base())["rules"]


def test_dutch_reasons(ledger):
    con = make_ledger(ledger, *base(k1_late=(35, 35, 40, 30, 0, 45)))
    row = risk_flags(con, AS_OF, lang="nl").set_index("client_id").loc["K1"]
    assert row["recommendation"] == "aanbetaling 30%"
    assert "betaalde 5 van de laatste 6 facturen te laat, gemiddeld 37 dagen" in row["reasons"]


def test_stricter_policy_never_flags_fewer_clients(demo_ledger):
    policy = load_policy()
    stricter = with_thresholds(
        policy,
        new_client__min_settled_invoices=6,
        new_client__new_days=180,
        chronic_late__min_late_share=0.3,
        chronic_late__min_avg_days_late=10,
        deteriorating__min_change_days=5,
        overdue_now__min_days_overdue=30,
        broken_promise__min_broken=1,
        concentration__min_revenue_share=0.05,
    )
    for as_of in (D(2025, 6, 30), D(2026, 10, 31)):
        normal = risk_flags(demo_ledger, as_of, policy).set_index("client_id")
        strict = risk_flags(demo_ledger, as_of, stricter).set_index("client_id")
        assert (strict["level_rank"] >= normal["level_rank"].reindex(strict.index)).all()
        assert (strict["level_rank"] > 0).sum() > (normal["level_rank"] > 0).sum()


def test_level_summary_adds_up(demo_ledger):
    flags = risk_flags(demo_ledger, D(2026, 10, 31))
    summary = level_summary(flags)
    assert list(summary["level"]) == list(LEVELS)
    assert summary["clients"].sum() == len(flags)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)


def _truncated_copy(source, target, as_of):
    """A copy of the ledger with everything dated after as_of removed."""
    shutil.copy(source, target)
    con = duckdb.connect(str(target))
    con.execute("DELETE FROM invoices WHERE invoice_date > ?", [as_of])
    con.execute("DELETE FROM payments WHERE paid_date > ?", [as_of])
    con.execute("DELETE FROM contacts WHERE contact_at::DATE > ?", [as_of])
    con.close()


def test_backtest_uses_nothing_after_its_as_of_date(demo_ledger, tmp_path):
    as_of = D(2025, 6, 30)
    cut = tmp_path / "cut.duckdb"
    _truncated_copy(demo_ledger, cut, as_of)
    full = risk_flags(demo_ledger, as_of)
    known = risk_flags(cut, as_of)
    columns = ["client_id", "level", "reason_text"]
    assert (
        full[columns].sort_values("client_id").values.tolist()
        == known[columns].sort_values("client_id").values.tolist()
    )
    result = backtest(demo_ledger, [as_of])
    assert (
        result.loc[0, "flagged_clients"] == (known["level_rank"] >= LEVELS.index("deposit")).sum()
    )


def test_backtest_measures_the_following_months(demo_ledger):
    dates = [D(2025, 3, 31), D(2025, 9, 30)]
    result = backtest(demo_ledger, dates, horizon_months=6)
    assert list(result["as_of"]) == dates
    con = duckdb.connect(str(demo_ledger), read_only=True)
    revenue = con.execute(
        "SELECT sum(amount) FROM invoices WHERE amount >= 0 AND invoice_date > ? "
        "AND invoice_date <= ?",
        [D(2025, 3, 31), D(2025, 9, 30)],
    ).fetchall()[0][0]
    con.close()
    assert result.loc[0, "revenue"] == revenue
    for row in result.itertuples():
        assert 0 <= row.revenue_share <= 1 and 0 <= row.late_share <= 1
        assert row.flagged_late_amount <= row.late_amount


def test_demo_archetypes_land_where_a_credit_manager_puts_them(demo_ledger):
    con = duckdb.connect(str(demo_ledger), read_only=True)
    archetype = dict(con.execute("SELECT client_id, archetype FROM demo_archetype").fetchall())
    worst = dict(
        con.execute(
            """
        WITH worst AS (
            SELECT s.client_id, arg_max(s.invoice_date, s.days_late) AS invoice_date
            FROM invoice_settlement AS s JOIN demo_archetype AS a USING (client_id)
            WHERE a.archetype = 'deteriorating' AND s.days_late IS NOT NULL
            GROUP BY 1
        )
        -- clients with a track record: six settled invoices before the worst
        SELECT w.client_id, w.invoice_date
        FROM worst AS w JOIN invoice_settlement AS s
            ON s.client_id = w.client_id AND s.settled_date < w.invoice_date
        GROUP BY ALL
        HAVING count(*) >= 6
        """
        ).fetchall()
    )
    con.close()
    assert worst  # the demo has deteriorating clients with a track record
    flags = risk_flags(demo_ledger, D(2026, 10, 31))
    by_type = flags.assign(archetype=flags["client_id"].map(archetype))
    punctual = by_type[by_type["archetype"] == "punctual"]
    # punctual payers get a deposit or stricter for how much they owe (over the credit limit,
    # a big share of revenue), hardly ever for how they pay
    for_behaviour = punctual[
        (punctual["level_rank"] >= LEVELS.index("deposit"))
        & punctual["rules"].map(lambda rules: bool(set(rules) - {"credit_limit", "concentration"}))
    ]
    assert len(for_behaviour) <= 0.1 * len(punctual)
    assert set(by_type[by_type["archetype"] == "collection"]["level"]) == {"stop"}
    # each deteriorating client is flagged (deposit or stricter) before its worst invoice
    quarter_ends = [
        D(y, m, d) for y in (2024, 2025, 2026) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
    ]
    for client_id, worst_invoice_date in worst.items():
        flagged_on = [
            q
            for q in quarter_ends
            if q < worst_invoice_date
            and risk_flags(demo_ledger, q).set_index("client_id")["level_rank"].get(client_id, 0)
            >= LEVELS.index("deposit")
        ]
        assert flagged_on, client_id


def test_cli_risk_formats(demo_ledger, tmp_path, capsys):
    assert main(["risk", "--ledger", str(demo_ledger), "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert "Prepayment terms as of 2026-10-31" in out and "no further credit" in out
    target = tmp_path / "flags.xlsx"
    assert (
        main(
            [
                "risk",
                "--ledger",
                str(demo_ledger),
                "--format",
                "xlsx",
                "--out",
                str(target),
                "--lang",
                "nl",
            ]
        )
        == 0
    )
    import openpyxl

    sheet = openpyxl.load_workbook(target).active
    assert sheet["A1"].value == "Aanbetaling en vooruitbetaling per 31-10-2026"  # the title
    header = [c.value for c in sheet[2]]
    assert header[:6] == ["klantnr.", "naam", "soort", "beoordeling", "niveau", "voorwaarden"]
    assert any("aanbetaling" in str(c.value) for c in sheet["F"])
    # the last row totals the money columns (a SUM over the rows), in euro format
    end = sheet.max_row
    last = [c.value for c in sheet[end]]
    flags = risk_flags(demo_ledger, D(2026, 10, 31))
    flagged = flags[flags["level"] != "none"]
    assert last[0] == "Totaal"
    letter = sheet.cell(2, len(header)).column_letter
    assert last[-1] == f"=SUM({letter}3:{letter}{end - 1})"
    exposure = [sheet.cell(row, len(header)).value for row in range(3, end)]
    assert round(sum(exposure), 2) == float(flagged["open_exposure"].sum())
    assert "€" in sheet.cell(3, len(header)).number_format
    # the extension picks the format: .xlsx without --format writes Excel
    second = tmp_path / "flags2.xlsx"
    assert main(["risk", "--ledger", str(demo_ledger), "--out", str(second)]) == 0
    assert openpyxl.load_workbook(second).active.max_row == sheet.max_row


def test_reasons_for_a_page_only_and_for_any_client_on_demand(demo_ledger):
    """A screen writes the sentences for the rows it lists; any other client's come from
    rule_reasons, the same sentences risk_flags writes for everyone."""
    from dunning_analytics.questions.risk import rule_inputs, rule_reasons

    as_of = dt.date(2026, 10, 31)
    everyone = risk_flags(demo_ledger, as_of, lang="nl")
    inputs = rule_inputs(demo_ledger, as_of)
    page = risk_flags(demo_ledger, as_of, lang="nl", reasons=5, inputs=inputs)
    columns = ["client_id", "level", "recommendation", "rules"]
    assert page[columns].equals(everyone[columns])
    assert page["reasons"].iloc[:5].tolist() == everyone["reasons"].iloc[:5].tolist()
    assert page["reasons"].iloc[5:].isna().all() and page["reason_text"].iloc[5:].isna().all()
    flagged = everyone[everyone["level"] != "none"].iloc[5:]
    assert len(flagged) > 10
    for _, row in flagged.iterrows():
        assert rule_reasons(inputs, row["client_id"], lang="nl") == row["reasons"]


def test_one_settled_invoice_reads_in_the_singular():
    """'1 betaalde factuur', never '1 betaalde facturen' (plural agreement, #32)."""
    import datetime as dt

    import pandas as pd

    from dunning_analytics.questions.risk import _reason, load_policy

    row = pd.Series(
        {"settled_invoices": 1, "client_age_days": 40, "first_invoice_date": dt.date(2026, 9, 1)}
    )
    policy = load_policy()
    assert "nieuwe klant: 1 betaalde factuur, eerste" in _reason("new_client", row, policy, "nl")
    assert "new client: 1 settled invoice, first" in _reason("new_client", row, policy, "en")
    row["settled_invoices"] = 2
    assert "2 betaalde facturen" in _reason("new_client", row, policy, "nl")


def test_the_flags_as_a_ranking_and_the_policy_on_it(demo_ledger):
    """The curve orders clients by their average days late (what the rules knew), each cut's
    revenue share adds up from the invoices issued after the date, and the policy's point is
    the backtest's own pooled shares."""
    from dunning_analytics.questions.risk import flags_tradeoff, rule_inputs

    dates = [D(2025, 6, 30), D(2025, 12, 31)]
    tradeoff = flags_tradeoff(demo_ledger, dates, horizon_months=6)
    curve = tradeoff[tradeoff["kind"] == "curve"]
    assert len(curve) > 5
    for column in ("revenue_share", "late_share", "collection_share", "clients_per_date"):
        assert curve[column].is_monotonic_increasing
    assert curve["min_score"].is_monotonic_decreasing
    assert curve["late_share"].max() <= 1.0 + 1e-9

    # one cut by hand: clients averaging at least 20 days late over their last invoices
    cut = curve[curve["min_score"] >= 20].iloc[-1]
    con = duckdb.connect(str(demo_ledger), read_only=True)
    picked, total = E(0), E(0)
    for as_of in dates:
        inputs = rule_inputs(demo_ledger, as_of)
        score = (
            inputs["last_late_avg_days"].fillna(0).astype(float)
            * inputs["last_late"]
            / (inputs["last_settled"].where(inputs["last_settled"] >= 3))
        )
        chosen = set(inputs.loc[score.round(1) >= float(cut["min_score"]), "client_id"])
        for client_id, amount in con.execute(
            "SELECT client_id, sum(amount) FROM invoices WHERE amount > 0 AND invoice_date > ? "
            "AND invoice_date <= ? + INTERVAL 6 MONTH GROUP BY 1",
            [as_of, as_of],
        ).fetchall():
            total += amount
            picked += amount if client_id in chosen else 0
    con.close()
    assert float(picked / total) == pytest.approx(cut["revenue_share"], abs=0.002)

    result = backtest(demo_ledger, dates, horizon_months=6)
    policy = tradeoff[tradeoff["kind"] == "policy"].iloc[0]
    revenue = result["flagged_revenue"].sum() / result["revenue"].sum()
    late = result["flagged_late_amount"].sum() / result["late_amount"].sum()
    assert policy["revenue_share"] == pytest.approx(float(revenue))
    assert policy["late_share"] == pytest.approx(float(late))
    assert policy["clients_per_date"] == result["flagged_clients"].mean()


def test_what_was_known_on_a_day_is_all_a_backtest_reads(demo_ledger, tmp_path):
    """known_on: the flags' backtest and ranking as the review runs them at a quarter's end
    equal those on a copy of the ledger without anything after that day."""
    from dunning_analytics.questions.risk import flags_tradeoff

    known_on = D(2025, 9, 30)
    cut = tmp_path / "cut.duckdb"
    _truncated_copy(demo_ledger, cut, known_on)
    dates = [D(2024, 12, 31), D(2025, 3, 31)]
    for question in (backtest, flags_tradeoff):
        full = question(demo_ledger, dates, known_on=known_on)
        known = question(cut, dates, known_on=known_on)
        assert len(full) > 0
        pd.testing.assert_frame_equal(full, known)  # NaN where nothing went to collection
    # and the full ledger's own end tells more about the same dates
    assert not backtest(demo_ledger, dates).equals(backtest(demo_ledger, dates, known_on=known_on))


def test_each_reason_says_how_late_such_clients_paid_afterwards(demo_ledger):
    """rule_track_record: what the clients a rule picked out paid late in the six months
    after each past quarter end, known on the day, equals that rule's own backtest alone;
    the reasons quote it, and stop quoting a rule whose threshold was moved."""
    from dunning_analytics.questions.risk import rule_track_record, track_dates

    as_of = D(2026, 6, 30)
    record = rule_track_record(demo_ledger, as_of).set_index("rule")
    dates = track_dates(demo_ledger, as_of)
    assert dates and max(dates) <= D(2025, 12, 31)
    alone = with_thresholds(load_policy(), **{
        f"{rule}__enabled": rule == "chronic_late" for rule in load_policy()["rules"]
    })  # fmt: skip
    replay = backtest(demo_ledger, dates, alone, known_on=as_of)
    rate = replay["flagged_late_amount"].sum() / replay["flagged_revenue"].sum()
    assert record.loc["chronic_late", "late_rate"] == pytest.approx(float(rate))
    everyone = replay["late_amount"].sum() / replay["revenue"].sum()
    assert record.loc["all", "late_rate"] == pytest.approx(float(everyone))
    assert record.loc["chronic_late", "late_rate"] > 2 * record.loc["all", "late_rate"]

    track = rule_track_record(demo_ledger, as_of)
    flags = risk_flags(demo_ledger, as_of, track_record=track)
    late = flags[flags["rules"].map(lambda rules: "chronic_late" in rules)].iloc[0]
    share = f"{record.loc['chronic_late', 'late_rate']:.0%}"
    assert (
        f"such clients then paid {share} more than 14 days late (all clients"
        in (late["reason_text"])
    )
    nl = risk_flags(demo_ledger, as_of, lang="nl", track_record=track)
    assert (
        "zulke klanten betaalden daarna"
        in nl.set_index("client_id").loc[late["client_id"], "reason_text"]
    )
    moved = with_thresholds(load_policy(), chronic_late__min_avg_days_late=10)
    again = risk_flags(demo_ledger, as_of, moved, track_record=track).set_index("client_id")
    sentence = [r for r in again.loc[late["client_id"], "reasons"] if r.startswith("paid ")][0]
    assert "such clients" not in sentence  # measured with 21 days, not 10


def test_a_ledger_too_young_for_a_backtest_gets_empty_answers(demo_ledger):
    """No past date to replay (a ledger of a few months): empty frames with their columns,
    the charts draw without data, and no reason quotes a track record."""
    from dunning_analytics.present.charts import backtest_chart, tradeoff_chart
    from dunning_analytics.questions.risk import flag_backtests, rule_track_record

    answers = flag_backtests(demo_ledger, [], ("deposit_flags_backtest", "flags_tradeoff"))
    assert answers["deposit_flags_backtest"].empty and answers["flags_tradeoff"].empty
    assert "lift" in answers["deposit_flags_backtest"].columns
    backtest_chart(answers["deposit_flags_backtest"])
    tradeoff_chart(answers["flags_tradeoff"])
    first_quarter = D(2024, 1, 31)
    track = rule_track_record(demo_ledger, first_quarter)
    flags = risk_flags(demo_ledger, first_quarter, track_record=track)
    assert not flags["reason_text"].dropna().str.contains("such clients").any()


def test_the_explorer_s_track_record_replays_the_last_quarters_only(demo_ledger):
    """quarters=N: the track record of the last N replayable quarter ends (the risk explorer
    asks for a year's, each quarter being a replay of every rule)."""
    from dunning_analytics.questions.risk import flag_backtests, rule_track_record, track_dates

    as_of = D(2026, 10, 31)
    last_two = track_dates(demo_ledger, as_of)[-2:]
    expected = flag_backtests(demo_ledger, last_two, ("rule_track_record",), known_on=as_of)
    record = rule_track_record(demo_ledger, as_of, quarters=2)
    pd.testing.assert_frame_equal(record, expected["rule_track_record"])
    assert rule_track_record(demo_ledger, as_of, quarters=0).empty


@pytest.mark.parametrize(
    "changes",
    [
        {"new_client__min_settled_invoices": 6, "chronic_late__min_avg_days_late": 5},
        {"overdue_now__min_days_overdue": 0, "broken_promise__min_broken": 1},
        {"concentration__min_revenue_share": 0.0, "overdue_now__min_days_overdue": 7},
    ],
)
def test_a_moved_threshold_fires_the_rules_again_on_the_kept_numbers(demo_ledger, changes):
    """The risk explorer keeps a date's rule numbers and, when a slider moves only a
    threshold, fires the rules again on them: the same frame the rules model gives."""
    from dunning_analytics.questions.risk import rule_inputs

    as_of = dt.date(2026, 6, 30)
    kept = rule_inputs(demo_ledger, as_of, load_policy())
    moved = with_thresholds(load_policy(), **changes)
    again = rule_inputs(demo_ledger, as_of, moved, kept=kept)
    fresh = rule_inputs(demo_ledger, as_of, moved)
    pd.testing.assert_frame_equal(again, fresh)
    fires = [c for c in fresh.columns if c.startswith("fires_")]
    assert not kept[fires].equals(fresh[fires])  # the thresholds did change who is flagged
    # a look-back window changes the numbers: computed anew, not fired on the kept ones
    window = with_thresholds(moved, chronic_late__last_invoices=3)
    pd.testing.assert_frame_equal(
        rule_inputs(demo_ledger, as_of, window, kept=kept), rule_inputs(demo_ledger, as_of, window)
    )


def test_the_risk_explorer_shows_for_a_moved_slider_what_the_rules_model_gives(demo_ledger):
    """A slider move fires the rules again on the date's kept numbers; what the explorer
    then lists is what risk_flags computes from the ledger with that policy."""
    from dunning_analytics.notebook.widgets import FLAGGED_ROWS, risk_explorer

    as_of = dt.date(2026, 6, 30)
    explorer = risk_explorer(demo_ledger, as_of, lang="en")
    before = explorer.flags.copy()
    explorer.sliders[("overdue_now", "min_days_overdue")].value = 7
    moved = with_thresholds(explorer.policy, overdue_now__min_days_overdue=7)
    fresh = risk_flags(
        demo_ledger, as_of, moved, lang="en", reasons=FLAGGED_ROWS,
        track_record=explorer.track_record,
    )  # fmt: skip
    columns = ["client_id", "level", "recommendation", "reason_text"]
    pd.testing.assert_frame_equal(explorer.flags[columns], fresh[columns])
    assert (explorer.flags["level"] != "none").sum() > (before["level"] != "none").sum()


def test_kept_rule_numbers_are_not_used_once_the_ledger_has_changed(demo_ledger, tmp_path):
    """A write to the ledger (here a collection agency engaged) between two slider moves:
    the rules read the ledger again instead of firing on the numbers kept before it."""
    from dunning_analytics.questions.risk import rule_inputs

    ledger = tmp_path / "demo.duckdb"
    ledger.write_bytes(demo_ledger.read_bytes())
    as_of = dt.date(2026, 6, 30)
    kept = rule_inputs(ledger, as_of, load_policy())
    client = kept.loc[~kept["fires_collection"], "client_id"].iloc[0]
    con = duckdb.connect(str(ledger))
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, contact_at, kind) "
        "VALUES ('late-write', ?, TIMESTAMP '2026-06-01 10:00', 'collection')",
        [client],
    )
    con.close()
    moved = with_thresholds(load_policy(), overdue_now__min_days_overdue=7)
    again = rule_inputs(ledger, as_of, moved, kept=kept).set_index("client_id")
    assert again.loc[client, "fires_collection"]
    assert again.loc[client, "collections"] == 1
