"""Prometheus metrics of the gateway and the worker.

* :mod:`~pipeline.metrics.registry` — every series, defined once;
* :mod:`~pipeline.metrics.labels` — how label values stay bounded (tenant switch, closed sets);
* :mod:`~pipeline.metrics.record` — the one-line calls the instrumented sites make;
* :mod:`~pipeline.metrics.ingress` — webhook requests counted at the gateway's routes;
* :mod:`~pipeline.metrics.connectors` — the connectors' outbound calls (through their hook);
* :mod:`~pipeline.metrics.sampler` — consumer lag and DLQ sizes, sampled off the hot path;
* :mod:`~pipeline.metrics.http` — ``GET /metrics`` (the gateway's route, the worker's server).

Each process exports its own registry (prometheus_client's default one); with several
gateway replicas or workers, Prometheus scrapes each and aggregates, so no multiprocess mode
is used.
"""
