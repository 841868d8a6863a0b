-- Schema step 5: each delivery is keyed by its endpoint, then its id, and holds only what is its
-- own. A delivery row is written inside the API request that makes its event, so every b-tree and
-- byte it touches is paid for by that request:
--   - The key (endpoint_id, id) is the order an endpoint's deliveries are listed in (ids are
--     ULIDs, made in commit order) and deleted in by retention, so the separate index on
--     (endpoint_id, created_at, id) goes: three b-trees per delivery become two.
--   - org_id and event_type are the endpoint's and the event's; they are read through them.
-- A delivery is found by its id alone (a manual retry) through its organization's endpoints.
-- Attempts name their delivery by the same key. Retention now goes along the ids of events and
-- deliveries, so the index of events by created_at, which only it read, goes too.

CREATE TABLE webhook_deliveries_keyed (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    -- The event's id; its created_at equals this row's.
    event_id        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- Attempts made by the automatic schedule (manual retries do not count).
    auto_attempts   INTEGER NOT NULL DEFAULT 0,
    -- When the next automatic attempt is due (server clock); NULL unless pending.
    next_attempt_at INTEGER,
    -- A manual retry asked for and not yet made.
    retry_requested INTEGER NOT NULL DEFAULT 0 CHECK (retry_requested IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, id)
) STRICT, WITHOUT ROWID;

INSERT INTO webhook_deliveries_keyed
    (endpoint_id, id, event_id, status, auto_attempts, next_attempt_at, retry_requested,
     created_at, updated_at)
SELECT endpoint_id, id, event_id, status, auto_attempts, next_attempt_at, retry_requested,
       created_at, updated_at
FROM webhook_deliveries;

-- Named after the table it will reference once renamed (the rename below leaves this reference
-- as it is, and it then names the new table).
CREATE TABLE webhook_attempts_keyed (
    endpoint_id     TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    number          INTEGER NOT NULL,
    attempted_at    INTEGER NOT NULL,
    status_code     INTEGER,
    duration_ms     INTEGER NOT NULL,
    error           TEXT,
    -- The request headers sent (JSON object); the body is the event's.
    request_headers TEXT NOT NULL,
    -- The first 4 KiB of the response body.
    response_body   TEXT,
    PRIMARY KEY (endpoint_id, delivery_id, number),
    FOREIGN KEY (endpoint_id, delivery_id)
        REFERENCES webhook_deliveries (endpoint_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- An attempt whose delivery is gone has no endpoint to be keyed by, and nothing shows it.
INSERT INTO webhook_attempts_keyed
    (endpoint_id, delivery_id, number, attempted_at, status_code, duration_ms, error,
     request_headers, response_body)
SELECT d.endpoint_id, a.delivery_id, a.number, a.attempted_at, a.status_code, a.duration_ms,
       a.error, a.request_headers, a.response_body
FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id;

DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_keyed RENAME TO webhook_deliveries;
ALTER TABLE webhook_attempts_keyed RENAME TO webhook_attempts;

-- The worker reads each endpoint's due deliveries apart, so that one endpoint's backlog never
-- hides another's.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_retry ON webhook_deliveries (retry_requested)
    WHERE retry_requested = 1;

DROP INDEX events_age;
