"""The console over HTTP on the real stores: sessions, CSRF, isolation, forms, secrets.

The browser tests (``test_console_browser.py``) walk the same pages in Chromium; these pin the
rules exactly (statuses, headers, what is and is not in the HTML) and run in seconds.
"""

from __future__ import annotations

import re
import uuid

import pytest

from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_EVENTS
from tenancy import audit
from tenancy.audit import Actor
from tenancy.errors import AuthenticationError
from tenancy.models import CredentialsWrite, MappingCreate, TenantCreate
from tenancy.services import Tenancy
from tests.integration.console.harness import Browserish, hidden
from tests.integration.tenancy.conftest import ADMIN_TOKEN, VendorSims, tenant_jwt


async def _tenant(tenancy: Tenancy, admin: Actor, label: str) -> tuple[str, str]:
    tenant_id = f"{label}-{uuid.uuid4().hex[:8]}"
    created = await tenancy.tenants.create(
        TenantCreate(tenant_id=tenant_id, name=f"Tenant {label}"), admin
    )
    return tenant_id, created.api_key.key


async def test_pages_need_a_session_and_carry_strict_headers(console: Browserish) -> None:
    response = await console.client.get("/console/tenants", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/console/sign-in?next=%2Fconsole%2Ftenants"
    page = await console.client.get("/console/sign-in")
    assert page.status == 200
    csp = page.headers["Content-Security-Policy"]
    for rule in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                 "frame-ancestors 'none'", "form-action 'self'"):  # fmt: skip
        assert rule in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "same-origin"
    # Nothing inline for the CSP to refuse: no inline script or style anywhere.
    text = await page.text()
    assert "<script>" not in text
    assert "style=" not in text
    assert "<style" not in text


async def test_operator_signs_in_with_a_short_lived_strict_cookie_and_out_again(
    console: Browserish,
) -> None:
    bad = await console.sign_in("not-the-token")
    assert bad.status == 401
    assert "Not signed in" in await bad.text()
    signed = await console.sign_in(ADMIN_TOKEN)
    assert signed.status == 303
    assert signed.headers["Location"] == "/console/tenants"
    cookie = signed.headers["Set-Cookie"]
    assert "wagen_console=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1 only
    max_age = re.search(r"Max-Age=(\d+)", cookie)
    assert max_age is not None
    assert 0 < int(max_age[1]) <= 1800
    tenants = await console.get("/console/tenants")
    assert tenants.status == 200
    assert "<h1>Tenants</h1>" in await tenants.text()
    out = await console.post("/console/sign-out")
    assert out.status == 303
    assert out.headers["Location"] == "/console/sign-in?out=1"
    again = await console.client.get("/console/tenants", allow_redirects=False)
    assert again.status == 303  # the session is gone on the server, not just the cookie


async def test_a_copied_cookie_stops_working_after_sign_out(
    console: Browserish, other_console: Browserish
) -> None:
    assert (await console.sign_in(ADMIN_TOKEN)).status == 303
    stolen = console.client.session.cookie_jar.filter_cookies(console.client.make_url("/console/"))
    other_console.client.session.cookie_jar.update_cookies(stolen)
    assert (await other_console.get("/console/tenants")).status == 200
    await console.post("/console/sign-out")
    reply = await other_console.client.get("/console/tenants", allow_redirects=False)
    assert reply.status == 303


async def test_writes_without_the_csrf_token_are_refused_and_change_nothing(
    console: Browserish, tenancy: Tenancy
) -> None:
    assert (await console.sign_in(ADMIN_TOKEN)).status == 303
    fields = {"tenantId": f"csrf-{uuid.uuid4().hex[:8]}", "name": "Forged"}
    for token in ("", "forged-token"):
        refused = await console.client.post(
            "/console/tenants", data={**fields, "csrf": token}, allow_redirects=False
        )
        assert refused.status == 403
        assert "This form has expired" in await refused.text()
    cross = await console.client.post(
        "/console/tenants",
        data={**fields, "csrf": console.csrf},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        allow_redirects=False,
    )
    assert cross.status == 403
    page = await tenancy.tenants.page(limit=100, cursor=None)
    assert fields["tenantId"] not in {t.tenant_id for t in page.items}
    made = await console.post("/console/tenants", **fields)
    assert made.status == 201  # the same form with its token works


