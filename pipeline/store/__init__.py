"""The pipeline's PostgreSQL stores: message tracking and conversation mappings.

Every query runs inside :func:`tenancy.db.scope.tenant_tx` (the tables have FORCE ROW LEVEL
SECURITY) and names ``tenant_id`` in its WHERE clause as well, so the policy is a guard,
not the filter.
"""
