"""Rotation without a gap, as the stored credentials carry it: which secrets verify when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tenancy.credential_models import GenesysCredentials, MetaCredentials
from tenancy.onboarding.rotation import carried_previous, new_webhook_secret
from tenancy.settings import OnboardingSettings

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAY = 86_400.0


def test_a_changed_secret_keeps_the_old_one_for_the_window() -> None:
    previous, until = carried_previous(
        old_current="old", old_previous=None, old_until=None, new="new", now=NOW, window_s=DAY
    )
    assert (previous, until) == ("old", NOW + timedelta(days=1))


def test_an_unchanged_secret_keeps_the_rotation_in_progress_as_it_was() -> None:
    later = NOW + timedelta(hours=1)
    assert carried_previous(
        old_current="new", old_previous="old", old_until=later, new="new", now=NOW, window_s=DAY
    ) == ("old", later)
    # ... until it is over, and a secret that comes back is not its own previous one.
    assert carried_previous(
        old_current="new", old_previous="old", old_until=NOW, new="new", now=NOW, window_s=DAY
    ) == (None, None)
    assert carried_previous(
        old_current="x", old_previous="y", old_until=later, new="x", now=NOW, window_s=DAY
    ) == ("y", later)


def test_a_zero_window_drops_the_old_secret_at_once() -> None:
    assert carried_previous(
        old_current="old", old_previous=None, old_until=None, new="new", now=NOW, window_s=0
    ) == (None, None)


def test_signing_secrets_follow_the_window() -> None:
    meta = MetaCredentials(
        app_secret="new",
        verify_token="v",
        access_token="t",
        phone_number_id="1",
        previous_app_secret="old",
        previous_secret_expires_at=NOW + timedelta(minutes=5),
    )
    assert meta.signing_secrets(NOW) == ["new", "old"]
    assert meta.signing_secrets(NOW + timedelta(minutes=5)) == ["new"]
    genesys = GenesysCredentials(
        client_id="c",
        client_secret="s",
        region="eu-west-1",
        integration_id="i",
        outbound_webhook_secret="new",
        previous_outbound_webhook_secret="old",
        previous_secret_expires_at=NOW + timedelta(minutes=5),
    )
    assert genesys.signing_secrets(NOW) == ["new", "old"]
    assert genesys.signing_secrets(NOW + timedelta(hours=1)) == ["new"]


def test_a_new_webhook_secret_is_long_enough_for_genesys_and_fresh() -> None:
    secrets = {new_webhook_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(s) > 15 for s in secrets)


def test_onboarding_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError, match="tenant_id"):
        OnboardingSettings(integration_name="wagen")
    with pytest.raises(ValidationError, match="http"):
        OnboardingSettings(public_url="ftp://bridge.example")
    settings = OnboardingSettings(public_url="https://bridge.example/")
    assert settings.genesys_webhook_url("acme") == "https://bridge.example/webhooks/genesys/acme"
    assert settings.meta_webhook_url("acme") == "https://bridge.example/webhooks/meta/acme"
    assert settings.integration_name_of("acme") == "wagen acme"
