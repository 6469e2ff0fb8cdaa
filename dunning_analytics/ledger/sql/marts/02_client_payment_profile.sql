-- client_payment_profile_at(as_of, window_days, grade_bands, min_invoices, slowing_days):
-- one row per client with an invoice on or before as_of: how the client pays.
--
-- The window is the invoices dated in (as_of - window_days, as_of]. Lateness
-- counts early payment as 0 days late. "Lateness incl. open" also counts every
-- open invoice past its due date with the days overdue so far (a lower bound:
-- open invoices are censored, never dropped), so a client that stops paying
-- does not look punctual. The grade uses that, amount-weighted:
--   A <= grade_bands[1] days, B <= grade_bands[2], C <= grade_bands[3], D above;
--   'new' when fewer than min_invoices invoices in the window are due.
-- Trend: invoices due in the recent quarter (due 120 to 30 days before as_of,
-- so each had a month to be paid) against those due earlier in the window;
-- slowing when the recent figure is at least slowing_days higher.
-- Four groups of measures can be left out by a caller that does not read them
-- (client_profiles(measures=...)); their columns are then NULL or 0, not computed:
--   quantiles := false  median_days_to_pay, p90_days_to_pay
--   contacts := false   service_calls .. payment_plans, disputes_logged
--   promises := false   promises_made, promises_kept, promises_broken
--   position := false   open_exposure, overdue_amount, oldest_overdue_days, dso_days
CREATE OR REPLACE MACRO client_payment_profile_at(
    as_of, window_days, grade_bands, min_invoices, slowing_days,
    quantiles := true, contacts := true, promises := true, position := true
) AS TABLE
WITH
settlement AS (
    -- every invoice of the window, and every one still open or settled by credit
    SELECT * FROM invoice_settlement_at(as_of, settled_since := as_of - window_days::INTEGER)
),

window_invoices AS (
    SELECT *,
        settled_date IS NOT NULL AS settled,
        CASE
            WHEN settled_date IS NOT NULL THEN greatest(days_late, 0)
            WHEN due_date < as_of THEN as_of - due_date
        END AS lateness,
        due_date > as_of - 120 AND due_date <= as_of - 30 AS recent,
        due_date <= as_of - 120 AS earlier,
        -- the weight of the amount-weighted days: whole cents as DOUBLE, exact (below
        -- 2^53), so the weighted sums are exact and far cheaper than 128-bit decimals
        (amount * 100)::DOUBLE AS cents
    FROM settlement
    WHERE invoice_date > as_of - window_days::INTEGER
),

lifetime AS (
    SELECT client_id, min(invoice_date) AS first_invoice_date, count(*) AS lifetime_invoices
    FROM receivable_span
    WHERE invoice_date <= as_of
    GROUP BY client_id
),

open_position AS (
    SELECT
        client_id,
        sum(outstanding) AS open_exposure,
        coalesce(sum(outstanding) FILTER (WHERE due_date < as_of), 0) AS overdue_amount,
        max(as_of - due_date) FILTER (WHERE due_date < as_of) AS oldest_overdue_days
    FROM settlement
    WHERE position AND outstanding <> 0
    GROUP BY client_id
),

window_behaviour AS (
    -- one pass over the window's invoices: totals, settled behaviour, and
    -- lateness including open invoices
    SELECT
        client_id,
        count(*) AS invoices,
        sum(amount) AS revenue,
        count(*) FILTER (WHERE settled) AS settled_invoices,
        count(*) FILTER (WHERE due_date < as_of OR settled) AS due_invoices,
        count(*) FILTER (WHERE disputed) AS disputed_invoices,
        count(*) FILTER (WHERE settled AND days_late > 0) AS paid_late,
        avg(CASE WHEN days_late <= 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE settled)
            AS on_time_share,
        avg(greatest(days_late, 0)) FILTER (WHERE settled) AS avg_days_late,
        sum(cents * greatest(days_late, 0)) FILTER (WHERE settled)
            / nullif(sum(cents) FILTER (WHERE settled), 0) AS weighted_days_late,
        max(days_late) FILTER (WHERE settled) AS worst_days_late,
        sum(cents * lateness) / nullif(sum(cents) FILTER (WHERE lateness IS NOT NULL), 0)
            AS weighted_lateness,
        sum(cents * lateness) FILTER (WHERE recent)
            / nullif(sum(cents) FILTER (WHERE recent AND lateness IS NOT NULL), 0)
            AS recent_lateness,
        count(*) FILTER (WHERE recent AND lateness IS NOT NULL) AS recent_invoices,
        sum(cents * lateness) FILTER (WHERE earlier)
            / nullif(sum(cents) FILTER (WHERE earlier AND lateness IS NOT NULL), 0)
            AS earlier_lateness,
        quantile_cont(days_to_pay, [0.5, 0.9]) FILTER (WHERE settled AND quantiles)
            AS days_to_pay_quantiles
    FROM window_invoices
    GROUP BY client_id
),

contacts_in_window AS (
    SELECT client_id, kind, invoice_id, contact_at::DATE AS contact_on
    FROM contacts
    WHERE contacts
      AND contact_at::DATE <= as_of AND contact_at::DATE > as_of - window_days::INTEGER
),

