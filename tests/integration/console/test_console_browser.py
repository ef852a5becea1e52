"""The console in headless Chromium, through a real ``wagen gateway`` process on the stack.

Every page is visited as a person would (labels, the keyboard, buttons), checked for what it
must and must not show, and photographed at 1280 and 390 pixels wide.
"""

from __future__ import annotations

import json
import time
import uuid

from aiokafka import AIOKafkaProducer
from playwright.async_api import Browser, Page, expect

from pipeline.kafka.topics import WA_EVENTS, dlq_topic, held_topic
from pipeline.settings import WagenSettings
from pipeline.store.journey_reads import read_journey
from tenancy import audit
from tenancy.audit import Actor
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.console.browser import (
    Gateway,
    assert_clean,
    new_page,
    shoot,
    sign_in,
)
from tests.integration.kafka_tail import TopicTail
from tests.integration.tenancy.conftest import ADMIN_TOKEN, VendorSims


async def _tenant(tenancy: Tenancy, admin: Actor, label: str) -> tuple[str, str]:
    tenant_id = f"{label}-{uuid.uuid4().hex[:8]}"
    created = await tenancy.tenants.create(
        TenantCreate(tenant_id=tenant_id, name=f"{label.title()} Ltd"), admin
    )
    return tenant_id, created.api_key.key


async def _check_width(page: Page) -> None:
    """Nothing wider than the window at the narrow width (readable without side-scrolling;
    wide tables scroll inside their own region)."""
    await page.set_viewport_size({"width": 390, "height": 900})
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    await page.set_viewport_size({"width": 1280, "height": 900})
    assert overflow <= 0, f"{page.url} is {overflow}px wider than a 390px window"


async def test_operator_walks_every_page_then_signs_out(
    browser: Browser, gateway: Gateway, tenancy: Tenancy, admin: Actor, vendor_sims: VendorSims
) -> None:
    page = await new_page(browser)
    await page.goto(f"{gateway.url}/console/tenants")
    await expect(page).to_have_url(f"{gateway.url}/console/sign-in?next=%2Fconsole%2Ftenants")
    await shoot(page, "sign-in")
    # The keyboard reaches the skip link first, then the credential field.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Your credential")).to_be_focused()
    await page.get_by_label("Your credential").fill("wrong-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Not signed in")
    await sign_in(page, gateway.url, ADMIN_TOKEN)
    await expect(page).to_have_url(f"{gateway.url}/console/tenants")
    await expect(page.get_by_role("heading", name="Tenants", exact=True)).to_be_visible()

    # A tenant id that is not one: the form says what is wrong with which field.
    await page.get_by_label("Tenant ID").fill("Acme Corp!")
    await page.get_by_label("Name", exact=True).fill("Acme")
    await page.get_by_role("button", name="Create tenant").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Tenant ID use 1 to 63 lowercase letters"
    )
    await expect(page.get_by_label("Tenant ID")).to_have_attribute("aria-invalid", "true")
    await shoot(page, "tenants-form-error")
    tenant_id = f"acme-{uuid.uuid4().hex[:6]}"
    await page.get_by_label("Tenant ID").fill(tenant_id)
    await page.get_by_label("Plan").select_option("professional")
    await page.get_by_role("button", name="Create tenant").click()
    first_key = await page.locator("#new-key").inner_text()
    assert first_key.startswith("wk_")
    assert (await tenancy.keys.authenticate(first_key)).tenant_id == tenant_id
    await shoot(page, "tenant-created")
    await page.goto(f"{gateway.url}/console/tenants")
    assert first_key not in await page.content()
    await expect(page.get_by_role("link", name="Acme")).to_be_visible()
    await shoot(page, "tenants")
    await _check_width(page)

    # Connections: the write-only form refuses a missing field and never shows a secret.
    await page.get_by_role("link", name="Acme").click()
    await expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    meta_form = page.locator("form", has=page.locator('input[name="type"][value="meta"]'))
    await meta_form.get_by_label("App secret").fill("console-app-secret-xyz")
    await meta_form.get_by_label("Access token").fill("EAAG-console-token-xyz")
    await meta_form.get_by_label("Phone number ID").fill("1234567890123")
    await meta_form.get_by_label("Verify token").fill("  ")
    await meta_form.get_by_role("button", name="Save meta credentials").click()
    await expect(page.get_by_role("alert").first).to_contain_text("Verify token is required")
    await shoot(page, "connections-form-error")
    meta_form = page.locator("form", has=page.locator('input[name="type"][value="meta"]'))
    assert await meta_form.get_by_label("App secret").input_value() == ""
    # The tenant's number at Meta: the form onboards it as the admin API does.
    vendor_sims.meta_number(
        "1234567890123", "EAAG-console-token-xyz", app_secret="console-app-secret-xyz"
    )
    await meta_form.get_by_label("App secret").fill("console-app-secret-xyz")
    await meta_form.get_by_label("Access token").fill("EAAG-console-token-xyz")
    await meta_form.get_by_label("Phone number ID").fill("1234567890123")
    await meta_form.get_by_label("Verify token").fill("console-verify-xyz")
    await meta_form.get_by_role("button", name="Save meta credentials").click()
    await expect(page.get_by_role("status")).to_contain_text("Credentials stored")
    [stored] = await tenancy.credentials.describe(tenant_id)
    await expect(page.get_by_text(stored.fingerprint)).to_be_visible()
    html = await page.content()
    for secret in ("console-app-secret-xyz", "EAAG-console-token-xyz", "console-verify-xyz"):
        assert secret not in html
    await shoot(page, "connections")
    await _check_width(page)

    # Keys: a new key is shown once, then only its prefix.
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Name").fill("reporting job")
    await page.get_by_label("Name").press("Enter")
    new_key = await page.locator("#new-key").inner_text()
    assert (await tenancy.keys.authenticate(new_key)).tenant_id == tenant_id
    await shoot(page, "key-created")
    await page.get_by_role("link", name="Back to the keys").click()
    await expect(page.get_by_role("cell", name="reporting job", exact=True)).to_be_visible()
    assert new_key not in await page.content()
    await shoot(page, "keys")

    for link, name in (("Usage", "usage"), ("Conversations", "conversations")):
        await (
            page.get_by_role("navigation", name=f"Tenant {tenant_id}")
            .get_by_role("link", name=link)
            .click()
        )
        await expect(page.get_by_role("heading", level=1)).to_have_text(link)
        if name == "usage":
            await expect(
                page.get_by_role("img", name="Messages per day by category")
            ).to_be_visible()
        await shoot(page, name)
        await _check_width(page)

    # Suspending from the tenants page.
    await page.get_by_role("link", name="Tenants").click()
    await page.get_by_role("button", name=f"Suspend {tenant_id}").click()
    await expect(page.get_by_role("status")).to_contain_text("Tenant suspended")
    assert (await tenancy.tenants.get(tenant_id)).status == "suspended"

    for link, name in (("Pipeline health", "health"), ("Dead letters", "dlq"), ("Held", "held")):
        await page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        if name == "health":
            await expect(page.get_by_role("heading", name="Consumer lag")).to_be_visible()
            # The live part refreshes itself (same-origin fetch under the CSP).
            await expect(page.locator("[data-live-status]")).to_contain_text(
                "Updated", timeout=25_000
            )
        await shoot(page, name)
        await _check_width(page)
    assert_clean(page)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await page.goto(f"{gateway.url}/console/tenants")
    await expect(page.get_by_label("Your credential")).to_be_visible()


