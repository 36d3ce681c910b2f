"""The layers as contracts (pyproject.toml ``[tool.importlinter]``, docs/architecture.md):
``lint-imports`` passes, and it is not blind — a contract the code breaks, also through an import
inside a function, is reported broken."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def _lint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold():
    result = _lint()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails(tmp_path):
    """Two edges the code has: the portal reads cases, and the case worker imports the engine
    lazily (inside the task function). Forbidding them must fail."""
    config = tmp_path / ".importlinter"
    config.write_text(
        "[importlinter]\nroot_package = zimao\n\n"
        "[importlinter:contract:portal]\nname = web must not know cases\ntype = forbidden\n"
        "source_modules = zimao.web\nforbidden_modules = zimao.cases\n\n"
        "[importlinter:contract:lazy]\nname = lazy imports count\ntype = forbidden\n"
        "source_modules = zimao.cases.tasks\nforbidden_modules = zimao.cases.services\n",
        encoding="utf-8",
    )
    result = _lint("--config", str(config))
    assert result.returncode != 0
    assert "web must not know cases BROKEN" in result.stdout
    assert "lazy imports count BROKEN" in result.stdout


def test_the_portal_helpers_have_one_home():
    """The services' pages share ``zimao.portal``; what ``zimao.web.pages``/``present``/``forms``
    offer under a portal helper's name is that same object re-exported (older code imports them
    there), never a second copy."""
    from zimao.portal import forms, pages, present
    from zimao.web import forms as web_forms
    from zimao.web import pages as web_pages
    from zimao.web import present as web_present

    for home, alias in ((pages, web_pages), (present, web_present), (forms, web_forms)):
        public = [name for name in vars(home) if not name.startswith("_") and callable(getattr(home, name))]
        own = [name for name in public if getattr(getattr(home, name), "__module__", "") == home.__name__]
        assert own, home.__name__
        shared = [name for name in own if hasattr(alias, name)]
        assert shared, alias.__name__
        for name in shared:
            assert getattr(alias, name) is getattr(home, name), f"{alias.__name__}.{name}"
