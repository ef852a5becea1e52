"""The processes a benchmark starts: spawned with a log file, measured, stopped by pid.

Each process logs to a file under the run's scratch directory (a pipe nobody reads would
block a chatty process once 64 KiB wait). CPU time is read from ``/proc/<pid>/stat``, so a
table can say how much of the two cores each process (the load generator included) took.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """The benchmark could not run as planned (a process died, a wait timed out)."""


@dataclass
class Proc:
    """One spawned process: its name, handle and log."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """The process id."""
        return self.popen.pid

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far (0 once it has exited)."""
        return cpu_seconds(self.pid)

    def tail(self, size: int = 4000) -> str:
        """The end of its log."""
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def check_alive(self) -> None:
        """Raise with the log's end if the process has exited."""
        if self.popen.poll() is not None:
            raise BenchError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")

    def stop(self, timeout_s: float = 30) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` from ``/proc`` (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command: state is field 3, utime 14 and stime 15 (1-based, see proc(5)).
    return (int(fields[11]) + int(fields[12])) / _TICKS


# The local stack's services, by the command name the kernel reports (``/proc/<pid>/comm``).
STACK_SERVICES = {"postgres": "postgres", "java": "kafka", "redis-server": "redis", "bao": "vault"}


def stack_cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by each process of the local stack, keyed ``service#pid``
    (PostgreSQL forks a process per connection: a sum over a service would drop whatever a
    process that exits in between had used)."""
    used: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            service = STACK_SERVICES.get((entry / "comm").read_text().strip())
        except OSError:
            continue
        if service is not None:
            used[f"{service}#{entry.name}"] = cpu_seconds(int(entry.name))
    return used


def machine_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of all cores since boot, from ``/proc/stat``.

    Busy is user + nice + system + irq + softirq (guest time is already inside user);
    stolen is time the hypervisor gave our virtual cores to someone else.
    """
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / _TICKS, steal / _TICKS


@dataclass
class Processes:
    """Every process of a run, so all are stopped at the end whatever happens."""

    scratch: Path
    running: list[Proc] = field(default_factory=list)

    def spawn(self, name: str, args: Sequence[str], env: Mapping[str, str]) -> Proc:
        """Start ``python ARGS`` from the repository root with ``env`` over ours."""
        log = self.scratch / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, *args],
                cwd=REPO_ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(name, popen, log)
        self.running.append(proc)
        return proc

    def stop(self, proc: Proc) -> None:
        """Stop one process and forget it."""
        proc.stop()
        if proc in self.running:
            self.running.remove(proc)

    async def finish(self, proc: Proc) -> None:
        """Wait for a process that ends by itself; raise with its log if it failed."""
        returncode = await asyncio.to_thread(proc.popen.wait)
        self.running.remove(proc)
        if returncode != 0:
            raise BenchError(f"{proc.name} failed ({returncode}):\n{proc.tail()}")

    def stop_all(self) -> None:
        """Stop every process still running, newest first."""
        for proc in reversed(self.running):
            proc.stop()
        self.running.clear()


async def wait_http(url: str, proc: Proc, timeout_s: float = 60) -> None:
    """Wait until ``url`` answers 200 (fail early if ``proc`` dies)."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            proc.check_alive()
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"{proc.name}: {url} not ready after {timeout_s}s\n{proc.tail()}")
            await asyncio.sleep(0.2)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
