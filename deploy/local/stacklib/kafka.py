"""Kafka in KRaft mode from Maven jars, its CLI tools, and a Kafka-protocol health probe."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import socket
import string
import struct
import uuid
from collections.abc import Sequence
from pathlib import Path

from .apt import Apt
from .config import HERE, HOST, Config
from .errors import StackError, fail_with_log
from .proc import run_logged, run_quiet, which
from .service import Service


class Kafka(Service):
    """Apache Kafka in KRaft mode (broker+controller in one JVM), jars from Maven Central."""

    name = "kafka"
    port_env = "WAGEN_STACK_KAFKA_PORT"
    health_timeout = 90.0
    exe_marker = "kafka.Kafka"
    src = HERE / "kafka"
    template = "server.properties"

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

    @property
    def shared_dir(self) -> Path:
        """Where the classpath cache and the cluster id live (one node: its own dir)."""
        return self.dir

    def substitutions(self) -> dict[str, object]:
        """The values of the template's placeholders."""
        return {
            "broker_port": self.cfg.kafka_port,
            "controller_port": self.cfg.kafka_controller_port,
            "log_dirs": self.data_dir,
        }

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
        cp_file = self.shared_dir / "classpath.txt"
        stamp = self.shared_dir / "classpath.pom.sha256"
        digest = hashlib.sha256(pom.read_bytes()).hexdigest()
        if cp_file.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
            cp = cp_file.read_text().strip()
            if cp and all(Path(jar).is_file() for jar in cp.split(os.pathsep)):
                return cp
        if which("mvn") is None:
            self.apt.install("maven")
        mvn_log = self.cfg.log_dir / "kafka-mvn.log"
        print(  # noqa: T201  progress for the person running the stack
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
        source = self.src / self.template
        try:
            text = string.Template(source.read_text()).substitute(self.substitutions())
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
        id_file = self.shared_dir / "cluster.id"
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
