"""template.yaml: it lints, it transforms into CloudFormation, and every function, the table, the
API and the alarms have the properties the service depends on."""

import json
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import pytest

from tools import template

ROOT = template.ROOT
TOOLS_BIN = ROOT / ".venv-tools" / "bin"
READ_ONLY = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.fail(f"{path} missing: run `make template-tools` (make test does)")
    return path


@cache
def transformed() -> dict:
    output = subprocess.run([_tool("python"), ROOT / "tools" / "sam_transform.py", ROOT / "template.yaml"],
                            capture_output=True, text=True, check=True)
    return json.loads(output.stdout)


def test_cfn_lint_passes():
    result = subprocess.run([_tool("cfn-lint"), ROOT / "template.yaml"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_function_per_operation_with_one_api_event():
    routes = template.routes()
    assert len({(r.method, r.path) for r in routes}) == len(routes) == len({r.function for r in routes})
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    assert {r.code_dir.name for r in routes} <= folders  # every route's code exists
    for logical_id, function in template.functions().items():
        events = function["Properties"].get("Events") or {}
        api_events = [e for e in events.values() if e["Type"] == "Api"]
        if api_events:
            assert len(api_events) == 1, logical_id
            assert api_events[0]["Properties"]["RestApiId"] == {"Ref": "LedgerApi"}
            assert (ROOT / function["Properties"]["CodeUri"] / "app.py").exists()
            assert template.function_properties(logical_id)["Handler"] == "app.lambda_handler"


def test_runtime_and_layer():
    globals_ = template.load()["Globals"]["Function"]
    assert globals_["Runtime"].startswith("python3.") and int(globals_["Runtime"].split(".")[1]) >= 12
    assert globals_["Layers"] == [{"Ref": "LedgerLayer"}]
    layer = template.load()["Resources"]["LedgerLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"]["BuildMethod"].startswith("python3.")
    assert layer["Properties"]["ContentUri"] == "layers/ledger/"


def _role_actions(logical_id: str) -> set[str]:
    role = transformed()["Resources"][f"{logical_id}Role"]["Properties"]
    actions = set()
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
            assert statement["Effect"] == "Allow"
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert "*" not in resources
    return actions


@pytest.mark.parametrize("route", template.routes(), ids=lambda r: r.function)
def test_least_privilege(route):
    actions = _role_actions(route.function)
    if not route.authorized:  # the console's static page: no data, no permission at all
        assert not actions, actions
        return
    assert actions and not any("*" in a for a in actions)
    assert "dynamodb:Scan" not in actions
    if route.method == "GET":
        assert actions <= READ_ONLY, actions
    else:
        assert actions & (WRITES | {"dynamodb:UpdateItem"})


def test_table_keeps_data_and_is_what_the_code_expects():
    table = template.load()["Resources"]["LedgerTable"]
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    from ledger.dal import keys

    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {keys.CUSTOMERS_BY_CREATED, keys.CUSTOMERS_BY_EMAIL}
    assert all(i["Projection"]["ProjectionType"] == "KEYS_ONLY" for i in indexes.values())


def test_api_gateway_shape():
    api = template.load()["Resources"]["LedgerApi"]["Properties"]
    assert "Cors" not in api
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]
    assert "header" not in api["AccessLogSetting"]["Format"].lower()  # never the Authorization header
    throttling = api["MethodSettings"][0]
    assert throttling["ThrottlingRateLimit"] > 0 and throttling["ThrottlingBurstLimit"] > 0
    responses = api["GatewayResponses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert responses["THROTTLED"]["StatusCode"] == "429"
    for name in ("MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"):
        body = responses[name]["ResponseTemplates"]["application/json"]
        assert '"error":{"type":' in body


def test_every_function_logs_to_a_log_group_with_retention():
    resources = transformed()["Resources"]
    for logical_id in template.functions():
        group = resources[logical_id]["Properties"]["LoggingConfig"]["LogGroup"]
        assert group == {"Ref": "FunctionLogs"}, logical_id
    assert resources["FunctionLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_alarms_on_5xx_and_lock_timeouts():
    alarms = template.resources("AWS::CloudWatch::Alarm")
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()}
    assert ("AWS/ApiGateway", "5XXError") in metrics
    assert ("CustomerLedger", "LockTimeouts") in metrics
    assert template.load()["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == (
        "CustomerLedger")


def test_transform_produces_one_lambda_per_operation():
    resources = transformed()["Resources"]
    functions = [k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"]
    assert set(functions) == set(template.functions())
    assert sum(v["Type"] == "AWS::ApiGateway::RestApi" for v in resources.values()) == 1


def test_layer_requirements_match_project_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line.strip() for line in (ROOT / "layers" / "ledger" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert sorted(layer) == sorted(d for d in project if not d.startswith("boto3"))


def test_one_runtime_and_architecture_everywhere():
    """The functions, the layer's build and its compatibility, and the packaged wheels agree."""
    from tools import package

    function = template.load()["Globals"]["Function"]
    layer = template.load()["Resources"]["LedgerLayer"]
    assert layer["Metadata"]["BuildMethod"] == function["Runtime"]
    assert layer["Properties"]["CompatibleRuntimes"] == [function["Runtime"]]
    assert layer["Metadata"]["BuildArchitecture"] == function["Architectures"][0]
    assert layer["Properties"]["CompatibleArchitectures"] == function["Architectures"]
    wheels = package._pip_target(None)
    assert wheels[wheels.index("--python-version") + 1] == function["Runtime"].removeprefix("python")
    assert wheels[wheels.index("--platform") + 1] == package.PLATFORMS[function["Architectures"][0]]


def test_every_route_sits_behind_the_cached_key_authorizer():
    api = template.load()["Resources"]["LedgerApi"]["Properties"]
    auth = api["Auth"]
    assert auth["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    authorizer = auth["Authorizers"]["ApiKeyAuthorizer"]
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
    assert authorizer["FunctionPayloadType"] == "TOKEN"
    assert 0 < authorizer["Identity"]["ReauthorizeEvery"] <= 60
    body = next(v for v in transformed()["Resources"].values() if v["Type"] == "AWS::ApiGateway::RestApi")
    public = {(r.method.lower(), r.path) for r in template.routes() if not r.authorized}
    assert public == {("get", "/console")}  # the console's static page alone: it holds no data
    for path, methods in body["Properties"]["Body"]["paths"].items():
        for method, spec in methods.items():
            # The authorizer, and the usage plan key it names (the mode's throttle); neither on the page.
            expected = [] if (method, path) in public else [{"ApiKeyAuthorizer": []}, {"api_key": []}]
            assert spec.get("security") == expected, (method, path)


def test_each_mode_has_its_own_usage_plan_named_by_the_authorizer():
    """Stripe's limits per mode (live 100/s, test 25/s): the usage plan key the authorizer returns in
    `usageIdentifierKey` is the mode's API key, its value the same expression as the authorizer's."""
    api = template.load()["Resources"]["LedgerApi"]["Properties"]
    assert api["ApiKeySourceType"] == "AUTHORIZER" and api["Auth"]["ApiKeyRequired"] is True
    expression = api["Auth"]["Authorizers"]["ApiKeyAuthorizer"]["Identity"]["ValidationExpression"]
    assert expression.startswith("^") and expression.endswith("$")
    resources = template.load()["Resources"]
    variables = resources["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    rates = {}
    for mode in ("test", "live"):
        key = resources[f"{mode.capitalize()}ModeApiKey"]["Properties"]["Value"]
        assert variables[f"{mode.upper()}_MODE_USAGE_KEY"] == key
        rates[mode] = resources[f"{mode.capitalize()}ModeUsagePlan"]["Properties"]["Throttle"]["RateLimit"]
    assert rates == {"test": 25, "live": 100}
    stage = api["MethodSettings"][0]["ThrottlingRateLimit"]
    assert stage >= rates["test"] + rates["live"]  # the stage's limit never lets one mode starve the other


def test_auth_gateway_responses_are_stripe_401s():
    responses = template.load()["Resources"]["LedgerApi"]["Properties"]["GatewayResponses"]
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert "You did not provide an API key" in responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
    assert responses["ACCESS_DENIED"]["StatusCode"] == "401"
    assert "$context.authorizer.message" in responses["ACCESS_DENIED"]["ResponseTemplates"]["application/json"]
    assert responses["DEFAULT_5XX"]["ResponseTemplates"]["application/json"].startswith('{"error":{"type":"api_error"')


def test_authorizer_reads_keys_only_and_has_an_error_alarm():
    assert _role_actions("AuthorizerFunction") == {"dynamodb:GetItem"}
    alarms = template.resources("AWS::CloudWatch::Alarm").values()
    assert any(a["Properties"]["MetricName"] == "Errors" and a["Properties"]["Dimensions"][0]["Value"] == {
        "Ref": "AuthorizerFunction"} for a in alarms)


def test_schedule_is_scheduler_v2_with_retries_and_dead_letters():
    function = template.functions()["ScheduledAdjustmentsFunction"]["Properties"]
    (schedule,) = function["Events"].values()
    props = schedule["Properties"]
    assert schedule["Type"] == "ScheduleV2" and props["OmitName"] is True
    assert props["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert props["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}
    sample = json.loads(props["Input"])
    assert sample["scheduled_time"] == "<aws.scheduler.scheduled-time>"
    from ledger.scheduled_adjustments.plan import Plan

    Plan.model_validate({**sample, "scheduled_time": "2026-11-01T06:00:00Z"})
    assert function["Environment"]["Variables"]["ADJUSTMENTS_QUEUE_URL"] == {"Ref": "AdjustmentsQueue"}


def test_adjustments_queue_is_fifo_with_redrive_and_alarmed_dead_letters():
    resources = template.load()["Resources"]
    queue = resources["AdjustmentsQueue"]["Properties"]
    assert queue["FifoQueue"] is True and queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["AdjustmentsDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * template.functions()["AdjustmentWorkerFunction"]["Properties"]["Timeout"]
    worker = template.functions()["AdjustmentWorkerFunction"]["Properties"]
    (source,) = worker["Events"].values()
    assert source["Type"] == "SQS" and source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarms = template.resources("AWS::CloudWatch::Alarm").values()
    alarmed = {json.dumps(a["Properties"].get("Dimensions")) for a in alarms}
    for queue_name in ("AdjustmentsDeadLetterQueue", "ScheduleDeadLetterQueue"):
        assert any(queue_name in dims for dims in alarmed), queue_name


def _statements(logical_id: str) -> list[dict]:
    role = transformed()["Resources"][f"{logical_id}Role"]["Properties"]
    assert all("SQS" not in arn for arn in json.dumps(role.get("ManagedPolicyArns", [])).split(","))
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    # A conditional statement (Fn::If) is checked in its granting branch.
    return [s["Fn::If"][1] if "Fn::If" in s else s for s in statements]


@pytest.mark.parametrize("function", ["ScheduledAdjustmentsFunction", "AdjustmentWorkerFunction"])
def test_scheduled_functions_are_least_privileged(function):
    statements = _statements(function)
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any("*" in a for a in actions) and "dynamodb:Scan" not in actions
    assert {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"} <= actions
    assert not actions & {"dynamodb:DeleteItem", "dynamodb:UpdateItem", "sqs:PurgeQueue", "sqs:DeleteQueue"}
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources


@pytest.mark.parametrize("function", sorted(template.functions()))
def test_no_function_may_scan_or_use_wildcards(function):
    role = transformed()["Resources"][f"{function}Role"]["Properties"]
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            statement = statement["Fn::If"][1] if "Fn::If" in statement else statement
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert not any("*" in a for a in actions) and "dynamodb:Scan" not in actions, (function, actions)
            assert "*" not in resources, function
    managed = json.dumps(role.get("ManagedPolicyArns", []))
    assert "AWSLambdaBasicExecutionRole" in managed and "FullAccess" not in managed


def test_every_gateway_response_carries_the_request_id():
    responses = template.load()["Resources"]["LedgerApi"]["Properties"]["GatewayResponses"]
    for name, response in responses.items():
        assert response["ResponseParameters"]["Headers"]["Request-Id"] == "context.requestId", name


def test_a_fresh_account_gets_api_gateways_logging_role_before_the_stage():
    """A stage with access logs fails where API Gateway's CloudWatch role was never set; the stack sets
    it (parameter, default on), retained since it is account-wide, and the stage waits for it."""
    parameters = template.load()["Parameters"]["CreateApiGatewayLoggingRole"]
    assert parameters["Default"] == "true"
    resources = transformed()["Resources"]
    account, role = resources["ApiGatewayAccount"], resources["ApiGatewayLoggingRole"]
    assert account["Condition"] == role["Condition"] == "CreatesApiGatewayLoggingRole"
    assert account["DeletionPolicy"] == role["DeletionPolicy"] == "Retain"
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayLoggingRole", "Arn"]}
    assert any("AmazonAPIGatewayPushToCloudWatchLogs" in json.dumps(a) for a in role["Properties"]["ManagedPolicyArns"])
    ready = resources["ApiGatewayAccountReady"]
    assert "Condition" not in ready and "ApiGatewayAccount" in json.dumps(ready["Metadata"])
    (rest_api,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert "ApiGatewayAccountReady" in rest_api["DependsOn"]
    (stage,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["RestApiId"] == {"Ref": "LedgerApi"}  # so it waits for the RestApi


def test_asynchronously_invoked_functions_never_fail_in_silence():
    """EventBridge Scheduler invokes asynchronously: a failed occurrence needs Lambda's on-failure
    destination, and an alarm on it."""
    resources = transformed()["Resources"]
    configs = {r["Properties"]["FunctionName"]["Ref"]: r["Properties"] for r in resources.values()
               if r["Type"] == "AWS::Lambda::EventInvokeConfig"}
    alarmed = {json.dumps(a["Properties"]["Dimensions"]) for a in resources.values()
               if a["Type"] == "AWS::CloudWatch::Alarm"}
    for logical_id, function in template.functions().items():
        events = (function["Properties"].get("Events") or {}).values()
        if not any(e["Type"] in ("Schedule", "ScheduleV2") for e in events):
            continue
        destination = configs[logical_id]["DestinationConfig"]["OnFailure"]["Destination"]
        queue = destination["Fn::GetAtt"][0]
        assert resources[queue]["Type"] == "AWS::SQS::Queue" and not resources[queue]["Properties"].get("FifoQueue")
        assert 0 <= configs[logical_id]["MaximumRetryAttempts"] <= 2
        assert any(queue in dimensions for dimensions in alarmed), f"no alarm on {queue}"