async def test_a_tenant_user_cannot_reach_another_tenants_pages(
    browser: Browser, gateway: Gateway, tenancy: Tenancy, admin: Actor
) -> None:
    mine, key = await _tenant(tenancy, admin, "mine")
    theirs, _ = await _tenant(tenancy, admin, "theirs")
    page = await new_page(browser)
    await sign_in(page, gateway.url, key)
    await expect(page).to_have_url(f"{gateway.url}/console/t/{mine}/connections")
    await expect(page.get_by_role("navigation", name="Main")).to_contain_text("My tenant")
    await expect(page.get_by_role("link", name="Tenants")).to_have_count(0)

    seen = []
    for path in (
        f"/console/t/{theirs}/keys",
        f"/console/t/no-such-{uuid.uuid4().hex[:6]}/keys",
        f"/console/t/{theirs}/conversations",
        "/console/tenants",
        "/console/ops/dlq",
    ):
        response = await page.goto(f"{gateway.url}{path}")
        assert response is not None
        assert response.status == 404, path
        seen.append(await page.locator("main").inner_text())
    assert len(set(seen)) == 1, seen  # another tenant's page looks exactly like a missing one
    assert theirs not in await page.content()
    await shoot(page, "not-found")
    assert_clean(page)


async def test_a_form_with_a_forged_csrf_token_is_refused(
    browser: Browser, gateway: Gateway, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, key = await _tenant(tenancy, admin, "csrf")
    page = await new_page(browser)
    await sign_in(page, gateway.url, key)
    await page.goto(f"{gateway.url}/console/t/{tenant_id}/keys")
    await page.evaluate(
        "document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')"
    )
    await page.get_by_label("Name").fill("planted")
    await page.get_by_role("button", name="Create key").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    await expect(page.locator("main")).to_contain_text("This form has expired")
    await shoot(page, "csrf-refused")
    assert [k.name for k in await tenancy.keys.list_keys(tenant_id)] == ["default"]


async def _dead_letter(
    settings: WagenSettings, topic: str, tenant_id: str, headers: dict[str, str]
) -> str:
    """Publish one entry as the worker does; its ``topic:partition:offset``."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    await producer.start()
    try:
        body = json.dumps({"note": "console test", "tenant": tenant_id}).encode()
        sent = await producer.send_and_wait(
            topic,
            body,
            key=f"{tenant_id}:15550001".encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
    finally:
        await producer.stop()
    return f"{topic}:{sent.partition}:{sent.offset}"


async def test_replay_from_the_dlq_page_reaches_the_topic_and_release_from_held(
    browser: Browser,
    gateway: Gateway,
    tenancy: Tenancy,
    admin: Actor,
    tenancy_settings: WagenSettings,
) -> None:
    tenant_id, _ = await _tenant(tenancy, admin, "dlq")
    wamid = f"wamid.console-{uuid.uuid4().hex}"
    now = str(int(time.time() * 1000))
    common = {"tenant_id": tenant_id, "request_id": f"req-{uuid.uuid4().hex[:8]}",
              "received_at_ms": now, "kind": "message", "message_id": wamid}  # fmt: skip
    ref = await _dead_letter(
        tenancy_settings,
        dlq_topic(WA_EVENTS),
        tenant_id,
        {
            **common,
            "dlq_source_topic": WA_EVENTS,
            "dlq_error_code": "genesys_rejected",
            "dlq_error": "Genesys said no",
            "dlq_at_ms": now,
            "dlq_attempts": "1",
        },
    )
    key = f"{tenant_id}:15550001".encode()
    page = await new_page(browser)
    await sign_in(page, gateway.url, ADMIN_TOKEN)
    await page.goto(f"{gateway.url}/console/ops/dlq")
    await page.get_by_label("Tenant").fill(tenant_id)
    await page.get_by_role("button", name="Show").click()
    await expect(page.get_by_text(ref, exact=True)).to_be_visible()
    await shoot(page, "dlq-entries")
    await page.get_by_role("link", name=f"Replay {ref}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Replay this entry to {WA_EVENTS}?"
    )
    await shoot(page, "dlq-confirm")
    async with TopicTail(tenancy_settings, WA_EVENTS) as tail:
        await page.get_by_role("button", name=f"Replay to {WA_EVENTS}").click()
        await expect(page.get_by_role("status")).to_contain_text(f"replayed to {WA_EVENTS}")
        copies = await tail.records_for(key, 1, rounds=80)
    await shoot(page, "dlq-replayed")
    assert len(copies) == 1
    value, headers = copies[0]
    assert headers["replayed_from"] == ref.encode()
    assert headers["message_id"] == wamid.encode()
    assert "dlq_error_code" not in headers
    assert json.loads(value)["tenant"] == tenant_id
    trail = await audit.list_entries(tenancy.state.pool, tenant_id, limit=20, cursor=None)
    assert [(e.action, e.target, e.actor) for e in trail.items if e.action == "dlq.replay"] == [
        ("dlq.replay", ref, "admin:token")
    ]
    journey = await read_journey(tenancy.state.pool, tenant_id, wamid)
    assert journey is not None
    assert [s.step for s in journey.steps] == ["replayed"]

    # The same entry again: marked replayed, and the confirmation asks before forcing.
    await page.goto(f"{gateway.url}/console/ops/dlq?tenant={tenant_id}")
    await expect(page.get_by_role("row", name=ref)).to_contain_text("replayed")

    held_ref = await _dead_letter(
        tenancy_settings,
        held_topic(WA_EVENTS),
        tenant_id,
        {
            **common,
            "message_id": f"{wamid}-held",
            "held_reason": "monthly_quota_exceeded",
            "held_error": "quota used up",
            "held_at_ms": now,
        },
    )
    await page.goto(f"{gateway.url}/console/ops/held?tenant={tenant_id}")
    await expect(page.get_by_text(held_ref, exact=True)).to_be_visible()
    await page.get_by_role("link", name=f"Release {held_ref}").click()
    await shoot(page, "held-confirm")
    async with TopicTail(tenancy_settings, WA_EVENTS) as tail:
        await page.get_by_role("button", name=f"Release to {WA_EVENTS}").click()
        await expect(page.get_by_role("status")).to_contain_text(f"released to {WA_EVENTS}")
        released = await tail.records_for(key, 1, rounds=80)
    assert [h["released_from"] for _, h in released] == [held_ref.encode()]
    trail = await audit.list_entries(tenancy.state.pool, tenant_id, limit=20, cursor=None)
    assert [(e.target, e.actor) for e in trail.items if e.action == "held.release"] == [
        (held_ref, "admin:token")
    ]
    assert_clean(page)
