/* Workforce planning for supervisors: forecast the next days from the conversation history, staff what
 * reaches people given the bot's containment (Erlang C, or Erlang A with patience), schedule shifts and
 * breaks, and compare with no bot and a target containment. One POST /api/v1/wfm/plan; charts by
 * Chart.js (vendored); the shifts download as CSV. */
(function () {
  "use strict";
  var el = Tandem.el, api = Tandem.api;
  var app = document.getElementById("app");
  app.textContent = "";
  app.removeAttribute("aria-live");
  var header = el("header");
  header.appendChild(el("h1", {}, "Workforce plan"));
  header.appendChild(el("a", { href: "/console/analytics" }, "Analytics"));
  header.appendChild(el("a", { href: "/console/supervisor" }, "Supervisor view"));
  app.appendChild(header);

  var form = el("form", { class: "filters", "aria-label": "Plan settings" });
  var FIELDS = [
    ["interval_minutes", "Interval (minutes)", "select", ["15", "30", "60"], "30"],
    ["days", "Days to plan", "number", { min: 1, max: 14, step: 1 }, "7"],
    ["history_days", "History (days)", "number", { min: 14, max: 730, step: 1 }, "56"],
    ["aht_seconds", "Handle time (s)", "number", { min: 1, step: 1 }, "300"],
    ["service_level", "Service level", "number", { min: 0.01, max: 0.99, step: 0.01 }, "0.8"],
    ["answer_seconds", "Answered within (s)", "number", { min: 0, step: 1 }, "60"],
    ["patience_seconds", "Patience (s, Erlang A)", "number", { min: 1, step: 1 }, ""],
    ["shrinkage", "Shrinkage", "number", { min: 0, max: 0.95, step: 0.01 }, "0.3"],
    ["max_occupancy", "Max occupancy", "number", { min: 0.05, max: 1, step: 0.01 }, "0.85"],
    ["concurrency", "Chats at once", "number", { min: 1, max: 10, step: 1 }, "1"],
    ["containment", "Containment (blank: measured)", "number", { min: 0, max: 1, step: 0.01 }, ""],
    ["target_containment", "Target containment", "number", { min: 0, max: 1, step: 0.01 }, "0.75"]
  ];
  var inputs = {};
  FIELDS.forEach(function (f) {
    var wrap = el("div", { class: "field" });
    var input;
    if (f[2] === "select") {
      input = el("select", { id: "wfm-" + f[0] });
      f[3].forEach(function (v) { var o = el("option", { value: v }, v); if (v === f[4]) o.selected = true; input.appendChild(o); });
    } else {
      input = el("input", Object.assign({ id: "wfm-" + f[0], type: "number", value: f[4] }, f[3]));
    }
    wrap.appendChild(el("label", { for: input.id }, f[1]));
    wrap.appendChild(input);
    form.appendChild(wrap);
    inputs[f[0]] = input;
  });
  form.appendChild(el("button", { type: "submit", class: "primary" }, "Plan"));
  app.appendChild(form);
  var status = el("p", { role: "status", class: "sr" }, "Set the targets and press Plan.");
  app.appendChild(status);
  var body = el("div", { class: "dashboard" });
  app.appendChild(body);

  function request() {
    var data = {};
    FIELDS.forEach(function (f) {
      var raw = inputs[f[0]].value;
      if (raw === "") return;
      data[f[0]] = Number(raw);
    });
    return data;
  }
  function money(v) { return v.toLocaleString(undefined, { maximumFractionDigits: 0 }); }
  function tile(grid, label, value, note) {
    var t = el("div", { class: "tile" });
    t.appendChild(el("span", { class: "label" }, label));
    t.appendChild(el("strong", {}, value));
    if (note) t.appendChild(el("small", {}, note));
    grid.appendChild(t);
  }
  var card = Tandem.card, chart = Tandem.chart;
  function when(iso) { var d = new Date(iso); return d.toISOString().slice(5, 16).replace("T", " "); }
  function csv(plan) {
    var lines = ["shift_start,break_start,shift_end,people"].concat(plan.shifts.map(function (s) {
      return [s.start, s.break_start, s.end, s.people].join(",");
    }));
    return URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
  }

  function render(plan) {
    body.textContent = "";
    var grid = el("div", { class: "tiles" });
    body.appendChild(grid);
    var byName = {};
    plan.scenarios.forEach(function (s) { byName[s.name] = s; });
    var bot = byName["with the bot"], none = byName["no bot"];
    tile(grid, "Containment used", Math.round(plan.containment * 100) + " %", plan.containment_measured ? "as measured, last 30 days" : "as entered");
    tile(grid, "Peak agents", String(bot.peak_agents), "with the bot; " + none.peak_agents + " without");
    tile(grid, "Shifts of 8 h", String(plan.people_scheduled), plan.schedule_status + (plan.shortfall_intervals ? ", " + plan.shortfall_intervals + " intervals short" : ", every interval covered"));
    tile(grid, "Saved by the bot", money(bot.savings), "against the same forecast without it");
    tile(grid, "Cost per contact", bot.cost_per_contact === null ? "no data" : bot.cost_per_contact.toFixed(2), "without the bot " + (none.cost_per_contact === null ? "–" : none.cost_per_contact.toFixed(2)));
    var b = plan.backtest;
    tile(grid, "Forecast error (WAPE)", b.wape === null ? "not measured" : (b.wape * 100).toFixed(1) + " %",
      b.naive_wape === null ? "" : "seasonal-naive " + (b.naive_wape * 100).toFixed(1) + " %, last " + b.held_out_days + " days");

    var v = plan.validation;
    if (v) {
      tile(grid, "Busiest interval, simulated", (v.achieved_service_level * 100).toFixed(1) + " % in time",
        "promised " + (v.promised_service_level * 100).toFixed(1) + " % with " + v.positions + " positions, " + when(v.start));
    }
    var cards = el("div", { class: "cards" });
    body.appendChild(cards);
    var labels = plan.intervals.map(function (i) { return when(i.start); });
    var volume = card("Forecast: contacts and what reaches people", "volume");
    cards.appendChild(volume);
    chart(volume, "chart-volume", {
      type: "line",
      data: { labels: labels, datasets: [
        { label: "All contacts", data: plan.intervals.map(function (i) { return i.volume; }), borderColor: "#64748b", pointRadius: 0 },
        { label: "Reach a person", data: plan.intervals.map(function (i) { return i.human_volume; }), borderColor: "#2563eb", pointRadius: 0 }
      ] },
      options: { scales: { x: { ticks: { maxTicksLimit: 14 } } } }
    }, "Forecast contacts per interval, and those that reach a person");
    var staff = card("People: required and scheduled", "staff");
    cards.appendChild(staff);
    chart(staff, "chart-staff", {
      data: { labels: labels, datasets: [
        { type: "bar", label: "Scheduled", data: plan.intervals.map(function (i) { return i.scheduled; }), backgroundColor: "#bfdbfe" },
        { type: "line", label: "Required", data: plan.intervals.map(function (i) { return i.agents; }), borderColor: "#dc2626", pointRadius: 0, stepped: true }
      ] },
      options: { scales: { x: { ticks: { maxTicksLimit: 14 } }, y: { beginAtZero: true } } }
    }, "Required people per interval against the people the shifts put on the floor");
    var what = card("What the bot is worth", "scenarios");
    cards.appendChild(what);
    chart(what, "chart-scenarios", {
      type: "bar",
      data: { labels: plan.scenarios.map(function (s) { return s.name + " (" + Math.round(s.containment * 100) + " %)"; }), datasets: [
        { label: "People", data: plan.scenarios.map(function (s) { return s.people_cost; }), backgroundColor: "#2563eb" },
        { label: "Bot", data: plan.scenarios.map(function (s) { return s.bot_cost; }), backgroundColor: "#16a34a" }
      ] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
    }, "Cost of each scenario: " + plan.scenarios.map(function (s) { return s.name + " " + money(s.cost); }).join(", "));
    var table = el("table");
    table.appendChild(el("caption", {}, "Scenarios"));
    var head = el("tr");
    ["Scenario", "Containment", "Agent hours", "Peak agents", "People cost", "Bot cost", "Per contact", "Saved"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    table.appendChild(head);
    plan.scenarios.forEach(function (s) {
      var tr = el("tr");
      [s.name, Math.round(s.containment * 100) + " %", money(s.agent_hours), String(s.peak_agents), money(s.people_cost), money(s.bot_cost),
        s.cost_per_contact === null ? "–" : s.cost_per_contact.toFixed(2), money(s.savings)].forEach(function (c) { tr.appendChild(el("td", {}, c)); });
      table.appendChild(tr);
    });
    what.appendChild(table);
    var shifts = card("Shifts (" + plan.people_scheduled + ")", "shifts");
    var link = el("a", { href: csv(plan), download: "tandem-shifts.csv" }, "CSV");
    link.setAttribute("aria-label", "Download the shifts as CSV");
    shifts.firstChild.appendChild(link);
    var list = el("table");
    list.appendChild(el("caption", {}, "First shifts (start, break, end, people)"));
    plan.shifts.slice(0, 40).forEach(function (s) {
      var tr = el("tr");
      [when(s.start), when(s.break_start), when(s.end), String(s.people)].forEach(function (c) { tr.appendChild(el("td", {}, c)); });
      list.appendChild(tr);
    });
    shifts.appendChild(list);
    cards.appendChild(shifts);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = "Planning… (forecast, staffing, shifts: up to half a minute)";
    body.setAttribute("aria-busy", "true");
    api("POST", "/api/v1/wfm/plan", request()).then(function (plan) {
      render(plan);
      status.textContent = "Planned " + plan.intervals.length + " intervals from " + plan.history_days + " days of history (" + plan.model.replace("_", " ") + ").";
    }).catch(function (error) {
      status.textContent = "Could not plan: " + error.message;
    }).then(function () { body.removeAttribute("aria-busy"); });
  });
})();
