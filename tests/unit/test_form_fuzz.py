"""Hypothesis fuzzing with the hostile strategies of tools/hostile.py (the ones `make fuzz` and the
Schemathesis hooks draw from): the wire-format parser and the parameter models, the handlers end to end,
the idempotency claim and the authorizer. Inputs: JSON nested past the depth limit (thousands deep too),
lone surrogates and four-byte characters at, under and over every length limit, huge, negative and
float-looking numbers, repeated keys in JSON and form bodies, form, JSON and query string mixed, hostile
values in every header the API reads. Every outcome is parameters or a Stripe-shaped 4xx, UTF-8 on the
wire whatever it quotes back and naming its parameter where it is about one: never another exception,
never a 5xx. Length limits, nesting and numbers also have an exact oracle: what must be taken, what must
be refused."""

import base64
import json
import re
import sys
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import idempotency
from ledger.api import form, responses
from ledger.errors import StripeError
from ledger.params import parse
from tests.support import schemas
from tests.support.api import TEST_KEY
from tools import hostile, lambda_local, template

ROUTES = template.routes()
FUZZ: dict[str, Any] = {"deadline": None, "suppress_health_check": [
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example, HealthCheck.filter_too_much]}
# Refusals of the whole body, about no parameter; refusals about one parameter, which must name it.
ABOUT_THE_BODY = ("could not be decoded", "Invalid JSON", "must be an object", "Too many parameters", "limited to")
ABOUT_A_PARAMETER = ("more than once", "nested at most", "Invalid string for", "Invalid array parameter",
                     "mixed shapes", "unknown parameter", "Missing required param")
ASCII_INTEGER = re.compile(r"-?[0-9]+")
# A parameter without a name (a form's `=v`, a JSON "" key) is quoted as such, and has no name to give.
NAMELESS = re.compile(r"parameter: $|parameter  more than once|for : ")


def _model(route: template.Route) -> Any:
    return lambda_local.operation_of(route.function).params


def _route(function: str) -> template.Route:
    return next(r for r in ROUTES if r.function == function)


def refused_as_stripe_does(refused: StripeError) -> dict[str, Any]:
    """A 4xx a client can read: UTF-8 on the wire whatever it quotes back, valid against Stripe's own
    error schema (which bounds what it quotes back), with a type and a message, and naming the parameter
    when it is about one."""
    assert 400 <= refused.status < 500, refused
    answer = responses.error_response(refused, "req_fuzz")
    document = json.loads(answer["body"].encode("utf-8"))
    schemas.validate(document, "error")
    error: dict[str, Any] = document["error"]
    assert error["type"] in ("invalid_request_error", "idempotency_error") and error["message"], error
    if any(words in error["message"] for words in ABOUT_A_PARAMETER) and not NAMELESS.search(error["message"]):
        assert error.get("param"), error
    return error


def _outcome(event: dict[str, Any], model: Any) -> tuple[Any, dict[str, Any] | None]:
    """(the parameters parsed into `model`, None) or (None, the refusal's error, checked)."""
    try:
        return parse(model, form.parameters(event)), None
    except StripeError as refused:
        return None, refused_as_stripe_does(refused)


def _event(pairs: list[tuple[str, Any]], placement: str, method: str = "POST") -> dict[str, Any]:
    """An event carrying `pairs` as a JSON body (\\u escapes, or raw UTF-8 where a lone surrogate is no
    UTF-8), a form body, or the query string."""
    body, query, content_type = b"", [], "application/x-www-form-urlencoded"
    if placement == "query":
        query = hostile.form_fields(pairs)
    elif placement.startswith("json"):
        body, content_type = hostile.json_body(pairs, ascii_only=placement == "json"), "application/json"
    else:
        body = hostile.form_body(hostile.form_fields(pairs))
    return lambda_local.api_event(method, "/fuzz", resource="/fuzz", query=query, body=body,
                                  headers=[("Content-Type", content_type)])


