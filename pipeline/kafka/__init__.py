"""Kafka: the topics wagen declares, its one producer, the retry-topic headers, and reading
the cluster (admin facts, offset ranges, log dirs). Used by every process; imports nothing
of the gateway, worker or CLI.
"""
