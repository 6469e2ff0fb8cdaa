-- receivable_items(as_of_dates, open_only[, only_client][, settled_since][, settled_dates]):
-- what every
-- client (or the one client only_client) owed, item by
-- item, at each date in the list as_of_dates. One row per (as_of, invoice) for
-- every invoice issued on or before as_of, plus one 'unapplied_credit' row per
-- client whose credit was not used up. With open_only, invoices already paid up
-- by direct money on that date are left out (what aging needs: far less work);
-- with settled_since, those dated on or before that day (what a window needs).
-- settled_dates := false leaves settled_date empty (a caller that keeps only
-- open items never needs it) and skips the work of finding it. The settled date
-- is the first day of the run of days, up to as_of, on which the invoice was not
-- open (receivable_settled_run): the day it last stopped being open.
--
-- As of a date, later invoices, credit notes and payments do not exist.
-- Reads the receivable index (00_receivable_index.sql) for what does not
-- depend on the date.
-- Money reaches an invoice in two ways:
--   1. directly: payments carrying its invoice_id, and credit notes carrying
--      it in credits_invoice_id;
--   2. through the client's credit pool: payments without a (known) invoice,
--      credit notes without a (known) invoice and what direct money paid
--      beyond its invoice (an overpayment) are applied to the
--      client's open invoices oldest due date first (ties: invoice date,
--      invoice id). What is left of the pool is the client's unapplied credit.
-- Outstanding amounts over all rows of a client sum to: invoices - credit
-- notes - payments, to the cent.
CREATE OR REPLACE MACRO receivable_items(
    as_of_dates, open_only, only_client := NULL, settled_since := NULL, settled_dates := true
) AS TABLE
WITH
snapshots AS (
    SELECT DISTINCT unnest(as_of_dates)::DATE AS as_of
),

known_invoices AS (
    -- the snapshots for which an invoice needs the full computation: from its
    -- invoice date until it is paid up (receivable_span: the receivable index)
    SELECT s.as_of, r.* EXCLUDE (paid_up_on, active_until)
    FROM snapshots AS s
    JOIN receivable_span AS r ON s.as_of >= r.invoice_date AND s.as_of < r.active_until
    WHERE only_client IS NULL OR r.client_id = only_client
),

settled_directly AS (
    -- invoices paid up by each snapshot: settled, nothing open (not with open_only)
    SELECT
        s.as_of,
        'invoice' AS item_type,
        r.client_id,
        r.invoice_id,
        r.invoice_date,
        r.due_date,
        r.amount,
        r.disputed,
        r.amount AS paid_direct,
        0::DECIMAL(18, 2) AS credit_applied,
        r.amount AS paid_amount,
        0::DECIMAL(18, 2) AS outstanding,
        r.paid_up_on
    FROM snapshots AS s
    JOIN receivable_span AS r ON s.as_of >= r.paid_up_on AND s.as_of >= r.invoice_date
    WHERE NOT open_only AND (only_client IS NULL OR r.client_id = only_client)
      AND (settled_since IS NULL OR r.invoice_date > settled_since)
),

direct_allocations AS (
    -- from the money side: the few invoices with part payments, not every known one
    SELECT s.as_of, d.invoice_id, d.invoice_amount, d.allocated_on, d.amount
    FROM snapshots AS s
    JOIN receivable_money AS d
        ON s.as_of >= d.allocated_on AND s.as_of >= d.invoice_date AND s.as_of < d.active_until
    WHERE only_client IS NULL OR d.client_id = only_client
),

credit_events AS (
    SELECT s.as_of, c.client_id, c.credited_on, c.amount
    FROM snapshots AS s
    JOIN receivable_credit AS c
        ON c.credited_on <= s.as_of AND (c.linked_from IS NULL OR c.linked_from > s.as_of)
    WHERE only_client IS NULL OR c.client_id = only_client
),