def _placements(route: template.Route) -> list[str]:
    return ["json", "json-utf8", "form", "query"] if route.method == "POST" else ["query"]


def _nesting(value: Any) -> int:
    """How many arrays and objects hold the deepest value."""
    if isinstance(value, hostile.Deep):
        return value.depth
    children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else None
    return 1 + max(map(_nesting, children), default=0) if children is not None else 0


def _json_facts(event: dict[str, Any]) -> tuple[bool, str | None, int]:
    """Of a JSON body: whether Python reads it, the first key it repeats (in any object), how deep its
    values sit (the body's own members at 1)."""
    content_type = next((v for k, v in (event["headers"] or {}).items() if k.lower() == "content-type"), "")
    raw = base64.b64decode(event["body"]) if event["isBase64Encoded"] else (event["body"] or "").encode()
    if not content_type.lower().startswith("application/json") or not raw.strip():
        return True, None, 0
    repeated: list[str] = []

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        repeated.extend(k for i, k in enumerate(keys) if k in keys[:i])
        return dict(pairs)

    try:
        document = json.loads(raw.decode("utf-8"), object_pairs_hook=members)
    except (ValueError, RecursionError):
        return False, None, 0
    return True, (repeated or [None])[0], _nesting(document)


@settings(max_examples=200, **FUZZ)
@given(hostile.cases(["cus_fuzz"], {"cus_fuzz": ["cbtxn_fuzz"]}, key=None))
def test_hostile_requests_are_parameters_or_a_stripe_refusal(case):
    """Whole hostile requests, on every route, through the parser and the route's parameters model. A
    JSON body Python cannot read, with a key twice, or nested past the limit is never taken."""
    event = hostile.event(case)
    raw, error = None, None
    try:
        raw = form.parameters(event)
        parse(_model(case.route), raw)
    except StripeError as refused:
        error = refused_as_stripe_does(refused)
    readable, repeated, depth = _json_facts(event)
    if not readable or repeated is not None or depth > form.MAX_DEPTH:  # the parser's to refuse
        assert raw is None, (readable, repeated, depth, raw)
    if error and "more than once" in error["message"] and repeated is not None and not event["queryStringParameters"]:
        assert error.get("param", "") == repeated.encode("utf-8", "backslashreplace").decode(), error


@settings(max_examples=200, **FUZZ)
@given(st.sampled_from(ROUTES).flatmap(lambda route: st.tuples(
    st.just(route), hostile.names(), hostile.scalar(), st.sampled_from(_placements(route)))))
def test_unknown_parameter_names(drawn):
    """A name no parameter has (a lone surrogate or a four-byte character in it, stray brackets, none) is
    refused, and the refusal names it as sent, escaped where it is no text: never a crash on the way."""
    route, name, value, placement = drawn
    sample = dict(lambda_local.operation_of(route.function).sample)
    params, error = _outcome(_event([*sample.items(), (name, value)], placement, route.method), _model(route))
    if name in _model(route).model_fields:
        return
    assert error is not None, params
    about_the_body = any(words in error["message"] for words in ABOUT_THE_BODY)
    if placement == "json" and name and not about_the_body:  # a JSON name is read as sent
        assert error.get("param") == name.encode("utf-8", "backslashreplace").decode(), error


POSTS = [route for route in ROUTES if route.method == "POST"]


@settings(max_examples=100, **FUZZ)
@given(st.sampled_from(POSTS).flatmap(lambda route: st.tuples(
    st.just(route), hostile.aimed_params(route), st.booleans(), st.sampled_from(hostile.CONTENT_TYPES))))
def test_a_body_sent_as_another_media_type(drawn):
    """What a route takes, with one value at a limit or hostile, as a JSON body under a form's
    Content-Type (or none) or a form under JSON's: read as the header says, and when refused, refused
    within Stripe's error schema (a parameter name it quotes back is at most as long as that allows)."""
    route, pairs, as_json, content_type = drawn
    body = hostile.json_body(pairs) if as_json else hostile.form_body(hostile.form_fields(pairs))
    event = lambda_local.api_event("POST", "/fuzz", resource="/fuzz", body=body,
                                   headers=[("Content-Type", content_type)])
    _outcome(event, _model(route))


