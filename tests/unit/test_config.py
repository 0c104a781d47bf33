"""The layer's settings: on Lambda, a variable the template always sets is required (a broken deployment
fails its cold start, naming what is missing); off Lambda, the defaults are the template's own values."""

import os
import subprocess
import sys

import pytest

from ledger import config
from tools import lambda_local, template

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/000000000000/adjustments.fifo"


def _deployed(function: str) -> dict[str, str]:
    """The function's environment as Lambda gives it: the template's variables, with the queue's URL
    where the template references the queue (locally that reference resolves to nothing)."""
    environ = template.environment(function, "ledger")
    if "ADJUSTMENTS_QUEUE_URL" in environ:
        environ["ADJUSTMENTS_QUEUE_URL"] = QUEUE_URL
    return {**environ, "AWS_LAMBDA_FUNCTION_NAME": function}


@pytest.mark.parametrize("function", sorted(template.functions()))
def test_every_function_s_environment_from_the_template_loads_on_lambda(function):
    settings = config.from_environment(_deployed(function))
    assert settings.table_name == "ledger" and settings.write_budget_ms > 0


def test_what_lambda_requires_is_what_the_template_always_sets():
    every_function = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert set(config.REQUIRED_ON_LAMBDA) <= set(every_function)
    with_queue = [f for f in template.functions() if "ADJUSTMENTS_QUEUE_URL" in template.environment(f, "")]
    assert with_queue
    for function in with_queue:
        assert set(config.REQUIRED_WITH_QUEUE) <= set(template.environment(function, ""))


@pytest.mark.parametrize("variable", config.REQUIRED_ON_LAMBDA)
@pytest.mark.parametrize("absent", [None, ""])
def test_a_variable_the_template_always_sets_is_required_on_lambda(variable, absent):
    environ = _deployed("CreateBalanceTransactionFunction")
    if absent is None:
        del environ[variable]
    else:
        environ[variable] = absent
    with pytest.raises(config.ConfigurationError, match=rf"\({variable}: missing"):
        config.from_environment(environ)


@pytest.mark.parametrize("variable", config.REQUIRED_WITH_QUEUE)
def test_a_variable_set_with_the_queue_is_required_where_the_queue_is(variable):
    environ = _deployed("ScheduledAdjustmentsFunction")
    del environ[variable]
    with pytest.raises(config.ConfigurationError, match=rf"\({variable}: missing"):
        config.from_environment(environ)
    del environ["ADJUSTMENTS_QUEUE_URL"]  # no queue: every plan is applied directly, the limit unused
    assert config.from_environment(environ).adjustments_queue_url is None


def test_every_missing_variable_is_named_at_once():
    environ = {"AWS_LAMBDA_FUNCTION_NAME": "CreateBalanceTransactionFunction", "TABLE_NAME": "ledger"}
    with pytest.raises(config.ConfigurationError) as refused:
        config.from_environment(environ)
    assert "DEFAULT_CURRENCY: missing" in str(refused.value) and "WRITE_BUDGET_MS: missing" in str(refused.value)


def test_a_misconfigured_function_fails_its_cold_start():
    environ = {k: v for k, v in os.environ.items() if k not in config.REQUIRED_ON_LAMBDA}
    environ.update({"AWS_LAMBDA_FUNCTION_NAME": "CreateBalanceTransactionFunction", "TABLE_NAME": "ledger",
                    "PYTHONPATH": str(lambda_local.LAYER_DIR)})
    started = subprocess.run([sys.executable, "-c", "import ledger.config"], env=environ, capture_output=True,
                             text=True, timeout=60)
    assert started.returncode != 0
    assert "ConfigurationError" in started.stderr and "WRITE_BUDGET_MS: missing" in started.stderr


def test_off_lambda_the_defaults_are_the_template_s_values():
    """The operator tools run the layer without a function's environment: they get what a function gets."""
    settings = config.from_environment({"TABLE_NAME": "ledger"})
    scheduled = template.environment("ScheduledAdjustmentsFunction", "ledger")
    assert settings.default_currency == scheduled["DEFAULT_CURRENCY"]
    assert settings.write_budget_ms == int(scheduled["WRITE_BUDGET_MS"])
    assert settings.direct_apply_limit == int(scheduled["DIRECT_APPLY_LIMIT"])
