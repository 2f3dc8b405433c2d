// The console page's script: plain ES2017 in a string (no template literals inside), so no
// bundler rewrites it and the user has no build step. Views by URL hash: "#/" the runs list
// (with filters, counts, bulk cancel), "#/run/<id>" one run (actions, args, result, steps,
// events, timeline). Everything from the API reaches the DOM as textContent or a form value,
// never as HTML. The token lives in sessionStorage (entered by the operator, or given once
// as "#token=..." and then removed from the address bar) and is sent as a Bearer header.
export const CONSOLE_SCRIPT = String.raw`
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var API = config.prefix + "/api/";
  var TOKEN_KEY = "convex-workflow-console:token";
  var view = document.getElementById("view");
  var msgEl = document.getElementById("msg");
  var statusEl = document.getElementById("status");
  var countsEl = document.getElementById("counts");
  var signoutEl = document.getElementById("signout");
  var token = null;
  try { token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { token = null; }
  var state = { route: null, filter: { name: "", status: "", tagKey: "", tagValue: "" }, runs: [], cursor: null,
    run: null, restartDirty: false, timer: null, renders: 0 };

  // "#token=..." (e.g. the URL the demo prints): keep it for this tab, drop it from the address bar.
  (function takeTokenFromHash() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!m) return;
    setToken(decodeURIComponent(m[1]));
    var rest = location.hash.replace(/(^#|&)token=[^&]+/, "$1").replace(/^#&/, "#");
    history.replaceState(null, "", location.pathname + location.search + (rest === "#" ? "#/" : rest));
  })();

  function setToken(t) {
    token = t;
    try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* memory only */ }
    signoutEl.hidden = !t;
  }
  signoutEl.hidden = !token;
  signoutEl.addEventListener("click", function () { setToken(null); showSignin(""); });

  // ---- DOM helpers: text only.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k === "onclick") node.addEventListener("click", v);
      else if (k === "onsubmit") node.addEventListener("submit", v);
      else if (k === "value") node.value = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function json(value) { return value === undefined ? "" : JSON.stringify(value, null, 2); }
  function fmtTime(t) { return t == null ? "" : new Date(t).toLocaleString(); }
  function fmtDur(ms) {
    if (ms == null || !isFinite(ms)) return "";
    if (ms < 1000) return Math.round(ms) + "ms";
    if (ms < 60000) return (ms / 1000).toFixed(1) + "s";
    return Math.floor(ms / 60000) + "m" + Math.floor((ms % 60000) / 1000) + "s";
  }
  function badge(status) { return el("span", { "class": "badge " + status, "data-status": status, text: status }); }
  function tagList(tags) {
    return el("span", null, (tags || []).map(function (t) { return el("span", { "class": "tag", text: t.key + "=" + t.value }); }));
  }
  function message(text, isError) { msgEl.textContent = text || ""; msgEl.className = isError ? "error" : ""; }
  function setStatus(text, isError) { statusEl.textContent = text; statusEl.className = isError ? "error" : ""; }

  // ---- The API: every request carries the token in a header; writes are JSON POSTs.
  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    var init = { method: method, headers: headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(API + path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401) { showSignin(token ? "That token was refused." : ""); throw new Error("unauthorized"); }
        if (!res.ok) throw new Error((data && data.error) || ("HTTP " + res.status));
        return data;
      });
    });
  }
  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== "" && params[k] != null; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  // ---- Sign-in.
  function showSignin(note) {
    stopPolling();
    state.route = "signin";
    view.textContent = "";
    countsEl.textContent = "";
    setStatus("", false);
    var input = el("input", { type: "password", id: "token", autocomplete: "off", placeholder: "console token" });
    view.appendChild(el("form", { "class": "signin", id: "signin", onsubmit: function (e) {
      e.preventDefault();
      setToken(input.value.trim());
      message("", false);
      route();
    } }, [
      el("h2", { text: "Sign in" }),
      el("p", { "class": "dim", text: "Paste the console token (kept in this tab only, sent as an Authorization header)." }),
      input,
      el("button", { type: "submit", text: "Sign in" }),
      note ? el("p", { "class": "err", id: "signin-error", text: note }) : null
    ]));
    input.focus();
  }

  // ---- Router and polling (every config.pollMs while the tab shows a view).
  function stopPolling() { if (state.timer) { clearTimeout(state.timer); state.timer = null; } }
  function schedule(fn) { stopPolling(); state.timer = setTimeout(fn, config.pollMs); }
  function route() {
    stopPolling();
    if (!token) { showSignin(""); return; }
    var m = /^#\/run\/(.+)$/.exec(location.hash);
    if (m) { state.route = "run"; state.runId = decodeURIComponent(m[1]); state.run = null; state.restartDirty = false; buildRun(); refreshRun(); }
    else { state.route = "list"; buildList(); refreshList(); }
  }
  window.addEventListener("hashchange", function () { message("", false); route(); });

  function done() {
    state.renders++;
    document.body.dataset.renders = String(state.renders);
    setStatus("live · updated " + new Date().toLocaleTimeString(), false);
  }
  function failed(err) {
    if (err && err.message === "unauthorized") return;
    setStatus("update failed: " + (err && err.message) + " (retrying)", true);
  }

  // ---- The runs list.
  var listEls = {};
  function buildList() {
    view.textContent = "";
    var f = state.filter;
    var name = el("input", { id: "f-name", placeholder: "workflow name (file:fn)", value: f.name });
    var status = el("select", { id: "f-status" }, ["", "queued", "running", "paused", "completed", "failed", "canceled"].map(function (s) {
      return el("option", { value: s, text: s || "any status" });
    }));
    status.value = f.status;
    var tagKey = el("input", { id: "f-tag-key", placeholder: "tag key", value: f.tagKey, size: 12 });
    var tagValue = el("input", { id: "f-tag-value", placeholder: "tag value", value: f.tagValue, size: 12 });
    var form = el("form", { "class": "filters", id: "filters", onsubmit: function (e) {
      e.preventDefault();
      state.filter = { name: name.value.trim(), status: status.value, tagKey: tagKey.value.trim(), tagValue: tagValue.value };
      refreshList();
    } }, [name, status, tagKey, tagValue, el("button", { type: "submit", id: "apply", text: "Filter" }),
      el("button", { type: "button", id: "cancel-many", "class": "danger", text: "Cancel all matching…", onclick: cancelMatching }),
      el("button", { type: "button", id: "restart-many", text: "Restart failed matching…", onclick: restartFailedMatching })]);
    listEls.body = el("tbody", { id: "runs" });
    listEls.more = el("div", { id: "more", "class": "dim" });
    view.appendChild(form);
    view.appendChild(el("table", null, [el("thead", null, [el("tr", null, ["Status", "Name", "Run", "Tags", "Created", "Finished", "Error"].map(function (h) {
      return el("th", { text: h });
    }))]), listEls.body]));
    view.appendChild(listEls.more);
  }
  function filterParams() {
    var f = state.filter;
    return { name: f.name, status: f.status, tagKey: f.tagKey, tagValue: f.tagKey ? f.tagValue : "" };
  }
  function refreshList() {
    if (state.route !== "list") return;
    var params = filterParams();
    params.limit = 50;
    Promise.all([api("GET", "runs?" + query(params)), api("GET", "counts?" + query({ name: state.filter.name }))])
      .then(function (r) { if (state.route === "list") { renderList(r[0]); renderCounts(r[1]); done(); } })
      .catch(failed)
      .then(function () { if (state.route === "list") schedule(refreshList); });
  }
  function renderCounts(c) {
    var t = c.total;
    countsEl.textContent = t.running + " running · " + t.paused + " paused · " + t.queued + " queued · " + t.success +
      " completed · " + t.failed + " failed · " + t.canceled + " canceled";
  }
  function renderList(data) {
    listEls.body.textContent = "";
    data.runs.forEach(function (r) {
      listEls.body.appendChild(el("tr", { "data-run": r.id }, [
        el("td", null, [badge(r.status)]),
        el("td", { "class": "name", text: r.name || "?" }),
        el("td", { "class": "mono" }, [el("a", { href: "#/run/" + encodeURIComponent(r.id), "class": "open", text: r.id })]),
        el("td", null, [tagList(r.tags)]),
        el("td", { "class": "dim", text: fmtTime(r.createdAt) }),
        el("td", { "class": "dim", text: fmtTime(r.finishedAt) }),
        el("td", { "class": "err", text: r.error || "" })
      ]));
    });
    if (!data.runs.length) listEls.body.appendChild(el("tr", null, [el("td", { colspan: 7, "class": "dim", text: "No runs match." })]));
    listEls.more.textContent = data.continueCursor ? "More runs match: showing the newest " + data.runs.length + ". Narrow the filter to see others." : "";
  }
  function currentFilter() {
    var params = filterParams();
    var filter = {};
    if (params.name) filter.name = params.name;
    if (params.status) filter.status = params.status;
    if (params.tagKey) filter.tag = { key: params.tagKey, value: params.tagValue };
    return filter;
  }
  // A bulk job: done at once ({ count }) or followed through bulk-progress until done.
  function bulk(action, body, verb) {
    api("POST", action, body).then(function (r) {
      if (r.jobId === undefined) { message(verb + " " + r.count + " run(s).", false); refreshList(); return; }
      var follow = function () {
        api("GET", "bulk-progress?" + query({ jobId: r.jobId })).then(function (p) {
          message(verb + " " + p.count + " run(s)" + (p.done ? "." : " so far…"), false);
          if (!p.done) setTimeout(follow, config.pollMs); else refreshList();
        }).catch(function (e) { if (e.message !== "unauthorized") message(e.message, true); });
      };
      follow();
    }).catch(function (e) { if (e.message !== "unauthorized") message(e.message, true); });
  }
  function cancelMatching() {
    if (!window.confirm("Cancel every running run matching this filter?")) return;
    bulk("cancel-many", { filter: currentFilter() }, "Canceled");
  }
  function restartFailedMatching() {
    if (!window.confirm("Restart every finished run matching this filter from its first failed step?")) return;
    bulk("restart-many", { filter: currentFilter(), from: "failed" }, "Restarted");
  }

  // ---- One run.
  var runEls = {};
  function section(title, id, body) { return el("section", { id: id }, [el("h2", { text: title }), body]); }
  function buildRun() {
    view.textContent = "";
    countsEl.textContent = "";
    runEls.title = el("h2", { id: "run-title" });
    runEls.meta = el("div", { id: "run-meta", "class": "dim" });
    runEls.actions = el("div", { "class": "actions", id: "run-actions" }, [
      el("button", { id: "act-cancel", "class": "danger", text: "Cancel", onclick: function () { act("cancel", {}); } }),
      el("button", { id: "act-pause", text: "Pause", onclick: function () { act("pause", {}); } }),
      el("button", { id: "act-resume", text: "Resume", onclick: function () { act("resume", {}); } }),
      el("button", { id: "act-cleanup", "class": "danger", text: "Delete (cleanup)", onclick: function () {
        if (window.confirm("Delete this run with its steps and events?")) act("cleanup", {}, function () { location.hash = "#/"; });
      } })
    ]);
    runEls.args = el("pre", { id: "run-args" });
    runEls.outcomeTitle = el("h3", { id: "run-outcome-title" });
    runEls.outcome = el("pre", { id: "run-outcome" });
    runEls.from = el("select", { id: "restart-from" });
    runEls.restartArgs = el("textarea", { id: "restart-args", spellcheck: "false" });
    runEls.restartArgs.addEventListener("input", function () { state.restartDirty = true; });
    runEls.restartError = el("div", { id: "restart-error", "class": "err" });
    var restartForm = el("form", { id: "restart", onsubmit: function (e) {
      e.preventDefault();
      runEls.restartError.textContent = "";
      var body = {};
      var from = runEls.from.value;
      if (from === "failed") body.from = "failed"; else if (from !== "") body.from = Number(from);
      var text = runEls.restartArgs.value.trim();
      if (state.restartDirty && text !== "") {
        var parsed;
        try { parsed = JSON.parse(text); } catch (err) { runEls.restartError.textContent = "Args are not valid JSON: " + err.message; return; }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) { runEls.restartError.textContent = "Args must be a JSON object."; return; }
        body.args = parsed;
      }
      act("restart", body, function () { state.restartDirty = false; }, runEls.restartError);
    } }, [el("div", { "class": "row" }, [el("label", { text: "From " }), runEls.from]),
      el("label", { text: "Args (JSON; leave unchanged to keep them)" }), runEls.restartArgs,
      el("div", { "class": "row" }, [el("button", { type: "submit", id: "restart-submit", text: "Restart" })]), runEls.restartError]);
    runEls.eventName = el("input", { id: "event-name", placeholder: "event name" });
    runEls.eventValue = el("textarea", { id: "event-value", placeholder: "value (JSON, optional)", spellcheck: "false" });
    var eventForm = el("form", { id: "send-event", onsubmit: function (e) {
      e.preventDefault();
      var body = { name: runEls.eventName.value.trim() };
      var text = runEls.eventValue.value.trim();
      if (text !== "") { try { body.value = JSON.parse(text); } catch (err) { message("Event value is not valid JSON: " + err.message, true); return; } }
      act("send-event", body, function () { runEls.eventValue.value = ""; });
    } }, [el("div", { "class": "row" }, [runEls.eventName, el("button", { type: "submit", text: "Send event" })]), runEls.eventValue]);
    runEls.steps = el("tbody", { id: "steps" });
    runEls.stepsNote = el("div", { "class": "dim" });
    runEls.events = el("tbody", { id: "events" });
    runEls.timeline = el("div", { "class": "tl", id: "timeline" });
    [el("div", null, [el("a", { href: "#/", text: "← all runs" })]), runEls.title, runEls.meta, runEls.actions,
      el("div", { "class": "grid" }, [section("Args", "args", runEls.args), el("section", null, [runEls.outcomeTitle, runEls.outcome])]),
      el("div", { "class": "grid" }, [section("Restart", "restart-section", restartForm), section("Send an event", "event-section", eventForm)]),
      section("Timeline", "timeline-section", runEls.timeline),
      section("Steps", "steps-section", el("div", null, [el("table", null, [el("thead", null, [el("tr", null,
        ["#", "Step", "Kind", "Outcome", "Queued", "Started", "Took", "Attempts", "Version", "Args", "Result / error"].map(function (h) { return el("th", { text: h }); }))]),
        runEls.steps]), runEls.stepsNote])),
      section("Events", "events-section", el("table", null, [el("thead", null, [el("tr", null, ["#", "Name", "State", "Value / error", "At"].map(function (h) {
        return el("th", { text: h });
      }))]), runEls.events]))
    ].forEach(function (n) { view.appendChild(n); });
  }
  function act(action, body, after, errorEl) {
    body.id = state.runId;
    message("", false);
    api("POST", action, body).then(function () {
      message(action + ": done", false);
      if (after) after();
      refreshRun();
    }).catch(function (e) {
      if (e.message === "unauthorized") return;
      if (errorEl) errorEl.textContent = e.message;
      message(action + " failed: " + e.message, true);
    });
  }
  function refreshRun() {
    if (state.route !== "run") return;
    var id = state.runId;
    api("GET", "run?" + query({ id: id }))
      .then(function (d) { if (state.route === "run" && state.runId === id) { renderRun(d); done(); } })
      .catch(function (e) { if (e.message !== "unauthorized" && /not found/i.test(e.message)) view.dataset.missing = "1"; failed(e); })
      .then(function () { if (state.route === "run" && state.runId === id) { stopPolling(); schedule(refreshRun); } });
  }
  function renderRun(d) {
    var r = d.run;
    state.run = d;
    runEls.title.textContent = "";
    runEls.title.appendChild(badge(r.status));
    runEls.title.appendChild(document.createTextNode(" " + (r.name || "?") + " "));
    runEls.title.appendChild(el("span", { "class": "mono dim", text: r.id }));
    runEls.meta.textContent = "";
    runEls.meta.appendChild(document.createTextNode("created " + fmtTime(r.createdAt) + (r.finishedAt ? " · finished " + fmtTime(r.finishedAt) : "") +
      " · run " + (r.generation + 1) + " "));
    runEls.meta.appendChild(tagList(r.tags));
    var open = r.status === "running" || r.status === "paused" || r.status === "queued";
    document.getElementById("act-cancel").disabled = !open;
    document.getElementById("act-pause").disabled = r.status !== "running";
    document.getElementById("act-resume").disabled = r.status !== "paused";
    document.getElementById("act-cleanup").disabled = open;
    document.getElementById("restart-submit").disabled = open;
    runEls.args.textContent = json(r.args);
    if (r.error !== null) { runEls.outcomeTitle.textContent = "Error"; runEls.outcome.textContent = r.error; runEls.outcome.className = "err"; }
    else if (r.status === "completed") { runEls.outcomeTitle.textContent = "Result"; runEls.outcome.textContent = json(r.result); runEls.outcome.className = ""; }
    else { runEls.outcomeTitle.textContent = "Outcome"; runEls.outcome.textContent = r.status; runEls.outcome.className = "dim"; }
    if (!state.restartDirty && document.activeElement !== runEls.restartArgs) runEls.restartArgs.value = json(r.args);
    var chosen = runEls.from.value;
    runEls.from.textContent = "";
    runEls.from.appendChild(el("option", { value: "", text: "the beginning (replay the whole journal)" }));
    runEls.from.appendChild(el("option", { value: "failed", text: "the first failed step" }));
    d.steps.forEach(function (s) { runEls.from.appendChild(el("option", { value: String(s.stepNumber), text: "step " + s.stepNumber + ": " + s.name })); });
    runEls.from.value = chosen;
    if (runEls.from.value !== chosen) runEls.from.value = "";
    runEls.steps.textContent = "";
    d.steps.forEach(function (s) {
      var started = s.startedAt == null ? s.queuedAt : s.startedAt;
      runEls.steps.appendChild(el("tr", { "data-step": s.stepNumber }, [
        el("td", { text: String(s.stepNumber) }),
        el("td", { "class": "name" }, [s.name, s.childId ? el("a", { href: "#/run/" + encodeURIComponent(s.childId), "class": "child", text: " → child run" }) : null]),
        el("td", { "class": "dim", text: s.kind }),
        el("td", null, [badge(s.outcome)]), el("td", { "class": "dim", text: fmtTime(s.queuedAt) }),
        el("td", { "class": "dim", text: s.startedAt == null ? "" : fmtTime(s.startedAt) }),
        el("td", { text: s.finishedAt == null ? "" : fmtDur(s.finishedAt - started) }),
        el("td", { text: s.attempts == null ? "" : String(s.attempts) }),
        el("td", { text: s.version == null ? "" : String(s.version) }),
        el("td", { "class": "mono", text: json(s.args) }),
        el("td", { "class": s.error != null ? "mono err" : "mono", text: s.error != null ? s.error : json(s.result) })
      ]));
    });
    runEls.stepsNote.textContent = d.stepsTruncated ? "Only the first steps are shown." : "";
    runEls.events.textContent = "";
    d.events.forEach(function (e) {
      runEls.events.appendChild(el("tr", null, [el("td", { text: String(e.stepNumber) }), el("td", { "class": "name", text: e.name }),
        el("td", null, [badge(e.state)]), el("td", { "class": "mono", text: e.error != null ? e.error : json(e.value) }),
        el("td", { "class": "dim", text: fmtTime(e.at) })]));
    });
    if (!d.events.length) runEls.events.appendChild(el("tr", null, [el("td", { colspan: 5, "class": "dim", text: "No events awaited." })]));
    renderTimeline(d);
  }
  // A bar per step from queued (or started) to finished, on the run's time span.
  function renderTimeline(d) {
    var steps = d.steps, t0 = d.run.createdAt == null ? Infinity : d.run.createdAt, t1 = -Infinity;
    steps.forEach(function (s) { t0 = Math.min(t0, s.queuedAt); t1 = Math.max(t1, s.finishedAt == null ? d.now : s.finishedAt); });
    if (d.run.finishedAt) t1 = Math.max(t1, d.run.finishedAt);
    runEls.timeline.textContent = "";
    if (!steps.length) { runEls.timeline.appendChild(el("div", { "class": "dim", text: "No steps yet." })); return; }
    var span = Math.max(1, t1 - t0);
    steps.forEach(function (s) {
      var end = s.finishedAt == null ? d.now : s.finishedAt;
      var bar = el("div", { "class": "tl-bar " + s.outcome, title: s.name + " · " + s.outcome + " · " + fmtDur(end - s.queuedAt) });
      bar.style.left = ((s.queuedAt - t0) / span * 100).toFixed(3) + "%";
      bar.style.width = Math.max(0.2, (end - s.queuedAt) / span * 100).toFixed(3) + "%";
      runEls.timeline.appendChild(el("div", { "class": "tl-row", "data-step": s.stepNumber }, [
        el("div", { "class": "tl-label", text: s.stepNumber + " " + s.name }), el("div", { "class": "tl-track" }, [bar])]));
    });
    runEls.timeline.appendChild(el("div", { "class": "dim", text: "span " + fmtDur(span) }));
  }

  route();
})();
`;
