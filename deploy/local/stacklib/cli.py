"""Commands of deploy/local/stack: argument parsing, locking, and one line per service."""

from __future__ import annotations

import argparse
import fcntl
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import IO

from . import cluster
from .apt import Apt
from .config import Config
from .errors import StackError
from .kafka import KAFKA_TOOLS, Kafka
from .openbao import OpenBao
from .postgres import Postgres
from .redis import Redis
from .service import Service

SERVICES: tuple[type[Service], ...] = (Kafka, Postgres, Redis, OpenBao)
NAMES = [svc.name for svc in SERVICES]


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
            print(service.up(), flush=True)  # noqa: T201  this CLI's output
    return 0


def cmd_down(cfg: Config, names: Sequence[str]) -> int:
    """Stop our processes in reverse start order."""
    if not cfg.run_dir.is_dir():
        for service in reversed(build(cfg, names)):
            print(service.line("down", "not running"))  # noqa: T201  this CLI's output
        return 0
    with stack_lock(cfg):
        for service in reversed(build(cfg, names)):
            print(service.down(), flush=True)  # noqa: T201  this CLI's output
    return 0


def cmd_status(cfg: Config, names: Sequence[str]) -> int:
    """One line per service; exit 0 only if every selected service is up and healthy."""
    healthy = True
    for service in build(cfg, names):
        ok, line = service.status()
        healthy &= ok
        print(line, flush=True)  # noqa: T201  this CLI's output
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
    group = sub.add_parser(
        "cluster",
        help="the three-broker Kafka cluster (KRaft, three controller voters), beside the rest",
    )
    actions = group.add_subparsers(dest="action", required=True)
    for name, help_text in (
        ("up", "start the nodes that are not running"),
        ("down", "stop every node we started"),
        ("status", "one line per node, the active controller, the bootstrap list"),
        ("env", "the WAGEN_KAFKA_* settings that point wagen at the cluster"),
    ):
        actions.add_parser(name, help=help_text)
    for name, help_text in (
        ("start", "start the named nodes"),
        ("stop", "stop the named nodes (SIGTERM: a clean shutdown)"),
        ("kill", "SIGKILL the named nodes (a crash: for fault tests)"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("nodes", nargs="+", type=int, metavar="NODE", help="1, 2 or 3")
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
    return subprocess.run(argv, check=False).returncode  # noqa: S603  user-chosen tool, no shell


def cmd_cluster(cfg: Config, action: str, nodes: Sequence[int]) -> int:
    """The cluster's commands; its lock, pids and logs are in its own directory."""
    if action == "env":
        for line in (
            f"WAGEN_KAFKA_BOOTSTRAP_SERVERS={cluster.bootstrap(cfg)}",
            "WAGEN_KAFKA_REPLICATION_FACTOR=3",
            "WAGEN_KAFKA_MIN_INSYNC_REPLICAS=2",
        ):
            print(line)  # noqa: T201  this CLI's output
        return 0
    own = replace(cfg, state=cfg.cluster_dir)
    own.log_dir.mkdir(parents=True, exist_ok=True)
    selected = cluster.brokers(cfg, Apt(own.log_dir / "apt.log"), nodes or cluster.NODES)
    if action == "status":
        healthy = True
        for node in selected:
            ok, line = node.status()
            healthy &= ok
            print(line, flush=True)  # noqa: T201  this CLI's output
        leader = cluster.active_controller(selected)
        print(f"controller: {f'node {leader}' if leader else 'none elected'}")  # noqa: T201
        print(f"bootstrap: {cluster.bootstrap(cfg)}")  # noqa: T201  this CLI's output
        return 0 if healthy else 3
    with stack_lock(own):
        if action in ("up", "start"):
            lines = cluster.up(selected)
        elif action == "kill":
            lines = [node.kill() for node in selected]
        else:
            lines = [node.down() for node in reversed(selected)]
    for line in lines:
        print(line, flush=True)  # noqa: T201  this CLI's output
    return 0


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
        if args.command == "cluster":
            return cmd_cluster(cfg, args.action, getattr(args, "nodes", ()))
        names = select(args.services)
        if args.command == "stop":
            return cmd_down(cfg, names)
        if args.command == "restart":
            cmd_down(cfg, names)
        return cmd_up(cfg, names)
    except StackError as exc:
        print(f"stack: error: {exc}", file=sys.stderr)  # noqa: T201  this CLI's output
        return 1
    except KeyboardInterrupt:
        print("stack: interrupted", file=sys.stderr)  # noqa: T201  this CLI's output
        return 130
