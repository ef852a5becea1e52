-- The worker's group commits: one statement carries the rows of several tenants, each row
-- with its own tenant_id (pipeline/store/group_commit.py). tenancy.db.scope.batch_tx names
-- exactly the tenants of the batch in `wagen.tenant_ids`; this permissive policy lets a
-- statement see and write those tenants' rows and no others, so a batch still cannot touch
-- a tenant it does not carry.

CREATE FUNCTION wagen_batch_tenants() RETURNS text[]
    LANGUAGE sql STABLE
    AS $$ SELECT string_to_array(nullif(current_setting('wagen.tenant_ids', true), ''), ',') $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'message_tracking', 'conversation_mappings', 'usage_daily', 'customer_identities'
    ] LOOP
        EXECUTE format(
            'CREATE POLICY tenant_batch ON %I '
            'USING (tenant_id = ANY (wagen_batch_tenants())) '
            'WITH CHECK (tenant_id = ANY (wagen_batch_tenants()))', t);
    END LOOP;
END
$$;
