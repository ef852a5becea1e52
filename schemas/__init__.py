"""Pure pydantic models of the vendor payloads and of wagen's own Kafka events (no I/O)."""
