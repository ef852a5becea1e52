-- One identity per WhatsApp customer (or group) and tenant.
--
-- Since 2026 a customer reaches a business with a phone number (wa_id), a business-scoped
-- user id (BSUID, user_id), or both, and a webhook may carry either. Genesys threads a
-- conversation by channel.from.id, so wagen keeps one customer_key per person: the first id
-- it saw them by (the number's digits, else the BSUID), never changed afterwards. Every
-- webhook that carries two ids links them here; a number or BSUID change moves the ids of
-- the identity, not its key. Two identities found to be one person are merged: the older
-- keeps its key (its Genesys conversation), the other points at it (merged_into) and gives
-- its ids up. Groups (Groups API) are identities of kind 'group', keyed by the group id.

CREATE TABLE customer_identities (
    tenant_id      text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    customer_key   text        NOT NULL,
    kind           text        NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'group')),
    wa_id          text,
    user_id        text,
    parent_user_id text,
    username       text,
    merged_into    text,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, customer_key)
);
CREATE UNIQUE INDEX customer_identities_wa_id_uq
    ON customer_identities (tenant_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX customer_identities_user_id_uq
    ON customer_identities (tenant_id, user_id) WHERE user_id IS NOT NULL;

ALTER TABLE customer_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_identities FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_identities
    USING (tenant_id = wagen_current_tenant()) WITH CHECK (tenant_id = wagen_current_tenant());
CREATE POLICY platform_scope ON customer_identities
    USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope());

-- Identities that existed before this table: every customer already mapped keeps the key
-- its conversation was threaded by (digits are a number, anything else a BSUID).
INSERT INTO customer_identities (tenant_id, customer_key, wa_id, user_id, created_at)
SELECT tenant_id, wa_id,
       CASE WHEN wa_id ~ '^[0-9]+$' THEN wa_id END,
       CASE WHEN wa_id !~ '^[0-9]+$' THEN wa_id END,
       created_at
FROM conversation_mappings
ON CONFLICT DO NOTHING;

