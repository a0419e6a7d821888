/* Helpers the staff screens share (console, supervisor view): build elements with text only (never
 * innerHTML, so customer text can never become markup), call the API with the session cookie, and say
 * durations the way people do. */
(function () {
  "use strict";
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "class") node.className = attrs[key]; else node.setAttribute(key, attrs[key]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function api(method, path, body) {
    // writes carry x-tandem-console, which a cross-site form cannot send (with the SameSite cookie: no CSRF)
    var headers = { "x-tandem-console": "1" };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        if (response.status === 401) { location.assign("/console/login"); throw new Error("signed out"); }
        if (response.status === 204) return null;
        return response.json().then(function (data) {
          if (!response.ok) {
            var detail = typeof data.detail === "string" ? data.detail : "HTTP " + response.status;
            var error = new Error(detail); error.status = response.status; throw error;
          }
          return data;
        });
      });
  }
  function duration(value) {
    if (value === null || value === undefined) return "–";
    var s = Math.round(Math.abs(value));
    var text = s >= 3600 ? Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min"
      : s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s";
    return value < 0 ? text + " late" : text;
  }
  // Dashboards (analytics, workforce plan): a titled card, and a Chart.js chart in it that replaces the
  // one drawn before under the same id. Chart.js is vendored; pages that chart load it first.
  var charts = {};
  function card(title, id, link) {
    var box = el("section", { class: "card", "aria-labelledby": id + "-title" });
    var top = el("div", { class: "card-top" });
    top.appendChild(el("h2", { id: id + "-title" }, title));
    if (link) top.appendChild(link);
    box.appendChild(top);
    return box;
  }
  function chart(box, id, config, label) {
    var holder = el("div", { class: "chart" });
    var canvas = el("canvas", { id: id, role: "img", "aria-label": label });
    holder.appendChild(canvas);
    box.appendChild(holder);
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new window.Chart(canvas, config);
    return charts[id];
  }
  window.Tandem = { el: el, api: api, duration: duration, card: card, chart: chart };
  // The console's live connection (console and supervisor view): while one is open in any tab, the
  // agent's presence is the one they chose; when every tab has closed for the grace period, they are
  // offline until one connects again. Reconnects after a drop (0.5 s, doubling to 5 s); frames go to onFrame.
  window.Tandem.agentLive = function (onFrame) {
    var retry = 0, socket = null;
    function connect() {
      socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/v1/live/agent");
      socket.onopen = function () { retry = 0; };
      socket.onmessage = function (event) { onFrame(JSON.parse(event.data)); };
      socket.onclose = function (event) {
        if (event.code === 4401) { location.assign("/console/login"); return; }
        setTimeout(connect, Math.min(5000, 500 * Math.pow(2, retry++)));
      };
    }
    connect();
    return { connected: function () { return socket !== null && socket.readyState === 1; } };
  };
})();
