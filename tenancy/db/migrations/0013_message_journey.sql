-- A message's journey: the steps the worker saw while carrying one message, for operators and
-- tenants to follow it (the console's journey page) without reading logs.
--
-- One row per step: 'delivered' (Genesys or Meta accepted it, with their ids), 'receipt' (a
-- status of an agent's message turned into a Genesys receipt), 'retry' / 'held' / 'dlq' (an
-- attempt failed and the record went to that topic to wait), 'replayed' / 'released' (an
-- operator sent a DLQ or held entry back). The row carries where the record sat on Kafka when
-- the step happened (topic, partition, offset), the attempt, the correlation id, and in
-- detail what the headers knew of the way there: the raw webhook's own topic, partition and
-- offset, when the gateway received it, each earlier failed attempt.
--
-- The 'delivered' and 'receipt' rows are written in the transaction that already records the
-- outcome (one more clause of the same statement: no extra round trip); failure rows are
-- written after the record reached its retry, held or DLQ topic. message_id is the vendor id
-- the message is known by on its way in: the Meta wamid of a customer's message, the Genesys
-- message id of an agent's.

CREATE TABLE message_journey (
    tenant_id      text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    step_id        bigint      GENERATED ALWAYS AS IDENTITY,
    direction      text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    message_id     text        NOT NULL CHECK (char_length(message_id) BETWEEN 1 AND 300),
    step           text        NOT NULL CHECK (step IN (
                                   'delivered', 'receipt', 'retry', 'held', 'dlq',
                                   'replayed', 'released')),
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    correlation_id text        CHECK (char_length(correlation_id) <= 64),
    topic          text,
    kafka_partition integer,
    kafka_offset   bigint,
    attempt        integer     CHECK (attempt >= 0),
    detail         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (tenant_id, step_id)
);
-- The journey page reads one message's steps in order.
CREATE INDEX message_journey_message_idx ON message_journey (tenant_id, message_id, step_id);

ALTER TABLE message_journey ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_journey FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_journey
    USING (tenant_id = wagen_current_tenant()) WITH CHECK (tenant_id = wagen_current_tenant());
CREATE POLICY platform_scope ON message_journey
    USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope());

-- A customer's messages both ways, newest first (the console's conversation page): inbound
-- rows have their index since 0006; this is the outbound half.
CREATE INDEX message_tracking_customer_outbound_idx
    ON message_tracking (tenant_id, wa_id, created_at DESC) WHERE direction = 'outbound';
