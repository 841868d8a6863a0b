-- Schema step 4: webhook deliveries in a leaner table. Each event writes one delivery per
-- subscribed endpoint inside the API's own write, so every b-tree the row touches is paid for by
-- the request that made the event. The table is now keyed by its id alone (no rowid table beside
-- the key's index), and has no index on event_id: the deliveries of an event are never looked up
-- by it (retention deletes each endpoint's old deliveries through webhook_deliveries_endpoint,
-- then the events older than every delivery left). Five b-trees per row become three.
--
-- The runner applies steps with foreign keys off (SQLite's procedure for rebuilding a table that
-- others reference) and checks them before committing: dropping the old table does not cascade to
-- webhook_attempts, whose reference then names the new table.

CREATE TABLE webhook_deliveries_lean (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The event's id; its created_at equals this row's.
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- Attempts made by the automatic schedule (manual retries do not count).
    auto_attempts   INTEGER NOT NULL DEFAULT 0,
    -- When the next automatic attempt is due (server clock); NULL unless pending.
    next_attempt_at INTEGER,
    -- A manual retry asked for and not yet made.
    retry_requested INTEGER NOT NULL DEFAULT 0 CHECK (retry_requested IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO webhook_deliveries_lean
    (id, org_id, endpoint_id, event_id, event_type, status, auto_attempts, next_attempt_at,
     retry_requested, created_at, updated_at)
SELECT id, org_id, endpoint_id, event_id, event_type, status, auto_attempts, next_attempt_at,
       retry_requested, created_at, updated_at
FROM webhook_deliveries;

DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_lean RENAME TO webhook_deliveries;

-- The worker reads each endpoint's due deliveries apart, so that one endpoint's backlog never
-- hides another's.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_retry ON webhook_deliveries (retry_requested)
    WHERE retry_requested = 1;
-- Listing an endpoint's deliveries, deleting them with it, and retention.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
