-- The worker's inbound claims, taken a batch at a time (issue 14).
--
-- A claim now names its holder (message_tracking.claimed_by), a worker incarnation whose
-- lease is one row in worker_leases, renewed every few seconds while the worker lives and
-- deleted when it stops. A claim is free when its holder's lease has ended: a dead worker's
-- claims free within seconds of its last renewal, and a live worker's never, however long
-- its call to Genesys takes. (claimed_until, the old fixed per-claim lease, is still
-- honoured for rows claimed by an older worker during a rolling upgrade.)
--
-- The plan quota is charged in the claim's own transaction: quota_months keeps each
-- tenant's running count for the month (seeded from usage_daily, the durable record, on
-- first use), so a charge is one row update checked against the limit, atomic across
-- workers, and the claim's quota_counted note commits with it.

CREATE TABLE worker_leases (
    worker_id  uuid        PRIMARY KEY,
    label      text        NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

ALTER TABLE message_tracking ADD COLUMN claimed_by uuid;

CREATE TABLE quota_months (
    tenant_id text   NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    month     date   NOT NULL,
    used      bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (tenant_id, month)
);
ALTER TABLE quota_months ENABLE ROW LEVEL SECURITY;
ALTER TABLE quota_months FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quota_months
    USING (tenant_id = wagen_current_tenant()) WITH CHECK (tenant_id = wagen_current_tenant());
CREATE POLICY platform_scope ON quota_months
    USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope());
CREATE POLICY tenant_batch ON quota_months
    USING (tenant_id = ANY (wagen_batch_tenants()))
    WITH CHECK (tenant_id = ANY (wagen_batch_tenants()));

-- Seconds until the holder of a claim lets go: 0 when nobody live holds it.
CREATE FUNCTION wagen_claim_left(p_holder uuid, p_until timestamptz) RETURNS float8
    LANGUAGE sql STABLE
    AS $$
    SELECT greatest(0, extract(epoch FROM coalesce(
        (SELECT expires_at FROM worker_leases WHERE worker_id = p_holder),
        CASE WHEN p_holder IS NULL THEN p_until END) - now()))::float8
$$;

-- Charge one message to the tenant's month; false (nothing charged) when over the limit.
-- A NULL limit is an unlimited plan: counted, never refused.
CREATE FUNCTION wagen_charge_quota(p_tenant text, p_month date, p_limit bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO quota_months (tenant_id, month, used)
    SELECT p_tenant, p_month, coalesce(sum(value), 0) FROM usage_daily
    WHERE tenant_id = p_tenant AND metric = 'messages'
      AND day >= p_month AND day < (p_month + interval '1 month')
    ON CONFLICT DO NOTHING;
    UPDATE quota_months SET used = used + 1
    WHERE tenant_id = p_tenant AND month = p_month AND (p_limit IS NULL OR used < p_limit);
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO usage_daily (tenant_id, day, metric, value)
    VALUES (p_tenant, (now() AT TIME ZONE 'UTC')::date, 'messages', 1)
    ON CONFLICT (tenant_id, day, metric)
    DO UPDATE SET value = usage_daily.value + 1, updated_at = now();
    RETURN true;
END
$$;

-- A batch of inbound claims in one call: per message, the customer's stable key (a number
-- or BSUID change moves the identity first), the claim (a new row, or one whose holder is
-- gone), and the quota charge unless an earlier attempt made it. Outcomes:
--   claimed     ours now (doubt_age_s set: an earlier holder may have delivered it)
--   duplicate   carried already
--   busy        a live worker holds it (left_s: until its lease ends)
--   over_quota  the tenant's month is used up: not claimed, nothing charged
CREATE FUNCTION wagen_claim_inbound(
    p_worker uuid,
    p_tenants text[], p_messages text[], p_fallbacks text[],
    p_wa_ids text[], p_user_ids text[], p_parents text[], p_usernames text[], p_groups text[],
    p_new_wa_ids text[], p_new_user_ids text[], p_changes boolean[],
    p_limits bigint[], p_charge boolean[]
) RETURNS TABLE (
    outcome text, customer text, quota_counted boolean, doubt_age_s float8, left_s float8
)
    LANGUAGE plpgsql
    AS $$
