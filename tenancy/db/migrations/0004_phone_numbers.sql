-- Which tenant owns which WhatsApp business number. The shared-app webhook route resolves the
-- tenant strictly from here (never by guessing), and a per-tenant route refuses a number it
-- does not own. Filled when a tenant's Meta credentials are stored.

CREATE TABLE tenant_phone_numbers (
    phone_number_id text        PRIMARY KEY CHECK (phone_number_id ~ '^[0-9]{1,30}$'),
    tenant_id       text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    waba_id         text        CHECK (waba_id ~ '^[0-9]{1,30}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_phone_numbers_tenant_idx ON tenant_phone_numbers (tenant_id);

ALTER TABLE tenant_phone_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_phone_numbers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_phone_numbers
    USING (tenant_id = wagen_current_tenant()) WITH CHECK (tenant_id = wagen_current_tenant());
CREATE POLICY platform_scope ON tenant_phone_numbers
    USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope());
