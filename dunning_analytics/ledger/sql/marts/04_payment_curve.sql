-- payment_curve_at(as_of, window_days, max_day, by_dispute := false): the share of
-- the invoiced amount paid by day N after the due date (N from -30 to max_day), per
-- client and for the portfolio (client_id '(portfolio)'), over invoices dated in the
-- window and due by as_of; `invoices`: how many invoices the curve rests on. With
-- by_dispute, disputed and undisputed invoices get curves of their own (column
-- `disputed`; without it always false): a disputed invoice is paid weeks later, and
-- mixing the two makes a client's undisputed invoices look later than they are.
--
-- Amount-weighted Kaplan-Meier: an invoice paid on day t is an event at t (t
-- below -30 counts as -30); an open invoice is censored at its days overdue
-- so far: it counts as unpaid up to that day and is then no longer at risk.
-- So open invoices are neither dropped nor counted as paid.
CREATE OR REPLACE MACRO payment_curve_at(as_of, window_days, max_day, by_dispute := false) AS TABLE
WITH
due_invoices AS (
    SELECT
        client_id,
        by_dispute AND coalesce(disputed, false) AS disputed,
        amount,
        settled_date IS NOT NULL AS paid,
        greatest(coalesce(days_late, as_of - due_date), -30) AS t
    FROM invoice_settlement_at(as_of)
    WHERE due_date <= as_of
      AND invoice_date > as_of - window_days::INTEGER
      AND amount > 0
),

per_day AS (
    SELECT
        coalesce(client_id, '(portfolio)') AS client_id,
        disputed,
        t,
        coalesce(sum(amount) FILTER (WHERE paid), 0) AS paid_amount,
        sum(amount) AS leaving_amount
    FROM due_invoices
    GROUP BY GROUPING SETS ((client_id, disputed, t), (disputed, t))
),

at_risk AS (
    SELECT
        *,
        sum(leaving_amount) OVER (PARTITION BY client_id, disputed ORDER BY t DESC
            ROWS UNBOUNDED PRECEDING) AS risk_amount
    FROM per_day
),

survival AS (
    SELECT
        client_id,
        disputed,
        t,
        exp(sum(ln(greatest(1 - paid_amount / risk_amount, 1e-12)))
            OVER (PARTITION BY client_id, disputed ORDER BY t ROWS UNBOUNDED PRECEDING))
            AS unpaid_share
    FROM at_risk
),

client_invoices AS (
    -- how many invoices each curve rests on (forecasts weigh a client's curve by it)
    SELECT coalesce(client_id, '(portfolio)') AS client_id, disputed, count(*) AS invoices
    FROM due_invoices
    GROUP BY GROUPING SETS ((client_id, disputed), (disputed))
),

grid AS (
    SELECT c.client_id, c.disputed, d.day
    FROM (SELECT DISTINCT client_id, disputed FROM survival) AS c
    CROSS JOIN (SELECT unnest(range(-30, max_day + 1)) AS day) AS d
),

final AS (
    SELECT
        g.client_id,
        g.disputed,
        g.day,
        1 - coalesce(s.unpaid_share, 1) AS paid_share,
        n.invoices
    FROM grid AS g
    ASOF LEFT JOIN survival AS s
        ON s.client_id = g.client_id AND s.disputed = g.disputed AND g.day >= s.t
    JOIN client_invoices AS n ON n.client_id = g.client_id AND n.disputed = g.disputed
)

SELECT * FROM final;
