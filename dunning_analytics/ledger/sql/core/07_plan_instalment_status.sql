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

-- payment_plan_at(as_of, grace_days): one row per payment plan agreed on or before as_of:
-- contact_id, client_id, agreed_on, plan_status (running / broken / kept), instalments,
-- paid_count, its first broken instalment (broken_number, broken_due, broken_amount,
-- broken_deadline: due date plus grace) and its next pending one (next_number, next_due,
-- next_amount); NULL where there is none. What the worklist, the call sheet, the claim
-- statement and the letters say of a plan.
CREATE OR REPLACE MACRO payment_plan_at(as_of, grace_days) AS TABLE
WITH
plan_rows AS (
    SELECT * FROM plan_instalment_status_at(as_of, grace_days)
),

plans AS (
    SELECT
        contact_id, client_id, any_value(agreed_on) AS agreed_on,
        any_value(plan_status) AS plan_status, any_value(instalments) AS instalments,
        any_value(paid_count) AS paid_count,
        min(number) FILTER (WHERE status = 'broken') AS broken_number,
        min(number) FILTER (WHERE status = 'pending') AS next_number
    FROM plan_rows
    GROUP BY contact_id, client_id
),

final AS (
    SELECT p.*, b.due_date AS broken_due, b.amount AS broken_amount,
           b.deadline AS broken_deadline, n.due_date AS next_due, n.amount AS next_amount
    FROM plans AS p
    LEFT JOIN plan_rows AS b ON b.contact_id = p.contact_id AND b.number = p.broken_number
    LEFT JOIN plan_rows AS n ON n.contact_id = p.contact_id AND n.number = p.next_number
)

SELECT * FROM final;
