"""The operator console (GET /console) in headless Chromium against the local run: finding a customer,
its balances, chart, paged transactions and chain check; hostile ledger values shown as inert text; an
adjustment posted once under a double click; a broken chain reported; the mode unmistakable; the key
never leaving the tab's memory. Screenshots of the main views go to .local/screenshots/."""

import itertools
import json
import random
import re
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from ledger import dal
from ledger.dal import keys
from tests.browser.conftest import screenshot
from tests.support.api import LIVE_KEY, TEST_KEY, Api
from tests.support.waiting import eventually
from tools.local_api import TABLE_NAME

pytestmark = pytest.mark.dynamodb_local

HOSTILE_DESCRIPTION = '<script>alert(1)</script>"><img src=x onerror=alert(2)> \u202eexe.txt'
HOSTILE_METADATA = {
    "html": '"><img src=x onerror=alert(3)>',
    "script": "<script>alert(4)</script>",
    "rtl": "refund \u202e0001$",
    "long": ("\u00e9\u4e2d\U0001f600\u05d0" * 125),  # 500 characters, the limit; four scripts, one astral
}


def unlock(page, key=TEST_KEY):
    page.fill("#key-input", key)
    page.click("#key-use")
    page.wait_for_selector("#find-section:not([hidden])")


def find(page, wanted):
    page.fill("#find-input", wanted)
    page.click("#find-button")
    loaded(page)


def loaded(page):
    """Every part of the customer's view drawn (the page marks its section ready)."""
    page.wait_for_selector("#customer-section[data-ready='true']:not([hidden])")
    assert page.is_visible("#chain-status.intact, #chain-status.broken")
    expect(page.locator("#chart-note")).not_to_have_text(re.compile("^Reading"))


def shown(text):
    """How the console shows text: characters that reorder or hide text as their code."""
    return re.sub("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]",
                  lambda m: f"<U+{ord(m.group()):04X}>", text)