-- Take an id away from whoever holds it but `keep` (the id now belongs to `keep`'s person):
-- a holder left with no id at all, and `absorb` true, was a copy of the same person made by
-- a message that raced the change: it is merged into `keep`.
CREATE FUNCTION wagen_identity_release(
    p_tenant text, p_keep text, p_wa_id text, p_user_id text, p_absorb boolean
) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    holder customer_identities;
BEGIN
    FOR holder IN
        SELECT * FROM customer_identities
        WHERE tenant_id = p_tenant AND customer_key <> p_keep
          AND (wa_id = p_wa_id OR user_id = p_user_id)
        FOR UPDATE
    LOOP
        UPDATE customer_identities SET
            wa_id = CASE WHEN wa_id = p_wa_id THEN NULL ELSE wa_id END,
            user_id = CASE WHEN user_id = p_user_id THEN NULL ELSE user_id END,
            parent_user_id = CASE WHEN user_id = p_user_id THEN NULL ELSE parent_user_id END,
            updated_at = clock_timestamp()
        WHERE tenant_id = p_tenant AND customer_key = holder.customer_key;
        IF p_absorb
           AND (holder.wa_id IS NULL OR holder.wa_id = p_wa_id)
           AND (holder.user_id IS NULL OR holder.user_id = p_user_id) THEN
            UPDATE customer_identities SET merged_into = p_keep
            WHERE tenant_id = p_tenant AND customer_key = holder.customer_key;
        END IF;
    END LOOP;
END
$$;

-- The customer_key of whoever the ids name, learning every link they carry; creates the
-- identity on first sight. A BSUID outranks a number: a number seen with a BSUID other than
-- the one it was linked to is a recycled number (a new person), because a number change
-- comes with a new BSUID and a user_changed_number notice.
CREATE FUNCTION wagen_customer_key(
    p_tenant text, p_wa_id text, p_user_id text, p_parent text, p_username text, p_group text
) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    by_phone customer_identities;
    by_user  customer_identities;
    kept     customer_identities;
    other    customer_identities;
    holders  integer;
    found_key text;
    candidate text;
BEGIN
    IF p_group IS NOT NULL THEN
        INSERT INTO customer_identities (tenant_id, customer_key, kind)
        VALUES (p_tenant, p_group, 'group') ON CONFLICT DO NOTHING;
        RETURN p_group;
    END IF;
    IF p_wa_id IS NULL AND p_user_id IS NULL THEN
        RETURN NULL;
    END IF;
    -- The common case, without a lock or a write: one identity holds the ids, knows it all.
    SELECT count(*),
           min(customer_key) FILTER (WHERE
               (p_wa_id IS NULL OR wa_id = p_wa_id) AND (p_user_id IS NULL OR user_id = p_user_id)
               AND (p_parent IS NULL OR parent_user_id = p_parent)
               AND (p_username IS NULL OR username = p_username))
      INTO holders, found_key
      FROM customer_identities
     WHERE tenant_id = p_tenant AND (wa_id = p_wa_id OR user_id = p_user_id);
    IF holders = 1 AND found_key IS NOT NULL THEN
        RETURN found_key;
    END IF;
    FOR attempt IN 1..4 LOOP
        by_phone := NULL;
        by_user := NULL;
        IF p_wa_id IS NOT NULL THEN
            SELECT * INTO by_phone FROM customer_identities
            WHERE tenant_id = p_tenant AND wa_id = p_wa_id FOR UPDATE;
        END IF;
        IF p_user_id IS NOT NULL THEN
            SELECT * INTO by_user FROM customer_identities
            WHERE tenant_id = p_tenant AND user_id = p_user_id FOR UPDATE;
        END IF;
        IF by_phone.customer_key IS NOT NULL AND p_user_id IS NOT NULL
           AND by_phone.user_id IS NOT NULL AND by_phone.user_id <> p_user_id THEN
            -- the number now belongs to someone else: its old holder lets it go
            UPDATE customer_identities SET wa_id = NULL, updated_at = clock_timestamp()
            WHERE tenant_id = p_tenant AND customer_key = by_phone.customer_key;
            by_phone := NULL;
        END IF;
        IF by_phone.customer_key IS NULL AND by_user.customer_key IS NULL THEN
            -- First sight: keyed by the number, else the BSUID. A key already taken (the
            -- number of someone who has changed numbers since) falls back to the BSUID, then
            -- to the id with a suffix, so two people never share a Genesys thread.
            FOREACH candidate IN ARRAY ARRAY[
                p_wa_id, p_user_id, coalesce(p_wa_id, p_user_id) || '.' || attempt
            ] LOOP
                CONTINUE WHEN candidate IS NULL;
                INSERT INTO customer_identities
                    (tenant_id, customer_key, wa_id, user_id, parent_user_id, username)
                VALUES (p_tenant, candidate, p_wa_id, p_user_id, p_parent, p_username)
                ON CONFLICT DO NOTHING;
                IF FOUND THEN
                    RETURN candidate;
                END IF;
                -- a concurrent first sight took the ids themselves: read them again
                EXIT WHEN EXISTS (
                    SELECT 1 FROM customer_identities
                    WHERE tenant_id = p_tenant AND (wa_id = p_wa_id OR user_id = p_user_id)
                );
            END LOOP;
            CONTINUE;
        END IF;
        IF by_phone.customer_key IS NOT NULL AND by_user.customer_key IS NOT NULL
           AND by_phone.customer_key <> by_user.customer_key THEN
            -- two identities, one person: the older keeps its key and its conversation
            IF by_phone.created_at <= by_user.created_at THEN
                kept := by_phone;
                other := by_user;
            ELSE
                kept := by_user;
                other := by_phone;
            END IF;
            UPDATE customer_identities SET wa_id = NULL, user_id = NULL, parent_user_id = NULL,
                merged_into = kept.customer_key, updated_at = clock_timestamp()
            WHERE tenant_id = p_tenant AND customer_key = other.customer_key;
        ELSIF by_user.customer_key IS NOT NULL THEN
            kept := by_user;
        ELSE
            kept := by_phone;
        END IF;
        UPDATE customer_identities SET
            wa_id = coalesce(p_wa_id, wa_id),
            user_id = coalesce(p_user_id, user_id),
            parent_user_id = coalesce(p_parent, parent_user_id),
            username = coalesce(p_username, username),
            updated_at = clock_timestamp()
        WHERE tenant_id = p_tenant AND customer_key = kept.customer_key;
        RETURN kept.customer_key;
    END LOOP;
    RAISE EXCEPTION 'the identity of a customer of % kept changing under concurrent writers',
        p_tenant;
END
$$;

-- A system message said the customer now has a new number (and BSUID) or a new BSUID:
-- their identity (found by the old ids) takes the new ones and keeps its key.
CREATE FUNCTION wagen_customer_changed(
    p_tenant text, p_old_wa_id text, p_old_user_id text,
    p_new_wa_id text, p_new_user_id text, p_new_parent text
) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    key text;
BEGIN
    key := wagen_customer_key(p_tenant, p_old_wa_id, p_old_user_id, NULL, NULL, NULL);
    IF key IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM wagen_identity_release(p_tenant, key, p_new_wa_id, p_new_user_id, true);
    UPDATE customer_identities SET
        wa_id = coalesce(p_new_wa_id, wa_id),
        user_id = coalesce(p_new_user_id, user_id),
        parent_user_id = CASE WHEN p_new_user_id IS NOT NULL THEN p_new_parent
                              ELSE parent_user_id END,
        updated_at = clock_timestamp()
    WHERE tenant_id = p_tenant AND customer_key = key;
    RETURN key;
END
$$;
