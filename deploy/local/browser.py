#!/usr/bin/env python3
"""Headless Chromium for the console's browser tests, from Debian's packages.

Usage: deploy/local/browser [--check]

Installs ``chromium`` and ``chromium-driver`` with apt-get when ``/usr/bin/chromium`` is
missing (as the stack installs PostgreSQL and Redis), then prints one line with the version.
``--check`` only reports (exit 1 when missing). The tests drive this Chromium with
Playwright (``executable_path``), since Playwright's own browser download cannot reach its
servers here. Standard library only, like the stack script.

Exit codes: 0 ok; 1 missing or not installable (one line saying what to do).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stacklib.apt import Apt
from stacklib.config import Config
from stacklib.errors import StackError
from stacklib.proc import run_quiet

CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = ("chromium", "chromium-driver")


def version() -> str:
    """``Chromium 1xx.…`` as the binary prints it."""
    out = run_quiet([str(CHROMIUM), "--version"], timeout=30)
    return out.stdout.strip() or "Chromium (version unknown)"


def main(argv: list[str]) -> int:
    try:
        if not CHROMIUM.exists():
            if "--check" in argv:
                raise StackError(f"{CHROMIUM} missing: run deploy/local/browser to install it")
            config = Config.from_env()
            config.log_dir.mkdir(parents=True, exist_ok=True)
            Apt(config.log_dir / "apt.log").install(*PACKAGES)
            if not CHROMIUM.exists():
                installed = ", ".join(PACKAGES)
                raise StackError(f"apt-get installed {installed} but {CHROMIUM} is absent")
        print(f"browser   up    {version()} at {CHROMIUM}", flush=True)  # noqa: T201  this CLI's output
    except StackError as exc:
        print(f"browser: error: {exc}", file=sys.stderr)  # noqa: T201  this CLI's output
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
