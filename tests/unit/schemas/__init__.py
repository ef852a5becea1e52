"""Unit tests of the pure vendor and event models (contract tests on the shared reference)."""
