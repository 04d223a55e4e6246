// The chat page for marketers: plain JavaScript, no build step, no requests beyond this server.
//
// Safety rule for the whole file: text from the server (answers, review text written by strangers, tool
// arguments) only ever reaches the page through text nodes (textContent, createTextNode). Nothing here
// assigns innerHTML, so no markup inside a review can run.
"use strict";

(() => {
  const KEY_STORAGE = "marketing-agent.api-key";
  const STATUS_LABELS = { running: "running", ok: "done", error: "failed", skipped: "skipped" };
  // Review ids as the stores make them: R000321 (demo, most imports) or r-<hash> (derived from content).
  const REVIEW_ID = /^(?:R\d{3,}|r-[0-9a-f]{8,})$/;
  const CITATION = /\[([A-Za-z0-9][\w.:-]{1,63})\]/;

  const state = {
    sessionId: null,
    busy: false,
    retry: null, // what to run again once an API key is saved
    snippets: new Map(), // review id -> quoted text, the dialog's fallback
    reviewRequest: 0,
    memoryKey: "", // the key when localStorage is unavailable
  };

  const $ = (id) => document.getElementById(id);
  const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const decimals = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  // ---------------------------------------------------------------------------------------------------
  // DOM building

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    setProps(node, props);
    appendChildren(node, children);
    return node;
  }

  function setProps(node, props) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.setAttribute("class", value);
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }

  function appendChildren(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    appendChildren(node, children);
    return node;
  }

  function stars(rating) {
    const r = Math.max(0, Math.min(5, Math.round(Number(rating) || 0)));
    return el("span", { class: "stars", "aria-label": `${r} out of 5 stars`, text: "★".repeat(r) + "☆".repeat(5 - r) });
  }

  function capitalise(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function humanise(name) {
    return capitalise(String(name).replace(/_/g, " ").trim());
  }

  function money(value) {
    const v = Number(value);
    if (!Number.isFinite(v)) return "–";
    return (v < 0 ? "-$" : "$") + (Math.abs(v) < 100 ? decimals : numbers).format(Math.abs(v));
  }

  function percent(value, signed) {
    const v = Number(value) * 100;
    const text = `${decimals.format(Math.abs(v))}%`;
    if (!signed) return text;
    return (v > 0 ? "+" : v < 0 ? "−" : "") + text;
  }

  // ---------------------------------------------------------------------------------------------------
  // Markdown: the subset the answers use (headings, paragraphs, nested lists, bold, italic, inline code,
  // review citations), built as DOM nodes so that every character of the source stays text.

  function renderMarkdown(source, known) {
    const root = document.createDocumentFragment();
    let paragraph = null;
    let lists = []; // open lists, outermost first: {indent, node, ordered, item}
    const closeParagraph = () => {
      paragraph = null;
    };
    for (const raw of String(source).replace(/\r\n?/g, "\n").split("\n")) {
      const line = raw.replace(/\t/g, "    ");
      if (!line.trim()) {
        closeParagraph();
        lists = [];
        continue;
      }
      const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
      const item = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
      if (heading) {
        closeParagraph();
        lists = [];
        const level = Math.min(6, heading[1].length + 2);
        root.append(el(`h${level}`, null, renderInline(heading[2], known)));
      } else if (item) {
        closeParagraph();
        lists = addListItem(root, lists, item[1].length, /\d/.test(item[2]) ? parseInt(item[2], 10) : null);
        lists[lists.length - 1].item.append(renderInline(item[3], known));
      } else if (lists.length && /^\s+/.test(line)) {
        // an indented line under a list item continues that item
        lists[lists.length - 1].item.append(" ", renderInline(line.trim(), known));
      } else {
        lists = [];
        if (paragraph) paragraph.append(el("br"));
        else root.append((paragraph = el("p")));
        paragraph.append(renderInline(line.trim(), known));
      }
    }
    return root;
  }

  function addListItem(root, lists, indent, number) {
    const ordered = number !== null;
    while (lists.length && lists[lists.length - 1].indent > indent) lists.pop();
    let top = lists[lists.length - 1];
    if (top && top.indent === indent && top.ordered !== ordered) {
      lists.pop();
      top = lists[lists.length - 1];
    }
    if (!top || top.indent < indent || top.ordered !== ordered) {
      const node = el(ordered ? "ol" : "ul", ordered && number !== 1 ? { start: number } : null);
      if (top && top.indent < indent) top.item.append(node);
      else root.append(node);
      top = { indent, node, ordered, item: null };
      lists.push(top);
    }
    top.item = el("li");
    top.node.append(top.item);
    return lists;
  }

  const INLINE = new RegExp(
    [
      /\*\*(.+?)\*\*/.source, // 1 bold
      /__(.+?)__/.source, // 2 bold
      /`([^`]+)`/.source, // 3 code
      CITATION.source, // 4 citation
      /\*([^*\s](?:[^*]*[^*\s])?)\*/.source, // 5 italic
    ].join("|"),
    "g",
  );

  function renderInline(text, known) {
    const out = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(INLINE)) {
      out.append(text.slice(last, match.index));
      last = match.index + match[0].length;
      if (match[1] !== undefined || match[2] !== undefined) {
        out.append(el("strong", null, renderInline(match[1] ?? match[2], known)));
      } else if (match[3] !== undefined) {
        out.append(el("code", { text: match[3] }));
      } else if (match[4] !== undefined) {
        out.append(isReviewId(match[4], known) ? citeButton(match[4]) : match[0]);
      } else {
        out.append(el("em", null, renderInline(match[5], known)));
      }
    }
    out.append(text.slice(last));
    return out;
  }

  function isReviewId(id, known) {
    return REVIEW_ID.test(id) || (known !== undefined && known.has(id));
  }

  function citeButton(id) {
    return el("button", {
      type: "button",
      class: "cite",
      "data-review-id": id,
      "aria-label": `Open review ${id}`,
      text: `[${id}]`,
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Talking to the server

  function storedKey() {
    try {
      return localStorage.getItem(KEY_STORAGE) || "";
    } catch {
      return "";
    }
  }

  function storeKey(key) {
    try {
      localStorage.setItem(KEY_STORAGE, key);
    } catch {
      // private browsing without storage: the key still lives in this page until it reloads
    }
    state.memoryKey = key;
  }

  function headers(extra) {
    const key = storedKey() || state.memoryKey || "";
    return { Accept: "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
  }

  async function readProblem(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not JSON (a proxy's page, an empty body): describe the status instead
    }
    const title = (body && body.title) || `The server answered ${response.status} ${response.statusText}`.trim();
    const detail = (body && (body.detail || (body.error && body.error.message))) || "";
    return { title, detail, status: response.status };
  }

  async function readEvents(response, onEvent) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = parseEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (event) onEvent(event);
      }
    }
    const tail = parseEvent(buffer);
    if (tail) onEvent(tail);
  }

  function parseEvent(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? { name, data: JSON.parse(data.join("\n")) } : null;
  }

  // ---------------------------------------------------------------------------------------------------
  // One exchange: the user's message and the assistant's streamed answer

  function ask(message) {
    const text = message.trim();
    if (!text || state.busy) return;
    $("welcome").hidden = true;
    const conversation = $("conversation");
    conversation.append(el("div", { class: "message user" }, el("p", { class: "bubble", text })));
    const turn = new Turn(conversation);
    scrollToEnd(true);
    runTurn(text, turn);
  }

  async function runTurn(message, turn) {
    hideKeyForm();
    setBusy(true);
    turn.start();
    try {
      const response = await fetch("/v1/ask/stream", {
        method: "POST",
        headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
        body: JSON.stringify({ message, session_id: state.sessionId }),
      });
      if (response.status === 401) {
        const problem = await readProblem(response);
        turn.waitForKey();
        askForKey(problem, () => runTurn(message, turn));
        return;
      }
      if (!response.ok) {
        turn.fail(await readProblem(response), () => runTurn(message, turn));
        return;
      }
      let finished = false;
      await readEvents(response, (event) => {
        if (event.name === "call") turn.onCall(event.data);
        else if (event.name === "answer") turn.onAnswer(event.data.text || "");
        else if (event.name === "done") {
          finished = true;
          state.sessionId = event.data.session_id || state.sessionId;
          turn.onDone(event.data);
        } else if (event.name === "error") {
          finished = true;
          turn.fail(event.data || { title: "The request failed" }, () => runTurn(message, turn));
        }
        scrollToEnd();
      });
      if (!finished) {
        turn.fail(
          { title: "The answer was cut off", detail: "The connection closed before the answer was complete." },
          () => runTurn(message, turn),
        );
      }
    } catch (error) {
      const offline = error instanceof TypeError;
      turn.fail(
        {
          title: offline ? "Could not reach the server" : "Something went wrong showing the answer",
          detail: offline ? "Check that marketing-agent serve is still running, then retry." : String(error),
        },
        () => runTurn(message, turn),
      );
    } finally {
      setBusy(false);
      scrollToEnd();
    }
  }

  class Turn {
    constructor(conversation) {
      this.node = el("article", { class: "message assistant", "aria-label": "Answer" });
      conversation.append(this.node);
    }

    start() {
      this.node.replaceChildren();
      this.node.setAttribute("aria-busy", "true");
      this.steps = new Map();
      this.stepList = el("div", { class: "steps" });
      this.answerText = "";
      this.answer = el("div", { class: "answer markdown" });
      this.thinking = el("p", { class: "thinking" }, el("span", { class: "spinner", "aria-hidden": "true" }), "Working on it…");
      this.answer.append(this.thinking);
      this.extras = el("div", { class: "extras" });
      this.node.append(this.stepList, this.answer, this.extras);
    }

    onCall(call) {
      let step = this.steps.get(call.index);
      if (!step) {
        step = new Step(call);
        this.steps.set(call.index, step);
        this.stepList.append(step.node);
      }
      step.update(call);
    }

    onAnswer(piece) {
      this.answerText += piece;
      this.answer.replaceChildren(renderMarkdown(this.answerText));
    }

    onDone(response) {
      this.node.removeAttribute("aria-busy");
      const calls = response.tool_calls || [];
      calls.forEach((call, index) => {
        this.onCall({ index, name: call.name, arguments: call.arguments, status: call.status, error: callError(call) });
      });
      const known = rememberSnippets(response);
      this.answer.replaceChildren(renderMarkdown(response.answer || "", known));
      for (const call of calls) {
        if (call.status !== "ok" || !call.result) continue;
        const view = RESULT_VIEWS.get(call.name);
        if (view) this.extras.append(guarded(() => view(call.result, call.arguments || {})));
      }
      if ((response.citations || []).length) this.extras.append(citationList(response.citations));
      if ((response.warnings || []).length) this.extras.append(warningList(response.warnings));
    }

    waitForKey() {
      this.node.removeAttribute("aria-busy");
      this.answer.replaceChildren(el("p", { class: "muted", text: "Waiting for an API key (see below)…" }));
    }

    fail(problem, retry) {
      this.node.removeAttribute("aria-busy");
      this.thinking.remove();
      for (const step of this.steps.values()) step.settle();
      const box = el(
        "div",
        { class: "error", role: "alert" },
        el("strong", { text: problem.title || "The request failed" }),
        problem.detail ? el("p", { text: problem.detail }) : null,
      );
      if (retry) {
        box.append(
          el("button", {
            type: "button",
            class: "button small",
            text: "Retry",
            onclick: () => {
              if (!state.busy) retry();
            },
          }),
        );
      }
      this.extras.append(box);
    }
  }

  function callError(call) {
    const result = call.result || {};
    return call.status === "error" || call.status === "skipped" ? result.error || result.reason : undefined;
  }

  function guarded(view) {
    try {
      return view();
    } catch (error) {
      console.error(error);
      return el("p", { class: "error", role: "alert", text: `Could not show this result: ${error}` });
    }
  }

  class Step {
    constructor(call) {
      this.status = el("span", { class: "step-status" });
      this.icon = el("span", { class: "step-icon", "aria-hidden": "true" });
      this.body = el("div", { class: "step-body" });
      this.node = el(
        "details",
        { class: "step", "data-tool": call.name },
        el(
          "summary",
          null,
          this.icon,
          el("span", { class: "step-name", text: TOOL_TITLES.get(call.name) || humanise(call.name) }),
          el("code", { class: "step-tool", text: call.name }),
          this.status,
        ),
        this.body,
      );
    }

    update(call) {
      const status = call.status || "running";
      this.node.dataset.status = status;
      this.status.textContent = STATUS_LABELS[status] || status;
      this.icon.textContent = { ok: "✓", error: "✕", skipped: "–" }[status] || "";
      this.icon.classList.toggle("spinner", status === "running");
      const argumentsView = argumentList(call.arguments || {});
      this.body.replaceChildren(argumentsView);
      if (call.error) {
        const message = typeof call.error === "string" ? call.error : JSON.stringify(call.error);
        this.body.append(el("p", { class: "step-error", text: message }));
      }
    }

    settle() {
      if (this.node.dataset.status === "running") this.update({ status: "error", error: "Stopped: the request failed." });
    }
  }

  function argumentList(args) {
    const entries = Object.entries(args);
    if (!entries.length) return el("p", { class: "muted", text: "No arguments." });
    return el(
      "dl",
      { class: "arguments" },
      entries.map(([key, value]) => [
        el("dt", { text: humanise(key) }),
        el("dd", { text: typeof value === "string" ? value : JSON.stringify(value) }),
      ]),
    );
  }

  // Every review the response quotes, so citations open even when the answer only names an id.
  function rememberSnippets(response) {
    const known = new Set();
    const remember = (id, text) => {
      if (!id) return;
      known.add(String(id));
      if (text && !state.snippets.has(String(id))) state.snippets.set(String(id), String(text));
    };
    for (const c of response.citations || []) remember(c.review_id, c.snippet);
    for (const call of response.tool_calls || []) {
      const result = call.result || {};
      for (const hit of result.hits || []) remember(hit.review_id, hit.snippet);
      const insight = result.insight || {};
      for (const aspect of insight.aspects || []) {
        for (const quote of [...(aspect.praise_quotes || []), ...(aspect.complaint_quotes || [])]) {
          remember(quote.review_id, quote.text);
        }
      }
      for (const variant of result.variants || []) {
        for (const claim of variant.evidence || []) {
          for (const source of claim.evidence || []) {
            if (String(source).startsWith("review:")) remember(String(source).slice(7));
          }
        }
      }
    }
    return known;
  }

  function citationList(citations) {
    return el(
      "section",
      { class: "citations", "aria-label": "Sources" },
      el("h3", { text: "Sources" }),
      el(
        "ol",
        null,
        citations.map((c) => el("li", null, citeButton(c.review_id), " ", el("q", { text: c.snippet || "" }))),
      ),
    );
  }

  function warningList(warnings) {
    return el(
      "div",
      { class: "warnings", role: "note", "aria-label": "Warnings" },
      el("strong", { text: "Please note" }),
      el(
        "ul",
        null,
        warnings.map((w) => el("li", { text: w })),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // Tool results

  // Each tool's card comes from its own script (served at /tools.js, one per tool unit): it calls
  // MarketingAgentPage.registerView(name, view) with a view(result, args) that returns a node or null.
  const RESULT_VIEWS = new Map();
  const TOOL_TITLES = new Map();

  function card(title, ...children) {
    return el("section", { class: "card" }, title ? el("h3", { class: "card-title", text: title }) : null, children);
  }

  // `kinds`: a class per column ("num" right-aligns figures, "wide" keeps prose readable).
  function table(caption, columns, rows, kinds) {
    return el(
      "div",
      { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
      el(
        "table",
        null,
        el("caption", { text: caption }),
        el("thead", null, el("tr", null, columns.map((c, i) => el("th", { scope: "col", class: kinds[i] || null, text: c })))),
        el(
          "tbody",
          null,
          rows.map((row) => el("tr", null, row.map((cell, i) =>
              el(i ? "td" : "th", { scope: i ? null : "row", class: kinds[i] || null, "data-label": columns[i] }, cell),
            ))),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // The review dialog

  async function openReview(id) {
    const dialog = $("review-dialog");
    const request = ++state.reviewRequest;
    const snippet = state.snippets.get(id) || "";
    $("review-title").textContent = `Review ${id}`;
    $("review-meta").replaceChildren();
    $("review-text").textContent = snippet;
    $("review-note").textContent = "Loading the full review…";
    if (!dialog.open) dialog.showModal();
    try {
      const response = await fetch(`/v1/reviews/${encodeURIComponent(id)}`, { headers: headers() });
      if (request !== state.reviewRequest) return;
      if (response.status === 401) {
        $("review-note").textContent = "Showing the quoted part: the full review needs an API key (close this and enter it below).";
        askForKey(await readProblem(response), () => openReview(id));
        return;
      }
      if (!response.ok) {
        const problem = await readProblem(response);
        $("review-note").textContent = `${problem.detail || problem.title}${snippet ? " Showing the quoted part." : ""}`;
        return;
      }
      showReview(await response.json());
    } catch {
      if (request !== state.reviewRequest) return;
      $("review-note").textContent = `Could not reach the server.${snippet ? " Showing the quoted part." : ""}`;
    }
  }

  function showReview(review) {
    $("review-title").textContent = review.title || `Review ${review.review_id}`;
    $("review-meta").replaceChildren(
      stars(review.rating),
      " ",
      [review.product_name || review.product_id, review.category, review.date, review.channel, review.review_id]
        .filter(Boolean)
        .join(" · "),
    );
    $("review-text").replaceChildren(...highlighted(review.text || "", state.snippets.get(review.review_id) || ""));
    $("review-note").textContent = "";
  }

  // The review's text with the part the answer quoted marked (as text nodes around a <mark>).
  function highlighted(text, quote) {
    const plain = quote.replace(/…$/, "").trim();
    const at = plain ? text.indexOf(plain) : -1;
    if (at < 0 || plain.length === text.length) return [text];
    return [text.slice(0, at), el("mark", { text: plain }), text.slice(at + plain.length)];
  }

  // ---------------------------------------------------------------------------------------------------
  // The models dialog: each trained model's card (GET /v1/models), built from text nodes like everything else

  async function openModels() {
    const dialog = $("models-dialog");
    $("models-list").replaceChildren();
    $("models-note").textContent = "Loading the model cards…";
    if (!dialog.open) dialog.showModal();
    try {
      const response = await fetch("/v1/models", { headers: headers() });
      if (response.status === 401) {
        $("models-note").textContent = "The model cards need an API key (close this and enter it below).";
        askForKey(await readProblem(response), openModels);
        return;
      }
      if (!response.ok) {
        const problem = await readProblem(response);
        $("models-note").textContent = problem.detail || problem.title;
        return;
      }
      const body = await response.json();
      const models = body.models || [];
      $("models-list").replaceChildren(...models.map(modelCard));
      $("models-note").textContent = models.length ? "" : "No trained models yet: `marketing-agent demo` trains them all.";
    } catch {
      $("models-note").textContent = "Could not reach the server.";
    }
  }

  function modelCard(entry) {
    const card = entry.card;
    const heading = el("h3", null, card ? card.title : entry.name, " ", el("code", { text: entry.name }));
    if (!card) {
      return el("section", { class: "model-card", "data-model": entry.name }, heading, el("p", { class: "model-status", text: entry.note }));
    }
    const data = card.data || {};
    const counts = [
      [data.rows, data.rows_label],
      [data.customers, "customers"],
      [data.series, "series"],
      [data.products, "products"],
    ].filter(([n]) => n !== null && n !== undefined).map(([n, label]) => `${numbers.format(n)} ${label}`);
    const training = card.training || {};
    const budget = training.budget_seconds === null ? "no time budget" : `budget ${numbers.format(training.budget_seconds)} s`;
    return el(
      "section",
      { class: "model-card", "data-model": entry.name },
      heading,
      entry.note ? el("p", { class: "model-status", text: entry.note }) : null,
      el("p", { text: card.summary }),
      facts([
        ["Saved", card.saved_at],
        ["Data", [data.source, data.period_start ? `${data.period_start} to ${data.period_end}` : "", counts.join(", ")].filter(Boolean).join(" · ")],
        ["Fingerprint", data.fingerprint],
        ["Training", `${budget}; took ${decimals.format(training.seconds)} s. ${training.stopped || ""}`.trim()],
        ["Card", entry.card_path],
      ]),
      el("h4", { text: "Inputs" }),
      el("ul", null, (card.inputs || []).map((text) => el("li", { text }))),
      el("ul", { class: "model-never" }, (card.never_inputs || []).map((text) => el("li", { text }))),
      el("h4", { text: "Validation" }),
      el("p", { class: "model-split", text: `Held out: ${card.validation.split}` }),
      metricTable(card.validation.metrics || []),
      card.validation.note ? el("p", { class: "model-split", text: card.validation.note }) : null,
      el("h4", { text: "Known limits" }),
      el("ul", null, (card.limits || []).map((text) => el("li", { text }))),
    );
  }

  function facts(pairs) {
    return el("dl", { class: "model-facts" }, pairs.filter(([, value]) => value).map(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
  }

  function metricTable(metrics) {
    const figure = (v) => (v === null || v === undefined ? "not measured" : Number(v).toFixed(3));
    const verdict = (m) => (m.value !== null && m.value === m.baseline_value ? "equal" : m.beats_baseline === true ? "yes" : m.beats_baseline === false ? "no" : "–");
    return table(
      "Validation against a simple baseline",
      ["metric", "this model", "baseline", "baseline's", "better"],
      metrics.map((m) => [`${m.name} (${m.higher_is_better ? "higher" : "lower"} is better)`, figure(m.value), m.baseline || "–", figure(m.baseline_value), verdict(m)]),
      ["", "num", "", "num", ""],
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // API key, page state and events

  function askForKey(problem, retry) {
    state.retry = retry;
    const form = $("key-form");
    const had = Boolean(storedKey() || state.memoryKey);
    $("key-reason").textContent = had
      ? "The saved API key was refused. Paste a valid one."
      : "This server needs an API key. Ask whoever runs it for one (they create it with: marketing-agent keys create NAME).";
    $("key-reason").title = problem.detail || "";
    form.hidden = false;
    $("key-input").focus();
  }

  function hideKeyForm() {
    $("key-form").hidden = true;
  }

  function setBusy(busy) {
    state.busy = busy;
    $("message").disabled = busy;
    $("send").disabled = busy;
    $("new-conversation").disabled = busy;
    for (const button of document.querySelectorAll(".example")) button.disabled = busy;
    $("send").textContent = busy ? "Answering…" : "Send";
    if (!busy && $("key-form").hidden) $("message").focus({ preventScroll: true });
  }

  function scrollToEnd(force) {
    const nearBottom = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 200;
    if (force || nearBottom) window.scrollTo({ top: document.documentElement.scrollHeight });
  }

  function newConversation() {
    if (state.busy) return;
    state.sessionId = null;
    state.snippets.clear();
    const welcome = $("welcome");
    welcome.hidden = false;
    $("conversation").replaceChildren(welcome);
    $("message").value = "";
    fitInput();
    $("message").focus();
  }

  function fitInput() {
    const input = $("message");
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  function start() {
    const input = $("message");
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim() || state.busy) return;
      input.value = "";
      fitInput();
      ask(text);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    input.addEventListener("input", fitInput);
    $("new-conversation").addEventListener("click", newConversation);
    $("show-models").addEventListener("click", openModels);
    $("welcome").addEventListener("click", (event) => {
      const example = event.target.closest(".example");
      if (example) ask(example.textContent);
    });
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("key-input").value.trim();
      if (!key) return;
      storeKey(key);
      $("key-input").value = "";
      hideKeyForm();
      const retry = state.retry;
      state.retry = null;
      if (retry) retry();
    });
    document.addEventListener("click", (event) => {
      const cite = event.target.closest("button.cite");
      if (cite) openReview(cite.dataset.reviewId);
    });
    for (const dialog of [$("review-dialog"), $("models-dialog")]) {
      dialog.addEventListener("click", (event) => {
        const box = dialog.getBoundingClientRect();
        const outside =
          event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
        if (event.target === dialog && outside) dialog.close(); // a click on the backdrop
      });
    }
    input.focus();
  }

  // What tool scripts may use: register their view (and titles), and the page's safe DOM helpers.
  window.MarketingAgentPage = Object.freeze({
    registerView(name, view) {
      RESULT_VIEWS.set(String(name), view);
    },
    defineTitles(titles) {
      for (const [name, title] of Object.entries(titles || {})) TOOL_TITLES.set(name, String(title));
    },
    ui: Object.freeze({
      el,
      svg,
      card,
      table,
      stars,
      citeButton,
      capitalise,
      humanise,
      money,
      percent,
      numbers,
      decimals,
      conversationWidth: () => $("conversation").clientWidth,
    }),
  });

  start();
})();
