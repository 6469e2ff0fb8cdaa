-- portfolio_kpis(period_starts, period_ends): one row per period [start, end]
-- (the lists pair up).
--   sales            invoices and credit notes dated in the period (net credit sales)
--   opening_ar       receivables at the day before the period starts
--   closing_ar       receivables at the period end (incl. unapplied credit)
--   closing_current  closing receivables not yet due
--   dso              closing_ar / sales * days
--   best_dso         closing_current / sales * days
--   add_days         dso - best_dso (average days delinquent)
--   cei              (opening_ar + sales - closing_ar)
--                    / (opening_ar + sales - closing_current) * 100
--   countback_dso    days of the most recent sales, counted back month by month
--                    from the period end, that the closing receivables equal; a
--                    period ending mid-month counts that month's part first, with
--                    its own days and the sales dated in it up to the period end
CREATE OR REPLACE MACRO portfolio_kpis(period_starts, period_ends) AS TABLE
WITH
periods AS (
    SELECT unnest(period_starts)::DATE AS period_start, unnest(period_ends)::DATE AS period_end
),

snapshot_dates AS (
    SELECT list(DISTINCT d) AS dates FROM (
        SELECT period_end AS d FROM periods
        UNION ALL
        SELECT period_start - 1 FROM periods
    )
),

receivables AS (
    SELECT
        as_of,
        sum(outstanding) AS ar,
        coalesce(sum(outstanding) FILTER (
            WHERE item_type = 'invoice' AND due_date >= as_of
        ), 0) AS current_ar
    FROM receivable_items((SELECT dates FROM snapshot_dates), true, settled_dates := false)
    GROUP BY as_of
),

sales AS (
    SELECT p.period_end, coalesce(sum(i.amount), 0) AS sales
    FROM periods AS p
    LEFT JOIN invoices AS i ON i.invoice_date BETWEEN p.period_start AND p.period_end
    GROUP BY p.period_end
),

daily_sales AS (
    SELECT invoice_date, sum(amount) AS sales FROM invoices GROUP BY invoice_date
),

period_months AS (
    -- every calendar month up to each period end; the period end's own month runs
    -- only to the period end (a part month: its own days and sales)
    SELECT
        p.period_end,
        m::DATE AS month_start,
        least(last_day(m), p.period_end) AS step_end
    FROM periods AS p,
        (SELECT date_trunc('month', min(invoice_date)) AS first_month FROM invoices) AS f,
        generate_series(f.first_month, date_trunc('month', p.period_end), INTERVAL 1 MONTH) AS t(m)
),

step_sales AS (
    SELECT
        m.period_end,
        m.month_start,
        m.step_end - m.month_start + 1 AS month_days,
        coalesce(sum(d.sales), 0) AS sales
    FROM period_months AS m
    LEFT JOIN daily_sales AS d ON d.invoice_date BETWEEN m.month_start AND m.step_end
    GROUP BY ALL
),

countback_steps AS (
    SELECT
        s.period_end,
        s.month_days,
        s.sales,
        coalesce(c.ar, 0) AS ar,
        coalesce(sum(s.sales) OVER (
            PARTITION BY s.period_end ORDER BY s.month_start DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS later_sales
    FROM step_sales AS s
    LEFT JOIN receivables AS c ON c.as_of = s.period_end
),

countback AS (
    SELECT
        period_end,
        sum(CASE
            WHEN later_sales >= ar THEN 0
            WHEN later_sales + sales <= ar OR sales <= 0 THEN month_days
            ELSE month_days * (ar - later_sales) / sales
        END) AS countback_dso
    FROM countback_steps
    GROUP BY period_end
),

final AS (
    SELECT
        p.period_start,
        p.period_end,
        p.period_end - p.period_start + 1 AS days,
        s.sales::DECIMAL(18, 2) AS sales,
        coalesce(o.ar, 0)::DECIMAL(18, 2) AS opening_ar,
        coalesce(c.ar, 0)::DECIMAL(18, 2) AS closing_ar,
        coalesce(c.current_ar, 0)::DECIMAL(18, 2) AS closing_current,
        CASE WHEN s.sales > 0
            THEN coalesce(c.ar, 0) / s.sales * (p.period_end - p.period_start + 1) END AS dso,
        CASE WHEN s.sales > 0
            THEN coalesce(c.current_ar, 0) / s.sales * (p.period_end - p.period_start + 1)
        END AS best_dso,
        CASE WHEN s.sales > 0
            THEN (coalesce(c.ar, 0) - coalesce(c.current_ar, 0)) / s.sales
                 * (p.period_end - p.period_start + 1)
        END AS add_days,
        CASE WHEN coalesce(o.ar, 0) + s.sales - coalesce(c.current_ar, 0) <> 0
            THEN (coalesce(o.ar, 0) + s.sales - coalesce(c.ar, 0))
                 / (coalesce(o.ar, 0) + s.sales - coalesce(c.current_ar, 0)) * 100
        END AS cei,
        b.countback_dso
    FROM periods AS p
    JOIN sales AS s USING (period_end)
    LEFT JOIN receivables AS c ON c.as_of = p.period_end
    LEFT JOIN receivables AS o ON o.as_of = p.period_start - 1
    LEFT JOIN countback AS b USING (period_end)
)

SELECT * FROM final ORDER BY period_end;
