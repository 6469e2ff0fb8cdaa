"""Dutch collection law: every figure worked out by hand from the law."""

import datetime as dt
from decimal import Decimal

import pytest

from dunning_analytics import collection_costs, statutory_interest
from dunning_analytics.questions.law import claim_costs, claim_run, load_rates

D = dt.date
E = Decimal


@pytest.mark.parametrize(
    ("principal", "costs"),
    [
        ("0", "0.00"),
        ("100", "40.00"),  # 15 % = 15.00, below the minimum
        ("266.66", "40.00"),  # 15 % = 39.999
        ("266.67", "40.00"),  # 15 % = 40.0005
        ("300", "45.00"),
        ("2500", "375.00"),  # end of the 15 % band
        ("2500.01", "375.00"),  # + 10 % of 0.01
        ("2600", "385.00"),  # 375 + 10 % of 100
        ("5000", "625.00"),  # 375 + 250
        ("5100", "630.00"),  # + 5 % of 100
        ("10000", "875.00"),  # 625 + 250
        ("10100", "876.00"),  # + 1 % of 100
        ("200000", "2775.00"),  # 875 + 1 % of 190,000
        ("200100", "2775.50"),  # + 0.5 % of 100
        ("999900", "6774.50"),
        ("1000000", "6775.00"),  # exactly the cap
        ("1000100", "6775.00"),  # capped
        ("5000000", "6775.00"),
    ],
)
def test_bik_scale_at_and_around_every_band_edge(principal, costs):
    assert collection_costs(E(principal)) == E(costs)


def test_bik_vat_only_when_asked():
    assert collection_costs(E("1000")) == E("150.00")
    assert collection_costs(E("1000"), vat_rate=E("0.21")) == E("181.50")


def test_business_claim_at_least_40_per_invoice():
    # three invoices of 100: the scale over 300 gives 45.00, but 3 x 40 = 120
    assert claim_costs([E("100"), E("100"), E("100")], "business") == E("120.00")
    # one invoice of 3000: 375 + 50 = 425 > 40
    assert claim_costs([E("3000")], "business") == E("425.00")


def test_consumer_claim_costs_only_after_an_expired_fourteen_day_letter():
    assert claim_costs([E("1000")], "consumer", letter_expired=False) == E("0.00")
    assert claim_costs([E("1000")], "consumer", letter_expired=True) == E("150.00")


def test_interest_across_a_rate_change():
    # handelsrente: 12.50 % until 30 June 2024, 12.25 % from 1 July 2024
    result = statutory_interest(E("1000"), D(2024, 6, 1), D(2024, 8, 1), "commercial")
    # June: 30 days x 12.50 % = 10.2739 -> 10.27; July: 31 days x 12.25 % = 10.4041 -> 10.40
    assert [(p.days, p.rate_percent, p.interest) for p in result.periods] == [
        (30, E("12.50"), E("10.27")),
        (31, E("12.25"), E("10.40")),
    ]
    assert result.total == E("20.67")


def test_interest_capitalised_after_a_full_year():
    result = statutory_interest(E("1000"), D(2024, 5, 1), D(2025, 8, 1), "commercial")
    # year 1 (1-5-2024 .. 30-4-2025): 61 d x 12.50 % = 20.89; 184 d x 12.25 % = 61.75;
    # 120 d x 11.15 % = 36.66 -> 119.30 joins the principal: 1119.30
    # then 61 d x 11.15 % of 1119.30 = 20.86; 31 d x 10.15 % of 1119.30 = 9.65
    assert [p.interest for p in result.periods] == [
        E("20.89"),
        E("61.75"),
        E("36.66"),
        E("20.86"),
        E("9.65"),
    ]
    assert result.periods[3].principal == E("1119.30")
    assert result.total == E("149.81")


def test_interest_in_a_leap_year_divides_by_365():
    # wettelijke rente 7 % over all of 2024: 366 days / 365
    year = statutory_interest(E("1000"), D(2024, 1, 1), D(2025, 1, 1), "consumer")
    assert year.total == E("70.19")  # 1000 x 0.07 x 366 / 365 = 70.1918
    # and on: 70.19 joins the principal on 1-1-2025; 59 days at 6 % of 1070.19 = 10.38
    longer = statutory_interest(E("1000"), D(2024, 1, 1), D(2025, 3, 1), "consumer")
    assert longer.total == E("80.57")
    assert longer.periods[-1].principal == E("1070.19")


def test_interest_edge_cases_and_rate_file(tmp_path):
    assert statutory_interest(E("1000"), D(2025, 3, 1), D(2025, 3, 1)).total == E("0.00")
    with pytest.raises(ValueError, match="no commercial statutory rate known"):
        statutory_interest(E("1000"), D(2010, 1, 1), D(2010, 3, 1))
    stale = statutory_interest(E("1000"), D(2025, 8, 1), D(2026, 8, 1))
    assert any("newest commercial rate" in w for w in stale.warnings)
    # a new rate is a new row in the file, no code change
    extra = tmp_path / "rates.csv"
    extra.write_text(
        "kind,valid_from,rate_percent,source\n"
        "commercial,2025-07-01,10.15,published\n"
        "commercial,2026-01-01,9.00,hypothetical test row\n"
    )
    result = statutory_interest(E("1000"), D(2025, 12, 1), D(2026, 1, 31), rates=load_rates(extra))
    # 31 d x 10.15 % = 8.6205 -> 8.62; 30 d x 9 % = 7.3973 -> 7.40
    assert result.total == E("16.02")


