-- open_items(as_of): one row per item still open on as_of: invoices with an
-- outstanding amount (partly paid ones with what is left) and the client's
-- unapplied credit (negative). days_overdue = as_of - due_date (<= 0: not yet due).
CREATE OR REPLACE MACRO open_items(as_of) AS TABLE
WITH
items AS (
    SELECT * FROM receivable_items([as_of], true, settled_dates := false) WHERE outstanding <> 0
),

final AS (
    SELECT
        items.as_of AS as_of,
        item_type,
        client_id,
        invoice_id,
        invoice_date,
        due_date,
        amount,
        disputed,
        paid_amount,
        credit_applied,
        outstanding,
        as_of - due_date AS days_overdue,
        as_of - invoice_date AS days_since_invoice
    FROM items
)

SELECT * FROM final;
