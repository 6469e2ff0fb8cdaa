-- invoice_settlement_at(as_of): one row per invoice (credit notes excluded)
-- issued on or before as_of, with what was paid by then and when it was
-- settled (with settled_since: invoices paid up by then and dated on or before
-- settled_since are left out). days_to_pay = settled_date - invoice_date; days_late =
-- settled_date - due_date (negative when paid early); both NULL while open.
CREATE OR REPLACE MACRO invoice_settlement_at(as_of, settled_since := NULL) AS TABLE
WITH
items AS (
    SELECT * FROM receivable_items([as_of], false, settled_since := settled_since)
    WHERE item_type = 'invoice'
),

final AS (
    SELECT
        invoice_id,
        client_id,
        invoice_date,
        due_date,
        amount,
        disputed,
        paid_direct,
        credit_applied,
        paid_amount,
        outstanding,
        settled_date,
        settled_date - invoice_date AS days_to_pay,
        settled_date - due_date AS days_late
    FROM items
)

SELECT * FROM final;

-- invoice_settlement: the same, with everything the ledger knows.
CREATE OR REPLACE VIEW invoice_settlement AS
SELECT * FROM invoice_settlement_at(DATE '9999-12-31');
