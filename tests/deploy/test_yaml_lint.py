"""Every YAML file of deploy/ parses and passes yamllint.

PyYAML alone silently keeps the last of two equal keys (a duplicated `env` or `ports` in a
manifest would drop half of it); yamllint's key-duplicates rule refuses them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from tests.deploy.manifests import SCHEMAS_DIR, load_documents, yaml_files

# The default rules, less the ones that only fight the house layout: a leading `---` is
# optional, and long lines (one-line shell or Python in a health check) are allowed. A bare
# yes/no/on is an error, not a warning: Kubernetes and Compose want the string or the bool.
_CONFIG = YamlLintConfig(
    """
extends: default
rules:
  document-start: disable
  line-length: disable
  truthy:
    level: error
  comments:
    min-spaces-from-content: 1
"""
)

_FILES = [*yaml_files(), *sorted(SCHEMAS_DIR.glob("*.yaml"))]


def test_there_are_deployment_files_to_check() -> None:
    names = {p.name for p in _FILES}
    assert {"compose.yaml", "kustomization.yaml", "worker-scaledobject.yaml"} <= names


@pytest.mark.parametrize("path", _FILES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_yaml_is_clean(path: Path) -> None:
    problems = [
        f"{path.name}:{p.line}:{p.column} {p.rule} {p.desc}"
        for p in linter.run(path.read_text(), _CONFIG, str(path))
        if p.level == "error"
    ]
    assert problems == []
    assert load_documents(path), f"{path} holds no document"
