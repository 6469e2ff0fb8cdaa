-- client_risk_fires(n, p): whether each rule fires for a row n of the rule numbers
-- (client_risk_rules_at's columns without the fires_) under the thresholds in p,
-- as a struct of fires_<rule> columns (SELECT n.*, unnest(client_risk_fires(n, p))).
CREATE OR REPLACE MACRO client_risk_fires(n, p) AS {
    'fires_new_client':
        n.settled_invoices < p['new_min_settled'] OR n.client_age_days < p['new_days'],
    'fires_chronic_late': coalesce(
        n.last_settled >= 3
        AND n.last_late >= p['chronic_share'] * n.last_settled
        AND n.last_late_avg_days >= p['chronic_days'],
        false
    ),
    'fires_deteriorating': coalesce(n.slowing AND n.lateness_change >= p['slowing_days'], false),
    -- oldest_overdue_days is 0 when nothing is overdue (else at least 1)
    'fires_overdue_now':
        n.oldest_overdue_days > 0 AND n.oldest_overdue_days >= p['overdue_days'],
    'fires_broken_promise': n.broken_promises >= greatest(p['promise_min'], 1),
    'fires_formal_notice': n.formal_notices > 0,
    'fires_collection': n.collections > 0,
    'fires_open_dispute': n.open_disputed > 0,
    'fires_credit_limit':
        coalesce(n.credit_limit > 0 AND n.open_exposure > n.credit_limit, false),
    'fires_concentration':
        n.portfolio_revenue > 0 AND n.revenue_share >= p['concentration_share']
};

-- client_risk_rules_at(as_of, p): one row per client with an invoice on or
-- before as_of: the numbers every prepayment rule looks at, and whether each
-- rule fires under the thresholds in the struct p (see data/policy.toml):
--   p['new_min_settled'], p['new_days'], p['chronic_last'], p['chronic_share'],
--   p['chronic_days'], p['slowing_days'], p['overdue_days'], p['promise_months'],
--   p['promise_min'], p['notice_months'], p['collection_months'],
--   p['concentration_share'].
-- Only what was known on as_of is used.
CREATE OR REPLACE MACRO client_risk_rules_at(as_of, p) AS TABLE
WITH
profile AS (
    SELECT * FROM client_payment_profile_at(
        as_of, 365, [7, 30, 60], 3, p['slowing_days'],
        quantiles := false, contacts := false, promises := false
    )
),

open_invoices AS (
    SELECT * FROM receivable_items([as_of], true, settled_dates := false)
    WHERE item_type = 'invoice' AND outstanding > 0
),

settled_on_the_day AS NOT MATERIALIZED (
    -- every invoice settled on as_of: the run of days it was not open holds as_of
    -- (the settled date receivable_items gives), read from the index alone
    SELECT client_id, invoice_id, closed_from AS settled_date, closed_from - due_date AS days_late
    FROM receivable_settled_run
    WHERE closed_from <= as_of AND closed_until > as_of AND invoice_date <= as_of
),

lifetime AS (
    -- how many invoices each client has settled, and the chronic_last-th latest day
    -- one was settled on (max's top-n of a date: one pass, no sort)
    SELECT
        client_id,
        count(*) AS lifetime_settled,
        list_min(max(settled_date, p['chronic_last'])) AS last_days_from
    FROM settled_on_the_day
    GROUP BY client_id
),

last_settled AS (
    -- the last chronic_last settled invoices (latest settled first, ties: the higher
    -- invoice id), ranked among the few settled on or after that day
    SELECT s.client_id, s.days_late
    FROM settled_on_the_day AS s
    JOIN lifetime AS l ON l.client_id = s.client_id AND s.settled_date >= l.last_days_from
    QUALIFY row_number() OVER (
        PARTITION BY s.client_id ORDER BY s.settled_date DESC, s.invoice_id DESC
    ) <= p['chronic_last']
),

chronic AS (
    SELECT
        client_id,
        count(*) AS last_settled,
        count(*) FILTER (WHERE days_late > 0) AS last_late,
        coalesce(avg(days_late) FILTER (WHERE days_late > 0), 0) AS last_late_avg_days
    FROM last_settled
    GROUP BY client_id
),

promises AS (
    SELECT client_id, count(*) AS broken_promises, max(promised_date) AS last_broken_date
    FROM promise_outcome_at(as_of)
    WHERE outcome = 'broken'
      AND promised_on > as_of - INTERVAL (p['promise_months']) MONTH
    GROUP BY client_id
),

escalations AS (
    SELECT
        client_id,
        count(*) FILTER (
            WHERE kind IN ('formal_notice', 'fourteen_day_letter')
              AND contact_at > as_of - INTERVAL (p['notice_months']) MONTH
        ) AS formal_notices,
        max(contact_at::DATE) FILTER (
            WHERE kind IN ('formal_notice', 'fourteen_day_letter')
              AND contact_at > as_of - INTERVAL (p['notice_months']) MONTH
        ) AS last_notice_date,
        count(*) FILTER (
            WHERE kind = 'collection'
              AND contact_at > as_of - INTERVAL (p['collection_months']) MONTH
        ) AS collections,
        max(contact_at::DATE) FILTER (
            WHERE kind = 'collection'
              AND contact_at > as_of - INTERVAL (p['collection_months']) MONTH
        ) AS last_collection_date
    FROM contacts
    WHERE contact_at::DATE <= as_of
    GROUP BY client_id
),

disputes AS (
    SELECT client_id, count(*) AS open_disputed, sum(outstanding) AS disputed_amount
    FROM open_invoices
    WHERE disputed
    GROUP BY client_id
),

revenue_share AS (
    SELECT
        client_id,
        revenue / nullif(sum(revenue) OVER (), 0) AS revenue_share,
        sum(revenue) OVER () AS portfolio_revenue
    FROM profile
),

rule_numbers AS (
    -- the numbers every rule looks at (a caller may keep them and fire other thresholds
    -- on them: client_risk_fires)
    SELECT
        f.client_id,
        f.name,
        f.kind,
        f.first_invoice_date,
        f.client_age_days,
        coalesce(l.lifetime_settled, 0) AS settled_invoices,
        f.revenue,
        f.open_exposure,
        f.overdue_amount,
        f.credit_limit,
        f.grade,
        f.recent_lateness,
        f.earlier_lateness,
        f.lateness_change,
        coalesce(f.oldest_overdue_days, 0) AS oldest_overdue_days,
        coalesce(c.last_settled, 0) AS last_settled,
        coalesce(c.last_late, 0) AS last_late,
        c.last_late_avg_days,
        coalesce(pr.broken_promises, 0) AS broken_promises,
        pr.last_broken_date,
        coalesce(e.formal_notices, 0) AS formal_notices,
        e.last_notice_date,
        coalesce(e.collections, 0) AS collections,
        e.last_collection_date,
        coalesce(d.open_disputed, 0) AS open_disputed,
        coalesce(d.disputed_amount, 0) AS disputed_amount,
        coalesce(r.revenue_share, 0) AS revenue_share,
        coalesce(r.portfolio_revenue, 0) AS portfolio_revenue,
        f.slowing
    FROM profile AS f
    LEFT JOIN lifetime AS l USING (client_id)
    LEFT JOIN chronic AS c USING (client_id)
    LEFT JOIN promises AS pr USING (client_id)
    LEFT JOIN escalations AS e USING (client_id)
    LEFT JOIN disputes AS d USING (client_id)
    LEFT JOIN revenue_share AS r USING (client_id)
),

final AS (
    SELECT n.*, unnest(client_risk_fires(n, p))
    FROM rule_numbers AS n
)

SELECT * FROM final;
