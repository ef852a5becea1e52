"""Unit tests of the connectors: pure code, no services."""
