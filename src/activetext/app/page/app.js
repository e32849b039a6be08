// The labeling page of activetext. Plain JavaScript, no build step, no other origin.
// Every piece of text from the server is put in the page with textContent: nothing in a document is ever
// interpreted as HTML or run.
"use strict";

(() => {
  const TOKEN_KEY = "activetext-token:" + location.host;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    project: null,
    current: null, // the document shown
    correcting: false, // true when a labeled document was opened from the recent list
    busy: false,
  };

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function say(text, kind) {
    const message = $("message");
    message.textContent = text || "";
    message.className = kind || "";
  }

  // --- the API ---

  async function api(method, path, body) {
    const options = { method, headers: { Authorization: "Bearer " + state.token } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (response.status === 401) {
      signOut((data && data.detail) || "The token is not valid for this project.");
      throw new Error("unauthorized");
    }
    if (!response.ok) {
      throw new Error((data && data.detail) || response.status + " " + response.statusText);
    }
    return data;
  }

  // --- signing in ---

  function readToken() {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (match) {
      localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return localStorage.getItem(TOKEN_KEY);
  }

  function signOut(reason) {
    localStorage.removeItem(TOKEN_KEY);
    state.token = null;
    $("main").hidden = true;
    $("sign-out").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = reason || "";
    $("token-input").focus();
  }

  async function start() {
    state.token = readToken();
    if (!state.token) {
      signOut("");
      return;
    }
    try {
      state.project = await api("GET", "/api/project");
    } catch (error) {
      if (error.message !== "unauthorized") signOut(error.message);
      return;
    }
    $("login").hidden = true;
    $("main").hidden = false;
    $("sign-out").hidden = false;
    document.title = state.project.name + " · activetext";
    $("project-name").textContent = state.project.name;
    $("me").textContent = state.project.me.name + (state.project.me.admin ? " (admin)" : "");
    buildLabels();
    buildKeys();
    await nextDocument();
    refresh();
  }

  // --- the document and the buttons ---

  function buildLabels() {
    const box = $("labels");
    box.replaceChildren();
    state.project.labels.forEach((label, index) => {
      const button = element("button", null, "label");
      button.type = "button";
      button.dataset.index = String(index);
      if (label.key) button.append(element("kbd", label.key));
      button.append(element("span", label.name, "name"));
      if (label.description) {
        button.append(element("small", label.description));
        button.title = label.description;
      }
      button.addEventListener("click", () => submit(index));
      box.append(button);
    });
  }

  function buildKeys() {
    const keys = $("keys");
    keys.replaceChildren();
    const rows = [["1 … 9, 0", "label"], ["S", "skip"], ["U or Backspace", "undo your last action"],
      ["X", "cannot be labeled"], ["Esc", "back to the queue"]];
    for (const [key, meaning] of rows) {
      keys.append(element("dt", key), element("dd", meaning));
    }
  }

  function show(doc, correcting) {
    state.current = doc;
    state.correcting = Boolean(correcting);
    $("back").hidden = !state.correcting;
    const meta = $("doc-meta");
    const text = $("doc-text");
    const buttons = document.querySelectorAll("#labels button.label");
    buttons.forEach((button) => button.classList.remove("suggested", "chosen"));
    if (!doc) {
      meta.textContent = "";
      text.textContent = "Nothing left to label for you. Thank you!";
      text.className = "done";
      $("suggestion").textContent = "";
      return;
    }
    text.className = "";
    meta.textContent = "document " + doc.external_id + (state.correcting ? " · correcting your label" : "");
    text.textContent = doc.text;
    const suggestion = $("suggestion");
    if (doc.suggestion !== null) {
      const percent = doc.confidence === null ? "" : " (" + Math.round(doc.confidence * 100) + "% confident)";
      suggestion.textContent = "Model suggests: " + doc.suggestion + percent;
      const index = state.project.labels.findIndex((label) => label.name === doc.suggestion);
      if (index >= 0) buttons[index].classList.add("suggested");
    } else {
      suggestion.textContent = "No model yet: it is trained once two labels have examples.";
    }
    if (doc.your_label !== null) {
      const index = state.project.labels.findIndex((label) => label.name === doc.your_label);
      if (index >= 0) buttons[index].classList.add("chosen");
    }
  }

  async function nextDocument() {
    const reply = await api("GET", "/api/next");
    show(reply.document, false);
  }

  // --- actions ---

  async function act(work) {
    if (state.busy || !state.token) return;
    state.busy = true;
    document.body.classList.add("busy");
    try {
      await work();
    } catch (error) {
      if (error.message !== "unauthorized") say(error.message, "error");
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
    }
    refresh();
  }

  function submit(index) {
    const label = state.project.labels[index];
    if (!label) return;
    act(async () => {
      const doc = state.current;
      if (!doc) return;
      if (state.correcting) {
        const reply = await api("PUT", "/api/documents/" + doc.id + "/label", { label: label.name });
        say("Corrected document " + doc.external_id + ": " + (reply.previous_label || "?") + " → " + label.name, "ok");
      } else {
        await api("POST", "/api/documents/" + doc.id + "/label", { label: label.name });
        say("Labeled document " + doc.external_id + " " + label.name, "ok");
      }
      await nextDocument();
    });
  }

  function skip() {
    act(async () => {
      const doc = state.current;
      if (!doc || state.correcting) return;
      await api("POST", "/api/documents/" + doc.id + "/skip");
      say("Skipped document " + doc.external_id, "ok");
      await nextDocument();
    });
  }

  function markUnlabelable() {
    act(async () => {
      const doc = state.current;
      if (!doc) return;
      await api("POST", "/api/documents/" + doc.id + "/unlabelable");
      say("Document " + doc.external_id + " left the pool (cannot be labeled); U undoes it", "ok");
      await nextDocument();
    });
  }

  function undo() {
    act(async () => {
      const reply = await api("POST", "/api/undo");
      const what = { label: "label", relabel: "correction", skip: "skip", unlabelable: "mark", restore: "restore" };
      say("Undid your " + what[reply.kind] + " of document " + reply.document_id, "ok");
      if (reply.document) show(reply.document, false);
      else await nextDocument();
    });
  }

  function openForCorrection(documentId) {
    act(async () => {
      const doc = await api("GET", "/api/documents/" + documentId);
      show(doc, true);
      say("Press a label's key to correct it, Esc to go back", "");
    });
  }

  function back() {
    act(async () => {
      say("", "");
      await nextDocument();
    });
  }

  document.addEventListener("keydown", (event) => {
    if ($("main").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    const key = event.key;
    if (/^[0-9]$/.test(key)) {
      const index = key === "0" ? 9 : Number(key) - 1;
      if (index < state.project.labels.length) {
        event.preventDefault();
        submit(index);
      }
    } else if (key === "s" || key === "S") {
      event.preventDefault();
      skip();
    } else if (key === "u" || key === "U" || key === "Backspace") {
      event.preventDefault();
      undo();
    } else if (key === "x" || key === "X") {
      event.preventDefault();
      markUnlabelable();
    } else if (key === "Escape" && state.correcting) {
      event.preventDefault();
      back();
    }
  });

  // --- progress, model and curve ---

  function numbers(list, rows) {
    list.replaceChildren();
    for (const [name, value] of rows) list.append(element("dt", name), element("dd", value));
  }

  function percent(value) {
    return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%";
  }

  async function refresh() {
    if (!state.token || state.refreshing) return;
    state.refreshing = true;
    try {
      const [stats, recent] = await Promise.all([api("GET", "/api/stats"), api("GET", "/api/recent?limit=8")]);
      drawStats(stats);
      drawRecent(recent);
    } catch (error) {
      // the next refresh tries again
    } finally {
      state.refreshing = false;
    }
  }

  function drawStats(stats) {
    const done = stats.documents ? (stats.labeled + stats.unlabelable) / stats.documents : 0;
    $("progress-fill").style.width = (done * 100).toFixed(1) + "%";
    const rows = [["labeled", stats.labeled], ["remaining", stats.remaining], ["cannot be labeled", stats.unlabelable]];
    if (stats.annotations_per_document > 1) {
      rows.push(["waiting for a further label", stats.partially_labeled]);
      rows.push(["agreement", percent(stats.agreement.rate) + " of " + stats.agreement.documents]);
    }
    numbers($("progress-numbers"), rows);
    const body = document.querySelector("#per-label tbody");
    body.replaceChildren();
    const largest = Math.max(1, ...Object.values(stats.per_label));
    for (const [name, count] of Object.entries(stats.per_label)) {
      const row = element("tr");
      const bar = element("td");
      const fill = element("div", null, "bar");
      fill.style.width = ((count / largest) * 100).toFixed(1) + "%";
      bar.append(fill);
      row.append(element("td", name), element("td", count, "count"), bar);
      body.append(row);
    }
    const model = stats.model;
    numbers($("model-numbers"), [
      ["version", model ? model.version + " (" + model.labels + " labels)" : "none yet"],
      ["estimated accuracy", model ? percent(model.accuracy) : "–"],
      ["suggestions accepted", percent(stats.suggestion_agreement.rate)],
    ]);
    const stopping = $("stopping");
    stopping.replaceChildren();
    if (stats.stopping) {
      const verdict = element("p", stats.stopping.stop ? "Stopping criteria: you can stop labeling" :
        "Stopping criteria: keep labeling", stats.stopping.stop ? "verdict stop" : "verdict go");
      stopping.append(verdict);
      const list = element("ul");
      for (const criterion of stats.stopping.criteria) {
        const value = criterion.value === null ? "–" : criterion.value.toFixed(3);
        const item = element("li", criterion.name + ": " + value + " (threshold " + criterion.threshold + ") " +
          (criterion.stop ? "stop" : "continue"));
        item.title = criterion.meaning;
        list.append(item);
      }
      stopping.append(list);
    }
    const training = stats.training;
    $("training").textContent = training ? "model: " + training.state : "";
    $("training").className = "pill " + (training ? training.state : "");
    drawCurve(stats.curve);
  }

  function drawRecent(recent) {
    const list = $("recent-list");
    list.replaceChildren();
    for (const item of recent) {
      const entry = element("li");
      const button = element("button", null, "recent");
      button.type = "button";
      button.append(element("span", item.label, "tag"), element("span", item.excerpt, "excerpt"));
      button.addEventListener("click", () => openForCorrection(item.document_id));
      entry.append(button);
      list.append(entry);
    }
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function drawCurve(points) {
    const box = $("curve");
    box.replaceChildren();
    const left = 38, right = 310, top = 10, bottom = 140;
    box.append(svg("line", { x1: left, y1: bottom, x2: right, y2: bottom, class: "axis" }));
    box.append(svg("line", { x1: left, y1: top, x2: left, y2: bottom, class: "axis" }));
    for (const tick of [0, 0.5, 1]) {
      const y = bottom - tick * (bottom - top);
      box.append(svg("text", { x: left - 4, y: y + 4, class: "tick", "text-anchor": "end" }, tick * 100 + "%"));
      box.append(svg("line", { x1: left, y1: y, x2: right, y2: y, class: "grid" }));
    }
    if (!points.length) {
      box.append(svg("text", { x: (left + right) / 2, y: (top + bottom) / 2, class: "empty", "text-anchor": "middle" },
        "appears with the first models"));
      return;
    }
    const most = Math.max(...points.map((point) => point.labels), 1);
    const x = (labels) => left + (labels / most) * (right - left);
    const y = (accuracy) => bottom - accuracy * (bottom - top);
    const path = points.map((point) => x(point.labels).toFixed(1) + "," + y(point.accuracy).toFixed(1)).join(" ");
    box.append(svg("polyline", { points: path, class: "line" }));
    for (const point of points.slice(-40)) {
      const dot = svg("circle", { cx: x(point.labels), cy: y(point.accuracy), r: 2.5, class: "dot" });
      dot.append(svg("title", {}, point.labels + " labels: " + percent(point.accuracy)));
      box.append(dot);
    }
    box.append(svg("text", { x: left, y: 158, class: "tick" }, "0"));
    box.append(svg("text", { x: right, y: 158, class: "tick", "text-anchor": "end" }, most + " labels"));
  }

  // --- wiring ---

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      localStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
      $("token-input").value = "";
      start();
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    $("skip").addEventListener("click", skip);
    $("undo").addEventListener("click", undo);
    $("unlabelable").addEventListener("click", markUnlabelable);
    $("back").addEventListener("click", back);
    window.addEventListener("hashchange", () => {
      if (/token=/.test(location.hash)) start();
    });
    setInterval(refresh, 5000);
    start();
  });
})();
