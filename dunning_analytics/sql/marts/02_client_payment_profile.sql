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
CREATE OR REPLACE MACRO client_payment_profile_at(
    as_of, window_days, grade_bands, min_invoices, slowing_days
) AS TABLE
WITH
settlement AS (
    -- every invoice of the window, and every one still open or settled by credit
    SELECT * FROM invoice_settlement_at(as_of, settled_since := as_of - window_days::INTEGER)
),

spans AS (
    SELECT * FROM receivable_span WHERE invoice_date <= as_of
),

window_invoices AS (
    SELECT *,
        CASE
            WHEN settled_date IS NOT NULL THEN greatest(days_late, 0)
            WHEN due_date < as_of THEN as_of - due_date
        END AS lateness
    FROM settlement
    WHERE invoice_date > as_of - window_days::INTEGER
),

lifetime AS (
    SELECT client_id, min(invoice_date) AS first_invoice_date, count(*) AS lifetime_invoices
    FROM spans
    GROUP BY client_id
),

open_position AS (
    SELECT
        client_id,
        sum(outstanding) AS open_exposure,
        coalesce(sum(outstanding) FILTER (WHERE due_date < as_of), 0) AS overdue_amount,
        max(as_of - due_date) FILTER (WHERE due_date < as_of) AS oldest_overdue_days
    FROM settlement
    WHERE outstanding <> 0
    GROUP BY client_id
),

window_totals AS (
    SELECT
        client_id,
        count(*) AS invoices,
        sum(amount) AS revenue,
        count(*) FILTER (WHERE settled_date IS NOT NULL) AS settled_invoices,
        count(*) FILTER (WHERE due_date < as_of OR settled_date IS NOT NULL) AS due_invoices,
        count(*) FILTER (WHERE disputed) AS disputed_invoices
    FROM window_invoices
    GROUP BY client_id
),

settled_behaviour AS (
    SELECT
        client_id,
        count(*) FILTER (WHERE days_late > 0) AS paid_late,
        avg(CASE WHEN days_late <= 0 THEN 1.0 ELSE 0.0 END) AS on_time_share,
        avg(greatest(days_late, 0)) AS avg_days_late,
        sum(amount * greatest(days_late, 0)) / nullif(sum(amount), 0) AS weighted_days_late,
        median(days_to_pay) AS median_days_to_pay,
        quantile_cont(days_to_pay, 0.9) AS p90_days_to_pay,
        max(days_late) AS worst_days_late
    FROM window_invoices
    WHERE settled_date IS NOT NULL
    GROUP BY client_id
),

lateness_incl_open AS (
    SELECT
        client_id,
        sum(amount * lateness) / nullif(sum(amount), 0) AS weighted_lateness,
        sum(amount * lateness) FILTER (WHERE recent)
            / nullif(sum(amount) FILTER (WHERE recent), 0) AS recent_lateness,
        count(*) FILTER (WHERE recent) AS recent_invoices,
        sum(amount * lateness) FILTER (WHERE due_date <= as_of - 120)
            / nullif(sum(amount) FILTER (WHERE due_date <= as_of - 120), 0) AS earlier_lateness
    FROM (
        SELECT *, due_date > as_of - 120 AND due_date <= as_of - 30 AS recent
        FROM window_invoices
    )
    WHERE lateness IS NOT NULL
    GROUP BY client_id
),

window_contacts AS (
    -- contacts up to the day their invoice was settled (paid up, or as settlement says)
    SELECT c.*, coalesce(s.settled_date, p.paid_up_on) AS settled_date
    FROM contacts AS c
    LEFT JOIN settlement AS s USING (invoice_id)
    LEFT JOIN spans AS p ON p.invoice_id = c.invoice_id AND p.paid_up_on <= as_of
    WHERE c.contact_at::DATE <= as_of
      AND c.contact_at::DATE > as_of - window_days::INTEGER
      AND (coalesce(s.settled_date, p.paid_up_on) IS NULL
           OR c.contact_at::DATE <= coalesce(s.settled_date, p.paid_up_on))
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
    WHERE promised_on > as_of - window_days::INTEGER
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
        coalesce(b.paid_late, 0) AS paid_late,
        b.on_time_share,
        b.avg_days_late,
        b.weighted_days_late,
        b.median_days_to_pay,
        b.p90_days_to_pay,
        b.worst_days_late,
        w.weighted_lateness AS weighted_lateness_incl_open,
        w.recent_lateness,
        w.earlier_lateness,
        w.recent_lateness - w.earlier_lateness AS lateness_change,
        coalesce(
            w.recent_invoices >= 2 AND w.recent_lateness - w.earlier_lateness >= slowing_days,
            false
        ) AS slowing,
        coalesce(o.open_exposure, 0)::DECIMAL(18, 2) AS open_exposure,
        coalesce(o.overdue_amount, 0)::DECIMAL(18, 2) AS overdue_amount,
        o.oldest_overdue_days,
        CASE WHEN coalesce(t.revenue, 0) > 0
            THEN round(coalesce(o.open_exposure, 0) / t.revenue * window_days, 1)
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
            WHEN w.weighted_lateness <= grade_bands[1] THEN 'A'
            WHEN w.weighted_lateness <= grade_bands[2] THEN 'B'
            WHEN w.weighted_lateness <= grade_bands[3] THEN 'C'
            ELSE 'D'
        END AS grade
    FROM clients AS c
    JOIN lifetime AS l USING (client_id)
    LEFT JOIN window_totals AS t USING (client_id)
    LEFT JOIN settled_behaviour AS b USING (client_id)
    LEFT JOIN lateness_incl_open AS w USING (client_id)
    LEFT JOIN open_position AS o USING (client_id)
    LEFT JOIN contact_counts AS k USING (client_id)
    LEFT JOIN promise_counts AS p USING (client_id)
)

SELECT * FROM final;