async def test_a_tenant_user_sees_its_tenant_only_and_others_look_missing(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    mine, key = await _tenant(tenancy, admin, "mine")
    theirs, _ = await _tenant(tenancy, admin, "theirs")
    signed = await console.sign_in(key)
    assert signed.status == 303
    assert signed.headers["Location"] == f"/console/t/{mine}/connections"
    assert (await console.get(f"/console/t/{mine}/keys")).status == 200
    missing = await console.get(f"/console/t/nobody-{uuid.uuid4().hex[:6]}/keys")
    foreign = await console.get(f"/console/t/{theirs}/keys")
    assert missing.status == foreign.status == 404
    strip = re.compile(r"request <span class=\"mono\">[^<]*</span>")
    assert strip.sub("", await missing.text()) == strip.sub("", await foreign.text())
    for page in ("/console/tenants", "/console/ops/dlq", "/console/ops/health"):
        assert (await console.get(page)).status == 404
    write = await console.post(f"/console/t/{theirs}/keys", name="sneaky")
    assert write.status == 404
    assert [k.name for k in await tenancy.keys.list_keys(theirs)] == ["default"]


async def test_a_tenant_jwt_signs_in_to_its_tenant(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, _ = await _tenant(tenancy, admin, "jwt")
    signed = await console.sign_in(tenant_jwt(tenant_id))
    assert signed.status == 303
    assert signed.headers["Location"] == f"/console/t/{tenant_id}/connections"
    unknown = await console.sign_in(tenant_jwt(f"ghost-{uuid.uuid4().hex[:6]}"))
    assert unknown.status == 401


async def test_revoking_the_key_or_suspending_the_tenant_ends_its_sessions(
    console: Browserish, other_console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, key = await _tenant(tenancy, admin, "ends")
    assert (await console.sign_in(key)).status == 303
    keys = await tenancy.keys.list_keys(tenant_id)
    await tenancy.keys.revoke(tenant_id, keys[0].key_id, admin)
    gone = await console.client.get(f"/console/t/{tenant_id}/keys", allow_redirects=False)
    assert gone.status == 303
    fresh = await tenancy.keys.create(tenant_id, "second", admin)
    assert (await other_console.sign_in(fresh.key)).status == 303
    assert (await other_console.sign_in(ADMIN_TOKEN)).status == 303  # now an operator
    assert (await console.sign_in(fresh.key)).status == 303
    suspended = await other_console.post(f"/console/tenants/{tenant_id}/status", status="suspended")
    assert suspended.status == 303
    out = await console.client.get(f"/console/t/{tenant_id}/keys", allow_redirects=False)
    assert out.status == 303
    refused = await console.sign_in(fresh.key)
    assert refused.status == 403
    assert "suspended" in await refused.text()


async def test_forms_refuse_bad_input_with_messages_naming_the_field(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    assert (await console.sign_in(ADMIN_TOKEN)).status == 303
    bad_id = await console.post("/console/tenants", tenantId="Not OK!", name="x")
    text = await bad_id.text()
    assert bad_id.status == 400
    assert "Tenant ID use 1 to 63 lowercase letters" in text
    no_name = await console.post("/console/tenants", tenantId="ok-id", name="")
    assert no_name.status == 400
    assert "Name is required" in await no_name.text()
    nul = await console.post("/console/tenants", tenantId="ok-id", name="a\x00b")
    assert nul.status == 400
    assert "NUL character" in await nul.text()
    tenant_id, _ = await _tenant(tenancy, admin, "forms")
    dup = await console.post("/console/tenants", tenantId=tenant_id, name="Again")
    assert dup.status == 409
    assert "already taken" in await dup.text()
    plan = await console.post(f"/console/tenants/{tenant_id}/plan", plan="platinum")
    assert plan.status == 400
    assert "unknown plan" in await plan.text()
    blank_key = await console.post(f"/console/t/{tenant_id}/keys", name="   ")
    assert blank_key.status == 400
    assert "Name is required" in await blank_key.text()
    creds = await console.post(
        f"/console/t/{tenant_id}/credentials",
        type="meta",
        appSecret="s3cr3t-app",
        verifyToken="",
        accessToken="EAAG-token",
        phoneNumberId="12ab",
    )
    text = await creds.text()
    assert creds.status == 400
    assert "Verify token is required" in text
    assert "Phone number ID use the digits of the phone number id" in text
    assert "s3cr3t-app" not in text
    assert "EAAG-token" not in text
    assert await tenancy.credentials.describe(tenant_id) == []


async def test_a_new_key_is_shown_once_and_credentials_never(
    console: Browserish, tenancy: Tenancy, admin: Actor, vendor_sims: VendorSims
) -> None:
    tenant_id, _ = await _tenant(tenancy, admin, "once")
    assert (await console.sign_in(ADMIN_TOKEN)).status == 303
    made = await console.post(f"/console/t/{tenant_id}/keys", name="reporting")
    assert made.status == 201
    key = re.search(r'<code id="new-key">(wk_[^<]+)</code>', await made.text())
    assert key is not None
    assert (await tenancy.keys.authenticate(key[1])).tenant_id == tenant_id
    listing = await (await console.get(f"/console/t/{tenant_id}/keys")).text()
    assert "reporting" in listing
    assert key[1] not in listing
    [made_key] = [k for k in await tenancy.keys.list_keys(tenant_id) if k.name == "reporting"]
    revoked = await console.post(f"/console/t/{tenant_id}/keys/{made_key.key_id}/revoke")
    assert revoked.status == 303
    with pytest.raises(AuthenticationError):
        await tenancy.keys.authenticate(key[1])
    after = await (await console.get(revoked.headers["Location"])).text()
    assert "Key revoked" in after
    secrets = {
        "appSecret": f"app-secret-{uuid.uuid4().hex}",
        "verifyToken": f"verify-{uuid.uuid4().hex}",
        "accessToken": f"EAAG{uuid.uuid4().hex}",
        "phoneNumberId": str(10**14 + uuid.uuid4().int % 10**12),
    }
    # The tenant's number at Meta; the form onboards it like the admin API (checked live,
    # the app subscribed with the callback pointing at this gateway).
    vendor_sims.meta_number(
        secrets["phoneNumberId"], secrets["accessToken"], app_secret=secrets["appSecret"]
    )
    stored = await console.post(f"/console/t/{tenant_id}/credentials", type="meta", **secrets)
    assert stored.status == 303
    page = await (await console.get(f"/console/t/{tenant_id}/connections")).text()
    [meta] = await tenancy.credentials.describe(tenant_id)
    assert meta.fingerprint in page
    assert "version" in page.lower()
    for name in ("appSecret", "verifyToken", "accessToken"):
        assert secrets[name] not in page
    audit = await console.get(f"/console/t/{tenant_id}/keys")
    assert secrets["accessToken"] not in await audit.text()


async def test_operator_changes_plan_and_suspends_from_the_tenants_page(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, _ = await _tenant(tenancy, admin, "plan")
    assert (await console.sign_in(ADMIN_TOKEN)).status == 303
    changed = await console.post(f"/console/tenants/{tenant_id}/plan", plan="tiny")
    assert changed.status == 303
    assert (await tenancy.tenants.get(tenant_id)).plan == "tiny"
    listing = await (await console.get(changed.headers["Location"])).text()
    assert "Plan changed." in listing
    done = await console.post(f"/console/tenants/{tenant_id}/status", status="suspended")
    assert done.status == 303
    assert (await tenancy.tenants.get(tenant_id)).status == "suspended"
    trail = await audit.list_entries(tenancy.state.pool, tenant_id, limit=10, cursor=None)
    updates = [e for e in trail.items if e.action == "tenant.update"]
    assert [e.details for e in updates] == [{"status": "suspended"}, {"plan": "tiny"}]
    assert {e.actor for e in updates} == {"admin:token"}
    assert all(e.request_id for e in updates)


async def test_sign_in_form_refuses_a_post_without_its_own_token(console: Browserish) -> None:
    response = await console.client.post(
        "/console/sign-in", data={"token": "made-up", "credential": ADMIN_TOKEN}
    )
    assert response.status == 403
    assert "expired" in await response.text()
    assert "wagen_console=" not in response.headers.get("Set-Cookie", "")
    page = await console.client.get("/console/sign-in")
    token = hidden(await page.text(), "token")
    offsite = await console.client.post(
        "/console/sign-in",
        data={"token": token, "credential": ADMIN_TOKEN},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert offsite.status == 403


async def test_tenant_user_manages_own_credentials_usage_and_conversations(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, key = await _tenant(tenancy, admin, "self")
    await tenancy.credentials.put(
        tenant_id,
        CredentialsWrite(
            type="genesys",
            credentials={
                "clientId": "c",
                "clientSecret": "very-secret-client-value",
                "region": "mypurecloud.ie",
                "integrationId": "i",
                "outboundWebhookSecret": "very-secret-webhook-value",
            },
        ),
        admin,
    )
    assert (await console.sign_in(key)).status == 303
    for page in ("connections", "keys", "usage", "conversations"):
        response = await console.get(f"/console/t/{tenant_id}/{page}")
        text = await response.text()
        assert response.status == 200, (page, text[:500])
        assert "very-secret" not in text
    usage = await (await console.get(f"/console/t/{tenant_id}/usage")).text()
    assert "<svg" in usage
    assert 'class="line quota"' in usage
    search = await console.get(f"/console/t/{tenant_id}/conversations?q=%00")
    assert search.status == 400
    unknown = await console.get(f"/console/t/{tenant_id}/messages/wamid.nothing-here")
    assert unknown.status == 404


async def test_every_operator_page_and_live_part_renders(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, _ = await _tenant(tenancy, admin, "pages")
    assert (await console.sign_in(ADMIN_TOKEN)).status == 303
    pages = {
        "/console/tenants": "<h1>Tenants</h1>",
        "/console/ops/health": "Consumer lag",
        "/console/ops/health/live": "data-live-body",
        f"/console/ops/dlq?topic={GENESYS_WEBHOOKS}": f"Dead letters of {GENESYS_WEBHOOKS}",
        f"/console/ops/held?topic={GENESYS_WEBHOOKS}": f"Held on {GENESYS_WEBHOOKS}.held",
        f"/console/t/{tenant_id}/connections/live": "data-live-body",
        f"/console/t/{tenant_id}/usage?days=90": "last 90 days",
    }
    for path, marker in pages.items():
        response = await console.get(path)
        text = await response.text()
        assert response.status == 200, (path, text[:300])
        assert marker in text, path
    unknown_topic = await console.get("/console/ops/dlq?topic=nonsense")
    assert unknown_topic.status == 404
    bad_ref = await console.get(f"/console/ops/dlq/confirm?topic={WA_EVENTS}&ref=nope")
    assert bad_ref.status == 400
    unconfirmed = await console.post(
        "/console/ops/dlq/replay", topic=WA_EVENTS, ref=f"{WA_EVENTS}.dlq:0:0"
    )
    assert unconfirmed.status == 400


async def test_conversations_are_searched_by_customer_and_paged(
    console: Browserish, tenancy: Tenancy, admin: Actor
) -> None:
    tenant_id, key = await _tenant(tenancy, admin, "convs")
    for n in range(30):
        name = "Dana Levi" if n == 7 else f"Customer {n:02d}"
        await tenancy.state.upsert_mapping(
            tenant_id, MappingCreate(wa_id=f"1555000{n:04d}", contact_name=name), admin
        )
    assert (await console.sign_in(key)).status == 303
    first = await (await console.get(f"/console/t/{tenant_id}/conversations")).text()
    assert first.count("/conversations/1555000") == 25
    cursor = re.search(r'cursor=([^"&]+)"', first)
    assert cursor is not None
    second = await (
        await console.get(f"/console/t/{tenant_id}/conversations?q=&cursor={cursor[1]}")
    ).text()
    assert second.count("/conversations/1555000") == 5
    assert "Older conversations" not in second
    by_name = await (await console.get(f"/console/t/{tenant_id}/conversations?q=dana")).text()
    assert by_name.count("/conversations/1555000") == 1
    assert "Dana Levi" in by_name
    by_number = await (
        await console.get(f"/console/t/{tenant_id}/conversations?q=%2B1555000002")
    ).text()
    assert by_number.count("/conversations/1555000") == 10
    wildcard = await (await console.get(f"/console/t/{tenant_id}/conversations?q=%25")).text()
    assert "No conversation matches" in wildcard
    customer = await console.get(f"/console/t/{tenant_id}/conversations/15550000007")
    assert customer.status == 200
    assert "Dana Levi" in await customer.text()
    missing = await console.get(f"/console/t/{tenant_id}/conversations/15559999999")
    assert missing.status == 404
