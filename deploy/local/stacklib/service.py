"""The Service base: start/stop/status of one server, shared by every service of the stack."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from .apt import Apt
from .config import HOST, Config
from .errors import StackError, fail_with_log
from .proc import pid_alive, port_free, port_owner, proc_cmdline, proc_link, spawn


class Service(ABC):
    """One server of the stack: how to install, start, probe, recognise and stop it."""

    name: ClassVar[str]
    port_env: ClassVar[str]
    health_timeout: ClassVar[float] = 60.0
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM
    exe_marker: ClassVar[str]

    def __init__(self, cfg: Config, apt: Apt) -> None:
        self.cfg = cfg
        self.apt = apt
        self.dir = cfg.state / self.name
        self.log = cfg.log_dir / f"{self.name}.log"
        self.pid_file = cfg.run_dir / f"{self.name}.pid"

    # -- what each service defines

    @property
    @abstractmethod
    def port(self) -> int:
        """Main client port (what `status` shows)."""

    def ports(self) -> dict[int, str]:
        """Every port the service binds, mapped to the env var that moves it."""
        return {self.port: self.port_env}

    @property
    @abstractmethod
    def url(self) -> str:
        """How clients reach it (DSN / URL), printed by `status`."""

    @abstractmethod
    def prepare(self) -> None:
        """Install binaries and initialise on-disk state; may be slow the first time."""

    @abstractmethod
    def command(self) -> tuple[list[str], dict[str, str] | None, str | None]:
        """argv, environment (None = inherit) and OS user (None = us) of the server process."""

    @abstractmethod
    def probe(self) -> bool:
        """One quick health check; must not raise."""

    @abstractmethod
    def describe(self) -> str:
        """Product and version for the `up` line."""

    def after_start(self) -> None:
        """Post-start provisioning (roles, mounts); must be idempotent. Default: none."""
        return

    def process_cwd(self) -> Path:
        """Working directory the server runs in; part of recognising our own pid."""
        return self.dir

    # -- shared behaviour

    def owns(self, pid: int) -> bool:
        """Whether pid is still our server, not an unrelated process that reused the pid."""
        if not pid_alive(pid):
            return False
        exe = proc_link(pid, "exe")
        cmdline = " ".join(proc_cmdline(pid))
        cwd = proc_link(pid, "cwd")
        looks_right = self.exe_marker in exe or self.exe_marker in cmdline
        return looks_right and (cwd == str(self.process_cwd()) or not cwd)

    def running_pid(self) -> int | None:
        """Pid from our pid file if that process is still ours; drops stale pid files."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if self.owns(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def line(self, state: str, detail: str) -> str:
        """The one line per service that every command prints."""
        return f"{self.name:<9} {state:<5} {HOST}:{self.port:<6} ({detail})"

    def wait_healthy(self, proc: subprocess.Popen[bytes] | None, timeout: float) -> bool:
        """Poll probe() until healthy, the timeout, or (if we started it) the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.probe():
                return True
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.3)
        return self.probe()

    def check_ports(self) -> None:
        """Refuse to start if a port is taken by something that is not ours."""
        for port, env in self.ports().items():
            if not port_free(port):
                raise StackError(
                    f"{self.name}: port {HOST}:{port} is already in use by {port_owner(port)}; "
                    f"stop that process or set {env} to a free port"
                )

    def up(self) -> str:
        """Start the service unless our copy already runs healthy; returns the status line."""
        pid = self.running_pid()
        if pid is not None:
            if not self.wait_healthy(None, self.health_timeout):
                raise fail_with_log(
                    f"{self.name} (pid {pid}) is running but not healthy; "
                    f"try `deploy/local/stack restart {self.name}`",
                    self.log,
                )
            self.after_start()
            return self.line("up", f"already running, pid {pid}")
        return self.confirm(*self.launch())

    def launch(self) -> tuple[subprocess.Popen[bytes], float]:
        """Prepare and spawn the server, without waiting for it (a quorum starts together)."""
        self.check_ports()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self.check_ports()  # installers may have started a distro copy on our port
        argv, env, user = self.command()
        started = time.monotonic()
        proc = spawn(argv, self.log, self.process_cwd(), env, user)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{proc.pid}\n")
        return proc, started

    def confirm(self, proc: subprocess.Popen[bytes], started: float) -> str:
        """Wait until a launched server is healthy; stop it and raise if it is not."""
        if not self.wait_healthy(proc, self.health_timeout):
            died = proc.poll() is not None
            self._terminate(proc.pid)
            self.pid_file.unlink(missing_ok=True)
            why = (
                "exited during startup"
                if died
                else f"did not become healthy within {self.health_timeout:.0f}s"
            )
            raise fail_with_log(f"{self.name} {why}", self.log)
        self.after_start()
        took = time.monotonic() - started
        return self.line("up", f"{self.describe()}, pid {proc.pid}, started in {took:.1f}s")

    def _terminate(self, pid: int, timeout: float = 20.0) -> bool:
        """stop_signal, wait, then SIGKILL; True if it had to be killed."""
        try:
            os.kill(pid, self.stop_signal)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return False
            time.sleep(0.2)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        while pid_alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
        return True

    def down(self) -> str:
        """Stop exactly the process in our pid file; never anything else."""
        pid = self.running_pid()
        if pid is None:
            return self.line("down", "not running")
        killed = self._terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        return self.line("down", f"stopped pid {pid}" + (" (SIGKILL after 20s)" if killed else ""))

    def status(self) -> tuple[bool, str]:
        """(healthy, line) for `status`."""
        pid = self.running_pid()
        if pid is None:
            taken = [p for p in self.ports() if not port_free(p)]
            if taken:
                return False, self.line("down", f"port {taken[0]} taken by {port_owner(taken[0])}")
            return False, self.line("down", "not running")
        if not self.probe():
            return False, self.line("sick", f"pid {pid} not answering health check; see {self.log}")
        return True, self.line("up", f"pid {pid}, {self.url}")