def _limited() -> list[tuple[template.Route, str, int]]:
    """Every length limit of every route's parameters, metadata's on the routes that take it."""
    found = [(route, name, limit) for route in ROUTES
             for name, limit in sorted(hostile.max_lengths(route.function).items())]
    found += [(route, name, hostile.LIMITS[name]) for route in ROUTES if "metadata" in _model(route).model_fields
              for name in ("metadata key", "metadata value")]
    return found


@settings(max_examples=300, **FUZZ)
@given(st.sampled_from(_limited()).flatmap(lambda aim: st.tuples(
    st.just(aim), hostile.at_limit(aim[2]), st.sampled_from(_placements(aim[0])))))
def test_each_length_limit_with_four_byte_characters_and_lone_surrogates(drawn):
    """At or under its limit (in characters: a four-byte character is one) a value is taken as sent, one
    character more is refused naming the parameter and its limit; a lone surrogate anywhere is refused."""
    (route, name, limit), text, placement = drawn
    sample = dict(lambda_local.operation_of(route.function).sample)
    if name.startswith("metadata"):
        key, value = (text, "v") if name == "metadata key" else ("k", text)
        sample["metadata"], param = {key: value}, "metadata"
    else:
        sample[name], param = text, name
    params, error = _outcome(_event(list(sample.items()), placement, route.method), _model(route))
    if any("\ud800" <= c <= "\udfff" for c in text):
        assert error is not None, params
        if error.get("param") is not None:
            assert error["param"].startswith(param), error
    elif len(text) <= limit:
        assert error is None, error
        taken = params.metadata.changes if name.startswith("metadata") else getattr(params, name)
        assert taken == ({key: value} if name.startswith("metadata") else text)
    else:
        assert error is not None, params
        assert error["param"].startswith(param) and str(limit) in error["message"], error


@settings(max_examples=100, **FUZZ)
@given(hostile.at_limit(hostile.LIMITS["Idempotency-Key"]))
def test_the_idempotency_key_limit(key):
    limit = hostile.LIMITS["Idempotency-Key"]
    try:
        claim = idempotency.client_claim("test", key, "CreateCustomerFunction", "/v1/customers", {}, dict)
    except StripeError as refused:
        error = refused_as_stripe_does(refused)
        assert error["param"] == "Idempotency-Key"
        assert len(key) > limit or any("\ud800" <= c <= "\udfff" for c in key), key
    else:
        assert claim.key == key and len(key) <= limit


@settings(max_examples=150, **FUZZ)
@given(hostile.nested(), st.sampled_from(hostile.FIELD_NAMES), st.sampled_from(["json", "json-utf8", "form"]))
def test_nesting_past_the_depth_limit_is_refused(value, name, placement):
    """A JSON value nested deeper than the parser allows (thousands deep too) is refused, naming its
    parameter when the parser got to read it; one within the limit is taken as sent, or refused for what
    else it holds. In a form, nesting is by brackets: parameters or a 4xx."""
    try:
        params = form.parameters(_event([(name, value)], placement))
        error = None
    except StripeError as refused:
        error = refused_as_stripe_does(refused)
    if not placement.startswith("json"):
        return
    if 1 + _nesting(value) > form.MAX_DEPTH:
        assert error is not None, params
    if error is not None and "nested" in error["message"]:
        assert error["param"] == name, error
    if error is None:
        assert json.dumps(params) == json.dumps({name: json.loads(hostile.json_text(value))})


NUMBERS = {"amount": _route("CreateBalanceTransactionFunction"), "balance": _route("CreateCustomerFunction"),
           "limit": _route("ListCustomersFunction"), "created": _route("ListCustomersFunction")}
