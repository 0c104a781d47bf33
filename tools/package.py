"""`make package`: what `sam build` would deploy, built without Docker and without a local Python 3.12.

Writes .aws-sam/build/ as `sam build` does, so `sam deploy` deploys it as it stands: each function's code
in .aws-sam/build/<LogicalId>/, the layer in .aws-sam/build/<Layer>/python/ (the ledger package and the
layer's requirements as wheels for the template's runtime and architecture, chosen with pip's
--platform, --python-version and --only-binary), and a template whose CodeUri and ContentUri point at
them. Prints each artifact's size against Lambda's limits, and fails past them.

The layer and every function ship unchecked-hash bytecode compiled by an interpreter of the runtime's
version (python3.12 on the PATH, else pyenv's): Lambda's code and layers are read-only, so Python cannot
cache what it compiles there, and without shipped bytecode every cold start compiles every module it
imports. Without such an interpreter the package ships sources only, and says so.

`--host` builds the same artifact with wheels for the interpreter given instead, and its bytecode (the
tests import every function from it in an isolated interpreter: arm64 wheels do not load on this machine).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tools import template

BUILD = template.ROOT / ".aws-sam" / "build"
UNZIPPED_MAX_BYTES = 250 * 1024 * 1024  # a function and all its layers, unzipped
ZIPPED_MAX_BYTES = 50 * 1024 * 1024  # one zipped artifact uploaded directly
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def _layer() -> tuple[str, dict]:
    ((logical_id, layer),) = template.resources("AWS::Serverless::LayerVersion").items()
    return logical_id, layer


def runtime_version() -> str:
    """The template's Python version, e.g. "3.12"."""
    return template.load()["Globals"]["Function"]["Runtime"].removeprefix("python")


def interpreter(version: str) -> str | None:
    """An interpreter of `version` on this machine: python<version> on the PATH, else one of pyenv's."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    pyenvs = sorted(str(p) for p in pyenv.glob(f"{version}*/bin/python{version}"))
    for candidate in filter(None, [shutil.which(f"python{version}"), *pyenvs]):
        # pyenv's shim is on the PATH even when its version is not selected, and then fails: ask each one.
        done = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


def compile_bytecode(python: str, *folders: Path) -> None:
    """Unchecked-hash bytecode for `python`'s version beside every source under `folders`. A zip keeps its
    files' mtimes only coarsely, so bytecode checked against them could be taken for stale on Lambda
    and compiled again on every cold start (it cannot be saved there); unchecked-hash bytecode is used as
    it stands, which is right for an artifact rebuilt whole from its sources."""
    subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                    *map(str, folders)], check=True)


def _pip_target(python: str | None) -> list[str]:
    """pip's arguments choosing the wheels: the template's runtime and architecture, or `python`'s own.
    Never pip's own bytecode: it would be for pip's interpreter, not necessarily the runtime's."""
    if python is not None:
        return [python, "-m", "pip", "install", "--no-compile", "--only-binary=:all:"]
    function = template.load()["Globals"]["Function"]
    return [sys.executable, "-m", "pip", "install", "--no-compile", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", runtime_version(), "--platform", PLATFORMS[function["Architectures"][0]]]


def build(out: Path = BUILD, python: str | None = None) -> Path:
    """Build every function and the layer into `out`, with bytecode for `python` (else for the runtime's
    version, when this machine has it); returns the packaged template's path."""
    compiler = python or interpreter(runtime_version())
    if compiler is None:
        print(f"no Python {runtime_version()} here (python{runtime_version()} on the PATH or pyenv): the package "
              "ships no bytecode, so every cold start on Lambda compiles each module it imports", file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    layer_id, layer = _layer()
    source = template.ROOT / layer["Properties"]["ContentUri"]
    site = out / layer_id / "python"
    subprocess.run([*_pip_target(python), "--quiet", "--disable-pip-version-check", "--target", str(site),
                    "-r", str(source / "requirements.txt")], check=True)
    shutil.copytree(source / "ledger", site / "ledger", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(site / "bin", ignore_errors=True)
    text = template.TEMPLATE.read_text()
    for logical_id, function in template.functions().items():
        code = function["Properties"]["CodeUri"]
        shutil.copytree(template.ROOT / code, out / logical_id, ignore=shutil.ignore_patterns("__pycache__"))
        text = re.sub(rf"(\n\s+CodeUri: ){re.escape(code)}\n", rf"\g<1>{logical_id}\n", text, count=1)
    text = text.replace(f"ContentUri: {layer['Properties']['ContentUri']}\n", f"ContentUri: {layer_id}\n")
    if compiler is not None:
        compile_bytecode(compiler, site, *(out / logical_id for logical_id in template.functions()))
    packaged = out / "template.yaml"
    packaged.write_text(text)
    return packaged


def _sizes(path: Path) -> tuple[int, int]:
    """(unzipped, zipped) bytes of a folder."""
    unzipped, buffer = 0, io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            unzipped += file.stat().st_size
            archive.write(file, file.relative_to(path))
    return unzipped, len(buffer.getvalue())


def report(out: Path = BUILD) -> list[str]:
    """One line per artifact with its sizes; the problems (limits passed) last, prefixed by 'OVER'."""
    layer_id, _ = _layer()
    layer_unzipped, layer_zipped = _sizes(out / layer_id)
    lines = [f"{layer_id:34} {layer_unzipped / 2**20:8.1f} MB unzipped {layer_zipped / 2**20:7.1f} MB zipped"]
    problems = []
    for logical_id in template.functions():
        unzipped, zipped = _sizes(out / logical_id)
        lines.append(f"{logical_id:34} {unzipped / 2**20:8.3f} MB unzipped {zipped / 2**20:7.3f} MB zipped")
        if unzipped + layer_unzipped > UNZIPPED_MAX_BYTES:
            problems.append(f"OVER {logical_id}: function and layer unzipped exceed {UNZIPPED_MAX_BYTES} bytes")
    if layer_zipped > ZIPPED_MAX_BYTES:
        problems.append(f"OVER {layer_id}: zipped layer exceeds {ZIPPED_MAX_BYTES} bytes")
    lines.append(f"limits: {UNZIPPED_MAX_BYTES // 2**20} MB unzipped per function with its layers, "
                 f"{ZIPPED_MAX_BYTES // 2**20} MB per zipped artifact")
    return lines + problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="package", description=__doc__.split("\n")[0])
    parser.add_argument("--host", metavar="PYTHON", help="wheels for this interpreter instead of Lambda's")
    parser.add_argument("--out", type=Path, default=BUILD)
    args = parser.parse_args(argv)
    packaged = build(args.out, args.host)
    lines = report(args.out)
    print("\n".join(lines))
    print(f"built {packaged.relative_to(template.ROOT) if packaged.is_relative_to(template.ROOT) else packaged}: "
          "deploy it with `sam deploy --guided`")
    return 1 if any(line.startswith("OVER") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