DECLARE
    i integer;
    row record;
    month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;  -- quotas roll at UTC
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tenants, 1), 0) LOOP
        IF p_changes[i] THEN
            customer := wagen_customer_changed(
                p_tenants[i], p_wa_ids[i], p_user_ids[i], p_new_wa_ids[i], p_new_user_ids[i],
                NULL);
        ELSE
            customer := wagen_customer_key(
                p_tenants[i], p_wa_ids[i], p_user_ids[i], p_parents[i], p_usernames[i],
                p_groups[i]);
        END IF;
        customer := coalesce(customer, p_fallbacks[i]);
        doubt_age_s := NULL;
        left_s := 0;
        INSERT INTO message_tracking
            (tenant_id, direction, wa_id, wa_message_id, status, claimed_by, sending_since)
        VALUES (p_tenants[i], 'inbound', customer, p_messages[i], 'received', p_worker, now())
        ON CONFLICT (tenant_id, direction, wa_message_id) WHERE wa_message_id IS NOT NULL
        DO NOTHING
        RETURNING message_tracking.quota_counted INTO quota_counted;
        IF FOUND THEN
            outcome := 'claimed';
        ELSE
            SELECT t.tracking_id, t.status, t.quota_counted, t.sending_since,
                   wagen_claim_left(t.claimed_by, t.claimed_until) AS left_for, t.claimed_by
              INTO row
              FROM message_tracking t
             WHERE t.tenant_id = p_tenants[i] AND t.direction = 'inbound'
               AND t.wa_message_id = p_messages[i]
               FOR UPDATE;
            IF row.tracking_id IS NULL OR row.status <> 'received' THEN
                outcome := 'duplicate';
                quota_counted := coalesce(row.quota_counted, false);
                RETURN NEXT;
                CONTINUE;
            END IF;
            IF row.left_for > 0 OR row.claimed_by = p_worker THEN
                outcome := 'busy';
                quota_counted := row.quota_counted;
                left_s := greatest(row.left_for, 0.5);
                RETURN NEXT;
                CONTINUE;
            END IF;
            UPDATE message_tracking
               SET claimed_by = p_worker, claimed_until = NULL,
                   sending_since = coalesce(sending_since, now()), updated_at = now()
             WHERE tenant_id = p_tenants[i] AND tracking_id = row.tracking_id;
            outcome := 'claimed';
            quota_counted := row.quota_counted;
            doubt_age_s := extract(epoch FROM now() - row.sending_since)::float8;
        END IF;
        IF p_charge[i] AND NOT quota_counted THEN
            IF wagen_charge_quota(p_tenants[i], month, p_limits[i]) THEN
                UPDATE message_tracking SET quota_counted = true
                 WHERE tenant_id = p_tenants[i] AND direction = 'inbound'
                   AND wa_message_id = p_messages[i];
                quota_counted := true;
            ELSE
                UPDATE message_tracking SET claimed_by = NULL, sending_since = NULL
                 WHERE tenant_id = p_tenants[i] AND direction = 'inbound'
                   AND wa_message_id = p_messages[i] AND status = 'received';
                outcome := 'over_quota';
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

-- A batch of outbound claims (agent messages, keyed by their Genesys id) in one call, with
-- what the send needs to know of the customer: the identity the agent's channel.to.id
-- stands for now (a merged key answers for its survivor) and the window of the number they
-- last wrote to. Outcomes as for wagen_claim_inbound (no quota: agent messages are not
-- charged).
CREATE FUNCTION wagen_claim_outbound(
    p_worker uuid, p_tenants text[], p_messages text[], p_keys text[]
) RETURNS TABLE (
    outcome text, customer text, kind text, wa_id text, user_id text,
    phone_number_id text, last_message_at timestamptz,
    parts_sent integer, error jsonb, left_s float8
)
    LANGUAGE plpgsql
    AS $$
DECLARE
    i integer;
    row record;
    who record;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tenants, 1), 0) LOOP
        WITH RECURSIVE chain AS (
            SELECT c.customer_key, c.merged_into, c.kind, c.wa_id, c.user_id, 0 AS hops
              FROM customer_identities c
             WHERE c.tenant_id = p_tenants[i] AND c.customer_key = p_keys[i]
          UNION ALL
            SELECT c.customer_key, c.merged_into, c.kind, c.wa_id, c.user_id, chain.hops + 1
              FROM customer_identities c JOIN chain ON c.customer_key = chain.merged_into
             WHERE c.tenant_id = p_tenants[i] AND chain.hops < 5
        )
        SELECT chain.customer_key, chain.kind, chain.wa_id, chain.user_id INTO who
          FROM chain WHERE chain.merged_into IS NULL ORDER BY chain.hops DESC LIMIT 1;
        customer := coalesce(who.customer_key, p_keys[i]);
        kind := who.kind;
        wa_id := who.wa_id;
        user_id := who.user_id;
        phone_number_id := NULL;
        last_message_at := NULL;
        SELECT m.phone_number_id, m.last_message_at INTO phone_number_id, last_message_at
          FROM conversation_mappings m
         WHERE m.tenant_id = p_tenants[i] AND m.wa_id = customer;
        left_s := 0;
        INSERT INTO message_tracking
            (tenant_id, direction, wa_id, genesys_message_id, status, claimed_by)
        VALUES (p_tenants[i], 'outbound', customer, p_messages[i], 'received', p_worker)
        ON CONFLICT (tenant_id, direction, genesys_message_id)
            WHERE genesys_message_id IS NOT NULL
        DO NOTHING
        RETURNING message_tracking.parts_sent, message_tracking.error INTO parts_sent, error;
        IF FOUND THEN
            outcome := 'claimed';
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT t.tracking_id, t.status, t.claimed_by, t.parts_sent AS done_parts,
               t.error AS failure, wagen_claim_left(t.claimed_by, t.claimed_until) AS left_for
          INTO row
          FROM message_tracking t
         WHERE t.tenant_id = p_tenants[i] AND t.direction = 'outbound'
           AND t.genesys_message_id = p_messages[i]
           FOR UPDATE;
        parts_sent := coalesce(row.done_parts, 0);
        error := row.failure;
        IF row.tracking_id IS NULL OR row.status <> 'received' THEN
            outcome := 'duplicate';
        ELSIF row.left_for > 0 OR row.claimed_by = p_worker THEN
            outcome := 'busy';
            left_s := greatest(row.left_for, 0.5);
        ELSE
            UPDATE message_tracking SET claimed_by = p_worker, claimed_until = NULL,
                   updated_at = now()
             WHERE tenant_id = p_tenants[i] AND tracking_id = row.tracking_id;
            outcome := 'claimed';
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
