-- Schema step 2: per-party totals by calendar month and of all time beside the per-day ones, so
-- that a total over a long range reads a row per month and campaign (or wording) instead of one
-- per day, and a lifetime total one row per campaign (or wording). The month rows are sums of the
-- day rows of schema.sql, kept by triggers on the day tables (so every path that changes a day
-- row, insert, cancel, or an upsert's update, keeps its month); the all-time rows are sums of the
-- month rows, kept the same way by triggers on the month tables. Both are back-filled here from
-- the rows already stored. A month is the microsecond its first UTC day starts.

CREATE TABLE party_campaign_months (
    party_id            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    month               INTEGER NOT NULL,
    campaign_identifier TEXT NOT NULL,
    donation_count      INTEGER NOT NULL,
    total_amount        INTEGER NOT NULL,
    PRIMARY KEY (party_id, kind, org_id, month, campaign_identifier)
) STRICT, WITHOUT ROWID;

CREATE TABLE party_impact_months (
    party_id         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    month            INTEGER NOT NULL,
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
CREATE INDEX party_impact_months_party ON party_impact_months (party_id, kind, org_id, month, key);

INSERT INTO party_campaign_months
SELECT party_id, kind, org_id, unixepoch(day / 1000000, 'unixepoch', 'start of month') * 1000000,
       campaign_identifier, SUM(donation_count), SUM(total_amount)
FROM party_campaign_days GROUP BY 1, 2, 3, 4, 5;

INSERT INTO party_impact_months
SELECT party_id, kind, org_id, unixepoch(day / 1000000, 'unixepoch', 'start of month') * 1000000,
       key, name, emoji, icon, unit_singular, unit_plural, verb_past,
       SUM(impact_count), SUM(quantity_centi), MIN(first_created_at)
FROM party_impact_days GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;

CREATE TRIGGER party_campaign_days_month_ins AFTER INSERT ON party_campaign_days BEGIN
    INSERT INTO party_campaign_months (party_id, kind, org_id, month, campaign_identifier, donation_count, total_amount)
    VALUES (NEW.party_id, NEW.kind, NEW.org_id, unixepoch(NEW.day / 1000000, 'unixepoch', 'start of month') * 1000000,
            NEW.campaign_identifier, NEW.donation_count, NEW.total_amount)
    ON CONFLICT (party_id, kind, org_id, month, campaign_identifier) DO UPDATE
    SET donation_count = donation_count + excluded.donation_count,
        total_amount = total_amount + excluded.total_amount;
END;

CREATE TRIGGER party_campaign_days_month_upd AFTER UPDATE ON party_campaign_days BEGIN
    UPDATE party_campaign_months
    SET donation_count = donation_count + NEW.donation_count - OLD.donation_count,
        total_amount = total_amount + NEW.total_amount - OLD.total_amount
    WHERE party_id = NEW.party_id AND kind = NEW.kind AND org_id = NEW.org_id
      AND month = unixepoch(NEW.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND campaign_identifier = NEW.campaign_identifier;
END;

CREATE TRIGGER party_campaign_days_month_del AFTER DELETE ON party_campaign_days BEGIN
    UPDATE party_campaign_months
    SET donation_count = donation_count - OLD.donation_count,
        total_amount = total_amount - OLD.total_amount
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND month = unixepoch(OLD.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND campaign_identifier = OLD.campaign_identifier;
    DELETE FROM party_campaign_months
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND month = unixepoch(OLD.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND campaign_identifier = OLD.campaign_identifier AND donation_count = 0;
END;

CREATE TRIGGER party_impact_days_month_ins AFTER INSERT ON party_impact_days BEGIN
    UPDATE party_impact_months
    SET impact_count = impact_count + NEW.impact_count,
        quantity_centi = quantity_centi + NEW.quantity_centi,
        first_created_at = MIN(first_created_at, NEW.first_created_at)
    WHERE party_id = NEW.party_id AND kind = NEW.kind AND org_id = NEW.org_id
      AND month = unixepoch(NEW.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND key = NEW.key AND name = NEW.name AND emoji IS NEW.emoji AND icon IS NEW.icon
      AND unit_singular = NEW.unit_singular AND unit_plural = NEW.unit_plural AND verb_past = NEW.verb_past;
    INSERT INTO party_impact_months (party_id, kind, org_id, month, key, name, emoji, icon, unit_singular,
                                     unit_plural, verb_past, impact_count, quantity_centi, first_created_at)
    SELECT NEW.party_id, NEW.kind, NEW.org_id, unixepoch(NEW.day / 1000000, 'unixepoch', 'start of month') * 1000000,
           NEW.key, NEW.name, NEW.emoji, NEW.icon, NEW.unit_singular, NEW.unit_plural, NEW.verb_past,
           NEW.impact_count, NEW.quantity_centi, NEW.first_created_at
    WHERE NOT EXISTS (
        SELECT 1 FROM party_impact_months m
        WHERE m.party_id = NEW.party_id AND m.kind = NEW.kind AND m.org_id = NEW.org_id
          AND m.month = unixepoch(NEW.day / 1000000, 'unixepoch', 'start of month') * 1000000
          AND m.key = NEW.key AND m.name = NEW.name AND m.emoji IS NEW.emoji AND m.icon IS NEW.icon
          AND m.unit_singular = NEW.unit_singular AND m.unit_plural = NEW.unit_plural
          AND m.verb_past = NEW.verb_past);
END;

-- A day's earliest intent only moves later when that intent is cancelled; then the month's
-- earliest is looked up again among its days (at most 31 rows).
CREATE TRIGGER party_impact_days_month_upd AFTER UPDATE ON party_impact_days BEGIN
    UPDATE party_impact_months
    SET impact_count = impact_count + NEW.impact_count - OLD.impact_count,
        quantity_centi = quantity_centi + NEW.quantity_centi - OLD.quantity_centi,
        first_created_at = CASE
            WHEN NEW.first_created_at <= first_created_at THEN NEW.first_created_at
            WHEN OLD.first_created_at > first_created_at THEN first_created_at
            ELSE (SELECT MIN(d.first_created_at) FROM party_impact_days d
                  WHERE d.party_id = NEW.party_id AND d.kind = NEW.kind AND d.org_id = NEW.org_id
                    AND d.day >= party_impact_months.month
                    AND d.day < unixepoch(party_impact_months.month / 1000000, 'unixepoch', '+1 month') * 1000000
                    AND d.key = NEW.key AND d.name = NEW.name AND d.emoji IS NEW.emoji AND d.icon IS NEW.icon
                    AND d.unit_singular = NEW.unit_singular AND d.unit_plural = NEW.unit_plural
                    AND d.verb_past = NEW.verb_past)
        END
    WHERE party_id = NEW.party_id AND kind = NEW.kind AND org_id = NEW.org_id
      AND month = unixepoch(NEW.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND key = NEW.key AND name = NEW.name AND emoji IS NEW.emoji AND icon IS NEW.icon
      AND unit_singular = NEW.unit_singular AND unit_plural = NEW.unit_plural AND verb_past = NEW.verb_past;
END;

CREATE TRIGGER party_impact_days_month_del AFTER DELETE ON party_impact_days BEGIN
    UPDATE party_impact_months
    SET impact_count = impact_count - OLD.impact_count,
        quantity_centi = quantity_centi - OLD.quantity_centi,
        first_created_at = COALESCE(
            (SELECT MIN(d.first_created_at) FROM party_impact_days d
             WHERE d.party_id = OLD.party_id AND d.kind = OLD.kind AND d.org_id = OLD.org_id
               AND d.day >= party_impact_months.month
               AND d.day < unixepoch(party_impact_months.month / 1000000, 'unixepoch', '+1 month') * 1000000
               AND d.key = OLD.key AND d.name = OLD.name AND d.emoji IS OLD.emoji AND d.icon IS OLD.icon
               AND d.unit_singular = OLD.unit_singular AND d.unit_plural = OLD.unit_plural
               AND d.verb_past = OLD.verb_past),
            first_created_at)
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND month = unixepoch(OLD.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND key = OLD.key AND name = OLD.name AND emoji IS OLD.emoji AND icon IS OLD.icon
      AND unit_singular = OLD.unit_singular AND unit_plural = OLD.unit_plural AND verb_past = OLD.verb_past;
    DELETE FROM party_impact_months
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND month = unixepoch(OLD.day / 1000000, 'unixepoch', 'start of month') * 1000000
      AND key = OLD.key AND name = OLD.name AND emoji IS OLD.emoji AND icon IS OLD.icon
      AND unit_singular = OLD.unit_singular AND unit_plural = OLD.unit_plural AND verb_past = OLD.verb_past
      AND impact_count = 0;
END;

CREATE TABLE party_campaign_totals (
    party_id            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    campaign_identifier TEXT NOT NULL,
    donation_count      INTEGER NOT NULL,
    total_amount        INTEGER NOT NULL,
    PRIMARY KEY (party_id, kind, org_id, campaign_identifier)
) STRICT, WITHOUT ROWID;

CREATE TABLE party_impact_totals (
    party_id         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    org_id           TEXT NOT NULL,
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
CREATE INDEX party_impact_totals_party ON party_impact_totals (party_id, kind, org_id, key);

INSERT INTO party_campaign_totals
SELECT party_id, kind, org_id, campaign_identifier, SUM(donation_count), SUM(total_amount)
FROM party_campaign_months GROUP BY 1, 2, 3, 4;

INSERT INTO party_impact_totals
SELECT party_id, kind, org_id, key, name, emoji, icon, unit_singular, unit_plural, verb_past,
       SUM(impact_count), SUM(quantity_centi), MIN(first_created_at)
FROM party_impact_months GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;

CREATE TRIGGER party_campaign_months_total_ins AFTER INSERT ON party_campaign_months BEGIN
    INSERT INTO party_campaign_totals (party_id, kind, org_id, campaign_identifier, donation_count, total_amount)
    VALUES (NEW.party_id, NEW.kind, NEW.org_id, NEW.campaign_identifier, NEW.donation_count, NEW.total_amount)
    ON CONFLICT (party_id, kind, org_id, campaign_identifier) DO UPDATE
    SET donation_count = donation_count + excluded.donation_count,
        total_amount = total_amount + excluded.total_amount;
END;

CREATE TRIGGER party_campaign_months_total_upd AFTER UPDATE ON party_campaign_months BEGIN
    UPDATE party_campaign_totals
    SET donation_count = donation_count + NEW.donation_count - OLD.donation_count,
        total_amount = total_amount + NEW.total_amount - OLD.total_amount
    WHERE party_id = NEW.party_id AND kind = NEW.kind AND org_id = NEW.org_id
      AND campaign_identifier = NEW.campaign_identifier;
END;

CREATE TRIGGER party_campaign_months_total_del AFTER DELETE ON party_campaign_months BEGIN
    UPDATE party_campaign_totals
    SET donation_count = donation_count - OLD.donation_count,
        total_amount = total_amount - OLD.total_amount
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND campaign_identifier = OLD.campaign_identifier;
    DELETE FROM party_campaign_totals
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND campaign_identifier = OLD.campaign_identifier AND donation_count = 0;
END;

CREATE TRIGGER party_impact_months_total_ins AFTER INSERT ON party_impact_months BEGIN
    UPDATE party_impact_totals
    SET impact_count = impact_count + NEW.impact_count,
        quantity_centi = quantity_centi + NEW.quantity_centi,
        first_created_at = MIN(first_created_at, NEW.first_created_at)
    WHERE party_id = NEW.party_id AND kind = NEW.kind AND org_id = NEW.org_id
      AND key = NEW.key AND name = NEW.name AND emoji IS NEW.emoji AND icon IS NEW.icon
      AND unit_singular = NEW.unit_singular AND unit_plural = NEW.unit_plural AND verb_past = NEW.verb_past;
    INSERT INTO party_impact_totals (party_id, kind, org_id, key, name, emoji, icon, unit_singular,
                                     unit_plural, verb_past, impact_count, quantity_centi, first_created_at)
    SELECT NEW.party_id, NEW.kind, NEW.org_id, NEW.key, NEW.name, NEW.emoji, NEW.icon, NEW.unit_singular,
           NEW.unit_plural, NEW.verb_past, NEW.impact_count, NEW.quantity_centi, NEW.first_created_at
    WHERE NOT EXISTS (
        SELECT 1 FROM party_impact_totals t
        WHERE t.party_id = NEW.party_id AND t.kind = NEW.kind AND t.org_id = NEW.org_id
          AND t.key = NEW.key AND t.name = NEW.name AND t.emoji IS NEW.emoji AND t.icon IS NEW.icon
          AND t.unit_singular = NEW.unit_singular AND t.unit_plural = NEW.unit_plural
          AND t.verb_past = NEW.verb_past);
END;

-- As for the months: the earliest only moves later on a cancel, and is then looked up again
-- among the party's month rows of that wording.
CREATE TRIGGER party_impact_months_total_upd AFTER UPDATE ON party_impact_months BEGIN
    UPDATE party_impact_totals
    SET impact_count = impact_count + NEW.impact_count - OLD.impact_count,
        quantity_centi = quantity_centi + NEW.quantity_centi - OLD.quantity_centi,
        first_created_at = CASE
            WHEN NEW.first_created_at <= first_created_at THEN NEW.first_created_at
            WHEN OLD.first_created_at > first_created_at THEN first_created_at
            ELSE (SELECT MIN(m.first_created_at) FROM party_impact_months m
                  WHERE m.party_id = NEW.party_id AND m.kind = NEW.kind AND m.org_id = NEW.org_id
                    AND m.key = NEW.key AND m.name = NEW.name AND m.emoji IS NEW.emoji AND m.icon IS NEW.icon
                    AND m.unit_singular = NEW.unit_singular AND m.unit_plural = NEW.unit_plural
                    AND m.verb_past = NEW.verb_past)
        END
    WHERE party_id = NEW.party_id AND kind = NEW.kind AND org_id = NEW.org_id
      AND key = NEW.key AND name = NEW.name AND emoji IS NEW.emoji AND icon IS NEW.icon
      AND unit_singular = NEW.unit_singular AND unit_plural = NEW.unit_plural AND verb_past = NEW.verb_past;
END;

CREATE TRIGGER party_impact_months_total_del AFTER DELETE ON party_impact_months BEGIN
    UPDATE party_impact_totals
    SET impact_count = impact_count - OLD.impact_count,
        quantity_centi = quantity_centi - OLD.quantity_centi,
        first_created_at = COALESCE(
            (SELECT MIN(m.first_created_at) FROM party_impact_months m
             WHERE m.party_id = OLD.party_id AND m.kind = OLD.kind AND m.org_id = OLD.org_id
               AND m.key = OLD.key AND m.name = OLD.name AND m.emoji IS OLD.emoji AND m.icon IS OLD.icon
               AND m.unit_singular = OLD.unit_singular AND m.unit_plural = OLD.unit_plural
               AND m.verb_past = OLD.verb_past),
            first_created_at)
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND key = OLD.key AND name = OLD.name AND emoji IS OLD.emoji AND icon IS OLD.icon
      AND unit_singular = OLD.unit_singular AND unit_plural = OLD.unit_plural AND verb_past = OLD.verb_past;
    DELETE FROM party_impact_totals
    WHERE party_id = OLD.party_id AND kind = OLD.kind AND org_id = OLD.org_id
      AND key = OLD.key AND name = OLD.name AND emoji IS OLD.emoji AND icon IS OLD.icon
      AND unit_singular = OLD.unit_singular AND unit_plural = OLD.unit_plural AND verb_past = OLD.verb_past
      AND impact_count = 0;
END;
