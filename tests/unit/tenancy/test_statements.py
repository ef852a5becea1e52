"""Combining writes into one statement: placeholders renumbered, arguments in order."""

from __future__ import annotations

from tenancy.db.statements import Statement, combined


def test_placeholders_are_renumbered_after_the_earlier_statements_arguments() -> None:
    first = Statement("UPDATE a SET x = $2 WHERE id = $1", ("id-1", 5))
    second = Statement("INSERT INTO b (k, v, w) VALUES ($1, $2, $1)", ("k", "v"))
    third = Statement("UPDATE c SET y = $1", (True,))

    together = combined((first, second, third))

    assert together.sql == (
        "WITH w0 AS (UPDATE a SET x = $2 WHERE id = $1), "
        "w1 AS (INSERT INTO b (k, v, w) VALUES ($3, $4, $3)), "
        "w2 AS (UPDATE c SET y = $5) SELECT 1"
    )
    assert together.args == ("id-1", 5, "k", "v", True)


def test_two_digit_placeholders_are_renumbered_whole() -> None:
    many = Statement(
        "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", tuple(range(11))
    )
    together = combined((Statement("UPDATE u SET a = $1", ("a",)), many))
    assert together.sql == (
        "WITH w0 AS (UPDATE u SET a = $1), "
        "w1 AS (INSERT INTO t VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)) SELECT 1"
    )
    assert together.args == ("a", *range(11))
