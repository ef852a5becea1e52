"""The stack's one error type and the log excerpt it carries."""

from __future__ import annotations

from pathlib import Path

TAIL_LINES = 15


class StackError(Exception):
    """A setup problem; main() prints it as one line (plus log tail) and exits 1, no traceback."""


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
