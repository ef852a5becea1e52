"""The dry runs on calls, business-app echoes and preferences: the pipeline's own parsing and
translation, one line each, and exit 2 naming the field of a malformed item."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.translate.echoes import ECHO_LINE
from pipeline.cli.dryrun import parse, translate
from tests.unit.connectors.side_bodies import (
    CALL_ID,
    ECHO_ID,
    call,
    calls_body,
    echo,
    echoes_body,
    preference,
    preferences_body,
)
from tests.unit.schemas.reference import schema_errors, wagen_schema_errors, without_wagen_overlays
from tests.unit.test_dryrun_cli import RECEIVED, invoke, json_lines

PREFIX = "/api/v2/conversations/messages/{integrationId}/inbound/open/message"


def run(group: Any, command: str, body: dict[str, Any]) -> Any:
    raw = json.dumps(body).encode()
    return invoke(group, [command, "-", "--received-at", RECEIVED], stdin=raw)


@pytest.mark.parametrize(
    ("body", "kinds"),
    [
        (calls_body(call(), call("terminate")), ["call", "call"]),
        (echoes_body(echo()), ["echo"]),
        (preferences_body(preference("stop"), preference("resume")), ["preference"] * 2),
    ],
)
def test_parse_prints_one_line_per_side_event(body: dict[str, Any], kinds: list[str]) -> None:
    lines = json_lines(run(parse, "meta", body))
    assert [line["kind"] for line in lines] == kinds
    assert all(line["tenant_id"] == "dry-run" for line in lines)


def test_translate_shows_the_notice_and_the_echo_and_nothing_for_preferences() -> None:
    [notice] = json_lines(run(translate, "meta-to-genesys", calls_body(call(), call("terminate"))))
    [shown] = json_lines(run(translate, "meta-to-genesys", echoes_body(echo())))
    assert json_lines(run(translate, "meta-to-genesys", preferences_body(preference()))) == []
    assert (notice["path"], shown["path"]) == (PREFIX, PREFIX)
    assert notice["body"]["channel"]["messageId"] == CALL_ID
    assert "tried to call you on WhatsApp" in notice["body"]["text"]
    assert shown["body"]["channel"]["messageId"] == ECHO_ID
    assert shown["body"]["text"].startswith(ECHO_LINE)
    for line in (notice, shown):
        assert wagen_schema_errors("inbound-message", line["body"]) == []
        assert schema_errors("inbound-message", without_wagen_overlays(line["body"])) == []


def test_a_malformed_call_exits_2_naming_the_field() -> None:
    result = run(translate, "meta-to-genesys", calls_body(call(timestamp="soon")))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: entry[0].changes[0].value.calls[0].timestamp:")
    assert result.stdout == ""
