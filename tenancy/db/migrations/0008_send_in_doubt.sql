-- A delivery whose outcome a worker may not have seen.
--
-- sending_since is set when a worker first claims an inbound message (its Genesys call may
-- start any moment after) and cleared once the outcome is known: 'sent' with the Genesys id,
-- or a failure Genesys answered (nothing was accepted). A row taken over with it still set
-- is in doubt: the previous holder died, or its call timed out, after Genesys may have
-- accepted the message. The next holder asks Genesys before sending again
-- (pipeline/worker/reconcile.py).
ALTER TABLE message_tracking
    ADD COLUMN sending_since timestamptz;
