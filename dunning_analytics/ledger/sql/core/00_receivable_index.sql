-- The receivable index: what every as-of computation starts from, computed
-- live from the ledger's tables by these views. The loader stores them as the
-- tables receivable_span, receivable_money and receivable_credit after every
-- load (ledger.refresh_index), so aging does not recompute 10 million
-- settlements per question; a ledger changed by hand is recomputed or read
-- live (ledger.ensure_index).

-- money that names a receivable: its payments and its credit notes, with the
-- day it counts for the receivable (counts_from: money dated before its invoice
-- waits in the client's credit pool until the invoice exists)
CREATE OR REPLACE VIEW receivable_direct_money_live AS
WITH
receivables AS (
    SELECT invoice_id, client_id, invoice_date, amount AS invoice_amount
    FROM invoices WHERE amount >= 0
),

money AS (
    SELECT p.invoice_id, p.paid_date AS allocated_on, p.amount
    FROM payments AS p
    UNION ALL
    SELECT c.credits_invoice_id, c.invoice_date, -c.amount
    FROM invoices AS c
    WHERE c.amount < 0
),

final AS (
    SELECT
        m.invoice_id,
        r.client_id,
        r.invoice_date,
        r.invoice_amount,
        m.allocated_on,
        greatest(m.allocated_on, r.invoice_date) AS counts_from,
        m.amount
    FROM money AS m
    JOIN receivables AS r USING (invoice_id)
)

SELECT * FROM final;

-- per receivable and day its direct money changed: the direct money to date, and
-- what of it exceeds the receivable (excess: the client's credit, not a negative debt)
CREATE OR REPLACE VIEW receivable_direct_running_live AS
WITH
daily AS (
    SELECT invoice_id, client_id, invoice_amount, counts_from, sum(amount) AS amount
    FROM receivable_direct_money_live
    GROUP BY ALL
),

running AS (
    SELECT
        *,
        sum(amount) OVER (
            PARTITION BY invoice_id ORDER BY counts_from ROWS UNBOUNDED PRECEDING
        ) AS paid_to_date
    FROM daily
),

final AS (
    SELECT *, greatest(paid_to_date - invoice_amount, 0) AS excess
    FROM running
)

SELECT * FROM final;

-- one row per receivable (invoice, not credit note) with the day it was paid
-- up by direct money that only ever added up (paid_up_on; NULL if never):
-- from that day on it owes nothing and takes no credit, whatever else happens
-- (what is paid beyond it is the client's credit: receivable_credit).
-- active_until: the first day it needs no computation (paid_up_on or infinity).
-- queue_rank: its place in the client's credit queue (oldest due date first;
-- ties: invoice date, invoice id), a number that sorts faster than those three.
CREATE OR REPLACE VIEW receivable_span_live AS
WITH
receivables AS (
    SELECT * FROM invoices WHERE amount >= 0
),

only_added AS (
    SELECT invoice_id
    FROM receivable_direct_money_live
    GROUP BY invoice_id
    HAVING min(amount) > 0
),

paid_up AS (
    SELECT d.invoice_id, min(d.counts_from) AS paid_up_on
    FROM receivable_direct_running_live AS d
    SEMI JOIN only_added AS o USING (invoice_id)
    WHERE d.paid_to_date >= d.invoice_amount
    GROUP BY d.invoice_id
),

final AS (
    SELECT
        r.invoice_id,
        r.client_id,
        r.invoice_date,
        r.due_date,
        r.amount,
        r.disputed,
        u.paid_up_on,
        coalesce(u.paid_up_on, 'infinity'::DATE) AS active_until,
        row_number() OVER (
            PARTITION BY r.client_id ORDER BY r.due_date, r.invoice_date, r.invoice_id
        ) AS queue_rank
    FROM receivables AS r
    LEFT JOIN paid_up AS u USING (invoice_id)
)

SELECT * FROM final;

-- the direct money an as-of computation can see: only what counts before the
-- receivable is paid up (a single payment in full is never needed), with what
-- it needs of its receivable, so that a computation starts from the money.
-- allocated_on: the day it counts for the receivable (counts_from above).
-- (receivable_money_of(span): with the spans from the table or view of that name; the live
-- view reads the live spans, a full rebuild the span table just built)
CREATE OR REPLACE MACRO receivable_money_of(span_source) AS TABLE
WITH
spans AS (
    SELECT invoice_id, active_until FROM query_table(span_source)
),

final AS (
    SELECT
        d.invoice_id,
        d.client_id,
        d.invoice_date,
        d.invoice_amount,
        s.active_until,
        d.counts_from AS allocated_on,
        d.amount
    FROM receivable_direct_money_live AS d
    JOIN spans AS s USING (invoice_id)
    WHERE d.counts_from < s.active_until
)

SELECT * FROM final;

CREATE OR REPLACE VIEW receivable_money_live AS
SELECT * FROM receivable_money_of('receivable_span_live');

-- money that is (at some dates) not tied to a known receivable: unallocated
-- payments, unlinked credit notes, money dated before its invoice (linked_from:
-- the day it becomes direct money of its invoice), and what direct money pays
-- beyond its receivable (an overpayment: a change of the excess on the day it
-- happens, negative when a reversal takes it back)
CREATE OR REPLACE VIEW receivable_credit_live AS
WITH
receivables AS (
    SELECT invoice_id, invoice_date FROM invoices WHERE amount >= 0
),

excess_changes AS (
    SELECT
        client_id,
        counts_from AS credited_on,
        excess - coalesce(
            lag(excess) OVER (PARTITION BY invoice_id ORDER BY counts_from), 0
        ) AS amount
    FROM receivable_direct_running_live
),

final AS (
    SELECT p.client_id, p.paid_date AS credited_on, p.amount, r.invoice_date AS linked_from
    FROM payments AS p
    LEFT JOIN receivables AS r USING (invoice_id)
    WHERE r.invoice_date IS NULL OR r.invoice_date > p.paid_date
    UNION ALL
    SELECT c.client_id, c.invoice_date, -c.amount, r.invoice_date
    FROM invoices AS c
    LEFT JOIN receivables AS r ON r.invoice_id = c.credits_invoice_id
    WHERE c.amount < 0 AND (r.invoice_date IS NULL OR r.invoice_date > c.invoice_date)
    UNION ALL
    SELECT client_id, credited_on, amount, NULL::DATE
    FROM excess_changes
    WHERE amount <> 0
)

SELECT * FROM final;

-- The settled runs: per receivable, the stretches of days on which it was not
-- open (nothing left to pay as of that day), from the whole history. As of a day,
-- later data does not exist, so a day's status never changes after the fact; an
-- invoice's settled date as of a day is the first day of the run holding that day
-- (the day it last stopped being open), NULL when it is open. Each run carries its
-- receivable's client, dates and by_credit: the run began while direct money had
-- not paid the receivable up (the client's credit covered it), so a caller that
-- needs only some invoices' runs can find the others cheaply.
-- A receivable's status can only change on a day something happens to it: its
-- invoice date, its direct money, and for a client with a credit pool, any day
-- the client's invoices, money or credit change or an invoice is paid up (those
-- move the pool).
-- Most receivables need none of the day-by-day work: one of a client without credit,
-- paid up by direct money that only added up (amount above zero), is open before its
-- paid_up_on and closed from then on (before it, its money had not reached its amount;
-- no credit can cover it): its one run is [paid_up_on, infinity), not by credit. Only
-- the others (a credit-pool client's, never paid up, a reversal, a zero amount) are
-- checked day by day.
-- receivable_settled_runs(span, money, credit) reads the spans, money and credit from the
-- tables or views of those names: the live views below, or the rows just built for the
-- same receivables (ledger.index_source: a full rebuild's tables, an update's temporary
-- tables), which it need not compute again.
CREATE OR REPLACE MACRO receivable_settled_runs(span_source, money_source, credit_source) AS TABLE
WITH
all_spans AS (
    SELECT invoice_id, client_id, invoice_date, due_date, amount, queue_rank, active_until
    FROM query_table(span_source)
),

credit_changes AS (
    SELECT client_id, credited_on AS day, amount FROM query_table(credit_source)
    UNION ALL
    SELECT client_id, linked_from, -amount FROM query_table(credit_source)
    WHERE linked_from IS NOT NULL
),

pool_clients AS (
    SELECT DISTINCT client_id FROM credit_changes
),

money_invoices AS (
    SELECT DISTINCT invoice_id FROM query_table(money_source)
),

-- pooled: the receivable's client has a credit pool; has_money: it has direct money before
-- it is paid up; plain: one run from paid_up_on, no day-by-day check (see above)
pooled_spans AS (
    SELECT
        s.*,
        p.client_id IS NOT NULL AS pooled,
        m.invoice_id IS NOT NULL AS has_money,
        p.client_id IS NULL AND s.active_until < 'infinity'::DATE AND s.amount > 0 AS plain
    FROM all_spans AS s
    LEFT JOIN pool_clients AS p USING (client_id)
    LEFT JOIN money_invoices AS m USING (invoice_id)
),

paid_up_plainly AS (
    SELECT * FROM pooled_spans WHERE plain
),

spans AS (
    SELECT * FROM pooled_spans WHERE NOT plain
),

-- the direct money before each receivable is paid up (all a check day can see: every check
-- day lies before that), summed per day and running
money_running AS (
    SELECT
        invoice_id,
        client_id,
        day,
        sum(amount) OVER (
            PARTITION BY invoice_id ORDER BY day ROWS UNBOUNDED PRECEDING
        ) AS paid_to_date
    FROM (
        SELECT invoice_id, client_id, allocated_on AS day, sum(amount) AS amount
        FROM query_table(money_source)
        SEMI JOIN spans USING (invoice_id)
        GROUP BY ALL
    )
),

money_days AS (
    SELECT invoice_id, client_id, day FROM money_running
),

client_days AS (
    SELECT client_id, invoice_date AS day FROM spans WHERE pooled
    UNION
    SELECT client_id, active_until FROM spans WHERE pooled AND active_until < 'infinity'::DATE
    UNION
    SELECT client_id, day FROM money_days SEMI JOIN pool_clients USING (client_id)
    UNION
    SELECT client_id, day FROM credit_changes
),

-- each (receivable, day) to check once, with what the check needs of the receivable: its
-- invoice date; its money days after it (a pool client's are among its client days); its
-- client's days (only a pool client has them)
checked AS (
    SELECT invoice_id, client_id, invoice_date AS day, queue_rank, pooled, has_money, amount
    FROM spans
    WHERE invoice_date < active_until
    UNION ALL
    SELECT s.invoice_id, s.client_id, m.day, s.queue_rank, s.pooled, s.has_money, s.amount
    FROM money_days AS m
    JOIN spans AS s USING (invoice_id)
    WHERE NOT s.pooled AND m.day > s.invoice_date
    UNION ALL
    SELECT s.invoice_id, s.client_id, c.day, s.queue_rank, s.pooled, s.has_money, s.amount
    FROM spans AS s
    JOIN client_days AS c
        ON c.client_id = s.client_id AND c.day > s.invoice_date AND c.day < s.active_until
),

-- what is left to pay of a receivable on a check day (one without direct money: all of it)
residuals AS (
    SELECT
        c.invoice_id,
        c.client_id,
        c.day,
        c.queue_rank,
        c.pooled,
        c.amount - least(coalesce(m.paid_to_date, 0), c.amount) AS residual
    FROM (SELECT * FROM checked WHERE has_money) AS c
    ASOF LEFT JOIN money_running AS m
        ON m.invoice_id = c.invoice_id AND c.day >= m.day
    UNION ALL
    SELECT invoice_id, client_id, day, queue_rank, pooled, amount
    FROM checked
    WHERE NOT has_money
),

-- a pool client's credit to date, on each day it changed
pool_running AS (
    SELECT client_id, day, sum(amount) OVER (
        PARTITION BY client_id ORDER BY day ROWS UNBOUNDED PRECEDING
    ) AS pool
    FROM (SELECT client_id, day, sum(amount) AS amount FROM credit_changes GROUP BY ALL)
),

-- a pool client's credit on each of its days (every check day of its invoices is one)
client_day_pool AS (
    SELECT c.client_id, c.day, p.pool
    FROM client_days AS c
    ASOF JOIN pool_running AS p ON p.client_id = c.client_id AND c.day >= p.day
),

queued AS (
    -- only a pool client's invoices can be covered by credit
    SELECT
        q.*,
        sum(q.residual) OVER (
            PARTITION BY q.client_id, q.day ORDER BY q.queue_rank ROWS UNBOUNDED PRECEDING
        ) AS queue_end
    FROM residuals AS q
    WHERE q.pooled AND q.residual > 0
),

statuses AS (
    -- paid by its direct money, or (a pool client's) covered by the credit pool
    SELECT invoice_id, day, true AS closed FROM residuals WHERE residual <= 0
    UNION ALL
    SELECT invoice_id, day, false FROM residuals WHERE NOT pooled AND residual > 0
    UNION ALL
    SELECT q.invoice_id, q.day, coalesce(p.pool >= q.queue_end, false)
    FROM queued AS q
    LEFT JOIN client_day_pool AS p USING (client_id, day)
    UNION ALL
    -- paid up by direct money: closed from then on
    SELECT invoice_id, active_until, true FROM spans WHERE active_until < 'infinity'::DATE
),

changes AS (
    SELECT invoice_id, day, closed
    FROM (
        SELECT *, lag(closed) OVER (PARTITION BY invoice_id ORDER BY day) AS closed_before
        FROM statuses
    )
    WHERE closed_before IS NULL OR closed <> closed_before
),

runs AS (
    SELECT
        invoice_id,
        day AS closed_from,
        coalesce(
            lead(day) OVER (PARTITION BY invoice_id ORDER BY day), 'infinity'::DATE
        ) AS closed_until,
        closed
    FROM changes
),

final AS (
    SELECT
        r.invoice_id,
        s.client_id,
        s.invoice_date,
        s.due_date,
        r.closed_from,
        r.closed_until,
        r.closed_from < s.active_until AS by_credit
    FROM runs AS r
    JOIN spans AS s USING (invoice_id)
    WHERE r.closed
    UNION ALL
    SELECT
        invoice_id,
        client_id,
        invoice_date,
        due_date,
        active_until,
        'infinity'::DATE,
        false
    FROM paid_up_plainly
)

SELECT * FROM final;

CREATE OR REPLACE VIEW receivable_settled_run_live AS
SELECT * FROM receivable_settled_runs(
    'receivable_span_live', 'receivable_money_live', 'receivable_credit_live'
);
