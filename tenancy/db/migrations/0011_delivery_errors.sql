-- The doctor's "last delivery error" of a tenant: the newest message_tracking row with an
-- error. Errors are rare, so a partial index keeps that lookup one index probe per tenant
-- however many messages the tenant carried.
CREATE INDEX message_tracking_errors_idx
    ON message_tracking (tenant_id, updated_at DESC) WHERE error IS NOT NULL;
