"""PostgreSQL from Debian packages, as our own cluster in the state dir."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from .config import HOST
from .errors import StackError, fail_with_log
from .proc import run_logged, run_quiet, which
from .service import Service


class Postgres(Service):
    """PostgreSQL from Debian's packages, our own cluster in the state dir (not the distro's)."""

    name = "postgres"
    port_env = "WAGEN_STACK_PG_PORT"
    health_timeout = 60.0
    stop_signal = signal.SIGINT  # "fast" shutdown: does not wait for pooled clients to leave
    exe_marker = "postgres"
    os_user = "postgres"

    @property
    def port(self) -> int:
        return self.cfg.pg_port

    @property
    def url(self) -> str:
        return f"postgresql://wagen:wagen@{HOST}:{self.port}/wagen"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def process_cwd(self) -> Path:
        return self.data_dir  # the postmaster chdirs into its data directory

    def bin_dir(self) -> Path | None:
        """Newest /usr/lib/postgresql/<ver>/bin that has a server binary."""
        found = [
            p.parent
            for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")
            if p.parent.parent.name.isdigit()
        ]
        return max(found, key=lambda b: int(b.parent.name)) if found else None

    def bin(self, tool: str) -> str:
        bin_dir = self.bin_dir()
        if bin_dir is None:
            raise StackError("postgres: no server binary in /usr/lib/postgresql/*/bin")
        return str(bin_dir / tool)

    def describe(self) -> str:
        out = run_quiet([self.bin("postgres"), "--version"]).stdout.strip()
        match = re.search(r"\(PostgreSQL\) (\S+)", out)
        return f"PostgreSQL {match.group(1)}" if match else "PostgreSQL"

    def as_root(self) -> bool:
        """Postgres refuses to run as root, so as root we switch to the postgres OS user."""
        return os.geteuid() == 0

    def install(self) -> None:
        """apt-get install postgresql, then stop the distro cluster it may have started."""
        self.apt.install("postgresql")
        bin_dir = self.bin_dir()
        if bin_dir is not None and which("pg_ctlcluster"):
            run_logged(["pg_ctlcluster", bin_dir.parent.name, "main", "stop"], self.apt.log)

    def check_traversal(self) -> None:
        """The postgres user must be able to reach the state dir, or initdb fails obscurely."""
        probe = run_quiet(
            ["test", "-x", str(self.dir)], user=self.os_user, group=self.os_user, extra_groups=[]
        )
        if probe.returncode == 0:
            return
        blocked = [
            str(p)
            for p in reversed(self.dir.parents)
            if p.exists() and not (p.stat().st_mode & 0o001)
        ]
        raise StackError(
            f"postgres: OS user 'postgres' cannot reach {self.dir} (no search permission on "
            f"{', '.join(blocked) or 'a parent dir'}): run `chmod o+x {' '.join(blocked)}` "
            "or set WAGEN_STACK_DIR to a reachable path such as /var/tmp/wagen-stack"
        )

    def prepare(self) -> None:
        if self.bin_dir() is None:
            self.install()
        bin_dir = self.bin_dir()
        if bin_dir is None:
            raise StackError("postgres: installed, but still no /usr/lib/postgresql/*/bin/postgres")
        user: str | None = None
        if self.as_root():
            user = self.os_user
            shutil.chown(self.dir, self.os_user, self.os_user)
            self.dir.chmod(0o700)
            self.check_traversal()
        version_file = self.data_dir / "PG_VERSION"
        if version_file.is_file():
            have = version_file.read_text().strip()
            if have != bin_dir.parent.name:
                raise StackError(
                    f"postgres: {self.data_dir} was created by PostgreSQL {have} but the server "
                    f"here is {bin_dir.parent.name}: remove that directory to start afresh"
                )
            return
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # a half-finished initdb from an interrupted run
        cmd = [
            str(bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
        ]
        extra: dict[str, Any] = {}
        if user is not None:
            extra = {"user": user, "group": user, "extra_groups": []}
        if run_logged(cmd, self.log, cwd=self.dir, **extra) != 0:
            raise fail_with_log("postgres: initdb failed", self.log)

    def command(self) -> tuple[list[str], dict[str, str] | None, str | None]:
        # fsync/synchronous_commit off: a throwaway dev database, speed beats crash safety.
        argv = [
            self.bin("postgres"),
            "-D",
            str(self.data_dir),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={self.dir}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        return argv, env, (self.os_user if self.as_root() else None)

    def probe(self) -> bool:
        try:
            cmd = [self.bin("pg_isready"), "-q", "-h", HOST, "-p", str(self.port), "-t", "2"]
            return run_quiet(cmd, timeout=5).returncode == 0
        except (OSError, StackError, subprocess.TimeoutExpired):
            return False

    def after_start(self) -> None:
        """Create role and database `wagen` (idempotent), then prove a TCP login works."""
        sql = (
            "SELECT 'CREATE ROLE wagen LOGIN PASSWORD ''wagen'' CREATEDB NOSUPERUSER NOBYPASSRLS'"
            " WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wagen') \\gexec\n"
            "SELECT 'CREATE DATABASE wagen OWNER wagen'"
            " WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'wagen') \\gexec\n"
        )
        cmd = [
            self.bin("psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.dir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]
        done = subprocess.run(  # noqa: S603  argv from our own code, no shell
            cmd, input=sql, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise StackError(f"postgres: creating role/db wagen failed: {done.stderr.strip()}")
        check = run_quiet(
            [self.bin("psql"), "-X", "-tA", "-c", "select 1", self.url],
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        if check.stdout.strip() != "1":
            raise StackError(f"postgres: login as wagen over TCP failed: {check.stderr.strip()}")