def test_shipped_rates_have_a_source_per_row():
    rates = load_rates()
    assert {r.kind for r in rates} == {"commercial", "consumer"}
    assert all(r.source for r in rates)
    latest = {r.kind: r for r in rates}
    assert latest["commercial"].percent == E("10.15") and latest["consumer"].percent == E("4.00")
    assert latest["commercial"].valid_from == latest["consumer"].valid_from == D(2026, 1, 1)


def test_a_consumer_claim_over_2026_runs_at_4_percent():
    # wettelijke rente 6 % in December 2025, 4 % from 1 January 2026
    result = statutory_interest(E("1000"), D(2025, 12, 1), D(2026, 3, 1), "consumer")
    # 31 d x 6 % = 5.0959 -> 5.10; 59 d x 4 % = 6.4658 -> 6.47
    assert [(p.days, p.rate_percent, p.interest) for p in result.periods] == [
        (31, E("6.00"), E("5.10")),
        (59, E("4.00"), E("6.47")),
    ]
    assert result.total == E("11.57")


def test_yearly_capitalisation_from_29_february_counts_each_year_from_the_start():
    """Each year ends on the start's anniversary: 28 February in common years,
    29 February in leap years (not 28 February 2020 by chaining 28 February on)."""
    result = statutory_interest(E("1000"), D(2016, 2, 29), D(2021, 3, 1), "consumer")
    periods = result.periods
    pairs = zip(periods, periods[1:], strict=False)
    raised = [p.start for prev, p in pairs if p.principal != prev.principal]
    years = [(2017, 28), (2018, 28), (2019, 28), (2020, 29), (2021, 28)]
    assert raised == [D(year, 2, day) for year, day in years]
    # the fourth year runs 28 February 2019 - 29 February 2020: 366 days at 2 %
    fourth = [p for p in result.periods if D(2019, 2, 28) <= p.start < D(2020, 2, 29)]
    assert sum(p.days for p in fourth) == 366


def test_a_payment_after_the_claim_pays_costs_then_interest_then_principal():
    """Art. 6:44 BW, worked by hand (the README's example): EUR 1,000 in default from
    1 June 2024, claimed on 1 July with EUR 150 costs, EUR 1,000 paid on 15 July."""
    run = claim_run(E("1000"), D(2024, 6, 1), D(2024, 8, 1), payments=[(D(2024, 7, 15), E("1000"))],
                    costs=E("150"), claimed_on=D(2024, 7, 1), costs_from=D(2024, 7, 1))  # fmt: skip
    # interest up to the payment: 30 d x 12.50 % = 10.27, 14 d x 12.25 % = 4.70
    paid = run.payments[0]
    assert (paid.costs, paid.interest, paid.principal) == (E("150"), E("14.97"), E("835.03"))
    # then 164.97 runs on: 17 d x 12.25 % = 0.941 -> 0.94
    assert run.periods[-1].principal == E("164.97") and run.periods[-1].interest == E("0.94")
    assert (run.principal_left, run.interest_left, run.costs_left) == (
        E("164.97"), E("0.94"), E("0.00"))  # fmt: skip


def test_before_the_claim_a_payment_pays_the_principal_and_interest_follows_it():
    """Not yet claimed: the payment pays the principal; the interest runs on the 1,000 until
    the payment day and on the 400 left from it (a partial payment lowers the interest)."""
    run = claim_run(E("1000"), D(2024, 6, 1), D(2024, 7, 1), payments=[(D(2024, 6, 11), E("600"))],
                    costs=E("150"), claimed_on=None)  # fmt: skip
    assert run.payments[0].principal == E("600") and run.costs_left == E("150")
    # 10 d x 1,000 x 12.50 % = 3.42; 20 d x 400 = 2.74
    assert [p.interest for p in run.periods] == [E("3.42"), E("2.74")]
    assert (run.principal_left, run.interest_left) == (E("400"), E("6.16"))
    # a payment on the claim day itself counts as after the claim; costs not yet owed
    # (a consumer before the 14-day letter expired) are skipped: interest, then principal
    run = claim_run(E("1000"), D(2024, 6, 1), D(2024, 7, 1), payments=[(D(2024, 6, 11), E("600"))],
                    costs=E("150"), claimed_on=D(2024, 6, 11), costs_from=None)  # fmt: skip
    assert (run.payments[0].costs, run.payments[0].interest) == (E("0"), E("3.42"))
    assert run.principal_left == E("403.42") and run.costs_left == E("150")


def test_after_a_full_year_unpaid_interest_is_principal_and_a_payment_takes_it_first():
    year = claim_run(E("1000"), D(2024, 1, 1), D(2025, 2, 1), "consumer",
                     payments=[(D(2025, 1, 10), E("50"))], claimed_on=D(2024, 3, 1))  # fmt: skip
    capitalised = statutory_interest(E("1000"), D(2024, 1, 1), D(2025, 1, 1), "consumer").total
    paid = year.payments[0]
    assert capitalised == E("70.19") and (paid.interest, paid.principal) == (E("50"), E("0"))
    # the oldest interest (joined to the principal on 1 January) is paid first
    assert year.periods[-1].principal == E("1000") + capitalised - E("50")
    assert year.principal_left == E("1000")