contact_invoice_settled AS (
    -- the day each invoice a contact names was settled as of as_of: the first day of
    -- its run of days not open that holds as_of (the settled date settlement gives)
    SELECT invoice_id, closed_from AS settled_date
    FROM receivable_settled_run
    WHERE contacts AND closed_from <= as_of AND closed_until > as_of
      AND invoice_id IN (SELECT invoice_id FROM contacts_in_window)
),

window_contacts AS (
    -- contacts up to the day their invoice was settled
    SELECT c.client_id, c.kind
    FROM contacts_in_window AS c
    LEFT JOIN contact_invoice_settled AS s USING (invoice_id)
    WHERE s.settled_date IS NULL OR c.contact_on <= s.settled_date
),

contact_counts AS (
    SELECT
        client_id,
        count(*) FILTER (WHERE kind = 'service_call') AS service_calls,
        count(*) FILTER (WHERE kind = 'reminder') AS reminders,
        count(*) FILTER (WHERE kind = 'call') AS calls,
        count(*) FILTER (WHERE kind IN ('formal_notice', 'fourteen_day_letter')) AS formal_notices,
        count(*) FILTER (WHERE kind = 'collection') AS collections,
        count(*) FILTER (WHERE kind = 'payment_plan') AS payment_plans,
        count(*) FILTER (WHERE kind = 'dispute') AS disputes_logged
    FROM window_contacts
    GROUP BY client_id
),

promise_outcomes AS (
    SELECT * FROM promise_outcome_at(as_of)
    WHERE promises AND promised_on > as_of - window_days::INTEGER
),

promise_counts AS (
    SELECT
        client_id,
        count(*) AS promises_made,
        count(*) FILTER (WHERE outcome = 'kept') AS promises_kept,
        count(*) FILTER (WHERE outcome = 'broken') AS promises_broken
    FROM promise_outcomes
    GROUP BY client_id
),

final AS (
    SELECT
        c.client_id,
        c.name,
        c.kind,
        c.payment_term_days,
        c.credit_limit,
        l.first_invoice_date,
        as_of - l.first_invoice_date AS client_age_days,
        l.lifetime_invoices,
        coalesce(t.invoices, 0) AS invoices,
        coalesce(t.revenue, 0)::DECIMAL(18, 2) AS revenue,
        coalesce(t.settled_invoices, 0) AS settled_invoices,
        coalesce(t.due_invoices, 0) AS due_invoices,
        coalesce(t.paid_late, 0) AS paid_late,
        t.on_time_share,
        t.avg_days_late,
        t.weighted_days_late,
        t.days_to_pay_quantiles[1]::DOUBLE AS median_days_to_pay,
        t.days_to_pay_quantiles[2]::DOUBLE AS p90_days_to_pay,
        t.worst_days_late,
        t.weighted_lateness AS weighted_lateness_incl_open,
        t.recent_lateness,
        t.earlier_lateness,
        t.recent_lateness - t.earlier_lateness AS lateness_change,
        coalesce(
            t.recent_invoices >= 2 AND t.recent_lateness - t.earlier_lateness >= slowing_days,
            false
        ) AS slowing,
        coalesce(o.open_exposure, 0)::DECIMAL(18, 2) AS open_exposure,
        coalesce(o.overdue_amount, 0)::DECIMAL(18, 2) AS overdue_amount,
        o.oldest_overdue_days,
        -- the days of sales the balance equals, counted over the days the client has had
        -- invoices in the window: a client invoiced 10 days ago is not "365 days" behind
        CASE WHEN coalesce(t.revenue, 0) > 0
            THEN round(
                coalesce(o.open_exposure, 0) / t.revenue
                * least(window_days, as_of - l.first_invoice_date + 1),
                1
            )
        END AS dso_days,
        coalesce(k.service_calls, 0) AS service_calls,
        coalesce(k.reminders, 0) AS reminders,
        coalesce(k.calls, 0) AS calls,
        coalesce(k.formal_notices, 0) AS formal_notices,
        coalesce(k.collections, 0) AS collections,
        coalesce(k.payment_plans, 0) AS payment_plans,
        coalesce(p.promises_made, 0) AS promises_made,
        coalesce(p.promises_kept, 0) AS promises_kept,
        coalesce(p.promises_broken, 0) AS promises_broken,
        coalesce(t.disputed_invoices, 0) AS disputed_invoices,
        coalesce(k.disputes_logged, 0) AS disputes_logged,
        CASE
            WHEN coalesce(t.due_invoices, 0) < min_invoices THEN 'new'
            WHEN t.weighted_lateness <= grade_bands[1] THEN 'A'
            WHEN t.weighted_lateness <= grade_bands[2] THEN 'B'
            WHEN t.weighted_lateness <= grade_bands[3] THEN 'C'
            ELSE 'D'
        END AS grade
    FROM clients AS c
    JOIN lifetime AS l USING (client_id)
    LEFT JOIN window_behaviour AS t USING (client_id)
    LEFT JOIN open_position AS o USING (client_id)
    LEFT JOIN contact_counts AS k USING (client_id)
    LEFT JOIN promise_counts AS p USING (client_id)
)

SELECT * FROM final;
