-- The month-end store: the open items at every month end of the ledger, kept by
-- every load next to the receivable index (ledger.refresh_index), so that a
-- month-end aging trend reads them instead of recomputing dozens of dates.

-- receivable_month_end_dates(): one row per month end from the month of the
-- first invoice to the month of the latest invoice or payment.
CREATE OR REPLACE MACRO receivable_month_end_dates() AS TABLE
WITH
bounds AS (
    SELECT
        min(invoice_date) AS first_day,
        greatest(max(invoice_date), (SELECT max(paid_date) FROM payments)) AS last_day
    FROM invoices
),

final AS (
    SELECT last_day(m)::DATE AS as_of
    FROM bounds,
        generate_series(date_trunc('month', first_day), last_day, INTERVAL 1 MONTH) AS t(m)
)

SELECT * FROM final;

-- one row per open item at each of those month ends: what a trend needs of it
CREATE OR REPLACE VIEW receivable_month_end_live AS
WITH
month_ends AS (
    SELECT list(as_of ORDER BY as_of) AS dates FROM receivable_month_end_dates()
),

final AS (
    SELECT as_of, client_id, item_type, invoice_date, due_date, outstanding
    FROM receivable_items((SELECT dates FROM month_ends), true, settled_dates := false)
    WHERE outstanding <> 0
)

SELECT * FROM final;
