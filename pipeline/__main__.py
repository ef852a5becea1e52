"""``python -m pipeline`` is the ``wagen`` command."""

from pipeline.cli import main

main()
