"""Running wagen's own entry points as real processes in tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from typing import IO

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError

from pipeline.kafka.topics import TOPICS
from tests.conftest import REPO_ROOT


class WagenProcess(subprocess.Popen[str]):
    """A wagen process whose output goes to a temporary file, read back by ``communicate``.

    A pipe that nobody reads until the end blocks a chatty worker once ~64 KiB of log lines
    are waiting: its event loop freezes and the test measures the freeze, not wagen.
    """

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self._log: IO[str] | None = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in communicate)
        self._output: str | None = None
        super().__init__(
            args, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, text=True
        )

    def output_so_far(self) -> str:
        """What the running process has written until now."""
        if self._log is None:
            return self._output or ""
        # pread: the file offset is shared with the child, which goes on writing there.
        fd = self._log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def communicate(
        self, input: str | None = None, timeout: float | None = None
    ) -> tuple[str, str]:
        """Wait for the process to end; its whole output (stdout and stderr, interleaved)."""
        self.wait(timeout)
        if self._output is None and self._log is not None:
            self._log.seek(0)
            self._output = self._log.read()
            self._log.close()
            self._log = None
        return self._output or "", ""


def wagen(*args: str, env: dict[str, str] | None = None) -> WagenProcess:
    """``python -m pipeline ARGS`` with the test's environment plus ``env``."""
    return WagenProcess([sys.executable, "-m", "pipeline", *args], {**os.environ, **(env or {})})


async def group_state(admin: AIOKafkaAdminClient, group: str) -> tuple[str, int]:
    """(state, member count) of a consumer group."""
    [description] = await admin.describe_consumer_groups([group])
    [entry] = description.groups
    # (error_code, group_id, state, protocol_type, protocol, members, ...)
    return entry[2], len(entry[5])


async def wait_until_stable(
    admin: AIOKafkaAdminClient, group: str, process: subprocess.Popen[str], timeout_s: float = 90
) -> None:
    """Wait until ``process`` is the one stable member of ``group`` (fail if it dies first)."""
    async with asyncio.timeout(timeout_s):
        while True:
            if process.poll() is not None:
                raise AssertionError(process.communicate()[0])
            if await group_state(admin, group) == ("Stable", 1):
                return
            await asyncio.sleep(0.5)


async def start_group_at_end(servers: list[str], group: str) -> None:
    """Commit ``group``'s offsets at the current end of every wagen topic.

    A worker started afterwards reads exactly what is published from now on: no history of
    earlier tests, and no race between its offset reset and the test's first record (with
    ``latest`` and no committed offset, a record sent right after the group turns stable
    can land before the consumer has resolved its position, and be skipped).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in TOPICS])
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        offsets = {tp: await consumer.position(tp) for tp in partitions}
        # A fresh broker creates __consumer_offsets on the first group request: until it
        # has, the coordinator is "not available" for a few seconds.
        async with asyncio.timeout(60):
            while True:
                try:
                    await consumer.commit(offsets)
                    return
                except GroupCoordinatorNotAvailableError:
                    await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
