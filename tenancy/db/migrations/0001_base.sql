-- Base tables. Every tenant-owned row carries tenant_id; credentials never live here
-- (they are in Vault), API keys only as keyed hashes.

CREATE TABLE tenants (
    tenant_id   text PRIMARY KEY
                CHECK (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    subdomain   text        UNIQUE
                CHECK (subdomain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    status      text        NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'suspended', 'deleted')),
    plan        text        NOT NULL DEFAULT 'free',
    -- messages per second this tenant may push to Genesys/Meta; NULL = the plan's default
    rate_limit  integer     CHECK (rate_limit > 0),
    metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE tenant_api_keys (
    key_id       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    -- non-secret lookup prefix shown in listings; the secret part is only ever hashed
    prefix       text        NOT NULL UNIQUE,
    key_hash     bytea       NOT NULL,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    is_active    boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX tenant_api_keys_tenant_idx ON tenant_api_keys (tenant_id);

CREATE TABLE conversation_mappings (
    tenant_id               text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    wa_id                   text        NOT NULL,
    -- the business number the customer wrote to (a tenant may own several)
    phone_number_id         text,
    genesys_conversation_id text,
    genesys_participant_id  text,
    contact_name            text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    last_message_at         timestamptz,
    PRIMARY KEY (tenant_id, wa_id)
);
CREATE INDEX conversation_mappings_genesys_idx
    ON conversation_mappings (tenant_id, genesys_conversation_id);
CREATE INDEX conversation_mappings_recent_idx
    ON conversation_mappings (tenant_id, last_message_at DESC);

CREATE TABLE message_tracking (
    tenant_id          text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    tracking_id        uuid        NOT NULL DEFAULT gen_random_uuid(),
    direction          text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    wa_id              text,
    wa_message_id      text,
    genesys_message_id text,
    status             text        NOT NULL DEFAULT 'received'
                       CHECK (status IN ('received', 'sent', 'delivered', 'read', 'failed')),
    error              jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, tracking_id)
);
-- At-least-once delivery is made safe here: one row per vendor message id and direction.
CREATE UNIQUE INDEX message_tracking_wa_message_uq
    ON message_tracking (tenant_id, direction, wa_message_id) WHERE wa_message_id IS NOT NULL;
CREATE UNIQUE INDEX message_tracking_genesys_message_uq
    ON message_tracking (tenant_id, direction, genesys_message_id)
    WHERE genesys_message_id IS NOT NULL;
CREATE INDEX message_tracking_recent_idx ON message_tracking (tenant_id, created_at DESC);

-- Daily counters per metric (messages_in, messages_out, media_bytes, ...) for billing.
CREATE TABLE usage_daily (
    tenant_id  text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    day        date        NOT NULL,
    metric     text        NOT NULL,
    value      bigint      NOT NULL DEFAULT 0 CHECK (value >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, day, metric)
);

-- Append-only. No foreign key: the trail must outlive a purged tenant.
CREATE TABLE audit_log (
    audit_id   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  text        NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    target     text,
    details    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at DESC);
