"""Runs the gateway and the worker side by side for ``make run``, stopping both together.

Production runs each as its own process (its own pod); this is the one-terminal developer
view, where Ctrl-C must leave nothing behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType

_GRACE_S = 20.0


Command = tuple[str, ...]
Child = subprocess.Popen[bytes]


def _spawn(command: Command, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "pipeline", *command]
    return subprocess.Popen(argv, env={**os.environ, **env})  # noqa: S603  (our own CLI)


def run_all(
    commands: Sequence[Command] = (("gateway",), ("worker",)),
    env: Mapping[str, str] | None = None,
) -> int:
    """Start each ``wagen <command>``; when one exits or we are signalled, stop them all."""
    return supervise(start(commands, env))


def start(commands: Sequence[Command], env: Mapping[str, str] | None = None) -> list[Child]:
    """Start each ``wagen <command>`` (stop them with :func:`stop` if the caller fails)."""
    return [_spawn(c, env or {}) for c in commands]


def supervise(children: list[Child]) -> int:
    """Wait until a child exits or we are signalled, then stop them all; 0 for a clean stop."""
    stopping = False

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        stop(children)
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
    return 0 if stopping and not failed else 1


def stop(children: list[Child]) -> None:
    """SIGTERM each child still running; SIGKILL the ones not gone after the grace time."""
    _stop(children)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_S
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
