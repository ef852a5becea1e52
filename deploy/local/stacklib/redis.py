"""Redis from Debian's redis-server package."""

from __future__ import annotations

import re
import socket

from .apt import stop_system_service
from .config import HOST
from .proc import run_quiet, which
from .service import Service


class Redis(Service):
    """Redis from Debian's redis-server package, run in the foreground without persistence."""

    name = "redis"
    port_env = "WAGEN_STACK_REDIS_PORT"
    health_timeout = 20.0
    exe_marker = "redis-server"

    @property
    def port(self) -> int:
        return self.cfg.redis_port

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def describe(self) -> str:
        out = run_quiet(["redis-server", "--version"]).stdout
        match = re.search(r"v=(\S+)", out)
        return f"Redis {match.group(1)}" if match else "Redis"

    def prepare(self) -> None:
        if which("redis-server") is None:
            self.apt.install("redis-server")
            # The package starts the distro instance on 6379; it is not ours to keep.
            stop_system_service("redis-server", self.apt.log)

    def command(self) -> tuple[list[str], dict[str, str] | None, str | None]:
        server = which("redis-server") or "redis-server"
        return (
            [
                server,
                "--bind",
                HOST,
                "--port",
                str(self.port),
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--pidfile",
                str(self.dir / "redis-server.pid"),
                "--logfile",
                str(self.log),
            ],
            None,
            None,
        )

    def probe(self) -> bool:
        """PING over RESP must return +PONG."""
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as sock:
                sock.settimeout(2)
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
