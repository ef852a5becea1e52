"""Debian package installs and the distro services they start behind our back."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import StackError, fail_with_log
from .proc import run_logged, which


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
        print(  # noqa: T201  progress for the person running the stack
            f"installing {' '.join(packages)} (apt-get, log {self.log}) ...", flush=True
        )
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
