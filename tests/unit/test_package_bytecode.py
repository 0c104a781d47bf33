"""`make package`'s bytecode: what it compiles, with which interpreter, and what it ships without one
(the full build, wheels included, is tests/integration/test_package.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tools import package, template


def test_bytecode_is_used_as_it_stands(tmp_path):
    """Unchecked-hash bytecode is loaded without looking at the source: right for an artifact rebuilt
    whole, where the source's mtime after Lambda unzips it proves nothing."""
    (tmp_path / "shipped.py").write_text("VALUE = 'compiled'\n")
    package.compile_bytecode(sys.executable, tmp_path)
    (compiled,) = (tmp_path / "__pycache__").glob("shipped.*.pyc")
    assert int.from_bytes(compiled.read_bytes()[4:8], "little") == 0b01  # PEP 552: hash-based, unchecked
    (tmp_path / "shipped.py").write_text("VALUE = 'edited after the build'\n")
    done = subprocess.run([sys.executable, "-c", "import shipped; print(shipped.VALUE)"], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "compiled"


def test_the_runtimes_interpreter_is_found_by_its_version():
    version = package.runtime_version()
    python = package.interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine (python{version} on the PATH or pyenv)")
    done = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == str(tuple(int(part) for part in version.split(".")))
    assert package.interpreter("3.0") is None


def test_pip_never_compiles_for_its_own_interpreter():
    assert "--no-compile" in package._pip_target(None)
    assert "--no-compile" in package._pip_target(sys.executable)


def test_without_the_runtimes_interpreter_the_package_ships_sources_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(package, "interpreter", lambda version: None)
    monkeypatch.setattr(package, "_pip_target", lambda python: [sys.executable, "-c", "pass"])  # no wheels
    package.build(tmp_path)
    assert f"no Python {package.runtime_version()} here" in capsys.readouterr().err
    assert (tmp_path / "LedgerLayer" / "python" / "ledger" / "__init__.py").exists()
    for function in template.functions():
        assert (tmp_path / function / "app.py").exists()
    assert not list(tmp_path.rglob("*.pyc"))


def test_the_layers_python_folder_is_where_lambda_looks(tmp_path: Path, monkeypatch):
    """Lambda puts a layer's python/ on the path: ledger must sit right under it, compiled there."""
    monkeypatch.setattr(package, "_pip_target", lambda python: [sys.executable, "-c", "pass"])
    package.build(tmp_path, python=sys.executable)
    ledger = tmp_path / "LedgerLayer" / "python" / "ledger"
    assert list((ledger / "__pycache__").glob(f"__init__.{sys.implementation.cache_tag}.pyc"))
