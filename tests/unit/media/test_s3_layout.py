"""The S3 backend's settings, bucket addressing and key layout (no server needed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.media.errors import MediaStoreError
from pipeline.media.s3 import S3MediaStore
from pipeline.media.s3_client import BucketLocation, S3Bucket
from pipeline.media.sigv4 import AwsCredentials
from pipeline.settings import MediaSettings, WagenSettings


async def _no_credentials() -> AwsCredentials | None:
    return None


def store(prefix: str) -> S3MediaStore:
    location = BucketLocation("http://127.0.0.1:9000", "us-east-1", "media", path_style=True)
    return S3MediaStore(
        S3Bucket(location, _no_credentials, timeout_s=5), prefix=prefix, retention_s=60
    )


def test_s3_settings_come_from_wagen_media_s3_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGEN_MEDIA_BACKEND", "s3")
    monkeypatch.setenv("WAGEN_MEDIA_S3_BUCKET", "acme-media")
    monkeypatch.setenv("WAGEN_MEDIA_S3_REGION", "eu-west-3")
    monkeypatch.setenv("WAGEN_MEDIA_S3_PATH_STYLE", "true")
    media = WagenSettings().media
    assert (media.backend, media.s3_bucket, media.s3_path_style) == ("s3", "acme-media", True)
    assert media.s3_endpoint == "https://s3.eu-west-3.amazonaws.com"
    custom = MediaSettings(s3_endpoint_url="http://minio.internal:9000/")
    assert custom.s3_endpoint == "http://minio.internal:9000"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backend": "s3"}, "needs WAGEN_MEDIA_S3_BUCKET"),
        ({"s3_endpoint_url": "minio:9000"}, "s3_endpoint_url"),
        ({"s3_endpoint_url": "https://s3.example.com/some/path"}, "s3_endpoint_url"),
    ],
)
def test_bad_s3_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MediaSettings.model_validate(changes)


def test_buckets_are_addressed_virtual_hosted_or_path_style() -> None:
    aws = BucketLocation("https://s3.eu-west-3.amazonaws.com", "eu-west-3", "acme", False)
    assert aws.address("wagen-media/t/1") == (
        "https://acme.s3.eu-west-3.amazonaws.com",
        "acme.s3.eu-west-3.amazonaws.com",
        "/wagen-media/t/1",
    )
    minio = BucketLocation("http://127.0.0.1:9000", "us-east-1", "acme", True)
    assert minio.address("p/t/ü") == ("http://127.0.0.1:9000", "127.0.0.1:9000", "/acme/p/t/%C3%BC")
    assert minio.address("")[2] == "/acme"


def test_keys_are_prefix_tenant_media_and_never_leave_their_segment() -> None:
    assert (
        store("wagen-media").key("acme", "1479537139650973") == "wagen-media/acme/1479537139650973"
    )
    assert store("/nested/prefix/").key("acme", "1") == "nested/prefix/acme/1"
    assert store("").key("acme", "1") == "acme/1"
    for tenant, media_id in [
        ("acme", "../other/1"),
        ("acme", "a/b"),
        ("acme", ".."),
        ("acme", ".hidden"),
        ("acme", ""),
        ("../acme", "1"),
        ("Acme", "1"),
        ("acme/x", "1"),
    ]:
        with pytest.raises(ValueError, match="object key"):
            store("p").key(tenant, media_id)


async def test_an_unopened_store_fails_clearly() -> None:
    with pytest.raises(MediaStoreError, match="not open"):
        await store("p").get("acme", "1")
