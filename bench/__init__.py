"""wagen's benchmarks (``make bench``): ingress, end to end, scale-out and fairness.

Every figure is measured next to its baseline in the same run, on the same machine, by the
same load generator, and written to ``bench/results/<scenario>.json`` (fields described in
``bench/results/README.md``). Sizes come from a preset (``--preset quick`` for development,
``full`` for the figures quoted), so a run fits the machine it is on.
"""
