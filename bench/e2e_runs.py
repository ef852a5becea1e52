"""End-to-end measurements shared by the e2e, scale-out and fairness scenarios.

A *capacity* run sends ``e2e_blast`` webhooks as fast as the ingress takes them and counts
deliveries per second from the first send to the last arrival: the most the system carries.
A *sustained* run offers a fixed rate for a fixed time and reports what arrived and how
late: latency at a load, not at saturation.
"""

from __future__ import annotations

from typing import Any

from bench.config import Sizes
from bench.harness import Bench, CpuSampler, Delivery, delivery
from bench.procs import Proc


def cpu_per_message(
    seconds: dict[str, float], loadgen_s: float, delivered: int
) -> dict[str, float]:
    """Milliseconds of CPU each process spent per delivered message, and the whole machine's
    (``machine``; stolen time left out): 2 cores carry at most 2,000 / ``machine`` messages
    per second, whatever the software does with them."""
    if delivered <= 0:
        return {}
    spent = {k: v for k, v in seconds.items() if k not in ("stolen by the host", "machine busy")}
    spent["loadgen"] = loadgen_s
    spent["machine"] = seconds.get("machine busy", 0.0)
    return {name: round(1000 * s / delivered, 2) for name, s in spent.items() if s > 0}


def _ms_text(per_message: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms:g}" for name, ms in per_message.items()) or "-"


async def measure(
    bench: Bench,
    kind: str,
    targets: list[str],
    sizes: Sizes,
    *,
    count: int,
    rate: float | None,
    watched: list[Proc],
    conversations: list[tuple[int, str]] | None = None,
) -> tuple[Delivery, str, dict[str, float]]:
    """Send, wait for the arrivals (at most ``drain_timeout_s``), match them; the CPU shares
    and the CPU milliseconds per delivered message."""
    run_id = bench.run_id("e")
    async with CpuSampler(watched) as sampler:
        load = await bench.load(
            kind,
            targets,
            count=count,
            concurrency=sizes.e2e_concurrency,
            run_id=run_id,
            rate=rate,
            conversations=conversations,
        )
        arrivals = await bench.wait_arrivals(f"{run_id}-", len(load.ok), sizes.drain_timeout_s)
    found = delivery(load, arrivals)
    last = max(arrivals.values(), default=load.last_answer)
    cpu = sampler.share(load.first_send, last)
    per_message = cpu_per_message(
        sampler.seconds(load.first_send, last), load.loadgen_cpu_s, found.delivered
    )
    if found.delivered < found.acked:
        # Not counted, but the backlog must not spill into the next measurement.
        await bench.wait_arrivals(f"{run_id}-", len(load.ok), sizes.drain_timeout_s)
    cpu += f", loadgen {100 * load.loadgen_cpu_s / max(load.wall_s, 1e-9):.0f}%"
    return found, cpu, per_message


def row(
    system: str,
    direction: str,
    mode: str,
    found: Delivery,
    cpu: str,
    per_message: dict[str, float] | None = None,
) -> dict[str, Any]:
    """One table row."""
    return {
        "system": system,
        "direction": direction,
        "mode": mode,
        "sent": found.sent,
        "sent_per_s": found.sent_per_s,
        "acked": found.acked,
        "delivered": found.delivered,
        "delivered_per_s": found.per_s,
        **{f"{k}_ms": v for k, v in found.latency.items()},
        "cpu": cpu,
        "cpu_ms_per_message": _ms_text(per_message or {}),
        "machine_ms_per_message": (per_message or {}).get("machine"),
    }
