-- The receivable index: what every as-of computation starts from, computed
-- live from the ledger's tables by these views. The loader stores them as the
-- tables receivable_span, receivable_money and receivable_credit after every
-- load (ledger.refresh_index), so aging does not recompute 10 million
-- settlements per question; a ledger changed by hand is recomputed or read
-- live (ledger.ensure_index).

-- money that names a receivable: its payments and its credit notes
CREATE OR REPLACE VIEW receivable_direct_money_live AS
WITH
receivables AS (
    SELECT invoice_id, invoice_date FROM invoices WHERE amount >= 0
),

final AS (
    SELECT p.invoice_id, p.paid_date AS allocated_on, p.amount
    FROM payments AS p
    JOIN receivables AS r USING (invoice_id)
    UNION ALL
    SELECT c.credits_invoice_id, c.invoice_date, -c.amount
    FROM invoices AS c
    JOIN receivables AS r ON r.invoice_id = c.credits_invoice_id
    WHERE c.amount < 0
)

SELECT * FROM final;

-- one row per receivable (invoice, not credit note) with the day it was paid
-- up by direct money that only ever added up (paid_up_on; NULL if never):
-- from that day on it owes nothing and takes no credit, whatever else happens.
-- active_until: the first day it needs no computation (paid_up_on or infinity).
-- queue_rank: its place in the client's credit queue (oldest due date first;
-- ties: invoice date, invoice id), a number that sorts faster than those three.
CREATE OR REPLACE VIEW receivable_span_live AS
WITH
receivables AS (
    SELECT * FROM invoices WHERE amount >= 0
),

direct_money AS (
    SELECT * FROM receivable_direct_money_live
),

paid_up AS (
    SELECT r.invoice_id, max(d.allocated_on) AS paid_up_on
    FROM receivables AS r
    JOIN direct_money AS d USING (invoice_id)
    GROUP BY r.invoice_id, r.amount
    HAVING sum(d.amount) = r.amount AND min(d.amount) > 0
),

final AS (
    SELECT
        r.invoice_id,
        r.client_id,
        r.invoice_date,
        r.due_date,
        r.amount,
        r.disputed,
        u.paid_up_on,
        coalesce(u.paid_up_on, 'infinity'::DATE) AS active_until,
        row_number() OVER (
            PARTITION BY r.client_id ORDER BY r.due_date, r.invoice_date, r.invoice_id
        ) AS queue_rank
    FROM receivables AS r
    LEFT JOIN paid_up AS u USING (invoice_id)
)

SELECT * FROM final;

-- the direct money an as-of computation can see: only what arrives before the
-- receivable is paid up (a single payment in full is never needed), with what
-- it needs of its receivable, so that a computation starts from the money
CREATE OR REPLACE VIEW receivable_money_live AS
WITH
spans AS (
    SELECT invoice_id, client_id, invoice_date, amount, active_until FROM receivable_span_live
),

final AS (
    SELECT
        d.invoice_id,
        s.client_id,
        s.invoice_date,
        s.amount AS invoice_amount,
        s.active_until,
        d.allocated_on,
        d.amount
    FROM receivable_direct_money_live AS d
    JOIN spans AS s USING (invoice_id)
    WHERE d.allocated_on < s.active_until
)

SELECT * FROM final;

-- money that is (at some dates) not tied to a known receivable: unallocated
-- payments, unlinked credit notes, and money dated before its invoice
-- (linked_from: the day it becomes direct money of its invoice)
CREATE OR REPLACE VIEW receivable_credit_live AS
WITH
receivables AS (
    SELECT invoice_id, invoice_date FROM invoices WHERE amount >= 0
),

final AS (
    SELECT p.client_id, p.paid_date AS credited_on, p.amount, r.invoice_date AS linked_from
    FROM payments AS p
    LEFT JOIN receivables AS r USING (invoice_id)
    WHERE r.invoice_date IS NULL OR r.invoice_date > p.paid_date
    UNION ALL
    SELECT c.client_id, c.invoice_date, -c.amount, r.invoice_date
    FROM invoices AS c
    LEFT JOIN receivables AS r ON r.invoice_id = c.credits_invoice_id
    WHERE c.amount < 0 AND (r.invoice_date IS NULL OR r.invoice_date > c.invoice_date)
)

SELECT * FROM final;
