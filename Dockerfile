# syntax=docker/dockerfile:1
#
# One image for every wagen process: `wagen gateway` (the default), `wagen worker`, and the
# operator CLI (`wagen db migrate`, `wagen topics ensure`, `wagen lag`, `wagen dlq ...`).
#
#   docker build -t wagen:0.1.0 .
#   docker run --rm -p 8080:8080 --env-file wagen.env wagen:0.1.0            # gateway
#   docker run --rm --env-file wagen.env wagen:0.1.0 worker
#   docker run --rm --env-file wagen.env wagen:0.1.0 db migrate
#
# No secret is baked in: every WAGEN_* secret (PostgreSQL DSN, Redis URL, Vault token, admin
# token, pepper, media link secret) comes from the environment at run time, and tenant
# credentials live in Vault. Not built or run on the development machine (it has no Docker
# engine): tests/deploy/ checks this file statically.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a virtualenv holding wagen and its runtime dependencies, nothing else ---------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Every dependency ships a cp311 manylinux wheel for amd64, so no compiler is needed; on a
# platform without wheels add `apt-get install build-essential` here (the runtime stays slim).
RUN python -m venv /opt/venv

WORKDIR /src
# Only what the wheel is built from (.dockerignore keeps everything else out of the context).
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY connectors ./connectors
COPY tenancy ./tenancy
COPY pipeline ./pipeline

# A regular (non-editable) install builds the wheel and compiles the bytecode, so the runtime
# never writes .pyc files (its root filesystem is read-only in Kubernetes). The migrations are
# package data: the check fails the build, not the first deploy, if they are missing.
RUN /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install . \
 && /opt/venv/bin/python -c "from importlib.resources import files; \
assert any(p.name.endswith('.sql') for p in (files('tenancy.db') / 'migrations').iterdir())" \
 && /opt/venv/bin/wagen --help > /dev/null

# --- runtime: the same Python base, the venv, an unprivileged user -------------------------
FROM ${PYTHON_IMAGE} AS runtime

# A fixed uid/gid, so Kubernetes can check runAsNonRoot and volumes can be chowned to it.
RUN groupadd --system --gid 10001 wagen \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/wagen --no-create-home \
      --shell /usr/sbin/nologin wagen \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/wagen

COPY --from=builder /opt/venv /opt/venv

# Faust keeps its data directory (`<app id>-data`) in the working directory: it must be
# writable by the wagen user (an emptyDir in Kubernetes, where the root filesystem is
# read-only). In a container the gateway and both metrics listeners must listen beyond
# loopback (probes and scrapes come from outside the container).
WORKDIR /var/lib/wagen
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WAGEN_GATEWAY_HOST=0.0.0.0 \
    WAGEN_GATEWAY_PORT=8080 \
    WAGEN_GATEWAY_METRICS_HOST=0.0.0.0 \
    WAGEN_GATEWAY_METRICS_PORT=8082 \
    WAGEN_WORKER_METRICS_HOST=0.0.0.0 \
    WAGEN_WORKER_METRICS_PORT=8081 \
    WAGEN_LOG_JSON_LINES=true

USER 10001:10001
# 8080: the gateway (webhooks, APIs, /healthz, /readyz); 8082: the gateway's /metrics;
# 8081: the worker's /metrics and /healthz.
EXPOSE 8080 8081 8082

# Liveness, by the role the container was started with (PID 1's arguments): the gateway's
# /healthz, the worker's /healthz (beside its /metrics, served from the Faust app's event loop);
# a CLI container passes without a request. Neither route touches a dependency, so an outage
# of Kafka or PostgreSQL never marks every container unhealthy at once. Kubernetes ignores
# HEALTHCHECK and uses the probes in deploy/k8s/ instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; args = open('/proc/1/cmdline', 'rb').read().split(b'\\0'); url = ('http://127.0.0.1:' + os.environ.get('WAGEN_GATEWAY_PORT', '8080') + '/healthz') if b'gateway' in args else ('http://127.0.0.1:' + os.environ.get('WAGEN_WORKER_METRICS_PORT', '8081') + '/healthz') if b'worker' in args else None; sys.exit(0) if url is None else urllib.request.urlopen(url, timeout=4).close()"]

ENTRYPOINT ["wagen"]
CMD ["gateway"]
