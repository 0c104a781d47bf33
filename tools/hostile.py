"""Hostile inputs for the API, as Hypothesis strategies: the one source every fuzzer of the project draws
from. `make fuzz` (tools/fuzz.py) sends them through the whole request path, the Hypothesis tests
(tests/unit/test_form_fuzz.py) through the parser, the handlers and the authorizer, and Schemathesis
mixes them into the requests it builds from openapi.json (tools/schemathesis_hooks.py).

What they aim at: JSON nested past the depth limit (thousands deep too), lone surrogates and four-byte
characters at, just under and just past every length limit, huge, negative and float-looking numbers
(and JSON number literals Python reads as infinities or refuses), repeated keys in JSON objects and form
fields, too many fields, form and JSON and query string mixed, hostile ids in the path, and hostile
values in every header the API reads.

The limits are the layer's, never copied: each field's maxLength from its operation's parameters model
(the rules of ledger.fields, as openapi.json publishes them), the metadata bounds of ledger.fields, the
Idempotency-Key's of ledger.idempotency, the nesting depth and field count of ledger.api.form, the
amount bound of ledger.config, the key size DynamoDB allows (tools.local_aws).
"""

from __future__ import annotations

import base64
import itertools
import json
import string
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

from tools import lambda_local, template
from tools.local_aws.dynamodb_limits import PARTITION_KEY_MAX_BYTES

Strategy = st.SearchStrategy


def _layer() -> Any:
    lambda_local.use_layer()
    import ledger
    import ledger.api.form
    import ledger.config
    import ledger.currencies
    import ledger.dal.keys
    import ledger.fields
    import ledger.idempotency
    import ledger.params
    import ledger.wire

    return ledger


ledger = _layer()
models, rules, form = ledger.params, ledger.fields, ledger.api.form

FOUR_BYTES = "\U0001f600"
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
TRICKY = ["\ud800", "\udfff", "\x00", "\u202e", "\n", "\\", '"', "é", FOUR_BYTES, "%", "[", "]", "#", "~", "&", "=",
          "+"]


def _max_length(model: Any, name: str) -> int:
    return int(model.model_json_schema()["properties"][name]["maxLength"])


# Every length limit the API has, in characters, from where the layer sets it: a customer's description
# is longer than a transaction's; the Idempotency-Key is a header.
LIMITS = {"description": _max_length(models.CreateBalanceTransaction, "description"),
          "customer description": _max_length(models.CreateCustomer, "description"),
          **{name: _max_length(models.CreateCustomer, name) for name in ("name", "email", "phone")},
          "cursor": _max_length(models.ListCustomers, "starting_after"),
          "metadata key": rules.METADATA_KEY_MAX, "metadata value": rules.METADATA_VALUE_MAX,
          "Idempotency-Key": ledger.idempotency.MAX_KEY_LENGTH}
EXPAND_ITEM_MAX = int(models.Params.model_json_schema()["properties"]["expand"]["items"]["maxLength"])
MAX_AMOUNT = ledger.config.MAX_AMOUNT
_PARAMS_MODELS: list[Any] = [m for m in vars(models).values() if isinstance(m, type) and issubclass(m, models.Params)]
# Every parameter any operation takes (on the others, an unknown one), and every expansion any allows.
FIELD_NAMES = sorted({name for model in _PARAMS_MODELS for name in model.model_fields})
EXPANSIONS = sorted({path for model in _PARAMS_MODELS for path in model.expandable})
CREATED_BOUNDS = sorted(rules.CreatedRange.model_fields)
# The headers the API reads: the authorizer's; the Idempotency-Key, Stripe-Version (echoed),
# Stripe-Account (refused) and Content-Type the functions read; User-Agent, which the event carries.
_AUTHORIZER = template.default_authorizer()
AUTHORIZATION = _AUTHORIZER.header if _AUTHORIZER else "Authorization"
HEADERS = [AUTHORIZATION, "Idempotency-Key", "Stripe-Version", "Content-Type", "Stripe-Account", "User-Agent"]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
                 "application/x-www-form-urlencoded", "text/plain", "multipart/form-data", ""]
# Numbers about the limits: the amount bound, the created keys' (ten digits), 64-bit integers, DynamoDB's
# 38 digits; JSON literals Python reads as infinities, zeros and floats, or refuses (too many digits).
CREATED_MAX = ledger.dal.keys.CREATED_MAX
INTEGERS = [0, 1, -1, MAX_AMOUNT, MAX_AMOUNT + 1, -MAX_AMOUNT - 1, CREATED_MAX, CREATED_MAX + 1, 2**63 - 1, 2**63,
            -(2**63) - 1, 10**38, -(10**38)]
