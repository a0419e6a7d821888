/* The supervisor view: live queues, agents (presence and load), and conversations at risk (SLA timers,
 * most urgent first) with "Take over". Refreshed every few seconds from the API; text via textContent. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function api(method, path, body) {
    var headers = { "x-tandem-console": "1" };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        if (response.status === 401) { location.assign("/console/login"); throw new Error("signed out"); }
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.detail || "HTTP " + response.status);
          return data;
        });
      });
  }
  function seconds(value) {
    if (value === null || value === undefined) return "–";
    var s = Math.round(Math.abs(value));
    var text = s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s";
    return value < 0 ? text + " late" : text;
  }
  function table(caption, headers, rows) {
    var t = el("table");
    t.appendChild(el("caption", {}, caption));
    var head = el("tr");
    headers.forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    t.appendChild(head);
    if (!rows.length) {
      var empty = el("tr"); var cell = el("td", { colspan: String(headers.length) }, "None"); empty.appendChild(cell); t.appendChild(empty);
    }
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (c) { var td = el("td"); if (c instanceof Node) td.appendChild(c); else td.textContent = c; tr.appendChild(td); });
      t.appendChild(tr);
    });
    return t;
  }
  var status = el("p", { role: "status" });
  var body = el("div");
  app.textContent = "";
  app.removeAttribute("aria-live");
  var header = el("header");
  header.appendChild(el("h1", {}, "Supervisor view"));
  var back = el("a", { href: "/console" }, "Console");
  header.appendChild(back);
  app.appendChild(header); app.appendChild(status); app.appendChild(body);

  function takeOver(cid) {
    var button = el("button", { type: "button" }, "Take over #" + cid);
    button.addEventListener("click", function () {
      api("POST", "/api/v1/conversations/" + cid + "/assign", {}).then(function () {
        status.textContent = "You took over conversation #" + cid + ".";
        location.assign("/console");
      }).catch(function (e) { status.textContent = e.message; });
    });
    return button;
  }
  function refresh() {
    Promise.all([api("GET", "/api/v1/routing/queues"), api("GET", "/api/v1/routing/agents"), api("GET", "/api/v1/routing/sla")])
      .then(function (results) {
        var queues = results[0], agents = results[1], timers = results[2];
        body.textContent = "";
        body.appendChild(table("Queues", ["Queue", "Waiting", "Offered", "Longest wait", "Agents online"], queues.map(function (q) {
          return [q.name, String(q.waiting), String(q.offered), seconds(q.oldest_wait_seconds), String(q.agents_online)];
        })));
        body.appendChild(table("Agents", ["Name", "Role", "Presence", "Load"], agents.map(function (a) {
          return [a.name, a.role, a.presence, a.load + " / " + a.capacity];
        })));
        var risky = timers.filter(function (t) { return t.seconds_left < 60; });
        body.appendChild(table("At risk (response due within a minute or late)", ["Conversation", "Timer", "Due in", "With", ""],
          risky.map(function (t) {
            var who = agents.filter(function (a) { return a.staff_id === t.assignee_id; })[0];
            return ["#" + t.conversation_id, t.kind.replace("_", " "), seconds(t.seconds_left), who ? who.name : "queue", takeOver(t.conversation_id)];
          })));
      })
      .catch(function (e) { status.textContent = e.message; });
  }
  refresh();
  setInterval(refresh, 3000);
})();
