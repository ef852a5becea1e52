"""The processes: the aiohttp gateway, the Faust worker, and the ``wagen`` CLI."""
