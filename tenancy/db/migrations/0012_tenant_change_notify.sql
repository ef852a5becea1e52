-- Every change of a tenant row is announced at commit on the channel wagen_tenant_changed
-- (payload: the tenant id), so each gateway drops what it cached about that tenant at once:
-- a suspension or deletion stops the tenant's webhooks on every replica immediately instead
-- of when the cache expires (pipeline/gateway/tenant_changes.py listens). NOTIFY is
-- transactional: a rolled-back change announces nothing, and every path (admin API, CLI,
-- purge, an operator's own SQL) is covered.
CREATE FUNCTION wagen_announce_tenant_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('wagen_tenant_changed', OLD.tenant_id);
    ELSE
        PERFORM pg_notify('wagen_tenant_changed', NEW.tenant_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_announce_change
    AFTER UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION wagen_announce_tenant_change();
