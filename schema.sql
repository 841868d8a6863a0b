-- impactapi schema, version 1. Applied to an empty database and recorded as PRAGMA user_version = 1.
-- Later changes are appended as new numbered steps in src/db.rs, never edited in place.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); ids are ULID text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    is_sandbox INTEGER NOT NULL DEFAULT 0 CHECK (is_sandbox IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    prefix       TEXT NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    identifier  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT,
    image_url   TEXT,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE impact_metrics (
    campaign_id       TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    key               TEXT NOT NULL,
    name              TEXT NOT NULL,
    emoji             TEXT,
    icon              TEXT,
    unit_singular     TEXT NOT NULL,
    unit_plural       TEXT NOT NULL,
    verb_present      TEXT NOT NULL,
    verb_past         TEXT NOT NULL,
    impact_per_dollar REAL NOT NULL CHECK (impact_per_dollar >= 0),
    PRIMARY KEY (campaign_id, position),
    UNIQUE (campaign_id, key)
) STRICT;

-- Customers and vendors share one shape; src/store/directory.rs serves both.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    external_id TEXT,
    name        TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
) STRICT;
CREATE INDEX customers_created ON customers (org_id, created_at, id);
CREATE INDEX customers_updated ON customers (org_id, updated_at, id);
CREATE INDEX customers_name ON customers (org_id, name COLLATE NOCASE, id);

CREATE TABLE vendors (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    external_id TEXT,
    name        TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
) STRICT;
CREATE INDEX vendors_created ON vendors (org_id, created_at, id);
CREATE INDEX vendors_updated ON vendors (org_id, updated_at, id);
CREATE INDEX vendors_name ON vendors (org_id, name COLLATE NOCASE, id);

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations (id),
    type                TEXT NOT NULL CHECK (type IN ('add_on', 'portion_of_sales_choice', 'portion_of_sales')),
    status              TEXT NOT NULL CHECK (status IN ('active', 'processing', 'confirmed', 'expired')),
    amount              INTEGER NOT NULL,
    available_campaigns TEXT NOT NULL DEFAULT '[]',
    selected_campaign   TEXT,
    opted_out           INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
    allocations         TEXT NOT NULL DEFAULT '[]',
    customer_id         TEXT,
    vendor_id           TEXT,
    metadata            TEXT NOT NULL DEFAULT '{}',
    approximated        INTEGER NOT NULL DEFAULT 0 CHECK (approximated IN (0, 1)),
    secret              TEXT,
    expires_at          INTEGER NOT NULL,
    processed_at        INTEGER,
    confirmed_at        INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_org ON sessions (org_id, created_at, id);
CREATE INDEX sessions_open ON sessions (expires_at) WHERE status IN ('active', 'processing');

-- customer_id / vendor_id / session_id carry no foreign key on purpose: deleting a customer keeps
-- the history that names it (SPEC 5.2).
CREATE TABLE donation_intents (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations (id),
    amount              INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 1000000000),
    campaign_identifier TEXT NOT NULL,
    campaign_name       TEXT NOT NULL,
    customer_id         TEXT,
    vendor_id           TEXT,
    session_id          TEXT,
    approximated        INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX donation_intents_org ON donation_intents (org_id, created_at, id);
CREATE INDEX donation_intents_customer ON donation_intents (customer_id, created_at, id) WHERE customer_id IS NOT NULL;
CREATE INDEX donation_intents_vendor ON donation_intents (vendor_id, created_at, id) WHERE vendor_id IS NOT NULL;
CREATE INDEX donation_intents_session ON donation_intents (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX donation_intents_month ON donation_intents (created_at);

-- The impact snapshot of each intent, one row per metric, fixed at creation. Quantities are stored
-- in hundredths (the 2-decimal rounding of SPEC 5.1) so totals sum exactly in SQL.
CREATE TABLE intent_impacts (
    intent_id      TEXT NOT NULL REFERENCES donation_intents (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    key            TEXT NOT NULL,
    name           TEXT NOT NULL,
    emoji          TEXT,
    icon           TEXT,
    unit_singular  TEXT NOT NULL,
    unit_plural    TEXT NOT NULL,
    verb_past      TEXT NOT NULL,
    quantity_centi INTEGER NOT NULL,
    PRIMARY KEY (intent_id, position)
) STRICT, WITHOUT ROWID;

-- Row counts kept by the same transaction that writes the rows (triggers), so a paginated `total`
-- is one primary-key read however large an organization grows.
CREATE TABLE org_counts (
    org_id    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER customers_count_ins AFTER INSERT ON customers BEGIN
    INSERT INTO org_counts (org_id, kind, row_count) VALUES (NEW.org_id, 'customers', 1)
    ON CONFLICT (org_id, kind) DO UPDATE SET row_count = row_count + 1;
END;
CREATE TRIGGER customers_count_del AFTER DELETE ON customers BEGIN
    UPDATE org_counts SET row_count = row_count - 1 WHERE org_id = OLD.org_id AND kind = 'customers';
END;
CREATE TRIGGER vendors_count_ins AFTER INSERT ON vendors BEGIN
    INSERT INTO org_counts (org_id, kind, row_count) VALUES (NEW.org_id, 'vendors', 1)
    ON CONFLICT (org_id, kind) DO UPDATE SET row_count = row_count + 1;
END;
CREATE TRIGGER vendors_count_del AFTER DELETE ON vendors BEGIN
    UPDATE org_counts SET row_count = row_count - 1 WHERE org_id = OLD.org_id AND kind = 'vendors';
END;
CREATE TRIGGER donation_intents_count_ins AFTER INSERT ON donation_intents BEGIN
    INSERT INTO org_counts (org_id, kind, row_count) VALUES (NEW.org_id, 'donation_intents', 1)
    ON CONFLICT (org_id, kind) DO UPDATE SET row_count = row_count + 1;
END;
CREATE TRIGGER donation_intents_count_del AFTER DELETE ON donation_intents BEGIN
    UPDATE org_counts SET row_count = row_count - 1 WHERE org_id = OLD.org_id AND kind = 'donation_intents';
END;
CREATE TRIGGER sessions_count_ins AFTER INSERT ON sessions BEGIN
    INSERT INTO org_counts (org_id, kind, row_count) VALUES (NEW.org_id, 'sessions', 1)
    ON CONFLICT (org_id, kind) DO UPDATE SET row_count = row_count + 1;
END;

CREATE TABLE idempotency_keys (
    org_id       TEXT NOT NULL,
    key          TEXT NOT NULL,
    method_path  TEXT NOT NULL,
    body_hash    BLOB NOT NULL,
    status       INTEGER NOT NULL,
    response     BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, key)
) STRICT, WITHOUT ROWID;
