"""Pagination on DynamoDB Local: newest first, exclusive cursors in both directions, has_more in the
direction of travel, created filters that agree with the order, and customer lists from the index."""

import pytest

from ledger import clock
from tests.support.waiting import eventually

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture
def ticking_clock():
    """Each reading one second later, so `created` differs along the chain."""
    now = [1_800_000_000]

    def tick():
        now[0] += 1
        return now[0]

    clock.use(tick)
    yield now
    import time

    clock.use(time.time)


def _ids(page):
    return [t["id"] for t in page["data"]]


def test_cursors_both_directions(api, ledger_table, ticking_clock):
    customer = api.customer()
    base = f"/v1/customers/{customer['id']}/balance_transactions"
    posted = [api.transaction(customer["id"], i + 1)["id"] for i in range(25)]
    newest_first = list(reversed(posted))

    first = api.get(base, {"limit": 10}).body
    assert _ids(first) == newest_first[:10] and first["has_more"] is True
    second = api.get(base, {"limit": 10, "starting_after": newest_first[9]}).body
    assert _ids(second) == newest_first[10:20] and second["has_more"] is True
    last = api.get(base, {"limit": 10, "starting_after": newest_first[19]}).body
    assert _ids(last) == newest_first[20:] and last["has_more"] is False

    # ending_before: the page just newer than the cursor, still newest first; has_more = newer ones exist.
    back = api.get(base, {"limit": 10, "ending_before": newest_first[20]}).body
    assert _ids(back) == newest_first[10:20] and back["has_more"] is True
    top = api.get(base, {"limit": 10, "ending_before": newest_first[5]}).body
    assert _ids(top) == newest_first[:5] and top["has_more"] is False
    assert api.get(base, {"ending_before": newest_first[0]}).body["data"] == []
    assert api.get(base).body["has_more"] is True and len(api.get(base).body["data"]) == 10


def test_created_filters_agree_with_order(api, ledger_table, ticking_clock):
    customer = api.customer()
    base = f"/v1/customers/{customer['id']}/balance_transactions"
    posted = [api.transaction(customer["id"], 1) for _ in range(10)]
    created = [t["created"] for t in posted]
    assert created == sorted(created) and len(set(created)) == 10

    def listed(created_filter, **extra):
        return _ids(api.get(base, {"created": created_filter, **extra}).body)

    ids = [t["id"] for t in posted]
    assert listed({"gte": created[3], "lt": created[7]}) == list(reversed(ids[3:7]))
    assert listed({"gt": created[3], "lte": created[7]}) == list(reversed(ids[4:8]))
    assert listed(created[5]) == [ids[5]]
    assert listed({"lt": created[0]}) == []
    assert listed({"gte": created[9] + 1}) == []
    assert listed({"gte": created[2]}, starting_after=ids[6]) == list(reversed(ids[2:6]))
    assert listed({"lte": created[8]}, ending_before=ids[2], limit=3) == list(reversed(ids[3:6]))


def test_created_never_goes_backwards_when_the_clock_does(api, ledger_table):
    customer = api.customer()
    readings = iter([2_000_000_000, 1_000_000_000, 1_500_000_000])
    clock.use(lambda: next(readings))
    try:
        created = [api.transaction(customer["id"], 1)["created"] for _ in range(3)]
    finally:
        import time

        clock.use(time.time)
    assert created == [2_000_000_000] * 3


def test_invoice_filter_and_url(api, ledger_table):
    customer = api.customer(balance=5)
    page = api.get(f"/v1/customers/{customer['id']}/balance_transactions", {"invoice": "in_123"}).body
    assert page == {"object": "list", "data": [], "has_more": False,
                    "url": f"/v1/customers/{customer['id']}/balance_transactions"}


def test_a_new_customer_is_listed_once_the_index_catches_up(api, ledger_table):
    made = api.customer()["id"]
    assert api.get(f"/v1/customers/{made}").status == 200  # retrievable at once (a consistent read)
    assert made not in _ids(api.get("/v1/customers").body)  # not listed yet, as on AWS
    assert _ids(eventually(lambda: api.get("/v1/customers").body, lambda page: bool(page["data"]))) == [made]


def test_customer_list_pages_and_filters(api, ledger_table, ticking_clock):
    made = [api.customer(email=f"c{i % 3}@example.com")["id"] for i in range(12)]
    newest_first = list(reversed(made))
    eventually(lambda: api.get("/v1/customers", {"limit": 100}).body, lambda page: len(page["data"]) == 12)
    first = api.get("/v1/customers", {"limit": 5}).body
    assert _ids(first) == newest_first[:5] and first["has_more"] and first["url"] == "/v1/customers"
    nxt = api.get("/v1/customers", {"limit": 5, "starting_after": newest_first[4]}).body
    assert _ids(nxt) == newest_first[5:10]
    back = api.get("/v1/customers", {"limit": 3, "ending_before": newest_first[4]}).body
    assert _ids(back) == newest_first[1:4] and back["has_more"] is True
    by_email = api.get("/v1/customers", {"email": "c1@example.com"}).body
    assert _ids(by_email) == [c for c in newest_first if made.index(c) % 3 == 1]
    first_created = api.get(f"/v1/customers/{made[0]}").body["created"]
    assert _ids(api.get("/v1/customers", {"created": {"lte": first_created + 1}}).body) == [made[1], made[0]]
    unknown = api.get("/v1/customers", {"starting_after": "cus_unknown"})
    assert (unknown.status, unknown.error["code"], unknown.error["param"]) == (400, "resource_missing",
                                                                              "starting_after")


def test_a_last_page_of_exactly_limit_items_says_no_more(api, ledger_table, ticking_clock):
    """`has_more` is true only when more items exist: a final page holding exactly `limit` items, in
    either direction and on both lists, answers false (SDK auto-paging would otherwise ask again)."""
    customer = api.customer()["id"]
    base = f"/v1/customers/{customer}/balance_transactions"
    newest_first = list(reversed([api.transaction(customer, i + 1)["id"] for i in range(6)]))
    assert api.get(base, {"limit": 6}).body["has_more"] is False
    assert api.get(base, {"limit": 5}).body["has_more"] is True
    tail = api.get(base, {"limit": 3, "starting_after": newest_first[2]}).body
    assert _ids(tail) == newest_first[3:] and tail["has_more"] is False
    head = api.get(base, {"limit": 3, "ending_before": newest_first[3]}).body
    assert _ids(head) == newest_first[:3] and head["has_more"] is False

    made = list(reversed([customer] + [api.customer()["id"] for _ in range(5)]))
    listed = eventually(lambda: api.get("/v1/customers", {"limit": 6}).body, lambda page: len(page["data"]) == 6)
    assert _ids(listed) == made and listed["has_more"] is False
    assert api.get("/v1/customers", {"limit": 5}).body["has_more"] is True
    tail = api.get("/v1/customers", {"limit": 3, "starting_after": made[2]}).body
    assert _ids(tail) == made[3:] and tail["has_more"] is False
    head = api.get("/v1/customers", {"limit": 3, "ending_before": made[3]}).body
    assert _ids(head) == made[:3] and head["has_more"] is False
