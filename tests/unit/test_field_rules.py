"""The value rules of ledger.fields, each on its own: what a value becomes, and the exact error (type = the
Stripe code, message, param) when it is refused. The API-level error table is tests/unit/test_bad_input.py."""

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from ledger import fields

DESCRIPTION = TypeAdapter(fields.Description)
EXPAND = TypeAdapter(fields.Expand)


def _refusal(adapter: TypeAdapter[Any], value: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(value)
    (error,) = refused.value.errors()
    return {key: error[key] for key in ("type", "msg", "ctx") if key in error}


@pytest.mark.parametrize(("value", "kept"), [(None, None), ("", None), ("x", "x"), ("é" * 350, "é" * 350),
                                             ("tab\there\nand\r\n", "tab\there\nand\r\n")])
def test_text_keeps_a_string_up_to_its_limit_and_unsets_on_empty_or_null(value: str | None,
                                                                          kept: str | None) -> None:
    assert DESCRIPTION.validate_python(value) == kept


@pytest.mark.parametrize(("value", "message"), [
    ("x" * 351, "Invalid string: must be at most 350 characters"),
    (5, "Invalid string: '5'"),
    (["a"], "Invalid string: \"['a']\""),
    ("nul\x00", "Invalid string: 'nul\\x00'"),
    ("del\x7f", "Invalid string: 'del\\x7f'"),
    ("lone \ud800", "Invalid string: 'lone \\ud800'"),
])
def test_text_refuses_what_is_not_short_valid_text(value: Any, message: str) -> None:
    assert _refusal(DESCRIPTION, value) == {"type": "invalid_param", "msg": message}


@pytest.mark.parametrize(("value", "expanded"), [
    ("customer", ["customer"]),
    (["customer", "data.customer"], ["customer", "data.customer"]),
    ({"10": "c", "2": "b", "0": "a"}, ["a", "b", "c"]),  # expand[0]=…&expand[2]=…&expand[10]=…, by number
    (["x" * 255], ["x" * 255]),
    ([], []),
])
def test_expand_takes_one_path_a_list_or_numbered_fields(value: Any, expanded: list[str]) -> None:
    assert EXPAND.validate_python(value) == expanded


@pytest.mark.parametrize("value", [["x" * 256], [5], 5, None, {}, {"a": "customer"}, {"0": 5}])
def test_expand_refuses_anything_else_as_an_invalid_array(value: Any) -> None:
    assert _refusal(EXPAND, value) == {"type": "invalid_param", "msg": "Invalid array"}


def test_an_error_names_its_param_only_when_it_has_one() -> None:
    assert fields.fail("code", "message").context is None
    assert fields.fail("code", "message", "metadata[k]").context == {"param": "metadata[k]"}


@pytest.mark.parametrize(("value", "message"), [
    ("12a", "Invalid integer: 12a"),
    (1.5, "Invalid integer: 1.5"),
    (True, "Invalid integer: True"),
])
def test_an_integer_error_shows_strings_as_sent_and_other_values_as_python_writes_them(value: Any,
                                                                                       message: str) -> None:
    assert _refusal(TypeAdapter(fields.Integer), value) == {"type": "parameter_invalid_integer", "msg": message}


@pytest.mark.parametrize("amount", [fields.MAX_AMOUNT, -fields.MAX_AMOUNT, 1, -1])
def test_an_amount_up_to_the_limit_either_way_is_kept(amount: int) -> None:
    assert TypeAdapter(fields.Amount).validate_python(amount) == amount


@pytest.mark.parametrize(("value", "code"), [("xyz", "invalid_currency"), (5, "invalid_param"),
                                             (None, "invalid_param")])
def test_a_currency_that_is_not_a_string_has_no_currency_code(value: Any, code: str) -> None:
    assert _refusal(TypeAdapter(fields.Currency), value)["type"] == code