direct_totals AS (
    -- per (snapshot, invoice) with direct money: few rows, aggregated before the
    -- join; what exceeds the invoice is in the client's credit (receivable_credit)
    -- (back to DECIMAL(18, 2): the credit queue's running sum stays in 64-bit arithmetic)
    SELECT
        a.as_of,
        a.invoice_id,
        least(sum(a.amount), any_value(a.invoice_amount))::DECIMAL(18, 2) AS paid_direct
    FROM direct_allocations AS a
    GROUP BY a.as_of, a.invoice_id
),

invoice_direct AS (
    SELECT
        k.as_of,
        k.invoice_id,
        k.client_id,
        k.invoice_date,
        k.due_date,
        k.amount,
        k.disputed,
        k.queue_rank,
        coalesce(t.paid_direct, 0) AS paid_direct
    FROM known_invoices AS k
    LEFT JOIN direct_totals AS t ON t.as_of = k.as_of AND t.invoice_id = k.invoice_id
),

client_credit AS (
    SELECT as_of, client_id, sum(amount) AS credit_total
    FROM credit_events
    GROUP BY ALL
),

credit_queue AS (
    -- only clients with credit at the snapshot need the oldest-due-first queue
    SELECT
        d.as_of,
        d.client_id,
        d.invoice_id,
        c.credit_total,
        d.amount - d.paid_direct AS residual,
        sum(d.amount - d.paid_direct) OVER (
            PARTITION BY d.as_of, d.client_id
            ORDER BY d.queue_rank
            ROWS UNBOUNDED PRECEDING
        ) AS queue_end
    FROM invoice_direct AS d
    JOIN client_credit AS c ON c.as_of = d.as_of AND c.client_id = d.client_id
    WHERE d.amount - d.paid_direct > 0
),

credit_applied AS (
    SELECT
        as_of,
        client_id,
        invoice_id,
        residual,
        least(greatest(credit_total - (queue_end - residual), 0), residual) AS credit_applied
    FROM credit_queue
),

invoice_items AS (
    SELECT
        d.as_of,
        'invoice' AS item_type,
        d.client_id,
        d.invoice_id,
        d.invoice_date,
        d.due_date,
        d.amount,
        d.disputed,
        d.paid_direct,
        coalesce(a.credit_applied, 0) AS credit_applied,
        d.paid_direct + coalesce(a.credit_applied, 0) AS paid_amount,
        d.amount - d.paid_direct - coalesce(a.credit_applied, 0) AS outstanding
    FROM invoice_direct AS d
    LEFT JOIN credit_applied AS a ON a.as_of = d.as_of AND a.invoice_id = d.invoice_id
),

client_credit_used AS (
    SELECT as_of, client_id, sum(credit_applied) AS credit_used
    FROM credit_applied
    GROUP BY ALL
),

unapplied_credit_items AS (
    SELECT
        c.as_of,
        'unapplied_credit' AS item_type,
        c.client_id,
        NULL::VARCHAR AS invoice_id,
        NULL::DATE AS invoice_date,
        NULL::DATE AS due_date,
        0::DECIMAL(18, 2) AS amount,
        false AS disputed,
        0::DECIMAL(18, 2) AS paid_direct,
        0::DECIMAL(18, 2) AS credit_applied,
        0::DECIMAL(18, 2) AS paid_amount,
        -(c.credit_total - coalesce(u.credit_used, 0)) AS outstanding
    FROM client_credit AS c
    LEFT JOIN client_credit_used AS u ON u.as_of = c.as_of AND u.client_id = c.client_id
    WHERE c.credit_total - coalesce(u.credit_used, 0) <> 0
),

items AS (
    SELECT * FROM invoice_items
    UNION ALL BY NAME
    SELECT * FROM settled_directly
    UNION ALL BY NAME
    SELECT * FROM unapplied_credit_items
),

settled_runs AS (
    -- only the runs that began while direct money had not paid the invoice up
    -- (by_credit): an invoice still active holds no other, and one paid up directly
    -- is settled from the day it was paid up unless such a run held that day
    SELECT s.as_of, r.invoice_id, r.closed_from
    FROM snapshots AS s
    JOIN receivable_settled_run AS r ON s.as_of >= r.closed_from AND s.as_of < r.closed_until
    WHERE settled_dates AND r.by_credit
      AND (only_client IS NULL OR r.client_id = only_client)
),

final AS (
    SELECT
        i.* EXCLUDE (paid_up_on),
        CASE WHEN settled_dates THEN coalesce(r.closed_from, i.paid_up_on) END AS settled_date
    FROM items AS i
    LEFT JOIN settled_runs AS r ON r.as_of = i.as_of AND r.invoice_id = i.invoice_id
)

SELECT * FROM final;