TOO_MANY_DIGITS = "9" * (sys.get_int_max_str_digits() + 1)
JSON_NUMBERS = ["1e3", "1E+2", "1.0", "-0", "-0.0", "1e400", "-1e400", "1e-400", TOO_MANY_DIGITS, "NaN", "Infinity"]
NUMBER_TEXTS = [" 1", "1 ", "+1", "0x10", "1_000", "\uff11", "\u0663", "١٢", ""]
DEPTHS = [1, 2, form.MAX_DEPTH - 1, form.MAX_DEPTH, form.MAX_DEPTH + 1, 50, 3000]
_DEEP_FROM = 50  # deeper than this, nesting is written out as text (Python's own encoders would recurse)


@dataclass
class Case:
    """One hostile request. `route` and `path_parameters` (the ids before quoting) are what a handler's
    event needs; the path is what goes on the wire."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    route: template.Route | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Deep:
    """Arrays nested `depth` deep: written out as text, since Python's own encoders would recurse."""

    depth: int


@dataclass(frozen=True)
class Literal:
    """A JSON number literal written as is (`1e400`, more digits than Python reads): no Python value
    encodes to it."""

    text: str


@dataclass(frozen=True)
class Members:
    """A JSON object, or form fields, as a list of pairs: a key may repeat."""

    pairs: tuple[tuple[str, Any], ...]


@cache
def chance(percent: int) -> Strategy[bool]:
    return st.sampled_from([True] * percent + [False] * (100 - percent))


# Each value below costs Hypothesis a few choices however long it is (long text repeats a drawn pattern),
# so that thousands of requests are drawn in seconds.
_SHAPES = list(itertools.product([0, 0, 0, -1, 1], [FOUR_BYTES, FOUR_BYTES, "a", "é"],
                                 [None, None, None, "first", "middle", "last"], SURROGATES))