def rows(page):
    return page.eval_on_selector_all(
        "#transactions tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def test_the_page_is_served_without_a_key_with_a_strict_policy(server):
    with urllib.request.urlopen(f"{server}/console") as answer:
        policy = answer.headers["Content-Security-Policy"]
        page = answer.read().decode()
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "connect-src 'self'" in policy and "unsafe" not in policy
    assert "<script>" not in page and "style=" not in page and "<style" not in page  # no inline code
    assert "http" not in page.replace("http-equiv", "")  # no other origin
    for asset, media_type in (("console.js", "text/javascript"), ("console.css", "text/css")):
        with urllib.request.urlopen(f"{server}/console?asset={asset}") as answer:
            assert answer.headers["Content-Type"] == media_type
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert "http://" not in answer.read().decode().replace("http://www.w3.org/2000/svg", "")


def test_find_a_customer_see_balances_chart_and_an_intact_chain(console, server_table):
    page, seen = console
    api = Api()
    customer = api.customer(name="Jenny Rosen", email="jenny.console@example.com", balance=-5000)
    for amount in (1200, -300, 450, -2000, 800, -150, 999, -1, 2500):
        api.transaction(customer["id"], amount)
    api.transaction(customer["id"], -700, "eur", description="Goodwill credit")
    api.transaction(customer["id"], 200, "eur")
    assert page.text_content("#mode-banner").startswith("No key")
    unlock(page)
    assert "TEST MODE" in page.text_content("#mode-banner")
    assert page.eval_on_selector("body", "b => b.className") == "mode-test"
    # by email: the customers index lags behind writes, as on AWS, so ask until it lists her
    assert eventually(lambda: (page.fill("#find-input", "jenny.console@example.com"), page.click("#find-button"),
                               page.wait_for_timeout(300), page.is_visible("#customer-section"))[-1], bool)
    find(page, customer["id"])
    assert customer["id"] in page.text_content("#customer-title")
    balances = page.eval_on_selector_all("#balances tbody tr",
                                         "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    expected_usd = -5000 + 1200 - 300 + 450 - 2000 + 800 - 150 + 999 - 1 + 2500
    assert balances == [["eur", "-5.00 eur", "5.00 eur"], ["usd", f"{expected_usd / 100:.2f} usd",
                                                             f"{-expected_usd / 100:.2f} usd"]]
    assert page.text_content("#chain-status") == "Intact"
    assert "12 transactions checked" in page.text_content("#chain-detail")
    charts = page.query_selector_all("#charts figure")
    assert len(charts) == 2
    assert page.eval_on_selector_all("#charts path.series", "ps => ps.length") == 2
    assert page.eval_on_selector_all("#charts circle", "cs => cs.length") == 12  # every point, when few
    assert "All 12 transactions" in page.text_content("#chart-note")
    table = rows(page)
    assert len(table) == 12
    assert table[0][1] == "2.00 eur" and table[0][4] == "-5.00 eur" and table[1][3] == "Goodwill credit"
    screenshot(page, "console-customer")
    assert not seen.dialogs


def test_page_through_250_transactions(console, server_table):
    page, _ = console
    api = Api()
    customer = api.customer(name="Many")
    created = [api.transaction(customer["id"], 100 + i)["id"] for i in range(250)]
    unlock(page)
    find(page, customer["id"])
    seen_ids = []
    for number in range(10):
        table = rows(page)
        assert len(table) == 25
        seen_ids += [r[6] for r in table]
        assert f"page {number + 1}" in page.text_content("#page-label")
        if number < 9:
            assert page.is_enabled("#older")
            page.click("#older")
            expect(page.locator("#page-label")).to_contain_text(f"page {number + 2}:")
    assert seen_ids == created[::-1]  # newest first, each once
    assert not page.is_enabled("#older")
    for number in range(9, 0, -1):  # and back, with ending_before
        page.click("#newer")
        expect(page.locator("#page-label")).to_contain_text(f"page {number}:")
        assert [r[6] for r in rows(page)] == created[::-1][(number - 1) * 25:number * 25]
    assert not page.is_enabled("#newer")
    # ending balances along the chain
    assert rows(page)[0][4] == f"{sum(100 + i for i in range(250)) / 100:,.2f} usd"
    assert "All 250 transactions" in page.text_content("#chart-note")
    screenshot(page, "console-250-transactions")


def test_hostile_descriptions_and_metadata_are_shown_as_inert_text(console, server_table):
    page, seen = console
    api = Api()
    customer = api.customer(name='<img src=x onerror=alert("name")>\u202e', email="evil@example.com")
    txn = api.transaction(customer["id"], -100, description=HOSTILE_DESCRIPTION, metadata=HOSTILE_METADATA)
    unlock(page)
    find(page, customer["id"])
    (row,) = rows(page)
    assert row[3] == shown(HOSTILE_DESCRIPTION)  # literally, the override as its code
    lines = page.eval_on_selector_all("#transactions tbody td.text div", "ds => ds.map(d => d.textContent)")
    assert sorted(lines) == sorted(f"{k}: {shown(v)}" for k, v in HOSTILE_METADATA.items())
    assert row[6] == txn["id"]
    assert shown(customer["name"]) in page.text_content("#customer-title")
    assert page.eval_on_selector_all("main img, main script, #transactions iframe", "found => found.length") == 0
    assert page.eval_on_selector_all("script", "all => all.length") == 1  # the console's own
    page.wait_for_timeout(500)  # an onerror would have fired by now
    assert not seen.dialogs
    screenshot(page, "console-hostile-values")


def test_an_adjustment_posts_once_under_a_double_click(console, server_table):
    page, seen = console
    api = Api()
    customer = api.customer(name="Adjusted", balance=1000)
    unlock(page)
    find(page, customer["id"])
    page.fill("#adjust-amount", "-250")
    page.click("#adjust-review")
    assert page.is_hidden("#adjust-confirm")  # no description: nothing to confirm
    assert "description is required" in page.text_content("#adjust-result")
    page.fill("#adjust-description", "Goodwill: late delivery")
    page.click("#adjust-review")
    assert "post -2.50 usd to " + customer["id"] in page.text_content("#adjust-summary")
    screenshot(page, "console-adjustment-confirm")
    page.dblclick("#adjust-post")
    expect(page.locator("#adjust-result")).to_have_text(re.compile("^Posted"))
    loaded(page)
    assert page.text_content("#chain-status") == "Intact"
    chain = api.get(f"/v1/customers/{customer['id']}/balance_transactions").body["data"]
    assert [(t["amount"], t["description"]) for t in chain] == [(-250, "Goodwill: late delivery"), (1000, None)]
    posts = [h for h in seen.posts]
    assert posts and len({h["idempotency-key"] for h in posts}) == 1  # one key for the form
    assert rows(page)[0][1] == "-2.50 usd" and rows(page)[0][4] == "7.50 usd"

    # Even if the click got through twice (a replay of the request), the key applies it once.
    page.fill("#adjust-amount", "10")
    page.fill("#adjust-description", "twice")
    page.click("#adjust-review")
    page.evaluate("() => { const b = document.getElementById('adjust-post'); b.click(); b.disabled = false; "
                  "b.click(); }")
    expect(page.locator("#adjust-result")).to_have_text(re.compile("^Posted"))
    loaded(page)
    page.wait_for_timeout(500)  # the second request, which replays
    chain = api.get(f"/v1/customers/{customer['id']}/balance_transactions").body["data"]
    assert [t["amount"] for t in chain] == [10, -250, 1000]
    assert len(seen.posts) == 3 and seen.posts[1]["idempotency-key"] == seen.posts[2]["idempotency-key"]


def test_a_broken_chain_is_reported_with_its_first_break(console, server_table):
    page, _ = console
    api = Api()
    customer = api.customer(name="Tampered", balance=100)
    second = api.transaction(customer["id"], 50)
    api.transaction(customer["id"], 25)
    chain = dal.whole_chain("test", customer["id"])
    dal.client().update_item(
        TableName=TABLE_NAME, UpdateExpression="SET ending_balance = :e",
        Key={"pk": {"S": keys.partition("test", customer["id"])},
             "sk": {"S": keys.transaction_sk(chain[1].created, chain[1].sequence)}},
        ExpressionAttributeValues={":e": {"N": "999"}})
    unlock(page)
    find(page, customer["id"])
    status = page.text_content("#chain-status")
    assert status.startswith("Broken: ") and f"{second['id']} ends at 999 but 100 + 50 = 150" in status
    assert page.eval_on_selector("#chain-status", "e => e.className") == "chain broken"
    assert "1 problem in 3 transactions" in page.text_content("#chain-detail")
    screenshot(page, "console-broken-chain")


def test_a_live_key_shows_live_mode_and_sees_only_live_objects(console, server_table):
    page, _ = console
    test_customer = Api().customer(name="Test only")["id"]
    live_customer = Api(LIVE_KEY).customer(name="Live customer", balance=-12345)["id"]
    unlock(page, LIVE_KEY)
    assert "LIVE MODE" in page.text_content("#mode-banner")
    assert page.eval_on_selector("body", "b => b.className") == "mode-live"
    find(page, live_customer)
    assert page.text_content("#chain-status") == "Intact"
    screenshot(page, "console-live-mode")
    page.fill("#find-input", test_customer)
    page.click("#find-button")
    expect(page.locator("#message")).to_contain_text("No such customer")


def test_the_key_stays_in_the_tab_s_memory(console, server_table):
    page, seen = console
    customer = Api().customer(name="Private")["id"]
    unlock(page)
    find(page, customer)
    assert page.input_value("#key-input") == ""
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie, location.href]")
    assert stored[:3] == [0, 0, ""] and TEST_KEY not in stored[3]
    assert all(TEST_KEY not in url for url in seen.requests)
    assert all(TEST_KEY not in line for line in seen.console)
    origin = seen.requests[0].split("/console")[0]
    assert all(url.startswith(origin + "/") for url in seen.requests)  # no other origin, ever
    page.click("#key-forget")
    assert page.is_hidden("#customer-section") and page.text_content("#mode-banner").startswith("No key")


CHART_BUCKETS = 300  # console.js's: the drawn line keeps at most about two points a bucket


def synthetic_chain(customer, moves):
    """A chain of (currency, amount, created) moves, oldest first, as the API lists its transactions."""
    balances, chain = {}, []
    for number, (currency, amount, created) in enumerate(moves):
        balances[currency] = balances.get(currency, 0) + amount
        chain.append({"id": f"cbtxn_synthetic{number:06d}", "object": "customer_balance_transaction",
                      "amount": amount, "currency": currency, "created": created, "customer": customer,
                      "description": None, "ending_balance": balances[currency], "type": "adjustment",
                      "metadata": {}, "livemode": False, "invoice": None, "credit_note": None,
                      "checkout_session": None})
    return chain


def serve_chart_reads(page, chain):
    """The chart's own reads (pages of 100, newest first) answered from `chain` instead of the ledger."""
    newest_first = chain[::-1]
    position = {t["id"]: n for n, t in enumerate(newest_first)}

    def answer(route):
        query = parse_qs(urlparse(route.request.url).query)
        start = position[query["starting_after"][0]] + 1 if "starting_after" in query else 0
        data = newest_first[start:start + 100]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(
            {"object": "list", "data": data, "has_more": start + 100 < len(chain), "url": "/v1/customers"}))

    page.route(re.compile(r".*/balance_transactions\?limit=100.*"), answer)


