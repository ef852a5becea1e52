"""A real S3-compatible server for the S3 media tests: moto's ``moto_server`` as a process.

Started once per session on a free loopback port. Authentication is switched on (moto's
``reset-auth``) after an IAM user with an access key and an S3 policy is made, so every
request of the store under test must carry a valid SigV4 signature — moto recomputes it
with botocore and refuses a mismatch, which checks our signer against the reference one.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from pipeline.media.backend import open_s3_media_store
from pipeline.media.s3 import S3MediaStore
from pipeline.media.s3_client import BucketLocation, S3Bucket
from pipeline.media.sigv4 import AwsCredentials, encode_path, payload_hash, sign
from pipeline.settings import MediaSettings, WagenSettings
from tenancy.platform import PlatformSecrets
from tenancy.settings import VaultSettings
from tenancy.vault import VaultClient
from tests.conftest import free_port

BUCKET = "wagen-media-tests"
REGION = "us-east-1"
_BOOTSTRAP = AwsCredentials("AKIABOOTSTRAPONLY000", "bootstrap-before-auth-is-on")
_S3_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass(frozen=True)
class S3Server:
    """The running server: its endpoint, bucket and the access key it accepts."""

    endpoint: str
    credentials: AwsCredentials


def _call(
    endpoint: str,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    service: str = "s3",
    credentials: AwsCredentials = _BOOTSTRAP,
) -> bytes:
    host = endpoint.removeprefix("http://")
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    signed = sign(
        method=method,
        host=host,
        path=encode_path(path),
        query="",
        headers=headers,
        body_sha256=payload_hash(body),
        credentials=credentials,
        region=REGION,
        now=datetime.now(UTC),
        service=service,
    )
    request = urllib.request.Request(  # noqa: S310  (our own loopback server)
        f"{endpoint}{encode_path(path)}", data=body or None, method=method, headers=signed
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (loopback)
        reply: bytes = response.read()
    return reply


def _iam(endpoint: str, **params: str) -> bytes:
    form = urlencode({**params, "Version": "2010-05-08"}).encode()
    return _call(endpoint, "POST", "/", body=form, service="iam")


def _wait_ready(process: subprocess.Popen[bytes], endpoint: str, log: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"moto_server did not answer within 60 s; see {log}")


def _make_user(endpoint: str) -> AwsCredentials:
    _iam(endpoint, Action="CreateUser", UserName="wagen-media")
    _iam(
        endpoint,
        Action="PutUserPolicy",
        UserName="wagen-media",
        PolicyName="media",
        PolicyDocument=json.dumps(_S3_POLICY),
    )
    reply = _iam(endpoint, Action="CreateAccessKey", UserName="wagen-media").decode()
    key_id = reply.split("<AccessKeyId>")[1].split("</AccessKeyId>")[0]
    secret = reply.split("<SecretAccessKey>")[1].split("</SecretAccessKey>")[0]
    return AwsCredentials(key_id, secret)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 on a free loopback port, with SigV4 checked; stopped after the session."""
    if importlib.util.find_spec("moto.server") is None:
        pytest.fail("moto[server] is missing: install the dev extra (pip install -e '.[dev]')")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"  # kept by pytest for the last runs
    with log.open("wb") as out:
        # This interpreter's moto (`moto_server` on PATH may belong to another Python).
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, endpoint, str(log))
        credentials = _make_user(endpoint)
        _call(endpoint, "PUT", f"/{BUCKET}")
        # From here on every request needs a valid signature by the user's key.
        auth_on = urllib.request.Request(  # noqa: S310  (loopback)
            f"{endpoint}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},  # a form body would be parsed away
        )
        urllib.request.urlopen(auth_on, timeout=10).close()  # noqa: S310  (loopback)
        yield S3Server(endpoint=endpoint, credentials=credentials)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def raw_bucket(server: S3Server, credentials: AwsCredentials | None = None) -> S3Bucket:
    """A bare client of the test bucket (the server's own key unless another is given)."""

    async def load() -> AwsCredentials | None:
        return credentials or server.credentials

    location = BucketLocation(server.endpoint, REGION, BUCKET, path_style=True)
    return S3Bucket(location, load, timeout_s=10.0)


def s3_media_settings(server: S3Server, prefix: str, **changes: object) -> MediaSettings:
    """Media settings pointing at the test server, under a key prefix of the test's own."""
    return MediaSettings(
        backend="s3",
        s3_endpoint_url=server.endpoint,
        s3_region=REGION,
        s3_bucket=BUCKET,
        s3_prefix=prefix,
        s3_path_style=True,
        s3_timeout_s=10.0,
    ).model_copy(update=changes)


def platform_vault(settings: WagenSettings, unique_name: str) -> VaultSettings:
    """Vault settings whose platform secrets live under a path of the test's own."""
    return settings.vault.model_copy(
        update={"platform_prefix": f"wagen-test/{unique_name}/platform"}
    )


@pytest.fixture
async def s3_platform(
    s3_server: S3Server, settings: WagenSettings, unique_name: str
) -> AsyncIterator[PlatformSecrets]:
    """Platform secrets holding the server's key in Vault, destroyed after the test."""
    vault_settings = platform_vault(settings, unique_name)
    vault = VaultClient(vault_settings)
    platform = PlatformSecrets(vault, vault_settings)
    key = s3_server.credentials
    await platform.set_media_s3_credentials(
        {"accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key}
    )
    try:
        yield platform
    finally:
        await vault.kv_delete_all(f"{vault_settings.platform_prefix}/media-s3")
        vault.close()


@pytest.fixture
async def s3_store(
    s3_server: S3Server, s3_platform: PlatformSecrets, unique_name: str
) -> AsyncIterator[S3MediaStore]:
    """The S3 store as the processes open it, under the test's own key prefix."""
    settings = s3_media_settings(s3_server, f"media/{unique_name}")
    async with open_s3_media_store(settings, s3_platform) as store:
        yield store
