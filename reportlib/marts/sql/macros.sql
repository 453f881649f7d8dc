-- Desk status of an agent's active message at an instant (docs/metrics.md, Help-desk statuses).
CREATE OR REPLACE TEMP MACRO desk_status(final_status, sent, replied, instant) AS CASE
    WHEN final_status = 'failed' THEN 'failed'
    WHEN (replied IS NULL OR replied > sent + INTERVAL 24 HOUR)
         AND instant >= sent + INTERVAL 24 HOUR THEN 'expired'
    WHEN final_status = 'read' THEN 'read'
    WHEN final_status = 'delivered' THEN 'delivered'
    WHEN final_status = 'sent' THEN 'sent'
    ELSE 'sending' END;

-- An instant on one of the period's tenant-local days (from the local midnight that starts it
-- to the one after its last day): the same rows as its local day BETWEEN period_start AND
-- period_end, read without converting every instant of the tenant's history.
CREATE OR REPLACE TEMP MACRO in_period_ts(instant) AS
    instant >= getvariable('period_start_ts') AND instant < getvariable('period_end_ts');

-- The same, from a week before the period to a week after it: source coverage looks there
-- for whether a source had records as the period began, and for the ends of a run of days
-- without a record that crosses the period's first or last day (docs/metrics.md, "Coverage").
CREATE OR REPLACE TEMP MACRO in_period_and_week_around_ts(instant) AS
    instant >= getvariable('period_start_ts')::TIMESTAMPTZ - INTERVAL 7 DAY
    AND instant < getvariable('period_end_ts')::TIMESTAMPTZ + INTERVAL 7 DAY;

-- A source kind one of the bundle's reports reads (the `coverage_kinds` build_staging sets):
-- the coverage of no other is computed.
CREATE OR REPLACE TEMP MACRO in_coverage(kind) AS
    list_contains(getvariable('coverage_kinds'), kind);
