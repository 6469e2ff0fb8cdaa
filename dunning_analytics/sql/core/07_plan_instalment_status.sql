-- plan_instalment_status_at(as_of, grace_days): one row per instalment of every payment plan
-- (betalingsregeling) agreed on or before as_of: a payment_plan contact and its rows in
-- plan_instalments. What the client paid from the day of the agreement counts towards
-- the instalments in order; instalment n is
--   paid    - the client paid at least the first n instalments' total by its due date plus
--             grace_days (or by as_of, when that is earlier);
--   broken  - its due date plus grace_days has passed (before as_of) without that;
--   pending - it is not due yet (with the grace) and not paid yet.
-- The plan (plan_status, on every row): broken when an instalment is, kept when all are
-- paid, else running. The invoices a plan covers: the client's invoices issued on or
-- before the agreement that were still open then.
CREATE OR REPLACE MACRO plan_instalment_status_at(as_of, grace_days) AS TABLE
WITH
plans AS (
    SELECT c.contact_id, c.client_id, c.contact_at::DATE AS agreed_on
    FROM contacts AS c
    WHERE c.kind = 'payment_plan' AND c.contact_at::DATE <= as_of
      AND c.contact_id IN (SELECT contact_id FROM plan_instalments)
),

instalments AS (
    SELECT
        p.contact_id, p.client_id, p.agreed_on, i.number, i.due_date, i.amount,
        sum(i.amount) OVER (PARTITION BY p.contact_id ORDER BY i.number) AS due_so_far,
        count(*) OVER (PARTITION BY p.contact_id) AS instalments,
        i.due_date + grace_days::INTEGER AS deadline
    FROM plans AS p
    JOIN plan_instalments AS i USING (contact_id)
),

paid_by_deadline AS (
    SELECT i.contact_id, i.number, coalesce(sum(pay.amount), 0) AS paid
    FROM instalments AS i
    LEFT JOIN payments AS pay
        ON pay.client_id = i.client_id
        AND pay.paid_date BETWEEN i.agreed_on AND least(i.deadline, as_of)
    GROUP BY i.contact_id, i.number
),

instalment_status AS (
    SELECT
        i.*,
        b.paid AS paid_by_deadline,
        CASE
            WHEN b.paid >= i.due_so_far THEN 'paid'
            WHEN i.deadline < as_of THEN 'broken'
            ELSE 'pending'
        END AS status
    FROM instalments AS i
    JOIN paid_by_deadline AS b USING (contact_id, number)
),

final AS (
    SELECT
        *,
        CASE
            WHEN bool_or(status = 'broken') OVER (PARTITION BY contact_id) THEN 'broken'
            WHEN bool_and(status = 'paid') OVER (PARTITION BY contact_id) THEN 'kept'
            ELSE 'running'
        END AS plan_status,
        count(*) FILTER (WHERE status = 'paid') OVER (PARTITION BY contact_id) AS paid_count
    FROM instalment_status
)

SELECT * FROM final ORDER BY contact_id, number;
