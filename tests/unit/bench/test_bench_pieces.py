"""The benchmark's pure pieces: percentiles, matching arrivals, sizes, the profile summary,
and the signed bodies the load generator sends."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.config import sizes
from bench.e2e_runs import cpu_per_message
from bench.harness import Load, delivery
from bench.payloads import BenchTenant, signed
from bench.profiling import summary
from bench.report import Result, at_least, at_most, percentile, table
from bench.scenarios.e2e import cpu_budget
from connectors.meta.webhook import split_webhook
from connectors.signatures import verify_genesys_signature, verify_meta_signature
from schemas.events import MessageReceived

TENANT = BenchTenant(
    tenant_id="bench-t1",
    number="1123456789012",
    app_secret="app-secret-0123",
    access_token="EAAG-token",
    client_id="client-1",
    client_secret="client-secret-1",
    integration_id="2f1a9c2e-1111-4a4a-9b9b-000000000001",
    outbound_secret="outbound-secret-0123456789",
)


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert math.isnan(percentile([], 50))


def test_an_undelivered_message_makes_the_tail_a_timeout() -> None:
    load = Load(
        sent=[("r-0", 100.0, 0.01, 200), ("r-1", 100.0, 0.01, 200), ("r-2", 100.0, 0.01, 503)],
        loadgen_cpu_s=0.1,
        wall_s=1.0,
    )
    found = delivery(load, {"r-0": 100.5})
    assert (found.sent, found.acked, found.delivered) == (3, 2, 1)
    assert found.latency["p50"] == 500.0
    assert found.latency["p99"] == math.inf
    assert found.per_s == 2.0


def test_targets_and_the_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.report.RESULTS", tmp_path)
    result = Result("demo", "quick", {"tenants": 2}, rows=[{"system": "x", "p99_ms": math.inf}])
    result.targets += [at_least("rate", 10.0, 20.0), at_most("p99", 40.0, 50.0, " ms")]
    body = json.loads(result.write().read_text())
    assert [t["verdict"] for t in body["targets"]] == ["MISS", "PASS"]
    assert body["rows"] == [{"system": "x", "p99_ms": "timeout"}]
    assert "timeout" in table(result.rows)


def test_sizes_take_overrides_and_refuse_unknown_keys() -> None:
    chosen = sizes("quick", ["scale_workers=1,2,4", "e2e_rate=250"])
    assert chosen.scale_workers == (1, 2, 4)
    assert chosen.e2e_rate == 250.0
    with pytest.raises(ValueError, match="key=value"):
        sizes("full", ["no_such_size=1"])


def test_profile_summary_ranks_own_package_and_inclusive_time(tmp_path: Path) -> None:
    collapsed = tmp_path / "raw.txt"
    collapsed.write_text(
        "process 1:MainThread;run (pipeline/cli/processes.py:1);parse (pipeline/split.py:2);"
        "loads (json/decoder.py:9) 30\n"
        "process 1:MainThread;run (pipeline/cli/processes.py:1);send (asyncio/events.py:3) 10\n"
    )
    text = summary("worker", collapsed)
    packages = text.split("own time by package")[1].split("own time by function:")[0]
    assert packages.strip().splitlines()[1].strip() == "75.0%  json"
    inclusive = text.split("inclusive time of wagen's own functions:")[1]
    # Our own frames only, and not the entry point every sample passes through.
    assert inclusive.strip().splitlines() == ["75.0%  parse (pipeline/split.py:2)"]
    assert "no profile" in summary("gateway", tmp_path / "missing.txt")


def test_bodies_are_signed_for_their_tenant_and_carry_the_bench_id() -> None:
    body, signature = signed("meta", TENANT, "491500000001", "run1-7")
    verify_meta_signature(body, signature, [TENANT.app_secret])
    [event] = split_webhook(body, TENANT.tenant_id, datetime.now(UTC))
    assert isinstance(event, MessageReceived)
    assert event.message_id == "wamid.bench-run1-7"
    body, signature = signed("genesys", TENANT, "491500000001", "run1-8")
    verify_genesys_signature(body, signature, [TENANT.outbound_secret])
    assert json.loads(body)["text"].startswith("bench:run1-8 ")


def test_cpu_per_message_divides_each_process_and_the_machine_by_deliveries() -> None:
    seconds = {"worker-0": 1.0, "postgres": 0.5, "machine busy": 2.5, "stolen by the host": 0.3}
    spent = cpu_per_message(seconds, loadgen_s=0.25, delivered=250)
    assert spent == {"worker-0": 4.0, "postgres": 2.0, "loadgen": 1.0, "machine": 10.0}
    assert cpu_per_message(seconds, loadgen_s=0.25, delivered=0) == {}


def test_the_cpu_budget_note_says_what_two_cores_carry() -> None:
    rows = [
        {"system": "wagen", "direction": "Meta -> Genesys", "mode": "capacity",
         "machine_ms_per_message": 10.0},
        {"system": "wagen", "direction": "Meta -> Genesys", "mode": "sustained @1000/s",
         "machine_ms_per_message": 9.0},
    ]  # fmt: skip
    (note,) = cpu_budget(rows)
    assert note.startswith("wagen, Meta -> Genesys: 10 ms of machine CPU per message")
    assert "at most 200 messages/s" in note
    assert "needs <= 2 ms" in note
