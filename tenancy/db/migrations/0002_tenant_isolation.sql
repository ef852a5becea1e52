-- Tenant isolation enforced by PostgreSQL itself (row-level security), plans from config,
-- and an append-only audit log.
--
-- Every tenant table gets ENABLE + FORCE ROW LEVEL SECURITY: FORCE makes the policies apply
-- to the owning role too, and the app role has neither SUPERUSER nor BYPASSRLS, so a query
-- that forgets its WHERE tenant_id = ... still sees one tenant only. Two permissive policies:
--   * tenant_isolation: rows of the tenant named by `wagen.tenant_id`, which the app sets per
--     transaction with set_config(..., true) (tenancy.db.scope.tenant_tx);
--   * platform_scope: every row, only while `wagen.scope` = 'platform', set per transaction by
--     tenancy.db.scope.platform_tx, the one greppable escape for cross-tenant work (listing
--     tenants, resolving an API key prefix or a subdomain, purging).
-- A session that sets neither sees nothing. This guards against forgotten filters, not
-- against SQL injection (which could set the variables itself): queries stay parameterized.

CREATE FUNCTION wagen_current_tenant() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('wagen.tenant_id', true), '') $$;

CREATE FUNCTION wagen_platform_scope() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('wagen.scope', true) = 'platform', false) $$;

-- tenants: a tenant may read its own row; only the platform scope writes.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_self_read ON tenants FOR SELECT
    USING (tenant_id = wagen_current_tenant());
CREATE POLICY platform_scope ON tenants
    USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope());

-- Plans live in configuration (WAGEN_TENANCY_PLANS); 'free' was the foundation's placeholder.
ALTER TABLE tenants ALTER COLUMN plan SET DEFAULT 'starter';
UPDATE tenants SET plan = 'starter' WHERE plan = 'free';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tenant_api_keys', 'conversation_mappings', 'message_tracking', 'usage_daily', 'audit_log'
    ] LOOP
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

-- Listing a tenant's keys and counting today's usage are per-tenant hot paths.
CREATE INDEX tenant_api_keys_active_idx ON tenant_api_keys (tenant_id) WHERE revoked_at IS NULL;
CREATE INDEX conversation_mappings_created_idx
    ON conversation_mappings (tenant_id, created_at DESC, wa_id DESC);
CREATE INDEX tenants_deleted_idx ON tenants (deleted_at) WHERE status = 'deleted';

-- The audit log is append-only for everyone, the owner included: UPDATE, DELETE and TRUNCATE
-- raise. (Revoking privileges would not bind the owning role; a trigger does.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
