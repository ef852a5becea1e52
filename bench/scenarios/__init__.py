"""One module per scenario; each returns a :class:`bench.report.Result`."""
