// A self-contained HTML page that draws workflow timelines on a <canvas>: one row per
// workflow, a bar per step (coloured by step name; queue time dim, execution bright; "×N"
// after a step whose function ran N > 1 times), a concurrency chart above the rows, a time
// axis, and a legend for every colour and mark the page uses. No dependencies, no external requests:
// the page either embeds its data (`data`, e.g. the file `npm run demo` writes) or fetches
// `liveUrl` every second and re-renders.
//
// Used by example/demo/run.ts (out/timeline.html) and example/viz/timeline.browser.test.ts.
// No Node APIs here, so it can also be served from a Convex httpAction. (The runs console,
// src/client/console/, draws each run's timeline itself.)
//
// After every render the page sets `window.__timeline` (see `RenderedTimeline`) and
// `document.body.dataset.rendered = "1"`, so tests can check what was drawn where.
import type { TimelineWorkflow } from "convex-workflow";

/** What the page draws: `workflow.timelinePage` items plus the time they were read at. */
export type TimelineData = {
  /** When the data was read (ms since epoch). Running steps and workflows extend to here. */
  now: number;
  /** In row order, top to bottom. */
  workflows: TimelineWorkflow[];
  /** More workflows exist than were included. */
  truncated?: boolean;
};

export type TimelineStep = TimelineWorkflow["steps"][number];

/** The geometry of the last render, in CSS pixels, exposed as `window.__timeline`. */
export type RenderedTimeline = {
  rows: number;
  bars: {
    workflowId: string;
    stepNumber: number;
    name: string;
    outcome: TimelineStep["outcome"];
    /** How many times the step's function ran, where recorded; null where not. */
    attempts: number | null;
    /** x of queuedAt. */
    x0: number;
    /** x of startedAt, where known. */
    xStart: number | null;
    /** x of finishedAt, or of `now` while running. */
    x1: number;
    /** Top of the bar. */
    y: number;
    h: number;
  }[];
  /** Time → x: x = left + (t - t0) / (t1 - t0) * (right - left). */
  scale: { t0: number; t1: number; left: number; right: number };
  rowsLayout: { workflowId: string; y: number; h: number; lanes: number }[];
  concurrency: { maxInFlight: number; maxExecuting: number };
  /** The legend's entries, in order: `key` names what an entry explains, `label` is its text. */
  legend: { key: string; label: string }[];
  width: number;
  height: number;
  renders: number;
};

/**
 * The time span the page maps onto its width: from the earliest workflow creation or step
 * queue time to the latest finish (or `now`, for anything still running). At least 1 ms.
 */
export function timeRange(data: TimelineData): { t0: number; t1: number } {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const w of data.workflows) {
    t0 = Math.min(t0, w.createdAt);
    t1 = Math.max(t1, w.finishedAt ?? data.now);
    for (const s of w.steps) {
      t0 = Math.min(t0, s.queuedAt);
      t1 = Math.max(t1, s.finishedAt ?? data.now, s.startedAt ?? -Infinity);
    }
  }
  if (!Number.isFinite(t0)) return { t0: data.now - 1000, t1: data.now };
  return { t0, t1: Math.max(t1, t0 + 1) };
}

