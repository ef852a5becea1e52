-- Runs once, as the image's superuser, when the PostgreSQL volume is first initialised.
-- wagen connects as its own role: not a superuser and without BYPASSRLS, because either would
-- let it read past row-level security, which is what keeps one tenant's rows from another.
-- The password is the local dev stack's; this file is for `docker compose` on a laptop only.
CREATE ROLE wagen LOGIN PASSWORD 'wagen' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE DATABASE wagen OWNER wagen;
