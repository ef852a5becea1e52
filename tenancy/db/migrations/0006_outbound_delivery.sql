-- The outbound direction (agent -> WhatsApp) on message_tracking.
--
-- An outbound row is claimed by its Genesys message id (the unique index from 0001) before
-- the first Meta call, because the wamid only exists once Meta accepted the send; the wamid
-- of the last WhatsApp message is written when the agent's message is done, so a status
-- webhook finds the Genesys id for the receipt.
--
-- parts_sent: how many WhatsApp messages of the agent's message Meta has accepted. One agent
-- message may become several sends (an attachment and its text, text over 4096 characters);
-- a retry after a failure on a later part resumes after the parts already sent instead of
-- sending them twice (Meta has no idempotency key for sends).
ALTER TABLE message_tracking
    ADD COLUMN parts_sent smallint NOT NULL DEFAULT 0 CHECK (parts_sent >= 0);

-- The customer's latest inbound message: the agent's typing indicator is attached to it.
CREATE INDEX message_tracking_customer_inbound_idx
    ON message_tracking (tenant_id, wa_id, created_at DESC) WHERE direction = 'inbound';
