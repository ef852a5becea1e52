"""Where the CPU goes: py-spy samples a running process; the summary ranks functions by
their own time (the innermost frame of each sample) and by inclusive time.

py-spy needs ptrace permission on the target (root, or ``kernel.yama.ptrace_scope`` 0);
when it cannot attach, the summary says so instead of guessing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    """The py-spy executable next to our interpreter or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample ``pid`` for ``seconds`` into ``out`` (collapsed stacks); None without py-spy."""
    exe = py_spy()
    if exe is None:
        return None
    return subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
         "--rate", "100", "--format", "raw", "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


OURS = ("pipeline/", "connectors/", "tenancy/", "schemas/")
# Entry frames every sample passes through: they say nothing about where the time goes.
_ENTRY = (
    "pipeline/__main__.py",
    "pipeline/cli/",
    "pipeline/worker/app.py",
    "pipeline/gateway/app.py",
)


def _location(frame: str) -> str:
    """``asyncio/selector_events.py`` of ``write (asyncio/selector_events.py:1057)``."""
    inside = frame.rpartition(" (")[2].rstrip(")")
    return inside.rpartition(":")[0] or inside


def _package(frame: str) -> str:
    """What a frame belongs to: our module's file, else the library's top-level name."""
    location = _location(frame)
    if location.startswith(OURS):
        return location
    top = location.split("/", 1)[0]
    return top.removesuffix(".py") or frame


def summary(title: str, collapsed: Path, top: int = 20) -> str:
    """Own time by function and by package, and inclusive time of wagen's own functions,
    from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    try:
        lines = collapsed.read_text().splitlines()
    except OSError:
        return f"== {title}: no profile (py-spy could not attach or is not installed)\n"
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # The first frame is the process/thread label py-spy adds.
        frames = [f for f in stack.split(";")[1:] if f] or [stack]
        total += count
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for frame in set(frames):
            location = _location(frame)
            if location.startswith(OURS) and not location.startswith(_ENTRY):
                inclusive[frame] += count
    if not total:
        return f"== {title}: no samples\n"

    def ranked(counter: Counter[str]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]

    out = [f"== {title}: {total} samples", "", "own time by package (wagen's modules by file):"]
    out += ranked(packages)
    out += ["", "own time by function:", *ranked(own)]
    out += ["", "inclusive time of wagen's own functions:", *ranked(inclusive)]
    return "\n".join(out) + "\n"
