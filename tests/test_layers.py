"""The layers hold as ``pyproject.toml`` writes them ([tool.importlinter]): the command line, then HTTP, delivery,
the engine's I/O, the backends, the pipeline, the configuration, the renderers and decoders; the pure core does no
I/O and knows no delivery; the backends know nothing above them. ``lint-imports`` checks the whole import graph
(lazy imports included); the test command runs it, and so does this test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_contract_is_kept() -> None:
    checked = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert "4 kept, 0 broken" in checked.stdout


def test_the_contracts_would_catch_io_in_the_core(tmp_path: Path) -> None:
    """A contract that cannot fail proves nothing: the same check on a copy of the tree where the live state
    imports asyncio is refused."""
    copy = tmp_path / "tree"
    copy.mkdir()
    for path in ("pyproject.toml", "signage", "renderers", "channels", "content"):
        subprocess.run(["cp", "-a", str(ROOT / path), str(copy)], check=True, timeout=60)
    state = copy / "signage" / "state.py"
    state.write_text(state.read_text(encoding="utf-8") + "\nimport asyncio  # noqa\n", encoding="utf-8")
    checked = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=copy, capture_output=True,
                             text=True, timeout=120, check=False,
                             env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert checked.returncode != 0 and "signage.state -> asyncio" in checked.stdout


def test_no_module_of_the_pure_core_is_over_300_lines() -> None:
    """The core is the contract's list of pure modules (packages included, every module in them): small enough
    that each file is one job a newcomer reads in one sitting."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    core = next(c for c in contracts["contracts"] if c["name"].startswith("The pure core"))["source_modules"]
    files: list[Path] = []
    for module in core:
        path = ROOT.joinpath(*module.split("."))
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    assert len(files) > 40 and all(f.exists() for f in files)
    lengths = {str(f.relative_to(ROOT)): len(f.read_text(encoding="utf-8").splitlines()) for f in files}
    assert {name: n for name, n in lengths.items() if n > 300} == {}
