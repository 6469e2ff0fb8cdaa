-- The invoices open on $as_of, oldest due first, with what their forecast can say about them.
--
-- Out: invoice_id, client_id, outstanding, due_date, days_overdue, disputed, and
-- promised_date: the latest date of a promise to pay about the invoice still pending on
-- $as_of (promise_outcome_at), else NULL.
WITH
open_invoices AS (
    SELECT invoice_id, client_id, outstanding, due_date, $as_of - due_date AS days_overdue
    FROM invoice_settlement_at($as_of)
    WHERE outstanding > 0
),

pending_promises AS (
    SELECT invoice_id, max(promised_date) AS promised_date
    FROM promise_outcome_at($as_of)
    WHERE outcome = 'pending' AND invoice_id IS NOT NULL
    GROUP BY invoice_id
),

final AS (
    SELECT o.*, coalesce(i.disputed, false) AS disputed, p.promised_date
    FROM open_invoices AS o
    JOIN invoices AS i USING (invoice_id)
    LEFT JOIN pending_promises AS p USING (invoice_id)
)

SELECT * FROM final
ORDER BY due_date, invoice_id
