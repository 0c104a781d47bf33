"""`make package`: what `sam build` would deploy, built without Docker and without a local Python 3.12.

Writes .aws-sam/build/ as `sam build` does, so `sam deploy` deploys it as it stands: each function's code
in .aws-sam/build/<LogicalId>/, the layer in .aws-sam/build/<Layer>/python/ (the ledger package and the
layer's requirements as wheels for the template's runtime and architecture, chosen with pip's
--platform, --python-version and --only-binary), and a template whose CodeUri and ContentUri point at
them. Prints each artifact's size against Lambda's limits, and fails past them.

`--host` builds the same artifact with wheels for the interpreter given instead (the tests import every
function from it in an isolated interpreter: arm64 wheels do not load on this machine).
"""

from __future__ import annotations

import argparse
import io
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


def _pip_target(python: str | None) -> list[str]:
    """pip's arguments choosing the wheels: the template's runtime and architecture, or `python`'s own."""
    if python is not None:
        return [python, "-m", "pip", "install", "--only-binary=:all:"]
    function = template.load()["Globals"]["Function"]
    version = function["Runtime"].removeprefix("python")
    return [sys.executable, "-m", "pip", "install", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", version, "--platform", PLATFORMS[function["Architectures"][0]]]


def build(out: Path = BUILD, python: str | None = None) -> Path:
    """Build every function and the layer into `out`; returns the packaged template's path."""
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
