-- Inbound media, downloaded from Meta at ingest and re-served to Genesys through signed links
-- (pipeline.media). Meta's media ids expire and its download URLs live five minutes, so the
-- bytes are kept here, where every gateway replica can read them.
--
-- One row per (tenant, WhatsApp media id): a retried ingest rewrites the same row instead of
-- storing a second copy. expires_at is the retention deadline; the gateway purges rows past it
-- periodically (platform scope, in batches). Row-level security as on every tenant table: a
-- tenant that learns another tenant's media id still reads nothing.

CREATE TABLE media_objects (
    tenant_id  text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    media_id   text        NOT NULL CHECK (char_length(media_id) BETWEEN 1 AND 200),
    mime_type  text        NOT NULL CHECK (char_length(mime_type) BETWEEN 1 AND 255),
    sha256     text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes bigint      NOT NULL CHECK (size_bytes >= 0),
    filename   text        CHECK (char_length(filename) <= 255),
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, media_id),
    CHECK (size_bytes = octet_length(data))
);
-- Photos, audio and video are compressed already: TOAST compression would spend CPU for nothing.
ALTER TABLE media_objects ALTER COLUMN data SET STORAGE EXTERNAL;
-- The purge walks expired rows in expiry order.
CREATE INDEX media_objects_expires_idx ON media_objects (expires_at);

ALTER TABLE media_objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE media_objects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON media_objects
    USING (tenant_id = wagen_current_tenant()) WITH CHECK (tenant_id = wagen_current_tenant());
CREATE POLICY platform_scope ON media_objects
    USING (wagen_platform_scope()) WITH CHECK (wagen_platform_scope());
