"""Logs of every process: the JSON/text formatter, the redaction filter, and the correlation
ids bound to each message's log lines.
"""
