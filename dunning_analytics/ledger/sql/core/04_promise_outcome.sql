-- promise_outcome_at(as_of): one row per promise to pay made on or before as_of.
-- outcome:
--   kept    - a promise on an invoice: the invoice was settled on or before the
--             promised date; a promise without an invoice: the client paid at
--             least the promised amount between the promise and the promised date;
--   broken  - the promised date has passed (before as_of) without that: paid
--             after the promised date, or not at all;
--   pending - the promised date is as_of or later and the promise is not kept yet;
--   no date - the promise names no date.
CREATE OR REPLACE MACRO promise_outcome_at(as_of) AS TABLE
WITH
promises AS (
    SELECT contact_id, client_id, invoice_id, contact_at::DATE AS promised_on,
           promised_date, promised_amount
    FROM contacts
    WHERE kind = 'promise_to_pay' AND contact_at::DATE <= as_of
),

settlement AS (
    -- the settled date as of as_of of every invoice not open then (receivable_items)
    SELECT invoice_id, closed_from AS settled_date
    FROM receivable_settled_run
    WHERE as_of >= closed_from AND as_of < closed_until
      AND invoice_id IN (SELECT invoice_id FROM promises)
),

client_paid AS (
    SELECT pr.contact_id, coalesce(sum(p.amount), 0) AS paid_in_time
    FROM promises AS pr
    LEFT JOIN payments AS p
        ON p.client_id = pr.client_id
        AND p.paid_date BETWEEN pr.promised_on AND least(pr.promised_date, as_of)
    WHERE pr.invoice_id IS NULL
    GROUP BY pr.contact_id
),

final AS (
    SELECT
        pr.*,
        s.settled_date,
        CASE
            WHEN pr.promised_date IS NULL THEN 'no date'
            WHEN pr.invoice_id IS NOT NULL AND s.settled_date <= pr.promised_date THEN 'kept'
            WHEN pr.invoice_id IS NULL AND cp.paid_in_time >= coalesce(pr.promised_amount, 0.01)
                THEN 'kept'
            WHEN pr.promised_date < as_of THEN 'broken'
            ELSE 'pending'
        END AS outcome
    FROM promises AS pr
    LEFT JOIN settlement AS s USING (invoice_id)
    LEFT JOIN client_paid AS cp USING (contact_id)
)

SELECT * FROM final;
