"""``wagen parse`` / ``wagen translate``: files, stdin, ``--tenant``, and the exit codes.

The commands are invoked through click's runner on the very command objects ``wagen``
registers (checked below); one test runs the installed ``wagen`` script itself, since a
subprocess of our own CLI needs no service.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.cli.dryrun import parse, translate
from tests.unit.schemas.bodies import customer_contact, message, webhook_body, webhook_value
from tests.unit.schemas.reference import GENESYS_EXAMPLES, META_SAMPLES

TEXT_SAMPLE = META_SAMPLES / "metaspec__text_message.json"
DELIVERED_SAMPLE = META_SAMPLES / "metadoc__status_delivered_service_cbp.json"
IMAGE_EXAMPLE = GENESYS_EXAMPLES / "outbound_webhook_image_ok.json"
RECEIVED = "2026-01-02T03:04:05Z"


def invoke(group: Any, args: list[str], stdin: bytes | None = None) -> Result:
    """Run a dry-run command; stdout and stderr are kept apart by the runner."""
    return CliRunner().invoke(group, args, input=stdin, catch_exceptions=False)


def json_lines(result: Result) -> list[dict[str, Any]]:
    """The compact JSON lines a successful command printed."""
    assert result.exit_code == 0, result.stderr
    for line in result.stdout.splitlines():
        assert line == json.dumps(
            json.loads(line), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_wagen_registers_the_dry_run_commands() -> None:
    assert cli.get_command(click.Context(cli), "parse") is parse
    assert cli.get_command(click.Context(cli), "translate") is translate
    assert set(parse.commands) == {"meta"}
    assert set(translate.commands) == {"meta-to-genesys", "genesys-to-meta"}


def test_parse_meta_reads_a_file_and_stdin_alike() -> None:
    from_file = json_lines(invoke(parse, ["meta", str(TEXT_SAMPLE), "--received-at", RECEIVED]))
    from_stdin = json_lines(
        invoke(parse, ["meta", "-", "--received-at", RECEIVED], TEXT_SAMPLE.read_bytes())
    )
    assert from_file == from_stdin
    (event,) = from_file
    assert (event["kind"], event["type"], event["customer"]) == ("message", "text", "16505551234")
    assert event["received_at"] == "2026-01-02T03:04:05Z"
    assert event["payload"]["from"] == "16505551234"


def test_translate_meta_to_genesys_uses_placeholders_unless_the_tenant_says() -> None:
    (receipt,) = json_lines(invoke(translate, ["meta-to-genesys", str(DELIVERED_SAMPLE)]))
    assert receipt["path"] == (
        "/api/v2/conversations/messages/{integrationId}/inbound/open/receipt"
    )
    wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"
    assert receipt["body"]["id"] == f"{{genesys-message-id:{wamid}}}"
    image = webhook_body(
        webhook_value(
            contacts=[customer_contact()],
            messages=[message("image", {"id": "42", "mime_type": "image/jpeg"})],
        )
    )
    args = ["meta-to-genesys", "-", "--tenant", "integration_id=int-1"]
    args += ["--tenant", "media_base_url=https://media.acme.test/wa/"]
    (call,) = json_lines(invoke(translate, args, json.dumps(image).encode()))
    assert call["path"] == "/api/v2/conversations/messages/int-1/inbound/open/message"
    assert call["body"]["content"][0]["attachment"]["url"] == "https://media.acme.test/wa/42"


def test_translate_genesys_to_meta_takes_the_tenant_from_a_json_file(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.json"
    tenant.write_text(json.dumps({"phone_number_id": "106540352242922"}), encoding="utf-8")
    upload, send = json_lines(
        invoke(translate, ["genesys-to-meta", str(IMAGE_EXAMPLE), "--tenant", str(tenant)])
    )
    assert (upload["method"], upload["path"]) == ("POST", "/106540352242922/media")
    assert send["path"] == "/106540352242922/messages"
    assert send["body"]["image"]["id"] == "{uploaded-media-id}"


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("meta", b"{not json", "body"),
        ("meta", b'{"object": "whatsapp_business_account"}', "entry"),
        ("meta-to-genesys", b'{"object": "instagram", "entry": []}', "object"),
        ("genesys-to-meta", b'{"type": "Text", "id": "x"}', "channel"),
        (
            "genesys-to-meta",
            IMAGE_EXAMPLE.read_bytes().replace(b'"+15551234567"', b'"someone@example.com"'),
            "channel.to.id",
        ),
    ],
)
def test_invalid_input_exits_2_with_one_line_naming_the_field(
    command: str, body: bytes, field: str
) -> None:
    group = parse if command == "meta" else translate
    result = invoke(group, [command, "-"], body)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {field}: ")


RECEIPT_ECHO = json.dumps(
    {
        **json.loads(IMAGE_EXAMPLE.read_bytes()),
        "type": "Receipt",
        "status": "Delivered",
        "content": None,
        "text": None,
    }
).encode()


@pytest.mark.parametrize(
    ("command", "raw"),
    [
        ("meta-to-genesys", (META_SAMPLES / "pywa__message_status__read.json").read_bytes()),
        (
            "meta-to-genesys",
            (META_SAMPLES / "pywa__account_update__account_violation.json").read_bytes(),
        ),
        ("genesys-to-meta", RECEIPT_ECHO),
    ],
    ids=["read-status", "account-update", "genesys-receipt"],
)
def test_nothing_to_forward_exits_0_without_lines(command: str, raw: bytes) -> None:
    result = invoke(translate, [command, "-"], raw)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "args",
    [
        ["--tenant", "colour=blue"],
        ["--tenant", "integration_id="],
        ["--tenant", "/no/such/tenant.json"],
        ["--received-at", "2026-01-02T03:04:05"],
        ["--received-at", "yesterday"],
    ],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    result = invoke(translate, ["meta-to-genesys", str(TEXT_SAMPLE), *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Invalid value" in result.stderr


def wagen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the installed ``wagen`` console script of this venv."""
    script = Path(sys.executable).with_name("wagen")
    return subprocess.run(
        [str(script), *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_the_installed_wagen_script_reads_stdin_and_files_and_exits_2() -> None:
    by_file = wagen("parse", "meta", str(TEXT_SAMPLE), "--received-at", RECEIVED)
    by_stdin = wagen("translate", "genesys-to-meta", "-", stdin=IMAGE_EXAMPLE.read_bytes())
    invalid = wagen("translate", "meta-to-genesys", "-", stdin=b"[]")
    assert by_file.returncode == 0, by_file.stderr
    assert [json.loads(line)["kind"] for line in by_file.stdout.splitlines()] == ["message"]
    assert by_stdin.returncode == 0, by_stdin.stderr
    paths = [json.loads(line)["path"] for line in by_stdin.stdout.splitlines()]
    assert paths == ["/{phone-number-id}/media", "/{phone-number-id}/messages"]
    assert (invalid.returncode, invalid.stdout) == (2, b"")
    assert invalid.stderr.decode().splitlines() == ["error: body: expected a JSON object"]


SURROGATE_TEXT = json.dumps(
    webhook_body(webhook_value(messages=[message("text", {"body": "half an emoji: \ud83d"})]))
).encode()


@pytest.mark.parametrize("command", ["parse meta", "translate meta-to-genesys"])
def test_a_lone_surrogate_is_replaced_with_a_note_naming_the_field(command: str) -> None:
    group, name = (parse, "meta") if command == "parse meta" else (translate, "meta-to-genesys")
    result = invoke(group, [name, "-", "--received-at", RECEIVED], SURROGATE_TEXT)
    (line,) = json_lines(result)
    assert "half an emoji: \ufffd" in json.dumps(line, ensure_ascii=False)
    assert result.stderr.splitlines() == [
        "note: entry[0].changes[0].value.messages[0].text.body: "
        "a lone UTF-16 surrogate or NUL replaced by U+FFFD"
    ]


def test_genesys_to_meta_replaces_a_lone_surrogate_too() -> None:
    body = {**json.loads(IMAGE_EXAMPLE.read_bytes()), "text": "\udead end"}
    result = invoke(translate, ["genesys-to-meta", "-"], json.dumps(body).encode())
    *_, send = json_lines(result)
    assert send["body"]["image"]["caption"] == "\ufffd end"
    assert result.stderr == "note: text: a lone UTF-16 surrogate or NUL replaced by U+FFFD\n"


def test_one_bad_message_exits_2_after_printing_the_good_ones() -> None:
    body = webhook_body(
        webhook_value(
            messages=[
                message("text", {"body": "first"}, id="wamid.A"),
                message("text", {"body": "lost?"}, id="wamid.B", timestamp="99999999999999"),
                message("text", {"body": "third"}, id="wamid.C"),
            ]
        )
    )
    for group, command in ((parse, "meta"), (translate, "meta-to-genesys")):
        result = invoke(group, [command, "-"], json.dumps(body).encode())
        assert result.exit_code == 2
        assert len(result.stdout.splitlines()) == 2  # wamid.A and wamid.C
        assert result.stderr.splitlines() == [
            "error: entry[0].changes[0].value.messages[1].timestamp: Value error, out of range: "
            "99999999999999 is after 9999-12-31T23:59:59Z in Unix seconds"
        ]


def test_request_welcome_and_unknown_genesys_types_say_why_nothing_is_sent() -> None:
    welcome = json.dumps(webhook_body(webhook_value(messages=[message("request_welcome")])))
    result = invoke(translate, ["meta-to-genesys", "-"], welcome.encode())
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        "note: entry[0].changes[0].value.messages[0]: ignored: request_welcome: "
        "the customer opened the chat, no content\n"
    )
    presence = json.dumps({"type": "Presence", "id": "p1"}).encode()
    result = invoke(translate, ["genesys-to-meta", "-"], presence)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "note: type: 'Presence' is not a type wagen sends; nothing to do\n"


def test_a_failure_nobody_foresaw_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("a bug \ud800")

    monkeypatch.setattr("connectors.meta.webhook.split_body", broken)
    result = CliRunner().invoke(parse, ["meta", str(TEXT_SAMPLE)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: internal: wagen could not handle this body (RuntimeError: a bug \\ud800)\n"
    )