DIGITS_MAX = sys.get_int_max_str_digits()  # Python reads no longer integer from text


def _integer_sent(value: Any, placement: str) -> int | None:
    """The integer a parameter holds as sent, if any: a JSON integer (not a boolean), or text of ASCII
    digits (a form's, a query string's, a JSON string's)."""
    if isinstance(value, hostile.Literal):
        if placement == "json":
            digits = ASCII_INTEGER.fullmatch(value.text) and len(value.text) <= DIGITS_MAX
            return int(value.text) if digits else None
        value = value.text
    if placement == "json" and not isinstance(value, str):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    sent = "" if value is None else str(value)
    return int(sent) if ASCII_INTEGER.fullmatch(sent) and len(sent) <= DIGITS_MAX else None


@settings(max_examples=300, **FUZZ)
@given(hostile.scalar(), st.sampled_from(sorted(NUMBERS)), st.sampled_from(["json", "form"]))
def test_numbers_are_taken_as_sent_or_refused(value, name, placement):
    """Huge, negative and float-looking numbers: an integer parameter takes only an integer (a JSON one, or
    ASCII digits), exactly as sent and within its bounds, or the refusal names it. Never a float, a
    boolean or other digits made into an integer."""
    route = NUMBERS[name]
    placement = placement if route.method == "POST" else "query"
    sample = {**lambda_local.operation_of(route.function).sample, name: value}
    params, error = _outcome(_event(list(sample.items()), placement, route.method), _model(route))
    if error is not None:
        assert error.get("param") == name or any(words in error["message"] for words in ABOUT_THE_BODY), error
        return
    taken = getattr(params, name)
    if name == "created" and taken is not None:
        assert taken.gte == taken.lte
        taken = taken.gte
    if value is None and placement == "json":
        assert taken is None
        return
    sent = _integer_sent(value, placement)
    assert sent is not None and type(taken) is int and taken == sent, (value, taken)
    bounds = {"amount": (1, hostile.MAX_AMOUNT), "balance": (0, hostile.MAX_AMOUNT)}
    if name in bounds:
        assert bounds[name][0] <= abs(taken) <= bounds[name][1]
    if name == "limit":
        schema = _model(route).model_json_schema()["properties"]["limit"]
        assert schema["minimum"] <= taken <= schema["maximum"]


@pytest.fixture
def real_objects(api_on_moto) -> tuple[list[str], dict[str, list[str]]]:
    """Customers with a transaction each: fuzzed requests get past the lookups, to the writes."""
    customers = [api_on_moto.customer(balance=100)["id"] for _ in range(3)]
    return customers, {c: [api_on_moto.transaction(c, -10)["id"]] for c in customers}


def answered_as_stripe_does(result: dict[str, Any]) -> None:
    """Not a 5xx; headers a client can read (printable ASCII); a body UTF-8 on the wire, JSON, and a
    Stripe error when a 4xx."""
    assert result["statusCode"] < 500, result["body"][:500]
    assert all(value.isascii() and value.isprintable() for value in result["headers"].values()), result["headers"]
    body = result["body"].encode("utf-8")
    if result["statusCode"] >= 400 or result["headers"]["Content-Type"].startswith("application/json"):
        document = json.loads(body)
        assert isinstance(document, dict)
        if result["statusCode"] >= 400:
            schemas.validate(document, "error")
            refused_as_stripe_does(StripeError(result["statusCode"], document["error"]["message"],
                                               type=document["error"]["type"], param=document["error"].get("param")))


served: set[int] = set()


@settings(max_examples=150, **{**FUZZ, "suppress_health_check": [
    *FUZZ["suppress_health_check"], HealthCheck.function_scoped_fixture]})