def plot_area(page, chart):
    """A chart's plot area in its SVG units, from its horizontal grid lines: left, right, top, bottom."""
    lines = page.eval_on_selector_all(f"{chart} line.grid",
                                      "ls => ls.map(l => ['x1', 'x2', 'y1', 'y2'].map(a => +l.getAttribute(a)))")
    ys = [y1 for _, _, y1, y2 in lines if y1 == y2]
    return min(x1 for x1, *_ in lines), max(x2 for _, x2, *_ in lines), min(ys), max(ys)


def drawn_line(page, chart):
    """The series' vertices in SVG units, and how many transactions it draws: each M, L or V ends at one
    (an H only holds a balance until the next)."""
    x = y = None
    vertices, points = [], 0
    for command, numbers in re.findall(r"([MLHV])([^MLHV]*)", page.get_attribute(f"{chart} path.series", "d")):
        values = [float(n) for n in numbers.split()]
        if command in "ML":
            x, y = values
        elif command == "H":
            (x,) = values
        else:
            (y,) = values
        vertices.append((x, y))
        points += command != "H"
    return vertices, points


def circles(page, chart):
    return page.eval_on_selector_all(f"{chart} circle", "cs => cs.map(c => +c.getAttribute('cx'))")


def test_the_chart_s_x_axis_is_time(console, server_table):
    """x is proportional to created: a point a second after the first sits by the left edge, not midway;
    transactions all in one second are spread out, so is a burst after a lone first transaction (what a
    script posting adjustments leaves), and a lone one is drawn."""
    page, _ = console
    customer = Api().customer(name="Timed")["id"]
    t = 1_790_000_000
    serve_chart_reads(page, synthetic_chain(customer, [
        ("usd", 100, t), ("usd", 200, t + 1), ("eur", 50, t + 5), ("eur", -20, t + 5), ("eur", 70, t + 5),
        ("gbp", 900, t + 50), ("usd", -50, t + 100),
        ("cad", 0, t), *(("cad", 10 * n, t + 1) for n in range(1, 10))]))
    unlock(page)
    find(page, customer)
    cad, eur, gbp, usd = (f"#charts figure:nth-child({n}) svg" for n in (1, 2, 3, 4))
    left, right, _, _ = plot_area(page, usd)
    first, middle, last = circles(page, usd)
    assert (first, last) == (pytest.approx(left, abs=0.1), pytest.approx(right, abs=0.1))
    assert middle - left == pytest.approx((right - left) / 100, abs=1), "t+1s of 100 s: by the left edge"
    same_second = circles(page, eur)
    assert len(same_second) == 3 and left <= same_second[0] < same_second[1] < same_second[2] <= right
    (alone,) = circles(page, gbp)
    assert left <= alone <= right
    burst = circles(page, cad)[1:]
    gaps = [b - a for a, b in itertools.pairwise(burst)]
    assert len(burst) == 9 and min(gaps) > (right - left) / 50, f"a burst stands on one x: {burst}"
    screenshot(page, "console-chart-time")


