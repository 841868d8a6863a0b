-- Schema step 6: the delivery's status check without an IN list. SQLite evaluates a CHECK on every
-- INSERT and UPDATE of the row, and an IN list of three or more constants is evaluated through a
-- temporary b-tree built (allocated, filled, freed) each time; two equality tests joined by OR
-- are not. A delivery row is written inside the API request that makes its event, so that b-tree
-- was built once per request per subscribed endpoint, and again for every attempt recorded.
-- Same rows, same keys, same indexes; only the check's wording changes.

CREATE TABLE webhook_deliveries_checked (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    -- The event's id; its created_at equals this row's.
    event_id        TEXT NOT NULL,
    -- One of 'pending', 'succeeded', 'failed' (see above for why not IN (...)).
    status          TEXT NOT NULL
                    CHECK (status = 'pending' OR status = 'succeeded' OR status = 'failed'),
    -- Attempts made by the automatic schedule (manual retries do not count).
    auto_attempts   INTEGER NOT NULL DEFAULT 0,
    -- When the next automatic attempt is due (server clock); NULL unless pending. A delivery
    -- never attempted is pending with NULL here (due at once): it is kept out of the due index
    -- and the worker reads it along the key (webhooks::FreshCursors).
    next_attempt_at INTEGER,
    -- A manual retry asked for and not yet made.
    retry_requested INTEGER NOT NULL DEFAULT 0 CHECK (retry_requested IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, id)
) STRICT, WITHOUT ROWID;

INSERT INTO webhook_deliveries_checked
    (endpoint_id, id, event_id, status, auto_attempts, next_attempt_at, retry_requested,
     created_at, updated_at)
SELECT endpoint_id, id, event_id, status, auto_attempts, next_attempt_at, retry_requested,
       created_at, updated_at
FROM webhook_deliveries;

-- Foreign keys are off while a step runs: dropping the old table does not cascade to
-- webhook_attempts, whose reference (by name) then names the renamed table.
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_checked RENAME TO webhook_deliveries;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_retry ON webhook_deliveries (retry_requested)
    WHERE retry_requested = 1;
