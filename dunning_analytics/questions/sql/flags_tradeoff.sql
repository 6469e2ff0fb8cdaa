-- The deposit flags as a ranking: what asking the first N clients to prepay would have
-- caught, for every N, beside the policy's own choice.
--
-- In: da_tradeoff_inputs(as_of, client_id, last_settled, last_late, last_late_avg_days,
-- broken_promises, flagged): what the rules knew on each date, and whether the policy
-- flagged the client (deposit or stricter); $horizon (months after each date), $late_days.
-- Out: one row per step of the ranking (kind 'curve': clients with the same score step
-- together, most late days first) and one for the policy (kind 'policy'): clients flagged
-- per date, their share of the revenue of the invoices issued in the horizon, of the
-- amount paid more than $late_days late (or still open that long past due at the
-- ledger's end) and of the amount sent to collection. The score: the average days late
-- over the client's last settled invoices (on time counts as 0; under 3 invoices, 0).
WITH
inputs AS (SELECT * FROM da_tradeoff_inputs),

dates AS (SELECT DISTINCT as_of FROM inputs),

ledger_end AS (
    SELECT greatest(
        (SELECT max(invoice_date) FROM invoices),
        (SELECT max(paid_date) FROM payments)
    ) AS end_date
),

outcome AS (
    SELECT
        s.client_id,
        s.invoice_date,
        s.amount,
        s.days_late > $late_days
            OR (
                s.settled_date IS NULL
                AND s.due_date + $late_days < (SELECT end_date FROM ledger_end)
            ) AS paid_late,
        s.invoice_id IN (
            SELECT invoice_id FROM contacts WHERE kind = 'collection'
        ) AS collected
    FROM invoice_settlement AS s
),

client_outcome AS (
    -- per date and client: the invoices issued in the horizon and how they were paid
    -- (clients who had no invoice yet on the date count in the totals only)
    SELECT
        d.as_of,
        o.client_id,
        sum(o.amount) AS revenue,
        coalesce(sum(o.amount) FILTER (WHERE o.paid_late), 0) AS late_amount,
        coalesce(sum(o.amount) FILTER (WHERE o.collected), 0) AS collection_amount
    FROM dates AS d
    JOIN outcome AS o
        ON o.invoice_date > d.as_of
        AND o.invoice_date <= d.as_of + INTERVAL ($horizon) MONTH
    GROUP BY ALL
),

totals AS (
    SELECT
        sum(revenue) AS revenue,
        sum(late_amount) AS late_amount,
        nullif(sum(collection_amount), 0) AS collection_amount,
        (SELECT count(*) FROM dates) AS dates
    FROM client_outcome
),

client_score AS (
    SELECT
        i.as_of,
        i.client_id,
        i.flagged,
        CASE WHEN i.last_settled >= 3
            THEN coalesce(i.last_late_avg_days, 0) * i.last_late / i.last_settled
            ELSE 0
        END AS score,
        coalesce(c.revenue, 0) AS revenue,
        coalesce(c.late_amount, 0) AS late_amount,
        coalesce(c.collection_amount, 0) AS collection_amount
    FROM inputs AS i
    LEFT JOIN client_outcome AS c USING (as_of, client_id)
),

steps AS (
    SELECT
        round(score, 1) AS score,
        count(*) AS clients,
        sum(revenue) AS revenue,
        sum(late_amount) AS late_amount,
        sum(collection_amount) AS collection_amount
    FROM client_score
    WHERE score > 0
    GROUP BY 1
),

curve AS (
    SELECT
        'curve' AS kind,
        score AS min_score,
        sum(s.clients) OVER running / t.dates AS clients_per_date,
        sum(s.revenue) OVER running / t.revenue AS revenue_share,
        sum(s.late_amount) OVER running / t.late_amount AS late_share,
        sum(s.collection_amount) OVER running / t.collection_amount AS collection_share
    FROM steps AS s, totals AS t
    WINDOW running AS (ORDER BY s.score DESC ROWS UNBOUNDED PRECEDING)
),

policy AS (
    SELECT
        'policy' AS kind,
        NULL::DOUBLE AS min_score,
        count(*) FILTER (WHERE c.flagged) / t.dates AS clients_per_date,
        coalesce(sum(c.revenue) FILTER (WHERE c.flagged), 0) / t.revenue AS revenue_share,
        coalesce(sum(c.late_amount) FILTER (WHERE c.flagged), 0) / t.late_amount AS late_share,
        coalesce(sum(c.collection_amount) FILTER (WHERE c.flagged), 0) / t.collection_amount
            AS collection_share
    FROM client_score AS c, totals AS t
    GROUP BY t.dates, t.revenue, t.late_amount, t.collection_amount
),

final AS (
    SELECT * FROM curve
    UNION ALL
    SELECT * FROM policy
)

SELECT
    kind,
    min_score,
    clients_per_date,
    revenue_share::DOUBLE AS revenue_share,
    late_share::DOUBLE AS late_share,
    collection_share::DOUBLE AS collection_share
FROM final
ORDER BY kind, revenue_share
