-- What the clients each rule picked out did afterwards: one row per rule that fired, and
-- one ('all') for every client.
--
-- In: flag_outcome (flag_outcome.sql) and da_flag_history with a fires_<rule> column per
-- rule (what fired on each date).
-- Out: rule, client_dates (how often it fired over all dates), revenue and late_amount of
-- those clients' invoices issued in the horizon after each date, and late_rate (late
-- amount over revenue).
WITH
outcome AS (SELECT * FROM flag_outcome),

fired AS (
    UNPIVOT (SELECT as_of, client_id, COLUMNS('^fires_') FROM da_flag_history)
    ON COLUMNS('^fires_') INTO NAME rule VALUE fires
),

per_rule AS (
    SELECT
        replace(f.rule, 'fires_', '') AS rule,
        count(*) AS client_dates,
        sum(o.revenue) AS revenue,
        sum(o.late_amount) AS late_amount
    FROM fired AS f
    JOIN outcome AS o USING (as_of, client_id)
    WHERE f.fires
    GROUP BY 1
),

everyone AS (
    SELECT
        'all' AS rule,
        count(*) FILTER (WHERE known) AS client_dates,
        sum(revenue) AS revenue,
        sum(late_amount) AS late_amount
    FROM outcome
),

final AS (
    SELECT * FROM per_rule
    UNION ALL
    SELECT * FROM everyone
)

SELECT *, (late_amount / nullif(revenue, 0))::DOUBLE AS late_rate
FROM final
ORDER BY rule
