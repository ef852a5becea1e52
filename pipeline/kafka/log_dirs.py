"""Size on disk of topic partitions, from the brokers' DescribeLogDirs API.

aiokafka 0.14 has no ``describe_log_dirs``: this module adds the request (API key 35,
version 1, the oldest one Kafka 4 still serves and the newest without flexible encoding)
on aiokafka's own protocol classes, and sends it to every broker through a plain
``AIOKafkaClient``. Each broker reports the replicas it holds, so a replicated partition is
reported once per broker: ``partition_sizes`` keeps the largest replica, the size a
partition takes on one disk (multiply by the replication factor for the cluster total).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Boolean, Int16, Int32, Int64, Schema, String

_API_KEY = 35


class _DescribeLogDirsResponseV1(Response):  # type: ignore[misc]  # aiokafka ships no types
    API_KEY = _API_KEY
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            Array(
                ("error_code", Int16),
                ("log_dir", String("utf-8")),
                (
                    "topics",
                    Array(
                        ("name", String("utf-8")),
                        (
                            "partitions",
                            Array(
                                ("partition_index", Int32),
                                ("partition_size", Int64),
                                ("offset_lag", Int64),
                                ("is_future_key", Boolean),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )


class _DescribeLogDirsRequestV1(RequestStruct):  # type: ignore[misc]  # aiokafka ships no types
    API_KEY = _API_KEY
    API_VERSION = 1
    RESPONSE_TYPE = _DescribeLogDirsResponseV1
    SCHEMA = Schema(
        ("topics", Array(("topic", String("utf-8")), ("partitions", Array(Int32)))),
    )


class DescribeLogDirsRequest(Request[_DescribeLogDirsRequestV1]):  # type: ignore[misc]  # no types
    """All partitions of the given topics (``None``: every partition the broker holds)."""

    API_KEY = _API_KEY

    def __init__(self, topics: dict[str, list[int]] | None) -> None:
        self._topics = topics

    def build(self, request_struct_class: type[_DescribeLogDirsRequestV1]) -> Any:
        topics = None if self._topics is None else list(self._topics.items())
        return request_struct_class(topics)


def sizes_from_response(results: Iterable[Any]) -> dict[tuple[str, int], int]:
    """``(topic, partition) -> bytes`` from one broker's answer (future replicas left out).

    Raises the Kafka error of a log dir that reports one (e.g. a failed disk).
    """
    sizes: dict[tuple[str, int], int] = {}
    for error_code, log_dir, topics in results:
        if error_code:
            raise for_code(error_code)(f"log dir {log_dir}")
        for name, partitions in topics:
            for partition, size, _lag, is_future in partitions:
                if not is_future:
                    key = (name, partition)
                    sizes[key] = sizes.get(key, 0) + size
    return sizes


async def partition_sizes(
    servers: list[str], topics: dict[str, list[int]], *, request_timeout_ms: int = 30_000
) -> dict[tuple[str, int], int]:
    """Bytes on disk of each partition of ``topics`` (the largest replica's size)."""
    client = AIOKafkaClient(bootstrap_servers=servers, request_timeout_ms=request_timeout_ms)
    await client.bootstrap()
    try:
        found: dict[tuple[str, int], int] = {}
        for broker in client.cluster.brokers():
            response = await client.send(broker.nodeId, DescribeLogDirsRequest(topics))
            for key, size in sizes_from_response(response.results).items():
                found[key] = max(found.get(key, 0), size)
        return found
    finally:
        await client.close()
