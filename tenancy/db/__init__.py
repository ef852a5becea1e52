"""PostgreSQL access: the connection pool, versioned migrations, tenant-scoped queries."""
