-- The deposit flags as a ranking: what asking the first N clients to prepay would have
-- caught, for every N, beside the policy's own choice.
--
-- In: flag_outcome (flag_outcome.sql: per date and client, the score, whether the policy
-- flagged the client, and the revenue, late and collected amounts of the invoices issued
-- in the horizon).
-- Out: one row per step of the ranking (kind 'curve': clients with the same score step
-- together, most late days first) and one for the policy (kind 'policy'): clients flagged
-- per date, their share of the revenue of the invoices issued in the horizon, of the
-- amount paid late and of the amount sent to collection.
WITH
client_score AS (SELECT * FROM flag_outcome),

totals AS (
    SELECT
        sum(revenue) AS revenue,
        sum(late_amount) AS late_amount,
        nullif(sum(collection_amount), 0) AS collection_amount,
        count(DISTINCT as_of) AS dates
    FROM client_score
),

steps AS (
    SELECT
        round(score, 1) AS score,
        count(*) AS clients,
        sum(revenue) AS revenue,
        sum(late_amount) AS late_amount,
        sum(collection_amount) AS collection_amount
    FROM client_score
    WHERE known AND score > 0
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
