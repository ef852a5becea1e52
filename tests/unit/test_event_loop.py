"""``WAGEN_EVENT_LOOP``: the loop the gateway and the worker run on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import uvloop

from pipeline.runtime.event_loop import install
from pipeline.settings import WagenSettings


@pytest.fixture
def policy_restored() -> Iterator[None]:
    saved = asyncio.get_event_loop_policy()
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(saved)


def _new_loop_type() -> type[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        return type(loop)
    finally:
        loop.close()


@pytest.mark.usefixtures("policy_restored")
def test_uvloop_is_the_default_and_asyncio_restores_the_standard_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WAGEN_EVENT_LOOP", raising=False)
    install(WagenSettings().event_loop)
    assert _new_loop_type() is uvloop.Loop
    install("asyncio")
    assert _new_loop_type() is not uvloop.Loop
    assert isinstance(asyncio.get_event_loop_policy(), asyncio.DefaultEventLoopPolicy)
