"""Migration files: naming, ordering, checksums (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenancy.db.migrate import Migration, load_migrations
from tenancy.errors import MigrationError


def test_shipped_migrations_load_in_order() -> None:
    migrations = load_migrations()
    versions = [m.version for m in migrations]
    assert versions == sorted(versions)
    assert versions[0] == 1
    assert migrations[0].name == "base"
    assert "CREATE TABLE tenants" in migrations[0].sql


def test_files_are_sorted_by_version_not_by_listing(tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "README.txt").write_text("not a migration")
    assert [m.name for m in load_migrations(tmp_path)] == ["first", "second"]


@pytest.mark.parametrize("bad_name", ["1_short.sql", "0003-dash.sql", "0004_Upper.sql"])
def test_badly_named_files_are_refused(tmp_path: Path, bad_name: str) -> None:
    (tmp_path / bad_name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="share version 0001"):
        load_migrations(tmp_path)


def test_checksum_changes_with_the_text() -> None:
    original = Migration(1, "a", "SELECT 1;")
    assert original.checksum == Migration(1, "a", "SELECT 1;").checksum
    assert original.checksum != Migration(1, "a", "SELECT 2;").checksum
