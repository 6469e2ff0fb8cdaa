-- client_payment_trend_at(as_of, first_quarter): the key payment figures per
-- client and per quarter of the due date, for invoices due from first_quarter
-- (a date in the first quarter) up to as_of; plus the portfolio as client_id
-- '(portfolio)'. Open invoices count with their days overdue so far (censored).
CREATE OR REPLACE MACRO client_payment_trend_at(as_of, first_quarter) AS TABLE
WITH
due_invoices AS (
    SELECT
        client_id,
        date_trunc('quarter', due_date)::DATE AS quarter_start,
        amount,
        settled_date,
        days_late,
        CASE
            WHEN settled_date IS NOT NULL THEN greatest(days_late, 0)
            ELSE as_of - due_date
        END AS lateness
    FROM invoice_settlement_at(as_of)
    WHERE due_date < as_of
      AND due_date >= date_trunc('quarter', first_quarter::DATE)
      AND amount > 0
),

per_quarter AS (
    SELECT
        coalesce(client_id, '(portfolio)') AS client_id,
        quarter_start,
        count(*) AS invoices_due,
        sum(amount) AS amount_due,
        count(*) FILTER (WHERE settled_date IS NULL) AS still_open,
        avg(CASE WHEN settled_date IS NOT NULL AND days_late <= 0 THEN 1.0 ELSE 0.0 END)
            AS on_time_share,
        sum(amount * lateness) / nullif(sum(amount), 0) AS weighted_lateness
    FROM due_invoices
    GROUP BY GROUPING SETS ((client_id, quarter_start), (quarter_start))
),

final AS (
    SELECT
        client_id,
        quarter_start,
        year(quarter_start) || 'Q' || quarter(quarter_start) AS quarter,
        invoices_due,
        amount_due::DECIMAL(18, 2) AS amount_due,
        still_open,
        on_time_share,
        weighted_lateness
    FROM per_quarter
)

SELECT * FROM final;
