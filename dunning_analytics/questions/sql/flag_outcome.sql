-- What each client did after each backtest date: one row per date and client.
--
-- In: da_flag_history(as_of, client_id, last_settled, last_late, last_late_avg_days,
-- flagged), what the rules knew on each date and whether the policy flagged the client;
-- $horizon (months after each date), $late_days, $known_on (what is known on that day:
-- later invoices, payments and contacts are not looked at; NULL: the ledger's end).
-- Out: as_of, client_id, known (the client had an invoice by as_of), flagged, score (the
-- average days late over the last settled invoices, on time counting as 0; under 3
-- invoices, 0), and over the invoices issued in the horizon: invoices, revenue,
-- late_amount (paid more than $late_days late, or still open that long past due on the
-- known day) and collection_amount (sent to collection by then).
WITH
history AS (SELECT * FROM da_flag_history),

dates AS (SELECT DISTINCT as_of FROM history),

known_day AS (
    SELECT coalesce($known_on::DATE, greatest(
        (SELECT max(invoice_date) FROM invoices),
        (SELECT max(paid_date) FROM payments)
    )) AS known_on
),

invoice_outcome AS (
    SELECT
        s.client_id,
        s.invoice_id,
        s.invoice_date,
        s.amount,
        coalesce(s.settled_date <= k.known_on AND s.days_late > $late_days, false)
            OR (
                (s.settled_date IS NULL OR s.settled_date > k.known_on)
                AND s.due_date + $late_days < k.known_on
            ) AS paid_late,
        s.invoice_id IN (
            SELECT invoice_id FROM contacts
            WHERE kind = 'collection' AND contact_at::DATE <= k.known_on
        ) AS collected
    FROM invoice_settlement AS s, known_day AS k
    WHERE s.invoice_date <= k.known_on
),

client_outcome AS (
    SELECT
        d.as_of,
        o.client_id,
        count(*) AS invoices,
        sum(o.amount) AS revenue,
        coalesce(sum(o.amount) FILTER (WHERE o.paid_late), 0) AS late_amount,
        coalesce(sum(o.amount) FILTER (WHERE o.collected), 0) AS collection_amount
    FROM dates AS d
    JOIN invoice_outcome AS o
        ON o.invoice_date > d.as_of
        AND o.invoice_date <= d.as_of + INTERVAL ($horizon) MONTH
    GROUP BY ALL
),

final AS (
    -- clients with no invoice yet on the date count in the totals only
    SELECT
        coalesce(h.as_of, c.as_of) AS as_of,
        coalesce(h.client_id, c.client_id) AS client_id,
        h.client_id IS NOT NULL AS known,
        coalesce(h.flagged, false) AS flagged,
        CASE WHEN h.last_settled >= 3
            THEN coalesce(h.last_late_avg_days, 0) * h.last_late / h.last_settled
            ELSE 0
        END AS score,
        coalesce(c.invoices, 0) AS invoices,
        coalesce(c.revenue, 0) AS revenue,
        coalesce(c.late_amount, 0) AS late_amount,
        coalesce(c.collection_amount, 0) AS collection_amount
    FROM history AS h
    FULL JOIN client_outcome AS c USING (as_of, client_id)
)

SELECT * FROM final
