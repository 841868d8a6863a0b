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
-- A party's intents within a date range, in page order, checked against the organization in the
-- index itself (no table read per skipped row).
CREATE INDEX donation_intents_customer ON donation_intents (customer_id, org_id, created_at, id) WHERE customer_id IS NOT NULL;
CREATE INDEX donation_intents_vendor ON donation_intents (vendor_id, org_id, created_at, id) WHERE vendor_id IS NOT NULL;
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

-- Per customer / vendor and UTC day, totals kept by triggers in the transaction that writes the
-- intents, so `impact_metrics` and a party's intent count read a row per day instead of every
-- intent. Date filters are whole UTC days, so a day is all in or all out. `kind` is the
-- directory ('customers' / 'vendors'); `day` is the first microsecond of the UTC day.
CREATE TABLE party_campaign_days (
    party_id            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    day                 INTEGER NOT NULL,
    campaign_identifier TEXT NOT NULL,
    donation_count      INTEGER NOT NULL,
    total_amount        INTEGER NOT NULL,
    PRIMARY KEY (party_id, kind, org_id, day, campaign_identifier)
) STRICT, WITHOUT ROWID;

-- One row per party, day and distinct impact wording (key and labels as snapshotted), with the
-- earliest intent's created_at, which orders the metrics of a total.
CREATE TABLE party_impact_days (
    party_id         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    day              INTEGER NOT NULL,
    key              TEXT NOT NULL,
    name             TEXT NOT NULL,
    emoji            TEXT,
    icon             TEXT,
    unit_singular    TEXT NOT NULL,
    unit_plural      TEXT NOT NULL,
    verb_past        TEXT NOT NULL,
    impact_count     INTEGER NOT NULL,
    quantity_centi   INTEGER NOT NULL,
    first_created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX party_impact_days_party ON party_impact_days (party_id, kind, org_id, day, key);

CREATE TRIGGER donation_intents_party_ins AFTER INSERT ON donation_intents
WHEN NEW.customer_id IS NOT NULL OR NEW.vendor_id IS NOT NULL BEGIN
    INSERT INTO party_campaign_days (party_id, kind, org_id, day, campaign_identifier, donation_count, total_amount)
    SELECT p.party_id, p.kind, NEW.org_id, NEW.created_at - (NEW.created_at % 86400000000 + 86400000000) % 86400000000,
           NEW.campaign_identifier, 1, NEW.amount
    FROM (SELECT NEW.customer_id AS party_id, 'customers' AS kind
          UNION ALL SELECT NEW.vendor_id, 'vendors') AS p
    WHERE p.party_id IS NOT NULL
    ON CONFLICT (party_id, kind, org_id, day, campaign_identifier) DO UPDATE
    SET donation_count = donation_count + 1, total_amount = total_amount + excluded.total_amount;
END;

-- The intent row exists when its snapshot rows are inserted (they reference it).
CREATE TRIGGER intent_impacts_party_ins AFTER INSERT ON intent_impacts
WHEN (SELECT customer_id IS NOT NULL OR vendor_id IS NOT NULL FROM donation_intents WHERE id = NEW.intent_id) BEGIN
    UPDATE party_impact_days
    SET impact_count = impact_count + 1, quantity_centi = quantity_centi + NEW.quantity_centi,
        first_created_at = MIN(first_created_at, p.created_at)
    FROM (SELECT customer_id AS party_id, 'customers' AS kind, org_id, created_at,
                 created_at - (created_at % 86400000000 + 86400000000) % 86400000000 AS day
          FROM donation_intents WHERE id = NEW.intent_id AND customer_id IS NOT NULL
          UNION ALL
          SELECT vendor_id, 'vendors', org_id, created_at,
                 created_at - (created_at % 86400000000 + 86400000000) % 86400000000
          FROM donation_intents WHERE id = NEW.intent_id AND vendor_id IS NOT NULL) AS p
    WHERE party_impact_days.party_id = p.party_id AND party_impact_days.kind = p.kind
      AND party_impact_days.org_id = p.org_id AND party_impact_days.day = p.day
      AND party_impact_days.key = NEW.key AND party_impact_days.name = NEW.name
      AND party_impact_days.emoji IS NEW.emoji AND party_impact_days.icon IS NEW.icon
      AND party_impact_days.unit_singular = NEW.unit_singular
      AND party_impact_days.unit_plural = NEW.unit_plural AND party_impact_days.verb_past = NEW.verb_past;
    INSERT INTO party_impact_days (party_id, kind, org_id, day, key, name, emoji, icon, unit_singular,
                                   unit_plural, verb_past, impact_count, quantity_centi, first_created_at)
    SELECT p.party_id, p.kind, p.org_id, p.day, NEW.key, NEW.name, NEW.emoji, NEW.icon, NEW.unit_singular,
           NEW.unit_plural, NEW.verb_past, 1, NEW.quantity_centi, p.created_at
    FROM (SELECT customer_id AS party_id, 'customers' AS kind, org_id, created_at,
                 created_at - (created_at % 86400000000 + 86400000000) % 86400000000 AS day
          FROM donation_intents WHERE id = NEW.intent_id AND customer_id IS NOT NULL
          UNION ALL
          SELECT vendor_id, 'vendors', org_id, created_at,
                 created_at - (created_at % 86400000000 + 86400000000) % 86400000000
          FROM donation_intents WHERE id = NEW.intent_id AND vendor_id IS NOT NULL) AS p
    WHERE NOT EXISTS (
        SELECT 1 FROM party_impact_days d
        WHERE d.party_id = p.party_id AND d.kind = p.kind AND d.org_id = p.org_id AND d.day = p.day
          AND d.key = NEW.key AND d.name = NEW.name AND d.emoji IS NEW.emoji AND d.icon IS NEW.icon
          AND d.unit_singular = NEW.unit_singular AND d.unit_plural = NEW.unit_plural
          AND d.verb_past = NEW.verb_past);
END;

-- Before the delete, while the snapshot rows (removed by the cascade) can still be read.
CREATE TRIGGER donation_intents_party_del BEFORE DELETE ON donation_intents
WHEN OLD.customer_id IS NOT NULL OR OLD.vendor_id IS NOT NULL BEGIN
    UPDATE party_campaign_days
    SET donation_count = donation_count - 1, total_amount = total_amount - OLD.amount
    FROM (SELECT OLD.customer_id AS party_id, 'customers' AS kind
          UNION ALL SELECT OLD.vendor_id, 'vendors') AS p
    WHERE party_campaign_days.party_id = p.party_id AND party_campaign_days.kind = p.kind
      AND party_campaign_days.org_id = OLD.org_id
      AND party_campaign_days.day = OLD.created_at - (OLD.created_at % 86400000000 + 86400000000) % 86400000000
      AND party_campaign_days.campaign_identifier = OLD.campaign_identifier;
    DELETE FROM party_campaign_days
    WHERE party_id IN (OLD.customer_id, OLD.vendor_id) AND org_id = OLD.org_id
      AND day = OLD.created_at - (OLD.created_at % 86400000000 + 86400000000) % 86400000000
      AND donation_count = 0;
    UPDATE party_impact_days
    SET impact_count = impact_count - 1, quantity_centi = party_impact_days.quantity_centi - ii.quantity_centi
    FROM (SELECT OLD.customer_id AS party_id, 'customers' AS kind
          UNION ALL SELECT OLD.vendor_id, 'vendors') AS p,
         intent_impacts ii
    WHERE ii.intent_id = OLD.id
      AND party_impact_days.party_id = p.party_id AND party_impact_days.kind = p.kind
      AND party_impact_days.org_id = OLD.org_id
      AND party_impact_days.day = OLD.created_at - (OLD.created_at % 86400000000 + 86400000000) % 86400000000
      AND party_impact_days.key = ii.key AND party_impact_days.name = ii.name
      AND party_impact_days.emoji IS ii.emoji AND party_impact_days.icon IS ii.icon
      AND party_impact_days.unit_singular = ii.unit_singular
      AND party_impact_days.unit_plural = ii.unit_plural AND party_impact_days.verb_past = ii.verb_past;
    DELETE FROM party_impact_days
    WHERE party_id IN (OLD.customer_id, OLD.vendor_id) AND org_id = OLD.org_id
      AND day = OLD.created_at - (OLD.created_at % 86400000000 + 86400000000) % 86400000000
      AND impact_count = 0;
    -- The earliest intent of a group may be the one going: take the next earliest.
    UPDATE party_impact_days
    SET first_created_at = (
        SELECT MIN(di.created_at) FROM donation_intents di JOIN intent_impacts ii ON ii.intent_id = di.id
        WHERE di.customer_id = OLD.customer_id AND di.org_id = OLD.org_id AND di.id <> OLD.id
          AND di.created_at >= party_impact_days.day AND di.created_at < party_impact_days.day + 86400000000
          AND ii.key = party_impact_days.key AND ii.name = party_impact_days.name
          AND ii.emoji IS party_impact_days.emoji AND ii.icon IS party_impact_days.icon
          AND ii.unit_singular = party_impact_days.unit_singular
          AND ii.unit_plural = party_impact_days.unit_plural AND ii.verb_past = party_impact_days.verb_past)
    WHERE party_id = OLD.customer_id AND kind = 'customers' AND org_id = OLD.org_id
      AND day = OLD.created_at - (OLD.created_at % 86400000000 + 86400000000) % 86400000000
      AND first_created_at = OLD.created_at;
    UPDATE party_impact_days
    SET first_created_at = (
        SELECT MIN(di.created_at) FROM donation_intents di JOIN intent_impacts ii ON ii.intent_id = di.id
        WHERE di.vendor_id = OLD.vendor_id AND di.org_id = OLD.org_id AND di.id <> OLD.id
          AND di.created_at >= party_impact_days.day AND di.created_at < party_impact_days.day + 86400000000
          AND ii.key = party_impact_days.key AND ii.name = party_impact_days.name
          AND ii.emoji IS party_impact_days.emoji AND ii.icon IS party_impact_days.icon
          AND ii.unit_singular = party_impact_days.unit_singular
          AND ii.unit_plural = party_impact_days.unit_plural AND ii.verb_past = party_impact_days.verb_past)
    WHERE party_id = OLD.vendor_id AND kind = 'vendors' AND org_id = OLD.org_id
      AND day = OLD.created_at - (OLD.created_at % 86400000000 + 86400000000) % 86400000000
      AND first_created_at = OLD.created_at;
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
