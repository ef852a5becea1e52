"""Tests of connectors/translate: both directions, table by table, and the reference."""
