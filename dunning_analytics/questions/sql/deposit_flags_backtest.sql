-- What the deposit flags would have caught: one row per as-of date.
--
-- In: da_backtest_flags(as_of, client_id), the clients flagged on each date with what was
-- known then; $dates, $horizon (months after each date), $late_days.
-- Out: as_of, flagged_clients, revenue of the invoices issued in the horizon and the
-- flagged clients' part, the amount paid more than $late_days late (or still open that
-- long past due at the ledger's end) and the amount sent to collection, each with the
-- flagged part, their shares, and lift = late share / revenue share.
WITH
dates AS (SELECT unnest($dates)::DATE AS as_of),
ledger_end AS (
    SELECT greatest(
        (SELECT max(invoice_date) FROM invoices),
        (SELECT max(paid_date) FROM payments)
    ) AS end_date
),
outcome AS (
    SELECT s.*, s.days_late > $late_days
        OR (
            s.settled_date IS NULL
            AND s.due_date + $late_days < (SELECT end_date FROM ledger_end)
        ) AS paid_late,
        s.invoice_id IN (
            SELECT invoice_id FROM contacts WHERE kind = 'collection'
        ) AS collected
    FROM invoice_settlement AS s
),
future AS (
    SELECT d.as_of, o.*, f.client_id IS NOT NULL AS flagged
    FROM dates AS d
    JOIN outcome AS o
        ON o.invoice_date > d.as_of
        AND o.invoice_date <= d.as_of + INTERVAL ($horizon) MONTH
    LEFT JOIN da_backtest_flags AS f
        ON f.as_of = d.as_of AND f.client_id = o.client_id
),
final AS (
    SELECT
        as_of,
        (SELECT count(*) FROM da_backtest_flags AS b WHERE b.as_of = future.as_of)
            AS flagged_clients,
        sum(amount) AS revenue,
        coalesce(sum(amount) FILTER (WHERE flagged), 0) AS flagged_revenue,
        coalesce(sum(amount) FILTER (WHERE paid_late), 0) AS late_amount,
        coalesce(sum(amount) FILTER (WHERE paid_late AND flagged), 0)
            AS flagged_late_amount,
        coalesce(sum(amount) FILTER (WHERE collected), 0) AS collection_amount,
        coalesce(sum(amount) FILTER (WHERE collected AND flagged), 0)
            AS flagged_collection_amount
    FROM future
    GROUP BY as_of
)
SELECT
    *,
    flagged_revenue / nullif(revenue, 0) AS revenue_share,
    flagged_late_amount / nullif(late_amount, 0) AS late_share,
    flagged_collection_amount / nullif(collection_amount, 0) AS collection_share,
    (flagged_late_amount / nullif(late_amount, 0))
        / nullif(flagged_revenue / nullif(revenue, 0), 0) AS lift
FROM final
ORDER BY as_of
