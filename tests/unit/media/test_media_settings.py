"""The media section: env names, a secret that never prints, links that never outlive bytes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.settings import MediaSettings, WagenSettings


def test_media_settings_come_from_wagen_media_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGEN_MEDIA_LINK_SECRET", "s3cr3t-from-env-0123456789")
    monkeypatch.setenv("WAGEN_MEDIA_PUBLIC_URL", "https://wagen.example.com")
    monkeypatch.setenv("WAGEN_MEDIA_MAX_BYTES", "1024")
    media = WagenSettings().media
    assert media.link_secret.get_secret_value() == "s3cr3t-from-env-0123456789"
    assert (media.public_url, media.max_bytes, media.backend) == (
        "https://wagen.example.com",
        1024,
        "postgres",
    )
    assert "s3cr3t" not in repr(media) + str(media)


def test_retention_shorter_than_the_link_ttl_is_refused() -> None:
    with pytest.raises(ValidationError, match="retention_s must be at least link_ttl_s"):
        MediaSettings(link_ttl_s=3600, retention_s=60)