def test_the_chart_stays_readable_for_10000_transactions(console, server_table):
    """A synthetic 10,000-transaction chain at uneven times (busy stretches with several in one second,
    quiet ones hours apart) holding a one-transaction spike and a one-transaction dip: every page is read,
    at most about two points a bucket are drawn, the drawn line reaches the spike and the dip at their
    time, and the dates under the axis do not overlap."""
    page, _ = console
    customer = Api().customer(name="Ten thousand")["id"]
    rng, at, moves = random.Random(7), 1_790_000_000, []
    spike, dip = 3_000, 5_000
    for i in range(10_000):
        amount = rng.randint(-5_000, 5_000)
        if i in (spike, dip + 1):
            amount = 10_000_000
        elif i in (spike + 1, dip):
            amount = -10_000_000  # back where it was: each extreme lasts one transaction
        moves.append(("usd", amount, at))
        busy = 2_000 <= i < 4_000 or 6_000 <= i < 9_000
        at += int(rng.expovariate(1 / (30 if busy else 3_000)))
    chain = synthetic_chain(customer, moves)
    serve_chart_reads(page, chain)
    unlock(page)
    find(page, customer)
    assert "All 10000 transactions" in page.text_content("#chart-note")
    assert "usd: 10000 transactions" in page.text_content("#charts .chart-title")
    caption = page.text_content("#charts figcaption")
    assert f"highest {max(t['ending_balance'] for t in chain) / 100:,.2f} usd" in caption

    chart = "#charts svg"
    left, right, top, bottom = plot_area(page, chart)
    vertices, points = drawn_line(page, chart)
    assert points <= 2 * CHART_BUCKETS + 2
    # the axis spans exactly the spike's and the dip's balances: the plot's top is the spike's y, its bottom the dip's
    scale = page.eval_on_selector_all(f"{chart} text.tick", "ts => ts.map(t => [+t.getAttribute('x'), t.textContent])")
    labels = [text for x, text in scale if x < left]
    assert (labels[0], labels[-1]) == tuple(f"{chain[i]['ending_balance'] / 100:,.2f} usd" for i in (spike, dip))
    first, last = chain[0]["created"], chain[-1]["created"]
    bucket = (right - left) / CHART_BUCKETS
    missed = {}
    for name, i, level in (("spike", spike, top), ("dip", dip, bottom)):
        expected = left + (chain[i]["created"] - first) / (last - first) * (right - left)
        at_level = [round(x, 1) for x, y in vertices if abs(y - level) < 0.5]
        if not any(abs(x - expected) <= bucket for x in at_level):
            missed[name] = {"x expected": round(expected, 1), "x drawn at its y": at_level}
    assert not missed, "the drawn line misses a one-transaction extreme at its time"
    # from the first transaction to the last: the balance now
    assert (vertices[0][0], vertices[-1][0]) == (pytest.approx(left, abs=0.1), pytest.approx(right, abs=0.1))

    dates = page.eval_on_selector_all(f"{chart} text.date",
                                      "ts => ts.map(t => { const b = t.getBBox(); return [b.x, b.x + b.width]; })")
    assert 3 <= len(dates) <= 7, "both ends and a few dates between"
    dates.sort()
    assert all(end < start for (_, end), (start, _) in itertools.pairwise(dates)), dates
    screenshot(page, "console-chart-10000")
