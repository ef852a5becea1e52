-- The worker's delivery claims on message_tracking.
--
-- A row per (tenant, direction, vendor message id) already exists (unique index from 0001):
-- inserting it is the durable half of the idempotency claim. Two facts make a claim safe to
-- retry after a crash:
--   * claimed_until: a lease. While it is in the future another worker (a redelivery during a
--     rebalance, a replay) leaves the message alone; once it passes, a crashed holder's work is
--     taken over. NULL = not held.
--   * quota_counted: the plan quota was charged for this message, so a retry after a failed
--     send does not charge it twice.
ALTER TABLE message_tracking
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN quota_counted boolean NOT NULL DEFAULT false;
