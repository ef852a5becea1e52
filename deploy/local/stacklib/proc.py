"""Processes and ports: running commands, spawning servers, recognising pids, finding owners."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import HOST


def which(cmd: str) -> str | None:
    """shutil.which that also looks in sbin dirs, which a non-login root PATH may lack."""
    extra = os.pathsep.join(["/usr/local/sbin", "/usr/sbin", "/sbin"])
    return shutil.which(cmd, path=os.environ.get("PATH", "") + os.pathsep + extra)


def shown(cmd: Sequence[str]) -> str:
    """Command line for log headers, with huge arguments (the Kafka classpath) elided."""
    return " ".join(arg if len(arg) <= 200 else f"<{len(arg)} chars>" for arg in cmd)


def run_logged(cmd: Sequence[str], log: Path, **kwargs: Any) -> int:
    """Run a setup command to completion with its output appended to a log file."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n$ {shown(cmd)}\n".encode())
        out.flush()
        try:
            return subprocess.run(  # noqa: S603  argv from our own code, no shell
                list(cmd),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
                **kwargs,
            ).returncode
        except OSError as exc:
            out.write(f"{exc}\n".encode())
            return 127


def run_quiet(
    cmd: Sequence[str], timeout: float = 10.0, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a short probe command and capture its output as text."""
    return subprocess.run(  # noqa: S603  argv from our own code, no shell
        list(cmd),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def pid_alive(pid: int) -> bool:
    """True if pid runs and is not a zombie (our detached children may never be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :][:1] not in ("Z", "X")


def proc_cmdline(pid: int) -> list[str]:
    """Arguments of a process, empty if it is gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def proc_link(pid: int, name: str) -> str:
    """Target of /proc/<pid>/<name> (exe, cwd), empty if unreadable."""
    try:
        return os.readlink(f"/proc/{pid}/{name}")
    except OSError:
        return ""


def port_free(port: int) -> bool:
    """True if nothing listens on the port (any address), checked by binding to it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on a port, from /proc/net/tcp{,6}."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def port_owner(port: int) -> str:
    """Best-effort 'pid N: command' of whoever listens on a port, for the error message."""
    targets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if targets:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
            except OSError:
                continue
            if links & targets:
                cmd = " ".join(proc_cmdline(int(proc.name)))[:120]
                return f"pid {proc.name}: {cmd}"
    return "owner unknown (another user or network namespace?)"


def spawn(
    cmd: Sequence[str],
    log: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a long-running server detached from our terminal, output appended to its log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} $ {shown(cmd)}\n".encode())
        out.flush()
        extra: dict[str, Any] = {}
        if user is not None:
            extra = {"user": user, "group": user, "extra_groups": []}
        return subprocess.Popen(  # noqa: S603  argv from our own code, no shell
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            **extra,
        )
