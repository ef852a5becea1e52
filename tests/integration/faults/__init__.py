"""Fault tests (marker ``faults``): real services of the stack stopped, restarted, flushed or
made to misbehave under load, with exact counts of what was delivered, retried and
dead-lettered. A worker killed with SIGKILL mid-stream is covered by
``tests/integration/acceptance/test_worker_killed.py``; bad input against a live gateway by
``tests/integration/gateway/test_bad_input_*.py`` (also marked ``faults``).
"""
