/* The agent console: offers, my conversations, the queue, and one conversation with its handoff summary,
 * transcript, customer and composer. Every call goes through the API with the session cookie; writes carry
 * the x-tandem-console header. All text from the network is set with textContent. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var state = { me: null, current: null, lastSeq: 0, socket: null, packet: null, mine: [], offers: [], typedAt: 0 };

  var el = Tandem.el, api = Tandem.api, duration = Tandem.duration;
  function flash(text) { notice.textContent = text; }

  // --- layout ----------------------------------------------------------------------------------------------
  app.textContent = "";
  app.removeAttribute("aria-live");
  var header = el("header");
  var title = el("h1", {}, "Tandem console");
  var presence = el("select", { "aria-label": "Presence" });
  ["online", "away", "offline"].forEach(function (value) { presence.appendChild(el("option", { value: value }, value)); });
  var logout = el("button", { type: "button" }, "Sign out");
  header.appendChild(title); header.appendChild(presence); header.appendChild(logout);
  var notice = el("p", { role: "status", class: "sr" });
  var layout = el("div", { class: "layout" });
  var lists = el("section", { "aria-label": "Conversations" });
  var main = el("section", { "aria-label": "Conversation" });
  var side = el("section", { "aria-label": "Customer" });
  layout.appendChild(lists); layout.appendChild(main); layout.appendChild(side);
  app.appendChild(header); app.appendChild(notice); app.appendChild(layout);
  var offersList = el("ul"), mineList = el("ul"), waitingList = el("ul");
  lists.appendChild(el("h2", {}, "Offered to me")); lists.appendChild(offersList);
  lists.appendChild(el("h2", {}, "My conversations")); lists.appendChild(mineList);
  lists.appendChild(el("h2", {}, "Waiting")); lists.appendChild(waitingList);
  main.appendChild(el("p", { class: "empty" }, "Choose a conversation."));

  presence.addEventListener("change", function () {
    state.presenceChosen = true;  // the server's value, read at start, must not overwrite a choice made meanwhile
    api("PUT", "/api/v1/routing/presence", { presence: presence.value }).then(function (me) { showPresence(me); refresh(); })
      .catch(function (e) { flash(e.message); });
  });
  function showPresence(me) {
    // the select shows what I chose; routing follows this page's live connection (closing every tab makes
    // me offline after a short grace, and reopening the console brings back what I chose)
    presence.value = me.chosen_presence;
    presence.title = me.presence === me.chosen_presence ? "" : "Routing sees you as " + me.presence;
    flash("You are " + me.chosen_presence + ".");
  }
  function onLive(frame) {
    // offers and my presence, live (the lists are also refreshed every few seconds)
    if (frame.type === "hello" && frame.agent) {
      if (!state.presenceChosen) presence.value = frame.agent.chosen_presence;
      refresh();
    } else if (frame.type === "presence" && state.me && frame.staff_id === state.me.id) {
      presence.value = frame.chosen_presence;
    } else if (frame.type === "offer" || frame.type === "offer_withdrawn" || frame.type === "resync") {
      refresh();
    }
  }
  Tandem.agentLive(onLive);
  logout.addEventListener("click", function () {
    api("POST", "/console/logout").then(function () { location.assign("/console/login"); });
  });

  // --- lists -----------------------------------------------------------------------------------------------
  function fill(list, items, render) {
    list.textContent = "";
    if (!items.length) { list.appendChild(el("li", { class: "empty" }, "None")); return; }
    items.forEach(function (item) { list.appendChild(render(item)); });
  }
  function workItem(item) {
    // one line per conversation: who, how long they have waited, how they feel, what they last said
    var li = el("li");
    var button = el("button", { type: "button", class: "pick", "aria-current": String(state.current === item.conversation_id) });
    var top = el("span", { class: "line" });
    top.appendChild(el("strong", {}, "#" + item.conversation_id + " " + (item.customer_name || "Visitor")));
    var mood = item.mood;
    var arrow = mood.direction === "rising" ? " ↑" : mood.direction === "falling" ? " ↓" : "";
    top.appendChild(el("span", { class: "badge " + mood.label, title: "Mood from the latest messages: " + mood.label + (arrow ? ", " + mood.direction : "") },
      mood.label + arrow));
    button.appendChild(top);
    var waited = item.waiting_seconds !== null ? "waiting " + duration(item.waiting_seconds)
      : item.awaiting_reply_seconds !== null ? "no reply for " + duration(item.awaiting_reply_seconds) : "answered";
    button.appendChild(el("span", { class: "meta" }, [item.locale, item.queue, waited].filter(Boolean).join(" · ")));
    if (item.last_message) button.appendChild(el("span", { class: "preview" }, item.last_message));
    if (item.tags.length) button.appendChild(el("span", { class: "meta" }, item.tags.join(", ")));
    button.addEventListener("click", function () { open(item.conversation_id); });
    li.appendChild(button);
    return li;
  }
  function refresh() {
    if (!state.me) return;
    api("GET", "/api/v1/routing/offers").then(function (offers) {
      state.offers = offers;
      fill(offersList, offers, function (offer) {
        var li = el("li");
        li.appendChild(el("span", {}, "#" + offer.conversation_id + " · " + offer.queue + " "));
        var accept = el("button", { type: "button", class: "primary" }, "Accept");
        accept.addEventListener("click", function () { acceptOffer(offer.conversation_id); });
        var decline = el("button", { type: "button" }, "Decline");
        decline.addEventListener("click", function () {
          api("POST", "/api/v1/routing/offers/" + offer.conversation_id + "/decline").then(refresh);
        });
        li.appendChild(accept); li.appendChild(decline);
        return li;
      });
    }).catch(function () {});
    api("GET", "/api/v1/worklist").then(function (work) {
      state.mine = work.mine.map(function (item) { return item.conversation_id; });
      fill(mineList, work.mine, workItem);
      fill(waitingList, work.waiting, workItem);
    }).catch(function () {});
  }
  function acceptOffer(cid) {
    api("POST", "/api/v1/routing/offers/" + cid + "/accept")
      .then(function () { refresh(); open(cid); })
      .catch(function (e) { flash(e.message); refresh(); });
  }

  // --- one conversation ------------------------------------------------------------------------------------
  var summary, transcript, composer, box, isPrivate, tagsRow, typingLine, articleForm, typingTimer, followUp;
  function open(cid) {
    state.current = cid; state.lastSeq = 0; state.packet = null; state.assist = null; state.locale = "en";
    if (state.socket) { state.socket.onclose = null; state.socket.close(); }
    main.textContent = ""; side.textContent = "";
    main.appendChild(el("h2", {}, "Conversation #" + cid));
    summary = el("div", { class: "summary", "aria-label": "Handoff summary" }, "No handoff summary yet.");
    transcript = el("div", { class: "transcript", role: "log", "aria-label": "Transcript" });
    composer = el("form", { class: "composer", "aria-label": "Reply" });
    box = el("textarea", { "aria-label": "Reply to the customer", id: "reply" });
    var row = el("div", { class: "row" });
    var insert = el("button", { type: "button" }, "Insert suggested reply");
    var privateLabel = el("label");
    isPrivate = el("input", { type: "checkbox" });
    privateLabel.appendChild(isPrivate); privateLabel.appendChild(document.createTextNode(" Private note"));
    var send = el("button", { type: "submit", class: "primary" }, "Send");
    row.appendChild(insert); row.appendChild(privateLabel); row.appendChild(send);
    composer.appendChild(box); composer.appendChild(row);
    tagsRow = el("div", { class: "tags", role: "group", "aria-label": "Tags" });
    typingLine = el("p", { class: "typing", "aria-live": "polite" });
    articleForm = el("div", { class: "article-form", hidden: "" });
    followUp = el("p", { class: "follow-up", role: "note", hidden: "" });
    main.appendChild(followUp);
    main.appendChild(summary); main.appendChild(actions(cid)); main.appendChild(tagsRow); main.appendChild(articleForm);
    main.appendChild(transcript); main.appendChild(typingLine); main.appendChild(composer);
    if (location.hash !== "#c=" + cid) history.replaceState(null, "", "#c=" + cid);
    api("GET", "/api/v1/conversations/" + cid).then(function (conversation) {
      state.locale = conversation.locale.split("-")[0];
      showTags(cid, conversation.tags);
      showFollowUp(conversation.follow_up_email);
    }).catch(function () {});
    box.addEventListener("input", function () {
      // the customer sees "<name> is typing"; at most one signal every two seconds
      if (!state.socket || state.socket.readyState !== 1 || isPrivate.checked || Date.now() - state.typedAt < 2000) return;
      state.typedAt = Date.now();
      state.socket.send(JSON.stringify({ type: "typing" }));
    });
    insert.addEventListener("click", insertSuggestion);
    composer.addEventListener("submit", function (event) { event.preventDefault(); sendReply(); });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendReply(); }
    });
    api("GET", "/api/v1/conversations/" + cid + "/handoff-packet").then(showPacket).catch(function () {}).then(loadAssist);
    api("GET", "/api/v1/conversations/" + cid + "/messages?after_seq=0&limit=500").then(function (messages) {
      messages.forEach(addMessage);
      connect(cid);
    });
    refresh();
  }
  function showFollowUp(email) {
    // the customer asked to be answered by e-mail: public replies go there while their chat is closed
    followUp.hidden = !email;
    followUp.textContent = email ? "Follow-up by e-mail: " + email + ". While the customer's chat is closed, " +
      "your public replies are e-mailed to them (private notes never are)." : "";
  }
  function showPacket(packet) {
    state.packet = packet.packet;
    assistPanel = null;
    if (state.overrideButton) state.overrideButton.hidden = packet.trigger !== "sentiment";
    summary.textContent = packet.packet.note;
    var customer = packet.packet.customer || {};
    side.textContent = "";
    side.appendChild(el("h2", {}, customer.name || "Customer"));
    if (customer.membership) side.appendChild(el("p", {}, customer.membership + " member"));
    if (customer.email) side.appendChild(el("p", {}, customer.email));
    var orders = el("ul", { "aria-label": "Recent orders" });
    (customer.orders || []).forEach(function (order) {
      orders.appendChild(el("li", {}, order.number + " · " + order.status + " · " + order.total));
    });
    side.appendChild(el("h2", {}, "Recent orders"));
    side.appendChild(orders);
    side.appendChild(intentForm(packet.conversation_id, (packet.packet.summary || {}).intent));
  }
  function intentForm(cid, detected) {
    // the summary's intent, and a correction the learning loop learns from
    var form = el("form", { class: "intentfix", "aria-label": "Correct the intent" });
    form.appendChild(el("span", {}, "Intent: " + (detected && detected.intent ? detected.intent : "not found") + " "));
    var input = el("input", { "aria-label": "Right intent", placeholder: "right intent", pattern: "[a-z0-9_]+", required: "" });
    form.appendChild(input);
    form.appendChild(el("button", { type: "submit" }, "Correct"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      api("POST", "/api/v1/conversations/" + cid + "/intent-correction", { intent: input.value.trim() })
        .then(function () { form.textContent = "Intent corrected to " + input.value.trim() + ": the bot will learn from it."; })
        .catch(function (e) { flash(e.message); });
    });
    return form;
  }
  function showTyping(on) {
    clearTimeout(typingTimer);
    typingLine.textContent = on ? "The customer is typing…" : "";
    if (on) typingTimer = setTimeout(function () { showTyping(false); }, 4000);
  }
  function showTags(cid, tags) {
    // free tags, and the reason:<code> tags the reason picker sets; Enter adds, × removes
    tagsRow.textContent = "";
    tags.forEach(function (tag) {
      var chip = el("span", { class: "chip" }, tag);
      var remove = el("button", { type: "button", "aria-label": "Remove tag " + tag }, "×");
      remove.addEventListener("click", function () { changeTags(cid, { remove: [tag] }); });
      chip.appendChild(remove);
      tagsRow.appendChild(chip);
    });
    var input = el("input", { "aria-label": "Add a tag", placeholder: "Add a tag and press Enter", maxlength: "60" });
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var tag = input.value.trim();
      if (tag) changeTags(cid, { add: [tag] }, true);
    });
    tagsRow.appendChild(input);
  }
  function changeTags(cid, change, refocus) {
    api("POST", "/api/v1/conversations/" + cid + "/tags", change).then(function (conversation) {
      if (cid !== state.current) return;
      showTags(cid, conversation.tags);
      if (refocus) tagsRow.querySelector("input").focus();
      refresh();
    }).catch(function (e) { flash(e.message); });
  }
  function customerWords() {
    return Array.prototype.map.call(transcript.querySelectorAll(".msg.customer"), function (n) { return n.lastChild.textContent; });
  }
  function openArticleForm() {
    // a new article, or a better version of one the assist panel found, written from this conversation
    var cid = state.current;
    if (!cid) return;
    articleForm.textContent = "";
    articleForm.hidden = false;
    var form = el("form", { "aria-label": "Knowledge article" });
    var which = el("select", { "aria-label": "Article" });
    which.appendChild(el("option", { value: "" }, "New article"));
    ((state.assist && state.assist.articles) || []).forEach(function (a) {
      which.appendChild(el("option", { value: a.slug + "|" + a.locale }, "Improve: " + a.title));
    });
    var title = el("input", { "aria-label": "Article title", placeholder: "Title", required: "", minlength: "3", maxlength: "300" });
    var body = el("textarea", { "aria-label": "Article text", placeholder: "What should customers and the bot know?", required: "", minlength: "20" });
    var intents = el("input", { "aria-label": "Intents", placeholder: "intents it answers, comma-separated (optional)" });
    var note = el("input", { "aria-label": "Note for the reviewer", placeholder: "note for the reviewer (optional)", maxlength: "500" });
    // the language variant: editing an article in a language it lacks proposes that variant (same slug)
    var language = el("select", { "aria-label": "Language" });
    ["en", "es", "fr", "de"].forEach(function (code) { language.appendChild(el("option", { value: code }, code)); });
    language.value = ["en", "es", "fr", "de"].indexOf(state.locale) >= 0 ? state.locale : "en";
    var variantExists = true;
    var save = el("button", { type: "submit", class: "primary" }, "Save draft for review");
    var cancel = el("button", { type: "button" }, "Cancel");
    [which, language, title, body, intents, note].forEach(function (field) { form.appendChild(field); });
    var row = el("div", { class: "row" }); row.appendChild(save); row.appendChild(cancel); form.appendChild(row);
    articleForm.appendChild(el("h2", {}, "Knowledge article from this conversation"));
    articleForm.appendChild(form);
    var asked = customerWords();
    var replies = Array.prototype.map.call(transcript.querySelectorAll(".msg.agent"), function (n) { return n.lastChild.textContent; });
    title.value = (asked[0] || "").slice(0, 120);
    body.value = replies.length ? replies[replies.length - 1] : "";
    var intent = state.packet && state.packet.summary && state.packet.summary.intent && state.packet.summary.intent.intent;
    if (intent) intents.value = intent;
    function loadVariant() {
      if (!which.value) return;
      var slug = which.value.split("|")[0];
      api("GET", "/api/v1/kb/articles/" + encodeURIComponent(slug) + "?locale=" + encodeURIComponent(language.value)).then(function (a) {
        variantExists = true;
        title.value = a.title; body.value = a.body; intents.value = a.intents.join(", ");
      }).catch(function () {
        variantExists = false;  // keep the text to translate; saving proposes the new language version
        flash("No " + language.value + " version yet: saving proposes one.");
      });
    }
    which.addEventListener("change", function () {
      if (which.value) language.value = which.value.split("|")[1];
      loadVariant();
    });
    language.addEventListener("change", loadVariant);
    cancel.addEventListener("click", function () { articleForm.hidden = true; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var slug = which.value ? which.value.split("|")[0] : null;
      api("POST", "/api/v1/kb/drafts", {
        edit_of: slug && variantExists ? slug : null, slug: slug && !variantExists ? slug : null,
        locale: language.value, title: title.value.trim(), body: body.value.trim(),
        intents: intents.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean),
        conversation_id: cid, note: note.value.trim() || null
      }).then(function (draft) {
        articleForm.hidden = true;
        flash("Draft " + draft.id + " saved: a supervisor will review it.");
      }).catch(function (e) { flash(e.message); });
    });
    title.focus();
  }
  function actions(cid) {
    var bar = el("div", { class: "actions", role: "group", "aria-label": "Actions" });
    function action(label, run) {
      var button = el("button", { type: "button" }, label);
      button.addEventListener("click", function () {
        run().then(function () { flash(label + ": done."); refresh(); }).catch(function (e) { flash(e.message); });
      });
      bar.appendChild(button);
      return button;
    }
    var reason = el("input", { "aria-label": "Reason or disposition", placeholder: "Reason or disposition" });
    bar.appendChild(reason);
    function why(fallback) { return reason.value.trim() || fallback; }
    action("Escalate to Tier 2", function () {
      return api("POST", "/api/v1/conversations/" + cid + "/escalate", { to: "tier2", reason: why("needs Tier 2") });
    });
    action("Escalate to a supervisor", function () {
      return api("POST", "/api/v1/conversations/" + cid + "/escalate", { to: "supervisor", reason: why("needs a supervisor") });
    });
    action("Hand back to the bot", function () {
      return api("POST", "/api/v1/conversations/" + cid + "/hand-back", { reason: why("") || null });
    });
    var override = action("Escalation not needed", function () {
      return api("POST", "/api/v1/conversations/" + cid + "/escalation/override", { reason: why("the customer was not upset") });
    });
    override.hidden = true;
    action("Close (wrap up)", function () {
      return api("POST", "/api/v1/conversations/" + cid + "/close", { reason: why("resolved") });
    });
    state.overrideButton = override;
    var write = el("button", { type: "button" }, "Write article");
    write.addEventListener("click", openArticleForm);
    bar.appendChild(write);
    // why it needed a person, from the fixed taxonomy
    var reasons = el("select", { "aria-label": "Escalation reason" });
    reasons.appendChild(el("option", { value: "" }, "Why did it need a person?"));
    api("GET", "/api/v1/routing/escalation-reasons").then(function (list) {
      list.forEach(function (r) { reasons.appendChild(el("option", { value: r.code }, r.label)); });
    }).catch(function () {});
    reasons.addEventListener("change", function () {
      if (!reasons.value) return;
      api("POST", "/api/v1/conversations/" + cid + "/escalation-reason", { code: reasons.value })
        .then(function () { flash("Reason saved."); }).catch(function (e) { flash(e.message); });
    });
    bar.appendChild(reasons);
    // transfer to a colleague who is online
    var colleagues = el("select", { "aria-label": "Transfer to" });
    colleagues.appendChild(el("option", { value: "" }, "Transfer to…"));
    function loadColleagues() {  // who is online changes: read it again whenever the list is opened
      api("GET", "/api/v1/routing/agents").then(function (agents) {
        while (colleagues.options.length > 1) colleagues.remove(1);
        agents.filter(function (a) { return a.presence === "online" && a.staff_id !== state.me.id; }).forEach(function (a) {
          colleagues.appendChild(el("option", { value: String(a.staff_id) }, a.name + " (" + a.load + "/" + a.capacity + ")"));
        });
      }).catch(function () {});
    }
    loadColleagues();
    colleagues.addEventListener("focus", loadColleagues);
    colleagues.addEventListener("change", function () {
      if (!colleagues.value) return;
      api("POST", "/api/v1/conversations/" + cid + "/transfer", { staff_id: Number(colleagues.value), note: why("") || null })
        .then(function () { flash("Transferred."); refresh(); main.textContent = ""; side.textContent = ""; state.current = null; })
        .catch(function (e) { flash(e.message); colleagues.value = ""; });
    });
    bar.appendChild(colleagues);
    return bar;
  }
  function insertSuggestion() {
    var handoff = (state.assist && state.assist.suggestions || []).filter(function (x) { return x.kind === "handoff"; })[0];
    if (handoff) { use(handoff, 0); return; }
    if (state.packet && state.packet.suggested_reply) { box.value = state.packet.suggested_reply; box.focus(); }
  }
  function use(suggestion, rank) {
    box.value = suggestion.text;
    state.used = { suggestion: suggestion, rank: rank };
    box.focus();
  }
  function feedback(suggestion, rank, action, finalText) {
    return api("POST", "/api/v1/conversations/" + state.current + "/assist/feedback", {
      suggestion_id: suggestion.id, kind: suggestion.kind, action: action, suggested_text: suggestion.text,
      final_text: finalText || null, rank: rank
    }).catch(function () {});
  }
  var assistPanel = null;
  function loadAssist() {
    var cid = state.current;
    api("GET", "/api/v1/conversations/" + cid + "/assist").then(function (help) {
      if (cid !== state.current) return;
      state.assist = help;
      if (assistPanel) assistPanel.remove();
      assistPanel = el("div", { class: "assist", "aria-label": "Assist" });
      if (help.coaching_tip) assistPanel.appendChild(el("p", { class: "tip", role: "note" }, help.coaching_tip));
      if (help.next_best_action) {
        assistPanel.appendChild(el("h2", {}, "Next best action"));
        assistPanel.appendChild(el("p", { class: "nba" }, help.next_best_action));
      }
      assistPanel.appendChild(el("h2", {}, "Suggested replies"));
      var list = el("ul", { "aria-label": "Suggested replies" });
      if (!help.suggestions.length) list.appendChild(el("li", { class: "empty" }, "None yet"));
      help.suggestions.forEach(function (suggestion, rank) {
        var li = el("li", { class: "suggestion" });
        li.appendChild(el("p", {}, suggestion.text));
        li.appendChild(el("small", {}, suggestion.source));
        var useButton = el("button", { type: "button" }, "Use");
        useButton.addEventListener("click", function () { use(suggestion, rank); });
        var dismiss = el("button", { type: "button" }, "Dismiss");
        dismiss.addEventListener("click", function () { feedback(suggestion, rank, "rejected"); li.remove(); });
        li.appendChild(useButton); li.appendChild(dismiss);
        list.appendChild(li);
      });
      assistPanel.appendChild(list);
      if (help.articles.length) {
        assistPanel.appendChild(el("h2", {}, "Articles"));
        var articles = el("ul", { "aria-label": "Articles" });
        help.articles.forEach(function (a) {
          // the title opens the article here; "Insert" puts its first paragraph in the reply box
          var li = el("li");
          var fold = el("details");
          fold.appendChild(el("summary", {}, a.title));
          var text = el("p", { class: "article-body" }, "Loading…");
          fold.appendChild(text);
          fold.addEventListener("toggle", function () {
            if (!fold.open || fold.getAttribute("data-loaded")) return;
            fold.setAttribute("data-loaded", "1");
            api("GET", "/api/v1/kb/articles/" + encodeURIComponent(a.slug) + "?locale=" + encodeURIComponent(a.locale))
              .then(function (article) {
                text.textContent = article.body;
                var insert = el("button", { type: "button" }, "Insert");
                insert.addEventListener("click", function () {
                  box.value = (box.value ? box.value + "\n\n" : "") + article.body.split("\n\n")[0];
                  box.focus();
                });
                fold.appendChild(insert);
              }).catch(function (e) { text.textContent = e.message; });
          });
          li.appendChild(fold);
          articles.appendChild(li);
        });
        assistPanel.appendChild(articles);
      }
      side.appendChild(assistPanel);
    }).catch(function () {});
  }
  function addMessage(message) {
    if (message.conversation_id !== state.current || transcript.querySelector('[data-seq="' + message.seq + '"]')) return;
    var kind = message.private ? "private" : message.author_kind;
    var node = el("div", { class: "msg " + kind, "data-seq": String(message.seq) });
    if (message.author_kind !== "system" || message.private) {
      var who = message.author_kind === "customer" ? "Customer" : message.author_kind === "bot" ? "Bot" :
        message.author_kind === "system" ? "Handoff note" : (message.author_name || "Agent");
      node.appendChild(el("span", { class: "who" }, who + (message.private && message.author_kind !== "system" ? " (private)" : "")));
    }
    if (message.meta && message.meta.event === "handoff_packet") {
      // the same text as the summary on top: folded here, so the transcript stays readable
      var fold = el("details");
      fold.appendChild(el("summary", {}, "The handoff summary (shown on top)"));
      fold.appendChild(document.createTextNode(message.body));
      node.appendChild(fold);
    } else {
      node.appendChild(document.createTextNode(message.body));
    }
    if (message.meta && message.meta.trace) {
      var why = el("button", { type: "button", class: "why", "aria-expanded": "false" }, "Why?");
      var trace = el("pre", { class: "trace", hidden: "" }, JSON.stringify(message.meta.trace, null, 2));
      why.addEventListener("click", function () {
        trace.hidden = !trace.hidden;
        why.setAttribute("aria-expanded", String(!trace.hidden));
      });
      node.appendChild(why); node.appendChild(trace);
    }
    if (message.author_kind === "bot") node.appendChild(botFailedForm(message));
    transcript.appendChild(node);
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    if (message.meta && message.meta.event === "follow_up") showFollowUp(message.meta.email);
    if (message.meta && message.meta.event === "handoff_packet") {
      api("GET", "/api/v1/conversations/" + state.current + "/handoff-packet").then(showPacket).then(loadAssist)
        .catch(function () {});
    } else if (message.author_kind === "customer" && state.assist) {
      loadAssist();  // new words from the customer: new suggestions
    }
    transcript.scrollIntoView({ block: "end" });
  }
  function botFailedForm(message) {
    // "The bot failed here": the right intent or article, for the learning loop
    var toggle = el("button", { type: "button", class: "why", "aria-expanded": "false" }, "Bot failed here");
    var form = el("form", { class: "botfail", hidden: "" });
    var intent = el("input", { "aria-label": "Right intent", placeholder: "right intent, e.g. missing_package" });
    var article = el("input", { "aria-label": "Right article", placeholder: "right article slug (optional)" });
    var save = el("button", { type: "submit" }, "Save");
    form.appendChild(intent); form.appendChild(article); form.appendChild(save);
    toggle.addEventListener("click", function () {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) intent.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      api("POST", "/api/v1/conversations/" + message.conversation_id + "/messages/" + message.seq + "/bot-failure", {
        correct_intent: intent.value.trim() || null, correct_article: article.value.trim() || null
      }).then(function () { form.hidden = true; toggle.textContent = "Marked: bot failed here"; flash("Thanks: the bot will learn from it."); })
        .catch(function (e) { flash(e.message); });
    });
    var wrap = el("span");
    wrap.appendChild(toggle); wrap.appendChild(form);
    return wrap;
  }
  function connect(cid) {
    var url = location.origin.replace(/^http/, "ws") + "/api/v1/conversations/" + cid + "/live?after_seq=" + state.lastSeq;
    var socket = new WebSocket(url);
    state.socket = socket;
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "message" || frame.type === "ack") { addMessage(frame.message); if (frame.message.author_kind === "customer") showTyping(false); }
      else if (frame.type === "typing" && frame.author_kind === "customer") showTyping(true);
    };
    socket.onclose = function () { if (state.socket === socket && state.current === cid) setTimeout(function () { connect(cid); }, 1000); };
  }
  function sendReply() {
    var text = box.value.trim();
    if (!text || !state.current) return;
    var body = { body: text, private: isPrivate.checked, client_message_id: "c-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 7) };
    var used = state.used;
    state.used = null;
    api("POST", "/api/v1/conversations/" + state.current + "/messages", body).then(function (posted) {
      if (used && !body.private) {
        var same = text === used.suggestion.text.trim();
        feedback(used.suggestion, used.rank, same ? "accepted" : "edited", same ? null : text);
      }
      box.value = ""; addMessage(posted.message); refresh();
    }).catch(function (e) { flash(e.message); });
  }

  // --- keyboard shortcuts ----------------------------------------------------------------------------------
  var SHORTCUTS = [
    ["j / k", "next / previous of my conversations"], ["a", "accept the oldest offer"],
    ["r or /", "write a reply"], ["i", "insert the suggested reply"], ["n", "switch private note on or off"],
    ["w", "write a knowledge article from this conversation"], ["Ctrl+Enter", "send (in the reply box)"],
    ["Esc", "leave the reply box"], ["?", "show or hide this list"]
  ];
  var help = el("div", { class: "help", role: "dialog", "aria-label": "Keyboard shortcuts", hidden: "" });
  help.appendChild(el("h2", {}, "Keyboard shortcuts"));
  var keys = el("dl");
  SHORTCUTS.forEach(function (pair) { keys.appendChild(el("dt", {}, pair[0])); keys.appendChild(el("dd", {}, pair[1])); });
  help.appendChild(keys);
  app.appendChild(help);
  var helpButton = el("button", { type: "button", "aria-label": "Keyboard shortcuts" }, "?");
  helpButton.addEventListener("click", function () { help.hidden = !help.hidden; });
  header.insertBefore(helpButton, logout);
  function step(delta) {
    if (!state.mine.length) return;
    var at = state.mine.indexOf(state.current);
    var next = at === -1 ? 0 : (at + delta + state.mine.length) % state.mine.length;
    open(state.mine[next]);
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var handled = true;
    switch (event.key) {
      case "j": step(1); break;
      case "k": step(-1); break;
      case "a": if (state.offers.length) acceptOffer(state.offers[0].conversation_id); break;
      case "r": case "/": if (box && state.current) box.focus(); else handled = false; break;
      case "i": if (state.current) insertSuggestion(); break;
      case "n": if (isPrivate && state.current) { isPrivate.checked = !isPrivate.checked; flash(isPrivate.checked ? "Private note on." : "Private note off."); } break;
      case "w": openArticleForm(); break;
      case "?": help.hidden = !help.hidden; break;
      case "Escape": help.hidden = true; break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // --- start -----------------------------------------------------------------------------------------------
  api("GET", "/api/v1/staff/me").then(function (me) {
    state.me = me;
    title.textContent = "Tandem console · " + me.name;
    if (me.role === "supervisor" || me.role === "admin") {
      var link = el("a", { href: "/console/supervisor" }, "Supervisor view");
      header.insertBefore(link, presence);
    }
    return api("GET", "/api/v1/routing/agents");
  }).then(function (agents) {
    var mine = agents.filter(function (a) { return a.staff_id === state.me.id; })[0];
    if (mine && !state.presenceChosen) presence.value = mine.chosen_presence;
    var linked = /^#c=(\d+)$/.exec(location.hash);  // e.g. from the supervisor view's "Join"
    if (linked) open(Number(linked[1]));
    refresh();
    setInterval(refresh, 3000);
  }).catch(function (e) { flash(e.message); });
})();
