// The operator console: a customer's balances, chain check, balance chart and transactions, read from
// this API with the operator's key. Rules kept throughout:
// - the key lives in one variable of this script (never storage, cookies, URLs or logs);
// - every value from the ledger is set as text (textContent, SVG text nodes), never parsed as markup,
//   and bidirectional control characters are shown as visible codes, not obeyed;
// - only this origin is called (the page's Content-Security-Policy allows nothing else).
"use strict";

(function () {
  const PAGE_SIZE = 25;
  const CHART_TRANSACTIONS_MAX = 10000; // the chart reads at most this many, newest first
  const CHART_BUCKETS = 300; // downsampled to about two points per bucket (its min and max)
  const RETRIES_MAX = 4; // 429/409/5xx answers the API marks retryable
  const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#57606a"];
  // Characters that reorder or hide text: shown as their code, so a description reads as it is stored.
  const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

  let secretKey = null; // the operator's key, for this tab only
  let mode = null; // "test" or "live", from the key's prefix
  let customer = null;
  let page = null; // {data, index, hasNewer, hasOlder}
  let adjustKey = null; // the Idempotency-Key of the adjustment form as filled in now
  let loadToken = 0; // a newer customer load makes older ones stop

  const $ = (id) => document.getElementById(id);

  function visible(value) {
    return String(value).replace(INVISIBLE, (c) => "<U+" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") + ">");
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = visible(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function say(text, kind) {
    const box = $("message");
    box.textContent = text ? visible(text) : "";
    box.className = "message" + (kind ? " " + kind : "");
  }

  function fractionDigits(currency) {
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() })
        .resolvedOptions().maximumFractionDigits;
    } catch (e) {
      return 0;
    }
  }

  function money(amount, currency) {
    if (typeof amount !== "number" || !Number.isFinite(amount)) return String(amount);
    const digits = fractionDigits(currency);
    const sign = amount < 0 ? "-" : "";
    const whole = Math.abs(amount);
    const units = Math.floor(whole / Math.pow(10, digits)).toLocaleString("en");
    const cents = digits ? "." + String(whole % Math.pow(10, digits)).padStart(digits, "0") : "";
    return sign + units + cents + " " + String(currency).toLowerCase();
  }

  function count(n, noun) {
    return n + " " + noun + (n === 1 ? "" : "s");
  }

  function when(seconds) {
    if (typeof seconds !== "number") return String(seconds);
    return new Date(Math.floor(seconds) * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
  }

  // --- the API ------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || "The API answered " + status + ".");
      this.status = status;
      this.code = error.code || null;
    }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function call(method, path, params, extraHeaders) {
    if (!secretKey) throw new Error("Enter a secret key first.");
    const url = new URL(path, document.baseURI); // the API's base: this page's folder (the stage on AWS)
    const body = new URLSearchParams();
    for (const [name, value] of params || []) {
      (method === "GET" ? url.searchParams : body).append(name, value);
    }
    const headers = { Authorization: "Bearer " + secretKey, ...(extraHeaders || {}) };
    const options = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      options.body = body.toString();
    }
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(url, options);
      let answer = null;
      try {
        answer = await response.json();
      } catch (e) {
        answer = null;
      }
      if (response.ok) return answer;
      const retry = response.headers.get("Stripe-Should-Retry") === "true";
      if (!retry || attempt >= RETRIES_MAX) throw new ApiError(response.status, answer);
      await sleep(250 * Math.pow(2, attempt)); // the same Idempotency-Key, if any: applies once
    }
  }

  // --- key and mode -------------------------------------------------------------------------------

  function setMode(newMode) {
    mode = newMode;
    document.body.classList.remove("mode-none", "mode-test", "mode-live");
    document.body.classList.add(newMode ? "mode-" + newMode : "mode-none");
    const banner = $("mode-banner");
    if (newMode === "live") {
      banner.textContent = "LIVE MODE \u2014 real customers and real balances";
    } else if (newMode === "test") {
      banner.textContent = "TEST MODE \u2014 test data only";
    } else {
      banner.textContent = "No key yet: enter a secret key to start";
    }
  }

  function useKey(event) {
    event.preventDefault();
    const input = $("key-input");
    const key = input.value.trim();
    input.value = ""; // the field never keeps it
    const found = /^sk_(test|live)_[A-Za-z0-9]+$/.exec(key);
    if (!found) {
      say("That is not a secret key (sk_test_... or sk_live_...).", "error");
      return;
    }
    secretKey = key;
    setMode(found[1]);
    $("key-input").placeholder = "key in use: sk_" + found[1] + "_..." + key.slice(-4);
    $("key-forget").hidden = false;
    $("find-section").hidden = false;
    $("customer-section").hidden = true;
    say("");
    $("find-input").focus();
  }

  function forgetKey() {
    secretKey = null;
    customer = null;
    page = null;
    loadToken++;
    setMode(null);
    $("key-input").placeholder = "sk_test_...";
    $("key-forget").hidden = true;
    $("find-section").hidden = true;
    $("customer-section").hidden = true;
    clear($("matches"));
    say("Key forgotten.");
  }

  // --- finding a customer -------------------------------------------------------------------------

  // data-ready on the customer's section: "false" from a request for a customer until every part of its
  // view is drawn, then "true" (what a test, or a screen reader, can wait for).
  function ready(done) {
    $("customer-section").dataset.ready = done ? "true" : "false";
  }

  async function find(event) {
    event.preventDefault();
    ready(false);
    const wanted = $("find-input").value.trim();
    clear($("matches"));
    if (!wanted) return;
    say("Looking\u2026");
    try {
      if (/^cus_/.test(wanted)) {
        await showCustomer(wanted);
        return;
      }
      const list = await call("GET", "v1/customers", [["email", wanted], ["limit", "10"]]);
      if (!list.data.length) {
        say("No customer with the email " + wanted + " (a customer created in the last second may not be listed yet).", "error");
      } else if (list.data.length === 1) {
        await showCustomer(list.data[0].id);
      } else {
        say(list.data.length + (list.has_more ? "+" : "") + " customers have this email: choose one.");
        for (const match of list.data) {
          const item = el("li");
          const button = el("button", match.id + (match.name ? " \u2014 " + match.name : ""));
          button.type = "button";
          button.addEventListener("click", () => showCustomer(match.id));
          item.appendChild(button);
          $("matches").appendChild(item);
        }
      }
    } catch (problem) {
      say(problem.message, "error");
    }
  }

  async function showCustomer(id) {
    const token = ++loadToken;
    ready(false);
    const found = await call("GET", "v1/customers/" + encodeURIComponent(id), [["expand[]", "invoice_credit_balance"]])
      .catch((problem) => {
        say(problem.message, "error");
        return null;
      });
    if (!found || token !== loadToken) return;
    if (found.deleted) {
      say(id + " was deleted; its ledger is kept but cannot be browsed here.", "error");
      return;
    }
    if (found.livemode !== (mode === "live")) {
      say("The API answered an object of the other mode: stopped.", "error");
      return;
    }
    customer = found;
    clear($("matches"));
    say("");
    $("customer-section").hidden = false;
    renderCustomer();
    resetAdjustment();
    await Promise.all([loadPage([]), checkChain(), drawCharts(token)]);
    if (token === loadToken) ready(true);
  }

  function renderCustomer() {
    $("customer-title").textContent = visible((customer.name || "(no name)") + " \u2014 " + customer.id);
    const details = $("customer-details");
    clear(details);
    const fields = [["email", customer.email], ["created", when(customer.created)], ["currency", customer.currency],
      ["mode", customer.livemode ? "live" : "test"]];
    for (const [name, value] of fields) {
      details.appendChild(el("dt", name));
      details.appendChild(el("dd", value === null || value === undefined ? "\u2014" : value));
    }
    const body = $("balances").tBodies[0];
    clear(body);
    const credit = customer.invoice_credit_balance || {};
    const currencies = Object.keys(credit).sort();
    if (!currencies.length && customer.currency) currencies.push(customer.currency);
    for (const currency of currencies) {
      const row = el("tr");
      const available = credit[currency] || 0;
      row.appendChild(el("td", currency));
      row.appendChild(el("td", money(-available, currency), "number"));
      row.appendChild(el("td", money(available, currency), "number"));
      body.appendChild(row);
    }
    if (!currencies.length) {
      const row = el("tr");
      const cell = el("td", "No balance yet.");
      cell.colSpan = 3;
      row.appendChild(cell);
      body.appendChild(row);
    }
    if (!$("adjust-currency").value) $("adjust-currency").value = customer.currency || "";
  }

  // --- transactions, paged with the API's cursors --------------------------------------------------

  async function loadPage(cursor, direction) {
    const params = [["limit", String(PAGE_SIZE)], ...cursor];
    const answer = await call("GET", "v1/customers/" + encodeURIComponent(customer.id) + "/balance_transactions", params)
      .catch((problem) => {
        say(problem.message, "error");
        return null;
      });
    if (!answer) return;
    const index = page ? page.index : 0;
    if (direction === "older") {
      page = { data: answer.data, index: index + 1, hasOlder: answer.has_more, hasNewer: true };
    } else if (direction === "newer") {
      page = { data: answer.data, index: Math.max(0, index - 1), hasOlder: true, hasNewer: answer.has_more };
    } else {
      page = { data: answer.data, index: 0, hasOlder: answer.has_more, hasNewer: false };
    }
    renderPage();
  }

  function renderPage() {
    const body = $("transactions").tBodies[0];
    clear(body);
    for (const txn of page.data) {
      const row = el("tr");
      row.appendChild(el("td", when(txn.created), "nowrap"));
      row.appendChild(el("td", money(txn.amount, txn.currency), "number"));
      row.appendChild(el("td", txn.type));
      row.appendChild(el("td", txn.description === null ? "" : txn.description, "text"));
      row.appendChild(el("td", money(txn.ending_balance, txn.currency), "number"));
      const metadata = el("td", null, "text");
      for (const [name, value] of Object.entries(txn.metadata || {})) {
        const line = el("div");
        line.appendChild(el("span", name, "meta-key"));
        line.appendChild(document.createTextNode(": "));
        line.appendChild(el("span", value, "meta-value"));
        metadata.appendChild(line);
      }
      row.appendChild(metadata);
      row.appendChild(el("td", txn.id, "id"));
      body.appendChild(row);
    }
    if (!page.data.length) {
      const row = el("tr");
      const cell = el("td", "No transactions.");
      cell.colSpan = 7;
      row.appendChild(cell);
      body.appendChild(row);
    }
    const first = page.index * PAGE_SIZE + 1;
    $("page-label").textContent = page.data.length
      ? "(page " + (page.index + 1) + ": newest first, " + first + "\u2013" + (first + page.data.length - 1) + ")"
      : "";
    $("newer").disabled = !page.hasNewer;
    $("older").disabled = !page.hasOlder;
  }

  function older() {
    if (page && page.data.length) loadPage([["starting_after", page.data[page.data.length - 1].id]], "older");
  }

  function newer() {
    if (page && page.data.length) loadPage([["ending_before", page.data[0].id]], "newer");
  }

  // --- the chain check ----------------------------------------------------------------------------

  async function checkChain() {
    const status = $("chain-status");
    status.textContent = "Checking\u2026";
    status.className = "chain";
    $("chain-detail").textContent = "";
    try {
      const check = await call("GET", "v1/customers/" + encodeURIComponent(customer.id) + "/chain_check");
      if (check.intact) {
        status.textContent = "Intact";
        status.className = "chain intact";
        $("chain-detail").textContent = count(check.transactions, "transaction")
          + " checked, as `make verify` checks them.";
      } else {
        status.textContent = visible("Broken: " + check.first_break);
        status.className = "chain broken";
        $("chain-detail").textContent = count(check.problem_count, "problem") + " in "
          + count(check.transactions, "transaction") + "; `make verify` lists them all.";
      }
    } catch (problem) {
      status.textContent = visible("Not checked: " + problem.message);
      status.className = "chain broken";
    }
  }

  // --- the balance chart: ending_balance over time, one small chart per currency ------------------

  async function drawCharts(token) {
    const holder = $("charts");
    clear(holder);
    $("chart-note").textContent = "Reading transactions\u2026";
    const all = [];
    let cursor = [];
    let more = true;
    try {
      while (more && all.length < CHART_TRANSACTIONS_MAX) {
        const answer = await call("GET", "v1/customers/" + encodeURIComponent(customer.id) + "/balance_transactions",
          [["limit", "100"], ...cursor]);
        if (token !== loadToken) return;
        all.push(...answer.data);
        more = answer.has_more && answer.data.length > 0;
        if (more) cursor = [["starting_after", answer.data[answer.data.length - 1].id]];
        $("chart-note").textContent = "Reading transactions\u2026 " + all.length;
      }
    } catch (problem) {
      $("chart-note").textContent = visible("Chart unavailable: " + problem.message);
      return;
    }
    all.reverse(); // oldest first: chain order
    const byCurrency = new Map();
    for (const txn of all) {
      if (!byCurrency.has(txn.currency)) byCurrency.set(txn.currency, []);
      byCurrency.get(txn.currency).push({ y: txn.ending_balance, created: txn.created });
    }
    $("chart-note").textContent = all.length
      ? (more ? "The newest " : all.length === 1 ? "The only " : "All ") + count(all.length, "transaction")
        + " along time, oldest on the left; the line holds each transaction's ending balance until the next."
      : "No transactions yet.";
    let color = 0;
    for (const [currency, points] of [...byCurrency.entries()].sort()) {
      holder.appendChild(chart(currency, points, COLORS[color++ % COLORS.length]));
    }
  }

  // Each point's time `t` and its place `at` along the x axis, from 0 to 1, in proportion to its time
  // between the first and the last transaction. `created` counts whole seconds, so the transactions of
  // one second are spread evenly across it in chain order: a burst stays readable instead of standing on
  // one x, and over days a second is too small to see. A lone transaction is drawn in the middle.
  function place(points) {
    const timed = [];
    for (let i = 0; i < points.length;) {
      let j = i;
      while (j < points.length && points[j].created === points[i].created) j++;
      for (let k = i; k < j; k++) timed.push({ ...points[k], t: points[k].created + (k - i) / (j - i) });
      i = j;
    }
    const first = timed[0].t;
    const span = timed[timed.length - 1].t - first;
    return timed.map((p) => ({ ...p, at: span > 0 ? Math.min(1, Math.max(0, (p.t - first) / span)) : 0.5 }));
  }

  // At most 2 * CHART_BUCKETS + 2 points: the time axis cut into CHART_BUCKETS equal spans, each keeping
  // its lowest and highest balance (in their time order), so a one-transaction spike or dip anywhere is
  // drawn and a long chain draws as fast as a short one. The first and the last stay, so the line runs
  // from the first transaction to the balance now.
  function downsample(points) {
    if (points.length <= 2 * CHART_BUCKETS) return points;
    const lowest = [];
    const highest = [];
    points.forEach((p, i) => {
      const b = Math.min(CHART_BUCKETS - 1, Math.floor(p.at * CHART_BUCKETS));
      if (lowest[b] === undefined || p.y < points[lowest[b]].y) lowest[b] = i;
      if (highest[b] === undefined || p.y > points[highest[b]].y) highest[b] = i;
    });
    const kept = new Set([0, points.length - 1]);
    lowest.forEach((i) => kept.add(i)); // forEach skips the empty buckets
    highest.forEach((i) => kept.add(i));
    return [...kept].sort((a, b) => a - b).map((i) => points[i]);
  }

  const MINUTE = 60;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const YEAR = 365 * DAY;
  const TICK_STEPS = [1, 2, 5, 10, 15, 30, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
    HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY];
  const DATE_TICKS_MAX = 5;
  const TICK_CHAR_WIDTH = 6.5; // an over-estimate of a tick label's character width, to keep labels apart
  const TICK_GAP = 2 * TICK_CHAR_WIDTH;
  const room = (text) => text.length * TICK_CHAR_WIDTH;

  function tickLabel(t, step) {
    const iso = new Date(t * 1000).toISOString();
    return step >= DAY ? iso.slice(0, 10) : step >= MINUTE ? iso.slice(5, 16).replace("T", " ") : iso.slice(11, 19);
  }

  // The round times (UTC) between the ends at the shortest step whose labels, only as long as the step
  // needs (the ends carry the full date and time), stand apart at this many pixels a second.
  function dateTicks(first, last, perSecond) {
    const fits = (s) => s * perSecond >= room(tickLabel(first, s)) + TICK_GAP;
    const step = TICK_STEPS.find(fits) || YEAR * Math.ceil((room("0000-00-00") + TICK_GAP) / (YEAR * perSecond));
    const ticks = [];
    for (let t = Math.floor(first / step) * step + step; t < last; t += step) {
      ticks.push({ t, text: tickLabel(t, step) });
    }
    return ticks;
  }

  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = visible(text);
    return node;
  }

  // The x axis's dates: the first and last transactions' in full at the ends (one date, centred, when they
  // share a second), and round dates between them wherever their labels fit without touching.
  function drawDates(drawing, first, last, from, to, base) {
    const below = base + 24;
    if (Math.floor(last) <= Math.floor(first)) {
      drawing.appendChild(svg("text", { x: (from + to) / 2, y: below, "text-anchor": "middle", class: "tick date" },
        when(first)));
      return;
    }
    drawing.appendChild(svg("text", { x: from, y: below, class: "tick date" }, when(first)));
    drawing.appendChild(svg("text", { x: to, y: below, "text-anchor": "end", class: "tick date" }, when(last)));
    const perSecond = (to - from) / (last - first);
    let free = from + room(when(first)) + TICK_GAP; // where the next label may start
    const limit = to - room(when(last)) - TICK_GAP;
    let drawn = 0;
    for (const tick of dateTicks(first, last, perSecond)) {
      const at = from + (tick.t - first) * perSecond;
      const half = room(tick.text) / 2;
      if (at - half < free || at + half > limit) continue;
      if (++drawn > DATE_TICKS_MAX) break;
      free = at + half + TICK_GAP;
      drawing.appendChild(svg("line", { x1: at, x2: at, y1: base, y2: base + 4, class: "date-mark" }));
      drawing.appendChild(svg("text", { x: at, y: below, "text-anchor": "middle", class: "tick date" }, tick.text));
    }
  }

  function chart(currency, points, color) {
    const width = 720;
    const height = 220;
    const left = 110;
    const right = 16;
    const top = 24;
    const bottom = 36;
    const placed = place(points);
    const shown = downsample(placed);
    let low = Math.min(0, ...shown.map((p) => p.y));
    let high = Math.max(0, ...shown.map((p) => p.y));
    if (low === high) high = low + 1;
    const plotWidth = width - left - right;
    const x = (at) => left + at * plotWidth;
    const y = (value) => top + ((high - value) / (high - low)) * (height - top - bottom);
    const figure = el("figure", null, "chart");
    const drawing = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", width: "100%",
      "aria-label": "Balance of " + currency + " over " + points.length + " transactions" });
    drawing.appendChild(svg("text", { x: left, y: 16, class: "chart-title" },
      currency + ": " + count(points.length, "transaction") + (shown.length < points.length ? " (" + shown.length + " points drawn)" : "")));
    for (const value of [high, (high + low) / 2, low]) {
      const at = y(value);
      drawing.appendChild(svg("line", { x1: left, x2: width - right, y1: at, y2: at, class: "grid" }));
      drawing.appendChild(svg("text", { x: left - 6, y: at + 4, "text-anchor": "end", class: "tick" },
        money(Math.round(value), currency)));
    }
    if (low < 0 && high > 0) {
      drawing.appendChild(svg("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "zero" }));
    }
    drawDates(drawing, placed[0].t, placed[placed.length - 1].t, left, width - right, height - bottom);
    // A step line: a balance holds from its transaction until the next one.
    const path = shown.map((p, i) => (i ? "H" + x(p.at).toFixed(1) + " V" : "M" + x(p.at).toFixed(1) + " ")
      + y(p.y).toFixed(1)).join(" ");
    drawing.appendChild(svg("path", { d: path, fill: "none", stroke: color, "stroke-width": 2, class: "series" }));
    if (shown.length <= 60) {
      for (const p of shown) {
        drawing.appendChild(svg("circle", { cx: x(p.at).toFixed(1), cy: y(p.y).toFixed(1), r: 3, fill: color }));
      }
    }
    figure.appendChild(drawing);
    const lowest = points.reduce((m, p) => Math.min(m, p.y), Infinity);
    const highest = points.reduce((m, p) => Math.max(m, p.y), -Infinity);
    const last = points[points.length - 1];
    figure.appendChild(el("figcaption", "Now: " + money(last.y, currency) + " (lowest " + money(lowest, currency)
      + ", highest " + money(highest, currency) + ")"));
    return figure;
  }

  // --- the adjustment: reviewed, confirmed, posted once --------------------------------------------

  function newAdjustKey() {
    adjustKey = "console-" + crypto.randomUUID();
  }

  function resetAdjustment() {
    $("adjust-form").reset();
    $("adjust-currency").value = customer ? customer.currency || "" : "";
    $("adjust-confirm").hidden = true;
    $("adjust-review").disabled = false;
    newAdjustKey();
  }

  function review(event) {
    event.preventDefault();
    const amount = $("adjust-amount").value.trim();
    const currency = $("adjust-currency").value.trim().toLowerCase();
    const description = $("adjust-description").value.trim();
    if (!/^-?[0-9]+$/.test(amount) || Number(amount) === 0) {
      $("adjust-result").textContent = "The amount is a non-zero integer in the currency's smallest unit.";
      return;
    }
    if (!description) {
      $("adjust-result").textContent = "A description is required.";
      return;
    }
    $("adjust-result").textContent = "";
    $("adjust-summary").textContent = visible((mode === "live" ? "LIVE MODE: " : "Test mode: ") + "post "
      + money(Number(amount), currency) + " to " + customer.id + " with the description \u201c" + description
      + "\u201d?");
    $("adjust-confirm").hidden = false;
    $("adjust-review").disabled = true;
    $("adjust-post").disabled = false;
    $("adjust-post").focus();
  }

  async function post() {
    const button = $("adjust-post");
    if (button.disabled) return;
    button.disabled = true; // and the Idempotency-Key makes a second request, if any, replay the first
    ready(false);
    const form = [["amount", $("adjust-amount").value.trim()],
      ["currency", $("adjust-currency").value.trim().toLowerCase()],
      ["description", $("adjust-description").value.trim()]];
    try {
      const txn = await call("POST", "v1/customers/" + encodeURIComponent(customer.id) + "/balance_transactions", form,
        { "Idempotency-Key": adjustKey });
      resetAdjustment();
      $("adjust-result").textContent = visible("Posted " + txn.id + ": ending balance "
        + money(txn.ending_balance, txn.currency) + ".");
      await showCustomer(customer.id);
    } catch (problem) {
      $("adjust-result").textContent = visible("Not posted: " + problem.message);
      ready(true);
      button.disabled = false; // a retry reuses the same key: it applies at most once
    }
  }

  function cancel() {
    $("adjust-confirm").hidden = true;
    $("adjust-review").disabled = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("key-form").addEventListener("submit", useKey);
    $("key-forget").addEventListener("click", forgetKey);
    $("find-form").addEventListener("submit", find);
    $("older").addEventListener("click", older);
    $("newer").addEventListener("click", newer);
    $("chain-recheck").addEventListener("click", () => customer && checkChain());
    $("adjust-form").addEventListener("submit", review);
    $("adjust-form").addEventListener("input", () => {
      newAdjustKey(); // other values: another request, with its own key
      cancel();
    });
    $("adjust-post").addEventListener("click", post);
    $("adjust-cancel").addEventListener("click", cancel);
    setMode(null);
  });
})();
