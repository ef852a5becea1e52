-- What WhatsApp tells wagen beside customer messages (issue 13, point 6): marketing
-- preferences, the pricing of each message Meta bills, a tenant's callback queue, and the
-- claims of the new things the worker carries.

-- A customer's marketing choice (user_preferences webhooks), one row per tenant, customer
-- and category. Later template sends read it to refuse an opted-out customer. Only a newer
-- choice (Meta's timestamp) replaces an older one: webhooks arrive unordered and at least
-- once.
CREATE TABLE customer_preferences (
    tenant_id  text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    -- wagen's customer id: the wa_id, or the business-scoped user id when Meta sent no number
    customer   text        NOT NULL CHECK (length(customer) BETWEEN 1 AND 200),
    -- Meta's category (marketing_messages)
    category   text        NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    opted_out  boolean     NOT NULL,
    -- Meta's value as sent (stop, resume, signup) and its sentence
    choice     text        NOT NULL CHECK (length(choice) BETWEEN 1 AND 100),
    detail     text,
    chosen_at  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer, category)
);

-- One row per message Meta priced (statuses carry `pricing` on `sent` and again on one of
-- `delivered`/`read`): the first status with pricing inserts it and counts it in usage_daily
-- in the same statement, every later one finds the row and counts nothing.
CREATE TABLE message_pricing (
    tenant_id     text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    wa_message_id text        NOT NULL CHECK (length(wa_message_id) BETWEEN 1 AND 200),
    category      text        NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    billable      boolean     NOT NULL,
    pricing_model text,
    pricing_type  text,
    -- the usage day it was counted on
    day           date        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, wa_message_id)
);
CREATE INDEX message_pricing_day_idx ON message_pricing (tenant_id, day);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customer_preferences', 'message_pricing'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (tenant_id = wagen_current_tenant()) '
            'WITH CHECK (tenant_id = wagen_current_tenant())', t);
        EXECUTE format(
            'CREATE POLICY platform_scope ON %I '
            'USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope())', t);
    END LOOP;
END
$$;

-- The Genesys queue a customer's WhatsApp call attempt becomes a callback in; NULL: the
-- tenant does not want callbacks (the agent is told of the call all the same).
ALTER TABLE tenants
    ADD COLUMN callback_queue_id text CHECK (length(callback_queue_id) BETWEEN 1 AND 128);

-- Delivery claims of the new things the worker carries, beside inbound and outbound
-- messages: an echo of the business's own send ('echo', by its wamid), the notice of a
-- customer's call attempt ('call', by the call id) and the Genesys callback created for it
-- ('callback', by the call id). Their own directions keep them out of the inbound lookups
-- (the latest inbound wamid, which typing indicators attach to).
ALTER TABLE message_tracking DROP CONSTRAINT message_tracking_direction_check;
ALTER TABLE message_tracking ADD CONSTRAINT message_tracking_direction_check
    CHECK (direction IN ('inbound', 'outbound', 'echo', 'call', 'callback'));
