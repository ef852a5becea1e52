"""wagen's benchmarks (``make bench``): ingress, end to end, scale-out and fairness.

Every figure is measured next to its baseline in the same run, on the same machine, by the
same load generator, and written to ``bench/results/<scenario>.json`` (fields described in
``bench/results/README.md``). Sizes come from a preset (``--preset quick`` for development,
``full`` for the figures quoted), so a run fits the machine it is on.
"""

import os

# The bench's own topics, never the ones `make run` reads: set before any wagen module reads
# the prefix (topic names are fixed at import). Its groups, database, Redis and Vault
# prefixes are per run already (bench.world). A prefix given in the environment wins.
BENCH_TOPIC_PREFIX = "wagen-bench."
if not os.environ.get("WAGEN_KAFKA_TOPIC_PREFIX"):
    os.environ["WAGEN_KAFKA_TOPIC_PREFIX"] = BENCH_TOPIC_PREFIX
