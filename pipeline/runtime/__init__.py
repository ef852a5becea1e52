"""What a running process is made of: its shared clients (resources), the event loop,
the supervisor of ``make run``, sandbox mode, and the in-process TTL cache.
"""
