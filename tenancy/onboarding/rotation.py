"""Rotation without a gap: the secret that was current stays accepted for a window.

A new Genesys webhook secret or Meta app secret is stored with the one it replaces and
until when that one still verifies; webhooks signed in the meantime with either pass. A
secret stored again unchanged keeps the rotation in progress as it was.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta


def new_webhook_secret() -> str:
    """A fresh Genesys webhook secret: 43 URL-safe characters (Genesys wants more than 15)."""
    return secrets.token_urlsafe(32)


def carried_previous(
    *,
    old_current: str | None,
    old_previous: str | None,
    old_until: datetime | None,
    new: str,
    now: datetime,
    window_s: float,
) -> tuple[str | None, datetime | None]:
    """The previous secret (and its deadline) to store next to ``new``."""
    if old_current is not None and old_current != new:
        if window_s <= 0:
            return None, None
        return old_current, now + timedelta(seconds=window_s)
    if old_previous and old_until is not None and now < old_until and old_previous != new:
        return old_previous, old_until
    return None, None
