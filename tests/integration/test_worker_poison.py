"""A real ``wagen worker`` takes poison webhooks from ``wa.webhooks`` without stopping: each
is dead-lettered (alone, when it is one item of a body) or repaired, and the next record is
delivered. Before issue 13 the first of them crashed the split agent (``Agent ... Crashed``).
"""

from __future__ import annotations

import json
import signal

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic
from pipeline.settings import WagenSettings
from pipeline.worker.split_meta import ITEM_PATH
from schemas.events import WAGEN_EVENT, MessageReceived
from tests.integration.kafka_tail import TopicTail
from tests.integration.wagen_process import start_group_at_end, wagen, wait_until_stable
from tests.unit.schemas.bodies import CUSTOMER, message, webhook_body, webhook_value


def text_body(*messages: dict[str, object]) -> bytes:
    return json.dumps(webhook_body(webhook_value(messages=list(messages)))).encode()


async def test_poison_records_are_dead_lettered_and_the_next_one_delivered(
    settings: WagenSettings, unique_name: str
) -> None:
    tenant = unique_name.replace("test-", "t")
    poisons = [
        # A lone surrogate: PydanticSerializationError in the agent, which crashed.
        text_body(message("text", {"body": "half an emoji \ud83d"}, id="wamid.SURROGATE")),
        # One bad message next to a good one: the whole body was refused.
        text_body(
            message("text", {"body": "good"}, id="wamid.SIBLING"),
            message("text", {"body": "bad"}, id="wamid.BADTIME", timestamp="99999999999999"),
        ),
        # A message type that is not a string: TypeError from the router.
        text_body(message("text", {"body": "x"}, id="wamid.BADTYPE", type=[])),
        b"[" * 200_000,  # beyond the decoder's nesting limit
        b"\xff\xfe not even UTF-8",
    ]
    last = text_body(message("text", {"body": "still here?"}, id="wamid.LAST"))
    await start_group_at_end(settings.kafka.servers, unique_name)
    worker = wagen(
        "worker",
        env={"WAGEN_WORKER_APP_ID": unique_name, "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest"},
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    await producer.start()
    try:
        await wait_until_stable(admin, unique_name, worker)
        headers = [("tenant_id", tenant.encode()), ("received_at_ms", b"1700000000000")]
        async with (
            TopicTail(settings, WA_EVENTS) as events,
            TopicTail(settings, dlq_topic(WA_WEBHOOKS)) as dead,
        ):
            for body in [*poisons, last]:
                await producer.send_and_wait(
                    WA_WEBHOOKS, body, key=tenant.encode(), headers=headers
                )
            delivered = await events.records_for(f"{tenant}:".encode(), 3, prefix=True, rounds=160)
            dead_letters = await dead.records_for(tenant.encode(), 4, rounds=80)
        assert worker.poll() is None, worker.communicate()[0]

        received = [WAGEN_EVENT.validate_json(value) for value, _ in delivered]
        assert [e.message_id for e in received] == [
            "wamid.SURROGATE",
            "wamid.SIBLING",
            "wamid.LAST",
        ]
        assert all(isinstance(e, MessageReceived) and e.customer == CUSTOMER for e in received)
        repaired = received[0]
        assert isinstance(repaired, MessageReceived)
        assert repaired.payload.model_dump()["text"]["body"] == "half an emoji \ufffd"

        whole = {value: h for value, h in dead_letters if ITEM_PATH not in h}
        assert set(whole) == {poisons[3], poisons[4]}  # kept byte for byte
        assert b"RecursionError" in whole[poisons[3]]["dlq_error"]
        assert b"not valid JSON (UnicodeDecodeError)" in whole[poisons[4]]["dlq_error"]
        items = {
            json.loads(value)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]: h
            for value, h in dead_letters
            if ITEM_PATH in h
        }
        assert set(items) == {"wamid.BADTIME", "wamid.BADTYPE"}
        # The bad message alone, raw, in its envelope, and where it was: its sibling went on.
        assert items["wamid.BADTIME"][ITEM_PATH] == b"entry[0].changes[0].value.messages[1]"
        assert (
            b"messages[1].timestamp: Value error, out of range"
            in items["wamid.BADTIME"]["dlq_error"]
        )
        assert items["wamid.BADTYPE"][ITEM_PATH] == b"entry[0].changes[0].value.messages[0]"
        assert (
            b"messages[0].type: Input should be a valid string"
            in items["wamid.BADTYPE"]["dlq_error"]
        )

        output = worker.output_so_far()
        # No agent crashed, and the split agent met nothing it did not foresee. (The
        # forwarding agent's own failures on these events, for a tenant that does not
        # exist, are its business: they are routed, not crashes.)
        assert "Crashed" not in output
        split_errors = [
            line for line in output.splitlines() if "split_meta" in line and "ERROR" in line
        ]
        assert split_errors == []
        assert "split_failed" not in output
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        await producer.stop()
        ours = [t for t in await admin.list_topics() if t.startswith(unique_name)]
        if ours:
            await admin.delete_topics(ours)
        await admin.close()
