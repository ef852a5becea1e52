"""Operator tooling over Kafka and the stores: DLQ reading, replay and purge, held events,
consumer lag, tail and re-drive. The CLI and the worker's held releaser use it.
"""
