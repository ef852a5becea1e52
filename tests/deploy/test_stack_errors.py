"""``deploy/local/stack`` reports bad setup as one clear line and a non-zero exit.

These run the real script in a throwaway state dir on spare ports, so they never touch the
stack the other tests use.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, free_port

STACK = REPO_ROOT / "deploy" / "local" / "stack"


def _stack(
    tmp_path: Path, *args: str, path: str | None = None, redis_port: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WAGEN_STACK_DIR": str(tmp_path / "state"),
        "WAGEN_STACK_KAFKA_PORT": str(free_port()),
        "WAGEN_STACK_KAFKA_CONTROLLER_PORT": str(free_port()),
        "WAGEN_STACK_PG_PORT": str(free_port()),
        "WAGEN_STACK_REDIS_PORT": str(redis_port or free_port()),
        "WAGEN_STACK_VAULT_PORT": str(free_port()),
    }
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [str(STACK), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_taken_port_is_named_with_the_variable_to_set(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = _stack(tmp_path, "up", "--only", "redis", redis_port=port)
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert f"127.0.0.1:{port} is already in use" in error_lines[0]
    assert "WAGEN_STACK_REDIS_PORT" in error_lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_no_java_says_what_to_install(tmp_path: Path) -> None:
    # A PATH with what the script itself needs, and no java.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "env"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    # The real interpreter, not a version-manager shim that needs the rest of PATH.
    (bin_dir / "python3").symlink_to(Path(sys.executable).resolve())
    result = _stack(tmp_path, "up", "--only", "kafka", path=str(bin_dir))
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert "java" in error_lines[0].lower()
    assert "17" in error_lines[0]


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_a_bad_port_value_is_refused(tmp_path: Path, port: str) -> None:
    result = subprocess.run(
        [str(STACK), "status"],
        env={**os.environ, "WAGEN_STACK_DIR": str(tmp_path), "WAGEN_STACK_PG_PORT": port},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "WAGEN_STACK_PG_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_of_a_stack_never_started_reports_each_service_down(tmp_path: Path) -> None:
    result = _stack(tmp_path, "status")
    assert result.returncode == 3
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["kafka", "postgres", "redis", "openbao"]
    assert all(line.split()[1] == "down" for line in lines)
