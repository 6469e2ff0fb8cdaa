-- What the deposit flags would have caught: one row per as-of date.
--
-- In: flag_outcome (flag_outcome.sql: per date and client, flagged or not, and the
-- revenue, late and collected amounts of the invoices issued in the horizon).
-- Out: as_of, flagged_clients, revenue of the invoices issued in the horizon and the
-- flagged clients' part, the amount paid late and the amount sent to collection, each
-- with the flagged part, their shares, and lift = late share / revenue share. A date
-- without invoices after it has no row.
WITH
per_date AS (
    SELECT
        as_of,
        count(*) FILTER (WHERE flagged) AS flagged_clients,
        sum(invoices) AS invoices,
        sum(revenue) AS revenue,
        sum(revenue) FILTER (WHERE flagged) AS flagged_revenue,
        sum(late_amount) AS late_amount,
        sum(late_amount) FILTER (WHERE flagged) AS flagged_late_amount,
        sum(collection_amount) AS collection_amount,
        sum(collection_amount) FILTER (WHERE flagged) AS flagged_collection_amount
    FROM flag_outcome
    GROUP BY as_of
),

final AS (
    SELECT
        as_of,
        flagged_clients,
        revenue,
        coalesce(flagged_revenue, 0) AS flagged_revenue,
        late_amount,
        coalesce(flagged_late_amount, 0) AS flagged_late_amount,
        collection_amount,
        coalesce(flagged_collection_amount, 0) AS flagged_collection_amount
    FROM per_date
    WHERE invoices > 0
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