export function renderTimelineHtml(opts: { data?: TimelineData; liveUrl?: string; title?: string }): string {
  if (opts.data === undefined && opts.liveUrl === undefined) {
    throw new Error("renderTimelineHtml: give `data` or `liveUrl`");
  }
  const title = opts.title ?? "Workflow timeline";
  const config = { title, data: opts.data ?? null, liveUrl: opts.liveUrl ?? null };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1 id="title">${escapeHtml(title)}</h1>
  <div id="summary"></div>
  <div id="status"></div>
</header>
<div id="legend"></div>
<div id="wrap"><canvas id="timeline"></canvas></div>
<div id="tip" hidden></div>
<script type="application/json" id="timeline-config">${jsonForScript(config)}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that can sit inside a <script> element whatever strings it contains. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const CSS = `
:root { color-scheme: dark; }
body { margin: 0; background: #101317; color: #d7dce2; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; align-items: baseline; gap: 16px; padding: 12px 16px 4px; flex-wrap: wrap; }
h1 { font-size: 16px; margin: 0; font-weight: 600; }
#summary { color: #9aa4af; }
#status { color: #9aa4af; margin-left: auto; }
#status.error { color: #ff6b6b; }
#legend { padding: 4px 16px 8px; color: #b8c0c8; }
#legend .grp { display: flex; flex-wrap: wrap; gap: 2px 14px; margin-bottom: 3px; }
#legend span.sw { display: inline-block; width: 18px; height: 10px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
#legend .group { color: #8b949e; }
#legend span.sw.queued { background: rgba(160,168,184,0.45); }
#legend span.sw.executing { background: #a0a8b8; }
#legend span.sw.failed { background: rgba(160,168,184,0.45); box-shadow: inset 0 0 0 1.5px #ff4d5e; }
#legend span.sw.canceled { background: rgba(160,168,184,0.45); outline: 1.5px dashed #e0b341; outline-offset: -1.5px; }
#legend span.sw.running { background: linear-gradient(to right, #a0a8b8 80%, #ffffff 80%); }
#legend span.sw.lifetime { background: linear-gradient(rgba(200,210,220,0.28), rgba(200,210,220,0.28)) center / 100% 1px no-repeat; }
#legend span.sw.now { width: 0; height: 12px; border-left: 1.5px dashed rgba(255,255,255,0.6); border-radius: 0; margin: 0 11px 0 8px; }
#legend span.sw.inflight { background: rgba(91,155,248,0.30); border: 1px solid rgba(91,155,248,0.6); box-sizing: border-box; }
#legend span.sw.inexec { background: rgba(91,155,248,0.85); border: 1px solid #9cc3ff; box-sizing: border-box; }
#legend span.sw.stripe { background: rgba(255,255,255,0.06); border: 1px solid #2a3038; box-sizing: border-box; }
#legend span.dot { display: inline-block; width: 7px; height: 7px; border-radius: 50%; margin-right: 5px; vertical-align: 0; }
#legend span.mark { font-weight: 600; color: #e6e9ec; margin-right: 5px; }

#wrap { padding: 0 16px 16px; }
canvas { display: block; width: 100%; }
#tip { position: fixed; pointer-events: none; background: #1d232b; border: 1px solid #3a4450; border-radius: 4px;
  padding: 6px 8px; white-space: pre; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; color: #e6e9ec; z-index: 2; }
`;

// The page's script: plain ES2017 in a string (no template literals inside), so that no
// bundler can rewrite it. Everything taken from the data reaches the DOM as textContent or
// canvas text, never as HTML.
const CLIENT_JS = String.raw`
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("timeline-config").textContent);
  var canvas = document.getElementById("timeline");
  var summaryEl = document.getElementById("summary");
  var statusEl = document.getElementById("status");
  var legendEl = document.getElementById("legend");
  var tipEl = document.getElementById("tip");

  var PALETTE = ["#5b9bf8", "#f5a623", "#4fd18b", "#ef5b6b", "#b57cf2", "#36c5d0", "#f27ac0", "#c9d84a",
    "#ff8c42", "#8fa8ff", "#a3e39b", "#d4a373", "#e6e36a", "#4cb8a4", "#ff9fb0", "#a0a8b8"];
  var LABEL_W = 250, PAD_R = 12, CHART_TOP = 6, CHART_H = 72, AXIS_H = 20;
  var ROWS_TOP = CHART_TOP + CHART_H + AXIS_H + 4;
  var LANE_H = 11, LANE_GAP = 2, ROW_PAD = 3, MAX_LANES = 8;
  var STATUS_COLOR = { running: "#5b9bf8", success: "#4fd18b", failed: "#ef5b6b", canceled: "#e0b341" };

  var data = config.data;
  var renders = 0;
  var bars = [];
  var legend = [];

  // Step name → colour: each name starts at a slot picked by its hash and takes the next free
  // one, names taken in sorted order, so the same data always gets the same colours, names
  // don't share a colour while there are fewer than 16, and a name keeps its colour while
  // the page stays open (live mode) even as new names appear.
  var colors = {}, used = {};
  function assignColors(names) {
    names.slice().sort().forEach(function (name) {
      if (colors[name]) return;
      var h = 2166136261;
      for (var i = 0; i < name.length; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 16777619); }
      var slot = (h >>> 0) % PALETTE.length;
      for (var k = 0; k < PALETTE.length && used[(slot + k) % PALETTE.length]; k++);
      if (k < PALETTE.length) slot = (slot + k) % PALETTE.length;
      used[slot] = true;
      colors[name] = PALETTE[slot];
    });
  }
  function colorOf(name) { return colors[name] || "#a0a8b8"; }
  function shortId(id) {
    var m = /^0*(\d+)[A-Za-z_]+$/.exec(id);
    return m ? "#" + m[1] : id.slice(-6);
  }
  function timeRange(d) {
    var t0 = Infinity, t1 = -Infinity;
    d.workflows.forEach(function (w) {
      t0 = Math.min(t0, w.createdAt);
      t1 = Math.max(t1, w.finishedAt == null ? d.now : w.finishedAt);
      w.steps.forEach(function (s) {
        t0 = Math.min(t0, s.queuedAt);
        t1 = Math.max(t1, s.finishedAt == null ? d.now : s.finishedAt, s.startedAt == null ? -Infinity : s.startedAt);
      });
    });
    if (!isFinite(t0)) return { t0: d.now - 1000, t1: d.now };
    return { t0: t0, t1: Math.max(t1, t0 + 1) };
  }
  function fmtDur(ms) {
    var a = Math.abs(ms), sign = ms < 0 ? "-" : "";
    if (a < 1000) return sign + Math.round(a) + "ms";
    if (a < 60000) return sign + (a / 1000).toFixed(a < 10000 ? 2 : 1).replace(/\.?0+$/, "") + "s";
    if (a < 3600000) return sign + Math.floor(a / 60000) + "m" + String(Math.floor((a % 60000) / 1000)).padStart(2, "0") + "s";
    return sign + Math.floor(a / 3600000) + "h" + String(Math.floor((a % 3600000) / 60000)).padStart(2, "0") + "m";
  }
  /** The smallest round duration (1-2-5 ms, then seconds, minutes, hours, days) ≥ raw. */
  var NICE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5,
    36e5, 72e5, 108e5, 216e5, 432e5, 864e5];
  function niceStep(raw) {
    for (var i = 0; i < NICE.length; i++) if (NICE[i] >= raw) return NICE[i];
    return Math.ceil(raw / 864e5) * 864e5;
  }
  /** Lanes within a workflow's row, so that overlapping (parallel) steps don't cover each other. */
  function assignLanes(steps, now) {
    var order = steps.map(function (s, i) { return i; }).sort(function (a, b) {
      return steps[a].queuedAt - steps[b].queuedAt || steps[a].stepNumber - steps[b].stepNumber;
    });
    var ends = [], lanes = new Array(steps.length);
    order.forEach(function (i) {
      var s = steps[i], end = s.finishedAt == null ? now : s.finishedAt, lane = -1;
      for (var l = 0; l < ends.length; l++) if (ends[l] <= s.queuedAt) { lane = l; break; }
      if (lane < 0 && ends.length < MAX_LANES) { lane = ends.length; ends.push(end); }
      if (lane < 0) { lane = 0; for (var k = 1; k < ends.length; k++) if (ends[k] < ends[lane]) lane = k; }
      ends[lane] = Math.max(ends[lane], end);
      lanes[i] = lane;
    });
    return { lanes: lanes, count: Math.max(1, ends.length) };
  }
  /** Piecewise-constant counts over time; ends sort before starts at the same instant. */
  function series(intervals) {
    var ev = [];
    intervals.forEach(function (iv) { if (iv[1] > iv[0]) { ev.push([iv[0], 1]); ev.push([iv[1], -1]); } });
    ev.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var pts = [], n = 0, max = 0;
    for (var i = 0; i < ev.length; i++) {
      n += ev[i][1];
      if (i + 1 < ev.length && ev[i + 1][0] === ev[i][0]) continue;
      pts.push([ev[i][0], n]);
      if (n > max) max = n;
    }
    return { pts: pts, max: max };
  }

  function render() {
    if (!data) return;
    var d = data, now = d.now, wfs = d.workflows;
    var names = {};
    wfs.forEach(function (w) { w.steps.forEach(function (s) { names[s.name] = true; }); });
    assignColors(Object.keys(names));
    var range = timeRange(d), t0 = range.t0, t1 = range.t1;
    var width = Math.max(640, Math.floor(canvas.parentElement.clientWidth - 32));
    var left = LABEL_W, right = width - PAD_R;
    function x(t) { return left + (t - t0) / (t1 - t0) * (right - left); }

    var layout = [], y = ROWS_TOP;
    wfs.forEach(function (w) {
      var la = assignLanes(w.steps, now);
      var h = ROW_PAD * 2 + la.count * LANE_H + (la.count - 1) * LANE_GAP;
      layout.push({ workflowId: w.workflowId, y: y, h: h, lanes: la.count, laneOf: la.lanes });
      y += h;
    });
    var height = Math.max(y, ROWS_TOP + 40) + 24;
    var dpr = window.devicePixelRatio || 1;
    if (height * dpr > 32000) dpr = 32000 / height;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "12px system-ui, -apple-system, Segoe UI, sans-serif";
    g.textBaseline = "middle";

    // Concurrency chart: steps in flight (queued or running) dim, executing (where the start
    // is known) bright.
    var inFlight = [], executing = [];
    wfs.forEach(function (w) {
      w.steps.forEach(function (s) {
        var end = s.finishedAt == null ? now : s.finishedAt;
        inFlight.push([s.queuedAt, end]);
        if (s.startedAt != null) executing.push([s.startedAt, end]);
      });
    });
    var fl = series(inFlight), ex = series(executing);
    var cmax = Math.max(1, fl.max);
    var base = CHART_TOP + CHART_H;
    function drawSeries(sr, fill, stroke) {
      if (!sr.pts.length) return;
      g.beginPath();
      g.moveTo(x(sr.pts[0][0]), base);
      var prev = 0;
      sr.pts.forEach(function (p) {
        var px = x(p[0]);
        g.lineTo(px, base - prev / cmax * (CHART_H - 4));
        g.lineTo(px, base - p[1] / cmax * (CHART_H - 4));
        prev = p[1];
      });
      g.lineTo(x(sr.pts[sr.pts.length - 1][0]), base);
      g.closePath();
      g.fillStyle = fill; g.fill();
      g.strokeStyle = stroke; g.lineWidth = 1; g.stroke();
    }
    g.fillStyle = "#161b21";
    g.fillRect(left, CHART_TOP, right - left, CHART_H);
    drawSeries(fl, "rgba(91,155,248,0.30)", "rgba(91,155,248,0.6)");
    drawSeries(ex, "rgba(91,155,248,0.85)", "#9cc3ff");
    g.fillStyle = "#9aa4af";
    g.textAlign = "left";
    g.fillText("steps in flight", 4, CHART_TOP + 20);
    g.fillText("max " + fl.max + (executing.length ? ", executing " + ex.max : ""), 4, CHART_TOP + 36);
    g.textAlign = "right";
    g.fillText(String(cmax), left - 6, CHART_TOP + 6);
    g.fillText("0", left - 6, base - 4);

    // Time axis and grid.
    var tick = niceStep((t1 - t0) / Math.max(1, (right - left) / 110));
    g.textAlign = "center";
    for (var tt = 0; t0 + tt <= t1 + 1e-6; tt += tick) {
      var tx = x(t0 + tt);
      g.strokeStyle = "rgba(255,255,255,0.07)";
      g.beginPath(); g.moveTo(tx + 0.5, CHART_TOP); g.lineTo(tx + 0.5, height - 20); g.stroke();
      g.fillStyle = "#8b949e";
      g.fillText("+" + fmtDur(tt), Math.min(Math.max(tx, left + 14), right - 14), base + AXIS_H / 2 + 2);
    }
    g.textAlign = "left";
    g.fillStyle = "#8b949e";
    g.fillText("start " + new Date(t0).toLocaleTimeString() + " · span " + fmtDur(t1 - t0), 4, base + AXIS_H / 2 + 2);

    // Rows.
    bars = [];
    wfs.forEach(function (w, wi) {
      var row = layout[wi];
      if (wi % 2 === 1) { g.fillStyle = "rgba(255,255,255,0.025)"; g.fillRect(0, row.y, width, row.h); }
      // Label: status dot, name and short id, cut to fit.
      g.fillStyle = STATUS_COLOR[w.status] || "#888";
      g.beginPath(); g.arc(8, row.y + row.h / 2, 3.5, 0, Math.PI * 2); g.fill();
      var label = (w.name || "?") + "  " + shortId(w.workflowId);
      var maxW = LABEL_W - 26;
      if (g.measureText(label).width > maxW) {
        var id = "  " + shortId(w.workflowId), nm = w.name || "?";
        while (nm.length > 1 && g.measureText(nm + "…" + id).width > maxW) nm = nm.slice(0, -1);
        label = nm + "…" + id;
      }
      g.fillStyle = "#c9d1d9";
      g.textAlign = "left";
      g.fillText(label, 18, row.y + row.h / 2 + 1);
      // The workflow's life, behind its steps.
      var wEnd = w.finishedAt == null ? now : w.finishedAt;
      g.strokeStyle = "rgba(200,210,220,0.28)";
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(x(w.createdAt), row.y + row.h / 2 + 0.5);
      g.lineTo(Math.max(x(wEnd), x(w.createdAt) + 1), row.y + row.h / 2 + 0.5);
      g.stroke();

      w.steps.forEach(function (s, si) {
        var color = colorOf(s.name);
        var end = s.finishedAt == null ? now : s.finishedAt;
        var bx0 = x(s.queuedAt), bx1 = x(end);
        var bxs = s.startedAt == null ? null : x(s.startedAt);
        var by = row.y + ROW_PAD + row.laneOf[si] * (LANE_H + LANE_GAP);
        var minW = 2;
        var dx1 = Math.max(bx1, bx0 + minW);
        g.fillStyle = color;
        // Queue time (or the whole span, where the start is unknown): dim.
        g.globalAlpha = 0.45;
        g.fillRect(bx0, by, (bxs == null ? dx1 : Math.max(bxs, bx0)) - bx0, LANE_H);
        // Execution: bright.
        g.globalAlpha = 1;
        if (bxs != null) g.fillRect(Math.min(bxs, dx1 - minW), by, Math.max(dx1 - bxs, minW), LANE_H);
        if (s.outcome === "failed" || s.outcome === "canceled") {
          g.strokeStyle = s.outcome === "failed" ? "#ff4d5e" : "#e0b341";
          g.lineWidth = 1.5;
          g.setLineDash(s.outcome === "canceled" ? [3, 2] : []);
          g.strokeRect(bx0 + 0.75, by + 0.75, dx1 - bx0 - 1.5, LANE_H - 1.5);
          g.setLineDash([]);
        } else if (s.outcome === "running") {
          g.fillStyle = "#ffffff";
          g.fillRect(dx1 - 2, by, 2, LANE_H);
        }
        // Retried: "×N" (N runs of the step's function) just after the bar.
        var attempts = s.attempts == null ? null : s.attempts;
        if (attempts != null && attempts > 1) {
          var mark = "\u00d7" + attempts;
          g.font = "bold 10px system-ui, -apple-system, Segoe UI, sans-serif";
          g.textAlign = "left";
          g.fillStyle = "#e6e9ec";
          g.fillText(mark, Math.min(dx1 + 3, right - g.measureText(mark).width), by + LANE_H / 2 + 1);
          g.font = "12px system-ui, -apple-system, Segoe UI, sans-serif";
        }
        bars.push({ workflowId: w.workflowId, stepNumber: s.stepNumber, name: s.name, outcome: s.outcome,
          attempts: attempts, x0: bx0, xStart: bxs, x1: bx1, y: by, h: LANE_H, workflow: w, step: s });
      });
    });
    if (!wfs.length) {
      g.fillStyle = "#8b949e"; g.textAlign = "left";
      g.fillText("No workflows yet.", left, ROWS_TOP + 16);
    }
    // "Now", while something runs.
    var running = wfs.some(function (w) { return w.status === "running"; });
    if (running && now <= t1) {
      g.strokeStyle = "rgba(255,255,255,0.45)"; g.setLineDash([4, 3]);
      g.beginPath(); g.moveTo(x(now) + 0.5, CHART_TOP); g.lineTo(x(now) + 0.5, height - 20); g.stroke();
      g.setLineDash([]);
    }

    renderSummary(d, running);
    renders++;
    window.__timeline = {
      rows: wfs.length,
      bars: bars.map(function (b) {
        return { workflowId: b.workflowId, stepNumber: b.stepNumber, name: b.name, outcome: b.outcome,
          attempts: b.attempts, x0: b.x0, xStart: b.xStart, x1: b.x1, y: b.y, h: b.h };
      }),
      scale: { t0: t0, t1: t1, left: left, right: right },
      rowsLayout: layout.map(function (r) { return { workflowId: r.workflowId, y: r.y, h: r.h, lanes: r.lanes }; }),
      concurrency: { maxInFlight: fl.max, maxExecuting: ex.max },
      legend: legend.slice(),
      width: width,
      height: height,
      renders: renders
    };
    document.body.dataset.rendered = "1";
  }

  function renderSummary(d, running) {
    var counts = { running: 0, success: 0, failed: 0, canceled: 0 }, steps = 0;
    d.workflows.forEach(function (w) { counts[w.status] = (counts[w.status] || 0) + 1; steps += w.steps.length; });
    summaryEl.textContent = d.workflows.length + " workflows" + (d.truncated ? " (most recent; more not shown)" : "") +
      " · " + steps + " steps · " + counts.success + " succeeded, " + counts.failed + " failed, " +
      counts.canceled + " canceled, " + counts.running + " running";
    renderLegend(d);
  }

  // The legend: every colour and mark the canvas uses, each entry with a swatch drawn the
  // same way (CSS classes above) and a data-legend key that tests look for.
  function renderLegend(d) {
    var names = {};
    d.workflows.forEach(function (w) { w.steps.forEach(function (s) { names[s.name] = true; }); });
    legendEl.textContent = "";
    legend = [];
    var grp = null;
    function group(text) {
      grp = document.createElement("div");
      grp.className = "grp";
      var el = document.createElement("span");
      el.className = "group"; el.textContent = text;
      grp.appendChild(el);
      legendEl.appendChild(grp);
    }
    function item(key, label, swatch) {
      var el = document.createElement("span");
      el.dataset.legend = key;
      if (swatch) el.appendChild(swatch);
      el.appendChild(document.createTextNode(label));
      grp.appendChild(el);
      legend.push({ key: key, label: label });
    }
    function sw(cls, color) {
      var el = document.createElement("span");
      el.className = cls;
      if (color) el.style.background = color;
      return el;
    }
    function mark(text) {
      var el = document.createElement("span");
      el.className = "mark"; el.textContent = text;
      return el;
    }
    group("Step colour = step name:");
    Object.keys(names).sort().forEach(function (n) { item("step:" + n, n, sw("sw", colorOf(n))); });
    group("Step bar:");
    item("queued", "dim: queued, waiting for its turn (whole bar where the start is not recorded)", sw("sw queued"));
    item("executing", "bright: executing (start recorded, e.g. executor mode)", sw("sw executing"));
    item("failed", "red outline: failed", sw("sw failed"));
    item("canceled", "dashed outline: canceled", sw("sw canceled"));
    item("running", "white edge: still running", sw("sw running"));
    item("retried", "ran N times, N > 1: retried (standard mode: shown only while the step runs)", mark("\u00d7N"));
    group("Workflow:");
    ["running", "success", "failed", "canceled"].forEach(function (st) {
      item("status:" + st, st === "success" ? "succeeded" : st, sw("dot", STATUS_COLOR[st]));
    });
    item("lifetime", "grey line: workflow lifetime", sw("sw lifetime"));
    item("stripe", "shaded: every other row", sw("sw stripe"));
    group("Chart (top):");
    item("inflight", "steps in flight (queued or executing)", sw("sw inflight"));
    item("inexec", "steps executing (where the start is recorded)", sw("sw inexec"));
    item("now", "dashed line: now (while running)", sw("sw now"));
  }

  canvas.addEventListener("mousemove", function (e) {
    var r = canvas.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top, hit = null;
    for (var i = bars.length - 1; i >= 0; i--) {
      var b = bars[i];
      if (mx >= b.x0 - 2 && mx <= Math.max(b.x1, b.x0 + 2) + 2 && my >= b.y && my <= b.y + b.h) { hit = b; break; }
    }
    if (!hit) { tipEl.hidden = true; return; }
    var s = hit.step, w = hit.workflow, t0 = window.__timeline.scale.t0;
    var lines = [s.name + "  (step " + s.stepNumber + ", " + s.kind + ")",
      "workflow  " + (w.name || "?") + " " + w.workflowId + " [" + w.status + "]",
      "queued    +" + fmtDur(s.queuedAt - t0)];
    if (s.startedAt != null) lines.push("started   +" + fmtDur(s.startedAt - t0) + "  (waited " + fmtDur(s.startedAt - s.queuedAt) + ")");
    if (s.finishedAt != null) lines.push("finished  +" + fmtDur(s.finishedAt - t0) + "  (took " +
      fmtDur(s.finishedAt - (s.startedAt == null ? s.queuedAt : s.startedAt)) + ")");
    lines.push("outcome   " + s.outcome);
    if (s.attempts != null) lines.push("attempts  " + s.attempts + (s.attempts > 1 ? "  (" + (s.attempts - 1) + (s.attempts === 2 ? " retry)" : " retries)") : ""));
    // Versioning (docs/versioning.md): shown once a version or a continued run is in play.
    if (s.version || w.version || (w.runNumber && w.runNumber > 1)) {
      lines.push("version   " + (s.version || 0) + " (run " + (w.runNumber || 1) + ", workflow version " + (w.version || 0) + ")");
    }
    tipEl.textContent = lines.join("\n");
    tipEl.hidden = false;
    tipEl.style.left = Math.min(e.clientX + 14, window.innerWidth - tipEl.offsetWidth - 8) + "px";
    tipEl.style.top = Math.min(e.clientY + 14, window.innerHeight - tipEl.offsetHeight - 8) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tipEl.hidden = true; });

  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; render(); });
  });

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.className = isError ? "error" : "";
  }

  if (config.liveUrl) {
    var poll = function () {
      fetch(config.liveUrl, { cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (res) {
          if (!res.ok) throw new Error("HTTP " + res.status + " " + res.statusText);
          return res.json();
        })
        .then(function (d) {
          data = d;
          render();
          var running = d.workflows.some(function (w) { return w.status === "running"; });
          setStatus((running ? "live" : "idle") + " · updated " + new Date().toLocaleTimeString(), false);
        })
        .catch(function (err) { setStatus("update failed: " + err.message + " (retrying)", true); })
        .then(function () { setTimeout(poll, 1000); });
    };
    setStatus("loading…", false);
    poll();
  } else {
    setStatus(data ? "snapshot taken " + new Date(data.now).toLocaleString() : "", false);
    render();
  }
})();
`;
