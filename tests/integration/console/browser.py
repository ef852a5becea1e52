"""Browser tests' harness: Debian's headless Chromium driven by Playwright, a real ``wagen
gateway`` process on the test's stores, and screenshots of every page at two widths.

Playwright's own browser download cannot work here, so it launches ``/usr/bin/chromium``
(installed by ``deploy/local/browser``, which ``make test`` runs) with the flags this machine
needs; Playwright gives each launch a fresh profile directory. Screenshots go to
``build/console-screenshots/`` (ignored by git), ``<page>-1280.png`` and ``<page>-390.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT, free_port
from tests.integration.tenancy.conftest import ADMIN_TOKEN, JWT_SECRET
from tests.integration.wagen_process import WagenProcess, wagen

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = REPO_ROOT / "build" / "console-screenshots"
WIDTHS = (1280, 390)
_PROBLEMS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
"""Console errors seen on each page made by :func:`new_page`."""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium from Debian's packages."""
    if not await asyncio.to_thread(CHROMIUM.exists):
        message = f"{CHROMIUM} missing: run deploy/local/browser (make test does)"
        if os.environ.get("WAGEN_REQUIRE_STACK") == "1":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: Browser) -> Page:
    """A page in a fresh context (its own cookies), at the wide width, failing on any
    console error (a CSP violation shows there)."""
    context = await browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _PROBLEMS[page] = problems
    return page


def assert_clean(page: Page) -> None:
    """No script error, no refused resource, no CSP violation on the page so far."""
    found = _PROBLEMS[page]
    # A page answered 400/403/404 on purpose logs its status; anything else is a problem.
    unexpected = [p for p in found if "the server responded with a status of" not in p]
    assert unexpected == [], unexpected


_UNLABELLED = """() => Array.from(
  document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a')
).filter(el => {
  const named = (el.getAttribute('aria-label') || '').trim() || el.textContent.trim();
  if (el.tagName === 'BUTTON' || el.tagName === 'A') return !named;
  return !((el.labels && el.labels.length) || el.getAttribute('aria-label'));
}).map(el => el.outerHTML)"""


async def assert_labelled(page: Page) -> None:
    """Every control and link has a name a screen reader can say."""
    unlabelled = await page.evaluate(_UNLABELLED)
    assert unlabelled == [], f"{page.url}: {unlabelled}"


async def shoot(page: Page, name: str) -> None:
    """Screenshots of the page as it is, at each width (then back to the wide one), after
    checking that its controls are labelled."""
    await assert_labelled(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    await page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def gateway_env(settings: WagenSettings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A gateway on the test's stores, with the test admin token and JWT secret."""
    plans = {name: plan.model_dump() for name, plan in settings.tenancy.plans.items()}
    return {
        "WAGEN_POSTGRES_DSN": settings.postgres.dsn.get_secret_value(),
        "WAGEN_TENANCY_REDIS_PREFIX": settings.tenancy.redis_prefix,
        "WAGEN_TENANCY_PLANS": json.dumps(plans),
        "WAGEN_VAULT_TENANT_PREFIX": settings.vault.tenant_prefix,
        "WAGEN_ADMIN_TOKEN": ADMIN_TOKEN,
        "WAGEN_JWT_SECRET": JWT_SECRET,
        # The vendors the test's settings name (its simulators) and the public URL they
        # reach this gateway at: credentials set through the console are onboarded there.
        "WAGEN_META_GRAPH_URL": settings.meta.graph_url,
        "WAGEN_ONBOARDING_PUBLIC_URL": settings.onboarding.public_url,
        **{
            f"WAGEN_GENESYS_{name.upper()}": url
            for name, url in (
                ("login_url", settings.genesys.login_url),
                ("api_url", settings.genesys.api_url),
            )
            if url is not None
        },
        **(extra or {}),
    }


@dataclass(frozen=True)
class Gateway:
    """A running ``wagen gateway`` process."""

    url: str
    process: WagenProcess


async def start_gateway(env: Mapping[str, str], port: int | None = None) -> Gateway:
    """``wagen gateway`` on ``port`` (else a free one), once ``/healthz`` answers."""
    port = port or free_port()
    process = wagen("gateway", env={**env, "WAGEN_GATEWAY_PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        try:
            async with asyncio.timeout(60):
                while True:
                    if process.poll() is not None:
                        pytest.fail(f"gateway exited: {process.communicate()[0][-4000:]}")
                    try:
                        async with http.get(f"{url}/healthz") as response:
                            if response.status == 200:
                                return Gateway(url, process)
                    except aiohttp.ClientConnectionError:
                        pass
                    await asyncio.sleep(0.2)
        except BaseException:
            process.kill()
            process.communicate()
            raise


async def stop_gateway(gateway: Gateway) -> str:
    """SIGTERM; the gateway must exit cleanly. Its whole log."""
    gateway.process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.to_thread(gateway.process.communicate, timeout=30)
    assert gateway.process.returncode == 0, output[-4000:]
    return output


@pytest.fixture
async def gateway(
    tenancy_settings: WagenSettings, unique_name: str, gateway_port: int
) -> AsyncIterator[Gateway]:
    """A gateway process on the test's stores (no worker), at the test's public URL."""
    running = await start_gateway(
        gateway_env(tenancy_settings, {"WAGEN_WORKER_APP_ID": unique_name}), gateway_port
    )
    try:
        yield running
        await stop_gateway(running)
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate()


async def sign_in(page: Page, url: str, credential: str) -> None:
    """Sign in through the form, with the keyboard as a person would."""
    await page.goto(f"{url}/console/sign-in")
    await page.get_by_label("Your credential").fill(credential)
    await page.get_by_label("Your credential").press("Enter")
    await page.wait_for_load_state()
