"""The project as a contributor and a packager meet it: licence text, version, lock file, changelog."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import zimao

ROOT = Path(__file__).resolve().parent.parent


def _requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_licence_is_the_full_eupl_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    # The whole licence, appendix included, not a pointer to it.
    assert "Compatible Licences" in text and len(text) > 12000
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "EUPL-1.2"


def test_zimao_version_prints_the_package_version():
    out = subprocess.run([sys.executable, "-m", "zimao", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"zimao {zimao.__version__}"
    # The installed metadata comes from the same single source.
    assert metadata.version("zimao") == zimao.__version__


def test_changelog_has_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(zimao.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M), (
        f"CHANGELOG.md has no section for {zimao.__version__}"
    )


def test_lock_pins_every_declared_dependency_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for group in project["optional-dependencies"].values() for d in group)]
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {
        m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==", lock, re.M)
    }
    missing = sorted({_requirement_name(d) for d in declared} - pinned)
    assert not missing, f"requirements.lock does not pin {missing}: run `make lock`"
    blocks = re.findall(r"^[A-Za-z0-9_.\-\[\],]+==\S+.*?(?=^\S|\Z)", lock, re.M | re.S)
    assert blocks and all("--hash=sha256:" in b for b in blocks), "every pinned package needs its hashes"
