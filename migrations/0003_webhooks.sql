-- Schema step 3: webhooks (SPEC 11). Endpoints, the event outbox (written in the same transaction
-- as the change it reports), one delivery per event and subscribed endpoint, and every attempt.

CREATE TABLE webhook_endpoints (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL,
    url                 TEXT NOT NULL,
    description         TEXT,
    -- JSON array of event types; '[]' subscribes to every event.
    event_types         TEXT NOT NULL DEFAULT '[]',
    metadata            TEXT NOT NULL DEFAULT '{}',
    -- whsec_<base64 of 32 bytes>: kept in clear, it is the HMAC key.
    secret              TEXT NOT NULL,
    -- During a rotation: the previous secret, still signing until previous_expires_at (server clock).
    previous_secret     TEXT,
    previous_expires_at INTEGER,
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    disabled_reason     TEXT CHECK (disabled_reason IN ('gone', 'failing', 'manual')),
    -- First failed attempt since the last success (server clock); 5 days of only failures disable.
    failing_since       INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at, id);

CREATE TABLE events (
    id         TEXT PRIMARY KEY,           -- evt_<ULID>
    org_id     TEXT NOT NULL,
    type       TEXT NOT NULL,
    -- The exact request body (compact JSON), signed as is on every attempt.
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_org ON events (org_id, created_at, id);
CREATE INDEX events_age ON events (created_at);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
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
) STRICT;
-- The worker reads each endpoint's due deliveries apart, so that one endpoint's backlog never
-- hides another's.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_retry ON webhook_deliveries (retry_requested)
    WHERE retry_requested = 1;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    delivery_id     TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    attempted_at    INTEGER NOT NULL,
    status_code     INTEGER,
    duration_ms     INTEGER NOT NULL,
    error           TEXT,
    -- The request headers sent (JSON object); the body is the event's.
    request_headers TEXT NOT NULL,
    -- The first 4 KiB of the response body.
    response_body   TEXT,
    PRIMARY KEY (delivery_id, number)
) STRICT, WITHOUT ROWID;