@given(data=st.data())
def test_handlers_never_answer_5xx(real_objects, data):
    """Hostile requests on every route, to its function as API Gateway invokes it (headers included),
    on a ledger where the customers and transactions they name exist."""
    case = data.draw(hostile.cases(*real_objects, key=None))
    handler = lambda_local.load_handler(case.route.function)
    result = handler(hostile.event(case), lambda_local.LambdaContext(case.route.function))
    answered_as_stripe_does(result)
    if any(k.lower() == "stripe-account" for k in case.headers):
        assert result["statusCode"] == 400
    served.add(result["statusCode"])


def test_the_handler_fuzz_reaches_the_write_path():
    """Some fuzzed requests got through validation to a real write (or list), not only refusals."""
    assert 200 in served


@settings(max_examples=100, **{**FUZZ, "suppress_health_check": [
    *FUZZ["suppress_health_check"], HealthCheck.function_scoped_fixture]})
@given(hostile.header_value(hostile.AUTHORIZATION, TEST_KEY))
def test_the_authorizer_answers_any_authorization_header(moto_table, header):
    """Any Authorization value: a policy, allowing only a known secret key, and a refusal message that
    fits between the quotes of the JSON the gateway answers with."""
    authorizer = template.default_authorizer()
    assert authorizer is not None
    handler = lambda_local.load_handler(authorizer.function)
    result = handler({"type": "TOKEN", "authorizationToken": header,
                      "methodArn": "arn:aws:execute-api:us-east-1:000000000000:api/stripe/GET/v1/customers"},
                     lambda_local.LambdaContext(authorizer.function))
    json.dumps(result, ensure_ascii=False).encode("utf-8")
    (statement,) = result["policyDocument"]["Statement"]
    if statement["Effect"] == "Allow":
        assert TEST_KEY in header or base64.b64encode(f"{TEST_KEY}:".encode()).decode() in header
    else:
        assert isinstance(json.loads(f'"{result["context"]["message"]}"'), str)


# What the parser alone meets beyond the hostile requests: any bytes, and bodies past its limits.


@settings(max_examples=200, **FUZZ)
@given(st.binary(max_size=300), st.sampled_from(["application/x-www-form-urlencoded", "application/json", ""]),
       st.booleans())
def test_arbitrary_bytes(body, content_type, encoded):
    event = {"body": base64.b64encode(body).decode() if encoded else body.decode("latin-1"),
             "isBase64Encoded": encoded, "headers": {"Content-Type": content_type}}
    try:
        form.parameters(event)
    except StripeError as refused:
        assert refused.status in (400, 413)
        refused_as_stripe_does(refused)


SEGMENTS = st.lists(st.one_of(st.sampled_from(["", "0", "1", "gte", "a"]), hostile.text()), max_size=7)


@settings(max_examples=150, **FUZZ)
@given(st.lists(st.tuples(st.one_of(st.sampled_from(hostile.FIELD_NAMES), hostile.text()), SEGMENTS,
                          hostile.text()), max_size=20))
def test_bracket_nesting_and_repeated_form_fields(fields):
    """Form names nested by brackets in every shape (`a[]`, `a[b][]`, `a[][b]`, too deep, mixed with
    plain repeats), hostile text in names and values."""
    body = urlencode([(name + "".join(f"[{s}]" for s in segments), v) for name, segments, v in fields],
                     errors="surrogatepass").encode()
    try:
        params = form.parameters(lambda_local.api_event("POST", "/fuzz", resource="/fuzz", body=body))
    except StripeError as refused:
        assert refused.status in (400, 413)
        refused_as_stripe_does(refused)
    else:
        assert isinstance(params, dict)


def test_huge_inputs():
    for body in (b"a=" + b"x" * 1_000_001, b"&".join(b"k%d=v" % i for i in range(5000)),
                 b"a" + b"[b]" * 10_000 + b"=1"):
        try:
            form.parameters({"body": body.decode(), "isBase64Encoded": False,
                             "headers": {"Content-Type": "application/x-www-form-urlencoded"}})
        except StripeError as refused:
            assert refused.status in (400, 413)
