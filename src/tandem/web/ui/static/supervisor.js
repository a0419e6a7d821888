/* The supervisor view: live queues, agents (presence and load), conversations at risk (an SLA timer about
 * to run out, an angry or rising customer, a long wait) and every live conversation, each with "Join"
 * (listen in and coach with private notes) and "Take over"; knowledge drafts to publish or reject.
 * Refreshed every few seconds from the API; text via textContent. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Tandem.el, api = Tandem.api, seconds = Tandem.duration;
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
  header.appendChild(el("a", { href: "/console/analytics" }, "Analytics"));
  var back = el("a", { href: "/console" }, "Console");
  header.appendChild(back);
  app.appendChild(header); app.appendChild(status); app.appendChild(body);

  function button(label, run) {
    var b = el("button", { type: "button" }, label);
    b.addEventListener("click", function () { run().catch(function (e) { status.textContent = e.message; }); });
    return b;
  }
  function takeOver(cid) {
    return button("Take over #" + cid, function () {
      return api("POST", "/api/v1/conversations/" + cid + "/assign", {}).then(function () {
        status.textContent = "You took over conversation #" + cid + ".";
        location.assign("/console#c=" + cid);
      });
    });
  }
  function join(cid) {
    return button("Join #" + cid, function () {
      return api("POST", "/api/v1/conversations/" + cid + "/join").then(function () { location.assign("/console#c=" + cid); });
    });
  }
  function actionsFor(cid) {
    var span = el("span", { class: "row" });
    span.appendChild(join(cid)); span.appendChild(document.createTextNode(" ")); span.appendChild(takeOver(cid));
    return span;
  }
  function timerRisk(timer) {
    return timer.kind.replace("_", " ") + (timer.seconds_left < 0 ? " " + seconds(timer.seconds_left) : " due in " + seconds(timer.seconds_left));
  }
  function risks(item, timer) {
    // why a supervisor should look now: an SLA timer about to run out, an angry or rising customer, a long wait
    var found = [];
    if (timer && timer.seconds_left < 60) found.push(timerRisk(timer));
    if (item.mood.label === "angry") found.push("angry");
    if (item.mood.direction === "rising" && item.mood.label !== "calm") found.push("frustration rising");
    if (item.waiting_seconds !== null && item.waiting_seconds > 120) found.push("waiting " + seconds(item.waiting_seconds));
    if (item.awaiting_reply_seconds !== null && item.awaiting_reply_seconds > 120) found.push("no reply for " + seconds(item.awaiting_reply_seconds));
    return found;
  }
  function presenceText(a) {
    // what routing uses, and why when it is not what the agent chose
    if (a.connection_lost) return "offline (connection lost; chose " + a.chosen_presence + ")";
    if (a.follows_connections && !a.connected && a.presence !== "offline") return a.presence + " (reconnecting…)";
    if (a.presence !== a.chosen_presence) return a.presence + " (chose " + a.chosen_presence + ")";
    return a.presence;
  }
  function consoleText(a) {
    if (!a.follows_connections) return "–";
    if (a.connected) return "open";
    if (!a.last_seen_at) return "closed";
    return "last seen " + seconds((Date.now() - Date.parse(a.last_seen_at)) / 1000) + " ago";
  }
  function review(draft, verb) {
    return button(verb === "publish" ? "Publish" : "Reject", function () {
      return api("POST", "/api/v1/kb/drafts/" + draft.id + "/" + verb, {}).then(function () {
        status.textContent = (verb === "publish" ? "Published: " : "Rejected: ") + draft.title;
        refresh();
      });
    });
  }
  function refresh() {
    Promise.all([api("GET", "/api/v1/routing/queues"), api("GET", "/api/v1/routing/agents"), api("GET", "/api/v1/routing/sla"),
      api("GET", "/api/v1/worklist?scope=floor"), api("GET", "/api/v1/kb/drafts")])
      .then(function (results) {
        var queues = results[0], agents = results[1], timers = results[2], floor = results[3], drafts = results[4];
        function agentName(id) { var a = agents.filter(function (x) { return x.staff_id === id; })[0]; return a ? a.name : "queue"; }
        var timerOf = {};
        timers.forEach(function (t) { if (!timerOf[t.conversation_id] || t.seconds_left < timerOf[t.conversation_id].seconds_left) timerOf[t.conversation_id] = t; });
        body.textContent = "";
        body.appendChild(table("Queues", ["Queue", "Waiting", "Offered", "Longest wait", "Agents online"], queues.map(function (q) {
          return [q.name, String(q.waiting), String(q.offered), seconds(q.oldest_wait_seconds), String(q.agents_online)];
        })));
        body.appendChild(table("Agents", ["Name", "Role", "Presence", "Load", "Console"], agents.map(function (a) {
          return [a.name, a.role, presenceText(a), a.load + " / " + a.capacity, consoleText(a)];
        })));
        var live = floor.mine.concat(floor.waiting).map(function (item) {
          return { item: item, risks: risks(item, timerOf[item.conversation_id]) };
        });
        var atRisk = live.filter(function (x) { return x.risks.length; });
        var listed = {};
        live.forEach(function (x) { listed[x.item.conversation_id] = true; });
        Object.keys(timerOf).forEach(function (cid) {  // a late timer counts even beyond the live list's length
          var t = timerOf[cid];
          if (listed[cid] || t.seconds_left >= 60) return;
          atRisk.push({ item: { conversation_id: Number(cid), customer_name: null, mood: { label: "–" }, assignee_id: t.assignee_id },
            risks: [timerRisk(t)] });
        });
        body.appendChild(table("At risk", ["Conversation", "Why", "Mood", "With", ""], atRisk.map(function (x) {
          return ["#" + x.item.conversation_id + " " + (x.item.customer_name || "Visitor"), x.risks.join("; "), x.item.mood.label,
            x.item.assignee_id ? agentName(x.item.assignee_id) : "queue", actionsFor(x.item.conversation_id)];
        })));
        body.appendChild(table("Live conversations", ["Conversation", "With", "Mood", "Waiting", "Last message", ""], live.map(function (x) {
          var it = x.item;
          var waited = it.waiting_seconds !== null ? seconds(it.waiting_seconds) : it.awaiting_reply_seconds !== null ? "no reply for " + seconds(it.awaiting_reply_seconds) : "answered";
          return ["#" + it.conversation_id + " " + (it.customer_name || "Visitor"), it.assignee_id ? agentName(it.assignee_id) : "queue",
            it.mood.label + (it.mood.direction === "rising" ? " ↑" : ""), waited, it.last_message || "", actionsFor(it.conversation_id)];
        })));
        body.appendChild(table("Knowledge drafts to review", ["Article", "Kind", "From", "Text", ""], drafts.map(function (d) {
          var both = el("span"); both.appendChild(review(d, "publish")); both.appendChild(document.createTextNode(" ")); both.appendChild(review(d, "reject"));
          return [d.title + " (" + d.locale + ")", d.is_edit ? "edit of " + d.slug : "new", d.source_conversation_id ? "#" + d.source_conversation_id : "–",
            d.body.length > 160 ? d.body.slice(0, 160) + "…" : d.body, both];
        })));
      })
      .catch(function (e) { status.textContent = e.message; });
  }
  // --- knowledge gaps and the learning loop: computed on demand, not every few seconds --------------------
  var learning = el("section", { "aria-label": "Learning" });
  app.appendChild(learning);
  function loadLearning() {
    learning.textContent = "";
    var head = el("div", { class: "row" });
    head.appendChild(el("h2", {}, "Knowledge gaps (last 7 days)"));
    head.appendChild(button("Refresh gaps", function () { return Promise.resolve(loadLearning()); }));
    learning.appendChild(head);
    var gapsBox = el("div", {}, "Looking for topics the bot could not answer…");
    learning.appendChild(gapsBox);
    api("GET", "/api/v1/kb/gaps?days=7").then(function (gaps) {
      gapsBox.textContent = "";
      gapsBox.appendChild(table("Knowledge gaps", ["Topic", "Questions", "Before", "Trend", "To a person", "Proposal", "Example", ""],
        gaps.map(function (g) {
          var draft = button("Draft article", function () {
            return api("POST", "/api/v1/kb/drafts", { title: g.draft.title, body: g.draft.body, intents: g.draft.intents })
              .then(function (d) { status.textContent = "Draft " + d.id + " started: " + d.title; refresh(); });
          });
          return [g.name, String(g.volume), String(g.previous_volume), g.trend, String(g.escalated),
            g.proposal === "intent" ? "new intent" : "article", g.examples[0] || "", draft];
        })));
    }).catch(function (e) { gapsBox.textContent = e.message; });
    var feedback = el("div");
    learning.appendChild(feedback);
    loadFeedback(feedback);
    var articles = el("div");
    learning.appendChild(articles);
    loadArticles(articles);
    var weekly = el("div", { "aria-label": "Weekly review" });
    weekly.appendChild(button("Weekly review", function () { return loadReview(weekly); }));
    learning.appendChild(weekly);
    var models = el("div");
    learning.appendChild(models);
    Promise.all([api("GET", "/api/v1/learning/models?limit=10"), api("GET", "/api/v1/learning/status"), api("GET", "/api/v1/learning/leaderboard")])
      .then(function (r) {
        var versions = r[0], run = r[1], board = r[2];
        var line = el("p", { "aria-live": "polite", "aria-label": "Retraining" }, "Retraining: " + run.state + (run.stage ? " (" + run.stage + " " + run.done + "/" + run.total + ")" : "") +
          (run.result ? ". Last result: " + run.result.reason : "") + (run.error ? ". " + run.error : ""));
        models.appendChild(line);
        models.appendChild(button("Retrain now", function () {
          return api("POST", "/api/v1/learning/runs").then(function (s) { line.textContent = "Retraining: " + s.state; pollRun(line); });
        }));
        models.appendChild(table("Intent models", ["Version", "Status", "Trigger", "Corrections", "In-scope accuracy", "Reason"], versions.map(function (v) {
          var figures = (v.metrics.challenger || v.metrics.self || {});
          return ["v" + v.version, v.status, v.trigger, String(v.feedback_examples),
            figures.in_scope_accuracy === undefined ? "–" : (100 * figures.in_scope_accuracy).toFixed(1) + " %", v.reason];
        })));
        models.appendChild(table("Who taught the bot", ["Agent", "Corrections", "Promoted models"], board.map(function (c) {
          return [c.name || "#" + c.staff_id, String(c.corrections), String(c.promoted_models)];
        })));
      }).catch(function (e) { models.textContent = e.message; });
  }
  var KIND_NAMES = { intent: "Intents", article: "Articles", escalation_reason: "Escalation reasons", reply: "Suggestion verdicts",
    satisfaction: "Ratings", sentiment: "Sentiment overrides" };
  function loadFeedback(box) {
    // every kind of feedback as labelled examples, and the corrections the serving model doubted
    box.textContent = "Collecting feedback…";
    Promise.all([api("POST", "/api/v1/learning/examples/collect"), api("GET", "/api/v1/learning/examples?review=held&limit=50")])
      .then(function (r) {
        var summary = r[0], held = r[1];
        box.textContent = "";
        box.appendChild(el("h2", {}, "Feedback the bot learns from"));
        box.appendChild(el("p", {}, Object.keys(summary.kinds).map(function (k) { return (KIND_NAMES[k] || k) + ": " + summary.kinds[k]; }).join(" · ")));
        function decide(example, decision) {
          return button(decision === "approve" ? "Approve" : "Reject", function () {
            return api("POST", "/api/v1/learning/examples/" + example.id + "/review", { decision: decision }).then(function () {
              status.textContent = (decision === "approve" ? "Approved: the next retraining learns " : "Rejected: never learned: ") +
                "\u201c" + example.text.slice(0, 60) + "\u201d as " + example.label;
              loadFeedback(box);
            });
          });
        }
        box.appendChild(table("Corrections waiting for review (" + held.length + ")", ["Customer said", "Agent's intent", "Conversation", "When", "", ""],
          held.map(function (x) {
            return [x.text, x.label, x.conversation_id ? "#" + x.conversation_id : "", x.created_at.slice(0, 16).replace("T", " "), decide(x, "approve"), decide(x, "reject")];
          })));
      }).catch(function (e) { box.textContent = e.message; });
  }
  function loadArticles(box) {
    // how each article does: answers, success without a person, and what to look at
    api("GET", "/api/v1/kb/health?days=30").then(function (rows) {
      box.textContent = "";
      var head = el("div", { class: "row" });
      head.appendChild(el("h2", {}, "Knowledge articles (last 30 days)"));
      head.appendChild(el("a", { href: "/api/v1/kb/export", download: "articles.json" }, "Export as JSON"));
      box.appendChild(head);
      // articles the bot used or that need a look; the merely unused ones are counted, not listed
      var shown = rows.filter(function (r) { return r.uses > 0 || r.flags.some(function (f) { return f !== "unused"; }); });
      box.appendChild(table("Knowledge articles", ["Article", "Languages", "Answers", "Without a person", "Updated", "To look at"], shown.map(function (r) {
        return [r.title + " (" + r.slug + ")", r.locales.join(", "), String(r.uses),
          r.success_rate === null ? "–" : Math.round(100 * r.success_rate) + " %", r.updated_at ? r.updated_at.slice(0, 10) : "", r.notes.join("; ")];
      })));
      var idle = rows.length - shown.length;
      if (idle) box.appendChild(el("p", {}, idle + " other articles were not used by the bot in the last 30 days."));
    }).catch(function (e) { box.textContent = e.message; });
  }
  function loadReview(box) {
    // on demand: it groups a week of escalations and finds the week's topics
    box.textContent = "Preparing the weekly review…";
    return api("GET", "/api/v1/learning/review?days=7").then(function (r) {
      box.textContent = "";
      var head = el("div", { class: "row" });
      head.appendChild(el("h2", {}, "Weekly review: " + r.start.slice(0, 10) + " to " + r.end.slice(0, 10)));
      head.appendChild(el("a", { href: "/api/v1/learning/review?days=7&format=markdown", download: "weekly-review.md" }, "Download as Markdown"));
      box.appendChild(head);
      box.appendChild(el("p", {}, r.escalated + " conversations went to a person (" + r.trend + "; " + r.previous_escalated +
        " the week before); " + r.untagged + " without a reason tagged."));
      box.appendChild(table("Top opportunities", ["#", "Opportunity", "What to do", "Volume", "Trend"], r.opportunities.map(function (o, i) {
        return [String(i + 1), o.title, o.action, String(o.volume), o.trend];
      })));
      box.appendChild(table("Escalations by reason", ["Reason", "This week", "Week before", "Trend", "Example"], r.by_reason.map(function (g) {
        return [g.label, String(g.volume), String(g.previous), g.trend, g.examples[0] || ""];
      })));
      box.appendChild(table("Product feedback", ["What", "This week", "Trend", "Examples"], r.product.map(function (g) {
        return [g.label, String(g.volume), g.trend, g.examples.join(" · ")];
      })));
    }).catch(function (e) { box.textContent = e.message; });
  }
  function pollRun(line) {
    api("GET", "/api/v1/learning/status").then(function (run) {
      line.textContent = "Retraining: " + run.state + (run.stage ? " (" + run.stage + " " + run.done + "/" + run.total + ")" : "");
      if (run.state === "queued" || run.state === "running") setTimeout(function () { pollRun(line); }, 1000);
      else loadLearning();
    }).catch(function (e) { line.textContent = e.message; });
  }
  refresh();
  loadLearning();
  setInterval(refresh, 3000);
  Tandem.agentLive(function () {});  // a supervisor on this page is at their desk: presence follows it too
})();
