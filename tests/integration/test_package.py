"""`make package` builds what `sam build` would deploy, and every function runs from it alone: each is
imported in an isolated interpreter (`python -I -S`) with only its own folder, the layer, a stand-alone
boto3 and the standard library on the path, as Lambda has it, and answers its sample event against
DynamoDB Local. A package the layer lacks fails the run, whatever the interpreter has installed."""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import events, package, samples, template

pytestmark = pytest.mark.dynamodb_local
EVENTS = template.ROOT / "events"
CACHE = template.ROOT / ".local" / "package-test"
RUN = """
import json, os, sys, sysconfig

# Only the standard library stays: the interpreter's own site-packages (the test's venv holds every
# dependency) would hide a package the layer lacks. -S keeps site from adding them; this removes any
# that a distribution's build adds anyway.
STDLIB = {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")}

def standard(path):
    if "site-packages" in path or "dist-packages" in path:
        return False
    return path.endswith(".zip") or any(path == root or path.startswith(root + os.sep) for root in STDLIB)

sys.path[:] = sys.argv[1:4] + [path for path in sys.path if standard(path)]
import app

class Context:
    function_name, function_version, memory_limit_in_mb = sys.argv[4], "$LATEST", 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:" + sys.argv[4]
    aws_request_id, log_group_name, log_stream_name = "package-test", "/aws/lambda/x", "x"
    def get_remaining_time_in_millis(self): return 10000

print("RESULT " + json.dumps(app.lambda_handler(json.load(sys.stdin), Context())))
"""


@functools.cache
def _interpreter() -> str:
    """Lambda's Python when this machine has it (the artifact's wheels are chosen for it), else ours."""
    runtime = package.interpreter(package.runtime_version())
    if runtime and subprocess.run([runtime, "-c", "import pip"], capture_output=True).returncode == 0:
        return runtime
    return sys.executable


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    package.build(out, python=_interpreter())
    return out


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> Path:
    """What `make package` builds for Lambda: arm64 wheels for the runtime's Python."""
    out = tmp_path_factory.mktemp("deployed")
    package.build(out)
    return out


@pytest.fixture(scope="module")
def boto3_alone() -> Path:
    """boto3 installed on its own, as the Lambda runtime provides it."""
    import boto3

    target = CACHE / f"boto3-{boto3.__version__}-{Path(_interpreter()).name}"
    if not (target / "boto3").exists():
        subprocess.run([_interpreter(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--only-binary=:all:", "--target", str(target), f"boto3=={boto3.__version__}"], check=True)
    return target


def _sample(function: str) -> dict:
    for path in EVENTS.glob("*.json"):
        event = json.loads(path.read_text())
        route = next((r for r in template.routes() if r.function == function), None)
        context = event.get("requestContext") or {}
        if route and (context.get("resourcePath"), event.get("httpMethod")) == (route.path, route.method):
            return event
    return events.other_sample(function)


def test_the_deployed_artifact_has_lambdas_wheels_and_the_same_files(artifact, deployed):
    layer = "LedgerLayer/python"
    assert list((deployed / layer / "pydantic_core").glob("*cpython-312-aarch64-linux-gnu.so"))
    names = {p.name for p in (deployed / layer).iterdir()}
    assert names - {"__pycache__"} == {p.name for p in (artifact / layer).iterdir()} - {"__pycache__"}
    assert "boto3" not in names  # the runtime provides it
    assert not [line for line in package.report(deployed) if line.startswith("OVER")]
    text = (deployed / "template.yaml").read_text()
    for logical_id in template.functions():
        assert f"CodeUri: {logical_id}\n" in text and (deployed / logical_id / "app.py").exists()


def _pyc_flags(path: Path) -> int:
    """A .pyc's invalidation flags (PEP 552): 0b01 is hash-based, 0b10 checks the hash against the source."""
    return int.from_bytes(path.read_bytes()[4:8], "little")


def test_the_deployed_artifact_ships_bytecode_for_lambdas_python(deployed):
    """Lambda cannot write bytecode beside read-only code: whatever is not shipped compiled, every cold
    start compiles. So the layer (ours and its dependencies) and every function carry unchecked-hash
    bytecode for the runtime's Python, and none for any other."""
    version = package.runtime_version()
    if package.interpreter(version) is None:
        pytest.skip(f"no Python {version} on this machine: `make package` ships sources only")
    tag = f"cpython-{version.replace('.', '')}"
    layer = deployed / "LedgerLayer" / "python"
    modules = [*(layer / "ledger").rglob("*.py"), layer / "pydantic" / "main.py",
               *(deployed / function / "app.py" for function in template.functions())]
    for module in modules:
        compiled = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        assert compiled.exists(), f"{module} has no {tag} bytecode"
        assert _pyc_flags(compiled) == 0b01, f"{compiled} is not unchecked-hash bytecode"
    assert {p.name.split(".")[-2] for p in deployed.rglob("*.pyc")} == {tag}


def _run(function: str, layer: Path, function_dir: Path, boto3_dir: Path, table: str,
         endpoint: str) -> subprocess.CompletedProcess[str]:
    """The function's sample event, answered in an interpreter that sees only the given folders."""
    env = {"PATH": os.environ["PATH"], "TABLE_NAME": table, "LEDGER_DYNAMODB_ENDPOINT": endpoint,
           "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_REGION": "us-east-1", **{k: v for k, v in template.environment(function, table).items()
                                         if k not in ("TABLE_NAME", "LEDGER_DYNAMODB_ENDPOINT")}}
    paths = [str(function_dir), str(layer), str(boto3_dir)]
    return subprocess.run([_interpreter(), "-I", "-S", "-c", RUN, *paths, function],
                          input=json.dumps(_sample(function)), capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("function", list(template.functions()))
def test_each_function_runs_from_the_artifact_alone(artifact, boto3_alone, ledger_table, dynamodb_endpoint,
                                                     function):
    samples.seed()
    done = _run(function, artifact / "LedgerLayer" / "python", artifact / function, boto3_alone, ledger_table,
                dynamodb_endpoint)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    if function == "AuthorizerFunction":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    elif function == "ScheduledAdjustmentsFunction":
        assert result["would_apply"] == 2
    elif function in ("AdjustmentWorkerFunction", "RecordEventsFunction", "DispatchWebhooksFunction",
                      "DeliverWebhooksFunction"):
        assert result == {"batchItemFailures": []}
    else:
        assert result["statusCode"] == 200, result["body"]


def test_a_package_missing_from_the_layer_fails_the_run(artifact, boto3_alone, ledger_table, dynamodb_endpoint,
                                                        tmp_path):
    """The isolation can fail: the same layer without pydantic, and a function that needs it does not
    import, though the interpreter running the tests has pydantic installed."""
    layer = tmp_path / "layer-without-pydantic"
    layer.mkdir()
    for entry in (artifact / "LedgerLayer" / "python").iterdir():
        if not entry.name.startswith("pydantic"):
            (layer / entry.name).symlink_to(entry)
    samples.seed()
    function = "RetrieveCustomerFunction"
    done = _run(function, layer, artifact / function, boto3_alone, ledger_table, dynamodb_endpoint)
    assert done.returncode != 0 and "No module named 'pydantic" in done.stderr, done.stderr[-3000:]
