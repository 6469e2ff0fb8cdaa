-- aged_items(as_of_dates, boundaries, overdue_labels, basis[, only_client][, stored]): the open items
-- of receivable_items at each date, each placed in one aging bucket.
--   bucket_order 0              'not yet due' (due_date >= as_of), on any basis
--   bucket_order 1..n+1         overdue, by age in days: age <= boundaries[1],
--                               <= boundaries[2], ..., above the last boundary;
--                               age = as_of - due_date (basis 'due') or
--                               as_of - invoice_date (basis 'invoice')
--   bucket_order n+2            'unapplied credit' (negative)
-- overdue_labels holds the n+1 names of the overdue buckets.
-- Every open item is in exactly one bucket, so buckets add up to the balance.
-- stored := true reads the dates that are month ends of the ledger from the
-- month-end store (05_receivable_month_end.sql) and computes only the others;
-- items read from the store carry as_of, client_id, item_type, invoice_date,
-- due_date and outstanding, the rest NULL (what a trend needs).
CREATE OR REPLACE MACRO aged_items(
    as_of_dates, boundaries, overdue_labels, basis, only_client := NULL, stored := false
) AS TABLE
WITH
wanted AS (
    SELECT DISTINCT unnest(as_of_dates)::DATE AS as_of
),

from_store AS (
    SELECT as_of FROM wanted
    WHERE stored AND as_of IN (SELECT as_of FROM receivable_month_end_dates())
),

computed AS (
    SELECT * FROM receivable_items(
        (SELECT list(as_of) FROM wanted WHERE as_of NOT IN (SELECT as_of FROM from_store)),
        true,
        only_client := only_client,
        settled_dates := false
    )
    WHERE outstanding <> 0
),

items AS (
    SELECT * FROM computed
    UNION ALL BY NAME
    SELECT * FROM receivable_month_end
    WHERE as_of IN (SELECT as_of FROM from_store)
      AND (only_client IS NULL OR client_id = only_client)
),

aged AS (
    SELECT
        *,
        CASE WHEN basis = 'invoice' THEN as_of - invoice_date ELSE as_of - due_date END AS age_days
    FROM items
),

bucketed AS (
    SELECT
        *,
        CASE
            WHEN item_type = 'unapplied_credit' THEN len(boundaries) + 2
            WHEN due_date >= as_of THEN 0
            ELSE 1 + len(list_filter(boundaries, lambda b: b < age_days))
        END AS bucket_order
    FROM aged
),

final AS (
    -- no client names here: a caller that sums per client or per month joins
    -- clients to the sums, not to millions of items
    SELECT
        b.*,
        CASE
            WHEN bucket_order = 0 THEN 'not yet due'
            WHEN bucket_order = len(boundaries) + 2 THEN 'unapplied credit'
            ELSE overdue_labels[bucket_order]
        END AS bucket
    FROM bucketed AS b
)

SELECT * FROM final;