def _at_limit(limit: int, shape: tuple[int, str, str | None, str]) -> str:
    offset, fill, place, surrogate = shape
    length = max(limit + offset, 0)
    characters = [fill] * length
    if characters and place is not None:
        characters[{"first": 0, "middle": length // 2, "last": length - 1}[place]] = surrogate
    return "".join(characters)


@cache
def at_limit(limit: int) -> Strategy[str]:
    """Text of exactly `limit` characters (or one fewer, or one more), most often four-byte ones, with a
    lone surrogate at its first, middle or last place half of the time: where a check that counts bytes,
    or that stops at the first bad character, would go wrong."""
    return st.sampled_from(_SHAPES).map(partial(_at_limit, limit))


# Any character, lone surrogates and control characters included.
_PATTERN = st.text(st.characters(min_codepoint=0, max_codepoint=0x1FFFF, exclude_categories=[]), min_size=1,
                   max_size=8)
TEXT_LENGTHS = sorted({0, 1, 3, rules.METADATA_KEY_MAX, rules.METADATA_KEY_MAX + 1, rules.METADATA_VALUE_MAX,
                       rules.METADATA_VALUE_MAX + 1})


def _repeat(tricky: str, pattern: str, length: int) -> str:
    return ((tricky + pattern) * length)[:length]


@cache
def text(limit: int | None = None) -> Strategy[str]:
    """Tricky text (a tricky character and any others, repeated), short or about as long as metadata
    allows; or, with `limit`, at that limit."""
    tricky = st.builds(_repeat, st.sampled_from(TRICKY), _PATTERN, st.sampled_from(TEXT_LENGTHS))
    return st.one_of(at_limit(limit), tricky) if limit is not None else tricky


@cache
def scalar() -> Strategy[Any]:
    """Huge, negative and float-looking numbers (as JSON numbers and as text), booleans, null, text."""
    return st.one_of(st.sampled_from(INTEGERS), st.integers(-(10**30), 10**30), st.floats(),
                     st.sampled_from(JSON_NUMBERS).map(Literal), st.sampled_from(JSON_NUMBERS + NUMBER_TEXTS),
                     st.sampled_from([True, False, None]), text())


def _nest(depth: int, lists: int, key: str, leaf: Any) -> Any:
    """`leaf` in `depth` arrays or objects (bit i of `lists` says which), `Deep` past a depth Python's
    own encoders could write."""
    if depth > _DEEP_FROM:
        return Deep(depth)
    for level in range(depth):
        leaf = [leaf] if lists >> level & 1 else {key: leaf}
    return leaf


@cache
def nested() -> Strategy[Any]:
    """Arrays and objects nested 1 deep to past the depth limit, and thousands deep."""
    return st.builds(_nest, st.sampled_from(DEPTHS), st.integers(0, 2**_DEEP_FROM - 1), text(), scalar())


def _metadata(count: int, first: str, key: str, values: tuple[str, str], repeat: bool) -> Members:
    names = [first, *(f"{key[:30]}{i}" for i in range(count - 1))]  # distinct: the count is what counts
    pairs = [(name, values[i % 2]) for i, name in enumerate(names)]
    return Members(tuple(pairs + pairs[:1] if repeat else pairs))


@cache
def metadata() -> Strategy[Members]:
    """Metadata with a key at the key limit, values at the value limit, up to one key more than allowed,
    now and then a key twice."""
    limit = rules.METADATA_MAX_KEYS
    return st.builds(_metadata, st.sampled_from([1, 2, limit, limit + 1]), at_limit(rules.METADATA_KEY_MAX),
                     text(), st.tuples(text(rules.METADATA_VALUE_MAX), text(rules.METADATA_VALUE_MAX)), chance(20))


@cache
def expansions() -> Strategy[list[str]]:
    """Expansions, known or not, at their length limit, and one more than the fields allowed."""
    item = st.one_of(st.sampled_from(EXPANSIONS), text(EXPAND_ITEM_MAX))
    too_many = st.builds(lambda path, n: [path] * n, st.sampled_from(EXPANSIONS),
                         st.sampled_from([form.MAX_FIELDS, form.MAX_FIELDS + 1]))
    return st.one_of(st.lists(item, max_size=4), too_many)


@cache
def created_range() -> Strategy[dict[str, Any]]:
    bound = st.one_of(st.sampled_from(CREATED_BOUNDS), text())
    return st.dictionaries(bound, st.one_of(st.sampled_from(INTEGERS), scalar()), min_size=1, max_size=3)


@cache
def max_lengths(function: str) -> dict[str, int]:
    schema = lambda_local.operation_of(function).params.model_json_schema()
    return {name: int(p["maxLength"]) for name, p in schema["properties"].items() if "maxLength" in p}


def limit_of(name: str, route: template.Route) -> int | None:
    """The length limit of field `name` on `route`, if it has one: its parameters model's."""
    return max_lengths(route.function).get(name)


@cache
def value(name: str, route: template.Route) -> Strategy[Any]:
    """A hostile value for parameter `name` on `route`: aimed at its rule, or anything."""
    anything = st.one_of(scalar(), scalar(), scalar(), nested())  # nesting a quarter of the time
    aimed = {"metadata": metadata, "expand": expansions, "created": created_range}.get(name)
    limit = limit_of(name, route)
    if aimed is not None:
        return st.one_of(aimed(), anything)
    return st.one_of(text(limit), anything) if limit is not None else anything


@cache
def names() -> Strategy[str]:
    """Names no parameter has: tricky text, a lone surrogate or a four-byte character in a known name,
    brackets that open or close nothing, none at all."""
    known = st.sampled_from(FIELD_NAMES)
    return st.one_of(text(), st.builds(lambda name, odd: name[:2] + odd + name[2:], known,
                                       st.sampled_from([*SURROGATES, FOUR_BYTES, "\x00", "é"])),
                     st.sampled_from(["", "[", "]", "[]", "a[b", "a]b", "a[b]c", "[a]", "a[]b", "a[][]"]))


# Up to six parameters any operation takes, and now and then one none does.
_NAMES = st.builds(lambda known, unknown: [*known, *unknown], st.lists(st.sampled_from(FIELD_NAMES), max_size=6,
                                                                        unique=True),
                   st.one_of(st.just(()), st.tuples(names())))
_INDEX = st.integers(0, 99)
CURRENCIES = st.one_of(st.sampled_from(sorted(ledger.currencies.SUPPORTED)),
                       st.sampled_from([" usd", "USD", "xxx", "usd\x00", "", "us"]))
AMOUNTS = st.sampled_from([1, -1, 5000, "7"])


@cache
def params(route: template.Route) -> Strategy[list[tuple[str, Any]]]:
    """Parameters for `route`, known and unknown, now and then one repeated, mostly with a currency and
    an amount (so that creations get past the required ones)."""
    @st.composite
    def draw_params(draw: Callable[..., Any]) -> list[tuple[str, Any]]:
        pairs = [(name, draw(value(name, route))) for name in draw(_NAMES)]
        if pairs and draw(chance(20)):
            pairs.append(pairs[draw(_INDEX) % len(pairs)])  # a repeated key
        if draw(chance(70)):
            pairs += [("currency", draw(CURRENCIES)), ("amount", draw(AMOUNTS))]
        return pairs

    return draw_params()


@cache
def aimed_params(route: template.Route) -> Strategy[list[tuple[str, Any]]]:
    """Parameters that `route` takes as they are (its operation's sample), but one of them hostile: so
    that values at a limit, valid but hostile, reach the writes."""
    sample = dict(lambda_local.operation_of(route.function).sample)
    fields = sorted(lambda_local.operation_of(route.function).params.model_fields)
    return st.sampled_from(fields).flatmap(
        lambda name: value(name, route).map(lambda drawn: list({**sample, name: drawn}.items())))


def json_text(value: Any, ascii_only: bool = True) -> str:
    """JSON as any client could write it: repeated keys kept, lone surrogates as \\u escapes (or, with
    `ascii_only` False, as themselves: bytes no UTF-8 decoder takes)."""
    if isinstance(value, Deep):
        return "[" * value.depth + "1" + "]" * value.depth
    if isinstance(value, Literal):
        return value.text
    pairs = value.pairs if isinstance(value, Members) else value.items() if isinstance(value, dict) else None
    if pairs is not None:
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=ascii_only)}:{json_text(v, ascii_only)}"
                              for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_text(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def json_body(pairs: list[tuple[str, Any]], ascii_only: bool = True) -> bytes:
    return json_text(Members(tuple(pairs)), ascii_only).encode("utf-8", "surrogatepass")


def form_fields(pairs: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Stripe's bracket encoding of the pairs (`metadata[k]=v`, `expand[]=x`), repeated keys kept; a
    form nests by brackets in the name."""
    flat: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any, depth: int) -> None:
        members = value.pairs if isinstance(value, Members) else value.items() if isinstance(value, dict) else None
        if members is not None and depth < 8:
            for k, v in members:
                walk(f"{prefix}[{k}]", v, depth + 1)
        elif isinstance(value, list) and depth < 8:
            for v in value:
                walk(f"{prefix}[]", v, depth + 1)
        elif isinstance(value, Deep):
            flat.append((prefix + "[a]" * min(value.depth, 64), "1"))
        elif isinstance(value, Literal):
            flat.append((prefix, value.text))
        else:
            flat.append((prefix, "" if value is None or members is not None or isinstance(value, list)
                         else str(value)))

    for name, value in pairs:
        walk(name, value, 0)
    return flat


def form_body(fields: list[tuple[str, str]]) -> bytes:
    """Form-encoded fields; a lone surrogate becomes the percent-escapes of bytes no UTF-8 decoder takes."""
    return urllib.parse.urlencode(fields, errors="surrogatepass").encode()


def hostile_ids(prefix: str) -> list[str]:
    """Ids no object has: unknown, too long for a DynamoDB key (in characters, or only in bytes), not
    ASCII, percent-escapes of a lone surrogate."""
    return [f"{prefix}nobody", prefix + "A" * (PARTITION_KEY_MAX_BYTES + 1),
            prefix + FOUR_BYTES * (PARTITION_KEY_MAX_BYTES // 4), "x", f"{prefix}é", f"{prefix}%ED%A0%80",
            prefix + FOUR_BYTES]


def _placeholders(route_path: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(route_path) if name]


def path(route: template.Route, ids: dict[str, str]) -> str:
    return route.path.format(**{k: urllib.parse.quote(v, safe="%_") for k, v in ids.items()})


def header_values(key: str | None) -> list[str]:
    """Values meant for one header, sent in another too; with `key`, it in the other scheme too."""
    keys = [f"Basic {key}", "Basic " + base64.b64encode(f"{key}:".encode()).decode(), f"bearer  {key} "] if key else []
    return [*CONTENT_TYPES, "Bearer sk_live_" + "a" * 40, "Bearer pk_test_x", "Bearer rk_test_x", "Bearer", "acct_1",
            ledger.wire.API_VERSION, "2020-08-27", *keys]


_HEADER_NAMES = st.lists(st.sampled_from(HEADERS), unique=True, max_size=3)


@cache
def header_value(name: str, key: str | None = None) -> Strategy[str]:
    """A hostile value for header `name`: at its length limit, tricky text, a value meant for another
    header (with `key`, it in every scheme); never a line break, which would end the header."""
    return st.one_of(text(LIMITS.get(name)), st.sampled_from(header_values(key))).map(
        lambda value: value.replace("\n", " ").replace("\r", " "))


@cache
def headers(key: str | None = None) -> Strategy[dict[str, str]]:
    """The key in the Authorization header (when given), and up to three headers the API reads with
    hostile values."""
    @st.composite
    def draw_headers(draw: Callable[..., Any]) -> dict[str, str]:
        result = {AUTHORIZATION: f"Bearer {key}"} if key else {}
        for name in draw(_HEADER_NAMES):
            result[name] = draw(header_value(name, key))
        return result

    return draw_headers()


_ROUTES = st.sampled_from(template.routes())
_OTHER_METHODS = st.sampled_from(["PUT", "PATCH", "GET"])


def cases(customers: list[str], transactions: dict[str, list[str]], key: str | None) -> Strategy[Case]:
    """Hostile requests on any route: parameters in a form or JSON body (POST), the query string, or both;
    now and then with another method than the route's. About a third are what the route takes but for
    one hostile parameter (`aimed_params`), the others anything (`params`). Most name real customers and
    transactions (so requests get past the lookups, to the writes), the others hostile ids."""
    customer_ids = st.one_of(*[st.sampled_from(customers)] * 4, st.sampled_from(hostile_ids("cus_")))
    transaction_ids = {c: st.one_of(*[st.sampled_from(t)] * 4, st.sampled_from(hostile_ids("cbtxn_")))
                       for c, t in transactions.items() if t}
    unknown_transactions = st.sampled_from(hostile_ids("cbtxn_"))
    other_ids = st.sampled_from(hostile_ids("obj_"))  # the path's other ids (an event's): none real
    drawn_headers = headers(key)

    @st.composite
    def draw_case(draw: Callable[..., Any]) -> Case:
        route = draw(_ROUTES)
        pairs = draw(aimed_params(route) if draw(chance(35)) else params(route))
        method = route.method if draw(chance(95)) else draw(_OTHER_METHODS)
        ids: dict[str, str] = {}
        for name in _placeholders(route.path):
            ids[name] = draw(customer_ids if name == "customer" else transaction_ids.get(
                ids.get("customer", ""), unknown_transactions) if name == "transaction" else other_ids)
        case = Case(method, path(route, ids), headers=draw(drawn_headers), route=route, path_parameters=ids)
        as_json = route.method == "POST" and draw(st.booleans())
        if route.method != "POST" or draw(chance(20)):  # the query string, also mixed with a body
            case.query = form_fields(draw(params(route)) if route.method == "POST" else pairs)
        if route.method == "POST":
            if as_json:
                case.body = json_body(pairs, ascii_only=draw(chance(80)))
                case.headers.setdefault("Content-Type", "application/json")
            else:
                case.body = form_body(form_fields(pairs))
        return case

    return draw_case()


def event(case: Case, authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The API Gateway event of `case` for its route's function: header values as text, as API Gateway
    passes them on (a lone surrogate is what a JSON escape in the event decodes to)."""
    assert case.route is not None
    return lambda_local.api_event(case.route.method, case.path, resource=case.route.path,
                                  path_parameters=case.path_parameters, query=case.query,
                                  headers=list(case.headers.items()), body=case.body,
                                  authorizer=authorizer if authorizer is not None else {"mode": "test",
                                                                                         "key_id": "fuzz"})


GROUP = 10  # values drawn in one Hypothesis example: its own cost (about that of drawing a request) shared


def sample(strategy: Strategy[Any], count: int, seed: int) -> list[Any]:
    """About `count` values of `strategy` (a few fewer if Hypothesis finds no more), the same for the
    same seed: Hypothesis's generation alone, no shrinking, no example database."""
    drawn: list[Any] = []

    @settings(max_examples=-(-count // GROUP), database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @seeded(seed)
    @given(st.lists(strategy, min_size=GROUP, max_size=GROUP))
    def collect(values: list[Any]) -> None:
        drawn.extend(values)

    collect()
    return drawn
