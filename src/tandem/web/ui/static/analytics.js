/* The analytics dashboard for supervisors and CX leaders: the headline metrics with their intervals, the
 * series, the funnel bot -> queue -> agent -> resolved, escalations by rule, breakdowns, and containment x
 * CSAT per intent; filters by window, channel, locale, intent and team; every table as CSV. Every figure
 * comes from GET /api/v1/analytics/dashboard (rollups, never raw messages); charts are Chart.js, vendored. */
(function () {
  "use strict";
  var el = Tandem.el, api = Tandem.api, duration = Tandem.duration;
  var app = document.getElementById("app");
  var FILTERS = ["channel", "locale", "intent", "team"];
  var BREAKDOWNS = ["topic", "channel", "locale", "intent", "team"];
  var HEADLINES = ["containment", "csat", "csat_after_handoff", "escalation_rate", "escalation_speed",
    "resolution_after_handoff", "first_contact_resolution", "service_level", "first_response_time",
    "average_handle_time", "abandonment_in_bot", "abandonment_in_queue", "human_touch_score",
    "assist_acceptance", "nps", "cost_per_contact"];
  var QUADRANTS = {
    route_to_people: ["Route to people: the bot contains it, customers are unhappy", "#dc2626"],
    bot_works: ["Bot works", "#16a34a"],
    people_work: ["People handle what the bot could try", "#2563eb"],
    fix_both: ["Fix both", "#d97706"],
    too_few: ["Too few to judge", "#94a3b8"]
  };
  var known = {};  // filter -> values seen in the unfiltered window (the selects' options)

  app.textContent = "";
  app.removeAttribute("aria-live");
  var header = el("header");
  header.appendChild(el("h1", {}, "Analytics"));
  header.appendChild(el("a", { href: "/console/wfm" }, "Workforce plan"));
  header.appendChild(el("a", { href: "/console/supervisor" }, "Supervisor view"));
  header.appendChild(el("a", { href: "/console" }, "Console"));
  app.appendChild(header);

  var form = el("form", { class: "filters", "aria-label": "Filters" });
  var today = new Date();
  var monthAgo = new Date(today.getTime() - 29 * 86400000);
  function iso(date) { return date.toISOString().slice(0, 10); }
  function field(label, input) {
    var wrap = el("div", { class: "field" });
    input.id = "filter-" + input.name;
    wrap.appendChild(el("label", { for: input.id }, label));
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }
  var start = field("From", el("input", { type: "date", name: "start", value: iso(monthAgo) }));
  var end = field("To", el("input", { type: "date", name: "end", value: iso(today) }));
  var selects = {};
  FILTERS.forEach(function (name) {
    var select = el("select", { name: name });
    select.appendChild(el("option", { value: "" }, "All"));
    selects[name] = field(name.charAt(0).toUpperCase() + name.slice(1), select);
  });
  form.appendChild(el("button", { type: "submit", class: "primary" }, "Apply"));
  app.appendChild(form);
  var status = el("p", { role: "status", class: "sr" });
  app.appendChild(status);
  var body = el("div", { class: "dashboard" });
  app.appendChild(body);

  function params() {
    var query = new URLSearchParams();
    if (start.value) query.set("start", start.value);
    if (end.value) query.set("end", end.value);
    FILTERS.forEach(function (name) { if (selects[name].value) query.set(name, selects[name].value); });
    return query;
  }
  function shown(metric) {
    if (metric.value === null || metric.value === undefined) return "no data";
    if (metric.unit === "share") return (metric.value * 100).toFixed(1) + " %";
    if (metric.unit === "seconds") return duration(metric.value);
    if (metric.unit === "money") return metric.value.toFixed(2);
    return String(metric.value);
  }
  function basis(metric) {
    if (metric.kind === "rate") {
      var text = metric.numerator + " of " + metric.denominator;
      if (metric.low !== null && metric.value !== null) {
        text += " · 95 % " + (metric.low * 100).toFixed(0) + "–" + (metric.high * 100).toFixed(0) + " %";
      }
      return text;
    }
    return "n = " + (metric.count || 0);
  }
  function tiles(metrics) {
    var byName = {};
    metrics.forEach(function (m) { byName[m.name] = m; });
    var grid = el("div", { class: "tiles" });
    HEADLINES.forEach(function (name) {
      var m = byName[name];
      if (!m) return;
      var tile = el("div", { class: "tile", "data-metric": name });
      tile.appendChild(el("span", { class: "label" }, m.label));
      tile.appendChild(el("strong", {}, shown(m)));
      tile.appendChild(el("small", {}, basis(m)));
      grid.appendChild(tile);
    });
    return grid;
  }
  function card(title, id, csv) {
    var link = null;
    if (csv) {
      link = el("a", { href: "/api/v1/analytics/export/" + csv + "?" + params().toString(), download: "" }, "CSV");
      link.setAttribute("aria-label", "Download " + title + " as CSV");
    }
    return Tandem.card(title, id, link);
  }
  var chart = Tandem.chart;
  var percentAxis = { min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + " %"; } } };
  function label(bucket, grain) {
    var d = new Date(bucket);
    return grain === "hour" ? d.toISOString().slice(5, 13).replace("T", " ") + ":00" : d.toISOString().slice(5, 10);
  }
  function table(caption, headers, rows) {
    var t = el("table");
    t.appendChild(el("caption", {}, caption));
    var head = el("tr");
    headers.forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (c) { tr.appendChild(el("td", {}, c)); });
      t.appendChild(tr);
    });
    if (!rows.length) {
      var none = el("tr"); none.appendChild(el("td", { colspan: String(headers.length) }, "No conversations in this window.")); t.appendChild(none);
    }
    return t;
  }
  function percent(metric) {
    return metric.value === null ? "no data" : (metric.value * 100).toFixed(0) + " % (" +
      (metric.low * 100).toFixed(0) + "–" + (metric.high * 100).toFixed(0) + ")";
  }

  function render(data) {
    body.textContent = "";
    body.appendChild(tiles(data.metrics));
    var grid = el("div", { class: "cards" });
    body.appendChild(grid);

    var series = card("Conversations, containment and CSAT", "series", "series");
    grid.appendChild(series);
    chart(series, "chart-series", {
      data: {
        labels: data.series.map(function (p) { return label(p.bucket, data.window.grain); }),
        datasets: [
          { type: "bar", label: "Conversations", data: data.series.map(function (p) { return p.conversations; }), yAxisID: "count", backgroundColor: "#cbd5e1" },
          { type: "line", label: "Containment", data: data.series.map(function (p) { return p.values.containment; }), yAxisID: "share", borderColor: "#16a34a", spanGaps: true },
          { type: "line", label: "CSAT", data: data.series.map(function (p) { return p.values.csat; }), yAxisID: "share", borderColor: "#2563eb", spanGaps: true },
          { type: "line", label: "Escalation rate", data: data.series.map(function (p) { return p.values.escalation_rate; }), yAxisID: "share", borderColor: "#dc2626", spanGaps: true }
        ]
      },
      options: { scales: { count: { position: "left", beginAtZero: true }, share: Object.assign({ position: "right", grid: { drawOnChartArea: false } }, percentAxis) } }
    }, "Conversations per " + data.window.grain + " with containment, CSAT and escalation rate");

    var funnel = card("Funnel: bot → queue → agent → resolved", "funnel");
    grid.appendChild(funnel);
    chart(funnel, "chart-funnel", {
      type: "bar",
      data: { labels: data.funnel.map(function (s) { return s.label; }), datasets: [{ label: "Conversations", data: data.funnel.map(function (s) { return s.count; }), backgroundColor: ["#64748b", "#f59e0b", "#2563eb", "#16a34a"] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } } }
    }, "Funnel: " + data.funnel.map(function (s) { return s.label + " " + s.count; }).join(", "));

    var matrix = card("Containment × CSAT per intent", "matrix", "intents");
    grid.appendChild(matrix);
    var groups = {};
    data.intents.forEach(function (row) {
      if (row.containment.value === null || row.csat.value === null) return;
      (groups[row.quadrant] = groups[row.quadrant] || []).push({ x: row.containment.value, y: row.csat.value, r: Math.max(4, Math.min(22, Math.sqrt(row.conversations))), intent: row.intent, n: row.conversations });
    });
    chart(matrix, "chart-matrix", {
      type: "bubble",
      data: { datasets: Object.keys(groups).map(function (q) { return { label: QUADRANTS[q][0], data: groups[q], backgroundColor: QUADRANTS[q][1] + "99", borderColor: QUADRANTS[q][1], clip: false }; }) },
      options: {
        scales: { x: Object.assign({ title: { display: true, text: "Containment" } }, percentAxis), y: Object.assign({ title: { display: true, text: "CSAT (top-2 box)" } }, percentAxis) },
        plugins: { tooltip: { callbacks: { label: function (ctx) { var p = ctx.raw; return p.intent + ": containment " + Math.round(p.x * 100) + " %, CSAT " + Math.round(p.y * 100) + " %, " + p.n + " conversations"; } } } }
      }
    }, "Containment against CSAT per intent; the table below has the same figures");
    var details = el("details");
    details.appendChild(el("summary", {}, "Per-intent figures (" + data.intents.length + " intents)"));
    details.appendChild(table("Per intent", ["Intent", "Conversations", "Containment (95 %)", "CSAT (95 %)", "Verdict"],
      data.intents.map(function (r) { return [r.intent, String(r.conversations), percent(r.containment), percent(r.csat), QUADRANTS[r.quadrant][0]]; })));
    matrix.appendChild(details);

    var rules = card("Escalations by rule", "triggers", "triggers");
    grid.appendChild(rules);
    chart(rules, "chart-triggers", {
      type: "bar",
      data: { labels: data.triggers.map(function (t) { return t.trigger.replace(/_/g, " "); }), datasets: [{ label: "Escalations", data: data.triggers.map(function (t) { return t.escalations; }), backgroundColor: "#f59e0b" }] },
      options: { plugins: { legend: { display: false } } }
    }, "Escalations by rule: " + data.triggers.map(function (t) { return t.trigger + " " + t.escalations; }).join(", "));

    var reasons = card("Escalation reasons (agents' tags)", "reasons", "reasons");
    grid.appendChild(reasons);
    chart(reasons, "chart-reasons", {
      type: "bar",
      data: { labels: data.reasons.map(function (r) { return r.label; }), datasets: [{ label: "Escalations", data: data.reasons.map(function (r) { return r.escalations; }), backgroundColor: data.reasons.map(function (r) { return r.reason === "untagged" ? "#cbd5e1" : "#7c3aed"; }) }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } } }
    }, "Escalations by the reason agents tagged: " + data.reasons.map(function (r) { return r.label + " " + r.escalations; }).join(", "));

    BREAKDOWNS.forEach(function (name) {
      var rows = data.breakdowns[name];
      var box = card("By " + name, "by-" + name, name);
      grid.appendChild(box);
      chart(box, "chart-by-" + name, {
        data: {
          labels: rows.map(function (r) { return r.key; }),
          datasets: [
            { type: "bar", label: "Conversations", data: rows.map(function (r) { return r.conversations; }), yAxisID: "count", backgroundColor: "#cbd5e1" },
            { type: "line", label: "Containment", data: rows.map(function (r) { return r.containment.value; }), yAxisID: "share", borderColor: "#16a34a", showLine: false, pointRadius: 5 },
            { type: "line", label: "CSAT", data: rows.map(function (r) { return r.csat.value; }), yAxisID: "share", borderColor: "#2563eb", showLine: false, pointRadius: 5 }
          ]
        },
        options: { scales: { count: { position: "left", beginAtZero: true }, share: Object.assign({ position: "right", grid: { drawOnChartArea: false } }, percentAxis) } }
      }, "Conversations, containment and CSAT by " + name);
    });

    var costs = data.costs;
    var money = card("Cost and savings", "costs");
    money.appendChild(table("Prices per conversation: bot " + costs.bot_price.toFixed(2) + ", person " + costs.human_price.toFixed(2),
      ["Conversations", "Contained by the bot", "With a person", "Cost", "Per contact", "Saved by the bot"],
      [[String(costs.contacts), String(costs.bot_only), String(costs.with_person), costs.cost.toFixed(2),
        costs.cost_per_contact === null ? "no data" : costs.cost_per_contact.toFixed(2), costs.savings.toFixed(2)]]));
    grid.appendChild(money);
  }

  function remember(data) {
    if (FILTERS.some(function (name) { return selects[name].value; })) return;
    FILTERS.forEach(function (name) {
      known[name] = data.breakdowns[name].map(function (r) { return r.key; }).sort();
      var select = selects[name];
      while (select.options.length > 1) select.remove(1);
      known[name].forEach(function (value) { select.appendChild(el("option", { value: value }, value)); });
    });
  }
  function load() {
    status.textContent = "Loading…";
    body.setAttribute("aria-busy", "true");
    return api("GET", "/api/v1/analytics/dashboard?" + params().toString()).then(function (data) {
      remember(data);
      render(data);
      var w = data.window;
      var total = data.metrics.length ? data.funnel[0].count : 0;
      status.textContent = total + " conversations from " + w.start + " to " + w.end + " (by " + w.grain + ")" +
        (data.refreshed_at ? " · figures as of " + new Date(data.refreshed_at).toLocaleString() : " · not refreshed yet");
      body.removeAttribute("aria-busy");
    }).catch(function (error) {
      status.textContent = "Could not load the figures: " + error.message;
      body.removeAttribute("aria-busy");
    });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  load();
})();
