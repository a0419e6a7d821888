/* Tandem chat widget: one script tag, no dependencies, nothing loaded from elsewhere.
 *
 *   <script src="https://support.example.com/static/widget.js" data-locale="en" defer></script>
 *
 * The assistant greets the visitor when the panel opens (no conversation is started for that), live
 * messages come over a WebSocket that resumes after its last sequence number (nothing lost, nothing
 * twice), "Talk to an agent" while the assistant has the conversation, the place in the queue and an
 * e-mail follow-up while waiting, a rating and "Start a new conversation" at the end, and a countdown of
 * the characters left near the length limit. Every text from the network is set with textContent:
 * customer or agent text with HTML in it is shown as text.
 */
(function () {
  "use strict";
  if (window.TandemWidget) return;
  var script = document.currentScript;
  var origin = new URL(script.src, location.href).origin;
  var locale = ((script.dataset.locale || navigator.language || "en").slice(0, 2) || "en").toLowerCase();
  var STORE = "tandem-widget:" + origin;

  var WORDS = {
    en: {
      open: "Chat with us", close: "Close chat", title: "Loom & Lantern support", input: "Your message",
      placeholder: "Type your message and press Enter", send: "Send", agent: "Talk to an agent",
      typing: "The assistant is typing…", agentTyping: "{name} is typing…", you: "You", bot: "Assistant", agentName: "Agent",
      queue: "You're number {p} in the queue. Expected wait: about {w}.",
      next: "You're next. Expected wait: about {w}.",
      nobody: "Nobody from our team is online right now. Your place in the queue is kept.",
      minute: "1 minute", minutes: "{n} minutes", reconnecting: "Connection lost, reconnecting…",
      rate: "How did we do?", star: "{n} out of 5", comment: "Anything you'd like to add? (optional)",
      submit: "Send rating", thanks: "Thank you for your feedback!", error: "Something went wrong. Please try again.",
      followUp: "Can't wait? Leave your e-mail address and we'll reply there.", followUpInput: "Your e-mail address",
      followUpSend: "Reply by e-mail", followUpInvalid: "Please enter a valid e-mail address, like name@example.com.",
      newChat: "Start a new conversation", left: "{n} characters left", over: "{n} characters too many",
      tooLong: "Your message is {n} characters too long (the limit is {limit}). Shorten it or send it in several messages."
    },
    es: {
      open: "Chatea con nosotros", close: "Cerrar el chat", title: "Atención al cliente de Loom & Lantern",
      input: "Tu mensaje", placeholder: "Escribe tu mensaje y pulsa Intro", send: "Enviar",
      agent: "Hablar con un agente", typing: "El asistente está escribiendo…", agentTyping: "{name} está escribiendo…", you: "Tú", bot: "Asistente",
      agentName: "Agente", queue: "Eres el número {p} de la cola. Espera estimada: unos {w}.",
      next: "Eres el siguiente. Espera estimada: unos {w}.",
      nobody: "Ahora mismo no hay nadie de nuestro equipo conectado. Mantienes tu lugar en la cola.",
      minute: "1 minuto", minutes: "{n} minutos", reconnecting: "Conexión perdida, reconectando…",
      rate: "¿Qué tal te hemos atendido?", star: "{n} de 5", comment: "¿Algo más que quieras añadir? (opcional)",
      submit: "Enviar valoración", thanks: "¡Gracias por tu opinión!", error: "Algo ha fallado. Inténtalo de nuevo.",
      followUp: "¿No puedes esperar? Déjanos tu correo y te responderemos allí.", followUpInput: "Tu correo electrónico",
      followUpSend: "Responder por correo", followUpInvalid: "Escribe un correo válido, como nombre@ejemplo.com.",
      newChat: "Empezar una conversación nueva", left: "Quedan {n} caracteres", over: "Sobran {n} caracteres",
      tooLong: "Tu mensaje tiene {n} caracteres de más (el límite es {limit}). Acórtalo o envíalo en varios mensajes."
    },
    fr: {
      open: "Discuter avec nous", close: "Fermer la discussion", title: "Service client Loom & Lantern",
      input: "Votre message", placeholder: "Écrivez votre message et appuyez sur Entrée", send: "Envoyer",
      agent: "Parler à un conseiller", typing: "L'assistant écrit…", agentTyping: "{name} écrit…", you: "Vous", bot: "Assistant",
      agentName: "Conseiller", queue: "Vous êtes numéro {p} dans la file. Attente estimée : environ {w}.",
      next: "Vous êtes le prochain. Attente estimée : environ {w}.",
      nobody: "Personne de notre équipe n'est en ligne pour le moment. Vous gardez votre place dans la file.",
      minute: "1 minute", minutes: "{n} minutes", reconnecting: "Connexion perdue, reconnexion…",
      rate: "Comment avons-nous fait ?", star: "{n} sur 5", comment: "Quelque chose à ajouter ? (facultatif)",
      submit: "Envoyer la note", thanks: "Merci pour votre avis !", error: "Une erreur est survenue. Réessayez.",
      followUp: "Pas le temps d'attendre ? Laissez votre adresse e-mail, nous vous répondrons par e-mail.",
      followUpInput: "Votre adresse e-mail", followUpSend: "Réponse par e-mail",
      followUpInvalid: "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
      newChat: "Commencer une nouvelle discussion", left: "Encore {n} caractères", over: "{n} caractères en trop",
      tooLong: "Votre message a {n} caractères de trop (maximum {limit}). Raccourcissez-le ou envoyez-le en plusieurs messages."
    },
    de: {
      open: "Chatten Sie mit uns", close: "Chat schließen", title: "Loom & Lantern Kundenservice",
      input: "Ihre Nachricht", placeholder: "Nachricht eingeben und Enter drücken", send: "Senden",
      agent: "Mit einem Mitarbeiter sprechen", typing: "Der Assistent schreibt…", agentTyping: "{name} schreibt…", you: "Sie",
      bot: "Assistent", agentName: "Mitarbeiter",
      queue: "Sie sind Nummer {p} in der Warteschlange. Geschätzte Wartezeit: etwa {w}.",
      next: "Sie sind als Nächstes dran. Geschätzte Wartezeit: etwa {w}.",
      nobody: "Gerade ist niemand aus unserem Team online. Ihr Platz in der Warteschlange bleibt erhalten.",
      minute: "1 Minute", minutes: "{n} Minuten", reconnecting: "Verbindung verloren, neuer Versuch…",
      rate: "Wie zufrieden waren Sie?", star: "{n} von 5", comment: "Möchten Sie noch etwas sagen? (optional)",
      submit: "Bewertung senden", thanks: "Danke für Ihr Feedback!", error: "Etwas ist schiefgegangen. Bitte erneut versuchen.",
      followUp: "Keine Zeit zu warten? Hinterlassen Sie Ihre E-Mail-Adresse, wir antworten dorthin.",
      followUpInput: "Ihre E-Mail-Adresse", followUpSend: "Antwort per E-Mail",
      followUpInvalid: "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.",
      newChat: "Neues Gespräch beginnen", left: "Noch {n} Zeichen", over: "{n} Zeichen zu viel",
      tooLong: "Ihre Nachricht ist {n} Zeichen zu lang (höchstens {limit}). Kürzen Sie sie oder senden Sie sie in mehreren Nachrichten."
    }
  };
  var W = WORDS[locale] || WORDS.en;
  if (!WORDS[locale]) locale = "en";

  function say(key, values) {
    return W[key].replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }
  function waitText(seconds) {
    var minutes = Math.max(1, Math.round(seconds / 60));
    return minutes === 1 ? W.minute : say("minutes", { n: minutes });
  }
  var numbers = new Intl.NumberFormat(locale);
  function count(n) { return numbers.format(n); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- state --------------------------------------------------------------------------------------------
  var saved = {};
  try { saved = JSON.parse(sessionStorage.getItem(STORE) || "{}"); } catch (e) { saved = {}; }
  var state = {
    cid: saved.cid || null, token: saved.token || null, lastSeq: 0, owner: "bot",
    socket: null, retry: 0, closedByUs: false, rated: false, pending: {},
    queue: null, noticeQueue: null, followUp: null
  };
  var config = { greeting: null, maxChars: 10000 };
  function persist() {
    if (state.cid) sessionStorage.setItem(STORE, JSON.stringify({ cid: state.cid, token: state.token }));
    else sessionStorage.removeItem(STORE);
  }

  // --- view ---------------------------------------------------------------------------------------------
  var style = el("style");
  style.textContent = [
    ".tw-launch{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;border:0;border-radius:2rem;",
    "padding:.8rem 1.2rem;background:#1d4ed8;color:#fff;font:600 1rem system-ui,sans-serif;cursor:pointer}",
    ".tw-launch:focus-visible,.tw-panel button:focus-visible,.tw-panel textarea:focus-visible,.tw-panel input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    ".tw-panel{position:fixed;right:1rem;bottom:4.5rem;z-index:2147483000;width:22rem;max-height:34rem;height:70vh;",
    "display:flex;flex-direction:column;background:#fff;color:#111;border-radius:.8rem;",
    "box-shadow:0 8px 30px rgba(0,0,0,.25);font:15px/1.4 system-ui,sans-serif}",
    ".tw-panel[hidden],.tw-panel [hidden]{display:none}",
    ".tw-head{display:flex;align-items:center;justify-content:space-between;padding:.6rem .8rem;",
    "background:#1d4ed8;color:#fff;border-radius:.8rem .8rem 0 0}",
    ".tw-head h2{font-size:1rem;margin:0}.tw-head button{background:none;border:0;color:#fff;font-size:1.3rem;cursor:pointer}",
    ".tw-log{flex:1;overflow-y:auto;padding:.6rem .8rem;display:flex;flex-direction:column;gap:.45rem}",
    ".tw-msg{max-width:85%;padding:.45rem .65rem;border-radius:.7rem;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".tw-msg .tw-who{display:block;font-size:.75rem;font-weight:600;opacity:.75}",
    ".tw-customer{align-self:flex-end;background:#dbeafe}.tw-bot,.tw-greeting{align-self:flex-start;background:#f3f4f6}",
    ".tw-agent{align-self:flex-start;background:#dcfce7}.tw-system{align-self:center;background:none;color:#444;",
    "font-size:.85rem;text-align:center}.tw-pending{opacity:.6}",
    ".tw-status{padding:.3rem .8rem;font-size:.85rem;color:#1e3a8a;background:#eff6ff;min-height:1.2rem}",
    ".tw-status:empty{display:none}",
    ".tw-agentbtn{margin:.4rem .8rem 0;padding:.45rem;border:1px solid #1d4ed8;border-radius:.5rem;",
    "background:#fff;color:#1d4ed8;font-weight:600;cursor:pointer}",
    ".tw-follow{margin:.4rem .8rem 0;font-size:.85rem}.tw-follow p{margin:0 0 .3rem}",
    ".tw-follow div{display:flex;gap:.4rem}.tw-follow input{flex:1;min-width:0;padding:.35rem;border:1px solid #9ca3af;",
    "border-radius:.4rem;font:inherit}.tw-follow button{border:1px solid #1d4ed8;border-radius:.4rem;background:#fff;",
    "color:#1d4ed8;font-weight:600;cursor:pointer}",
    ".tw-form{display:flex;gap:.4rem;padding:.6rem .8rem 0}.tw-form textarea{flex:1;resize:none;height:2.6rem;",
    "padding:.4rem;border:1px solid #9ca3af;border-radius:.5rem;font:inherit}",
    ".tw-form textarea[aria-invalid=true]{border-color:#b91c1c}",
    ".tw-form button{border:0;border-radius:.5rem;background:#1d4ed8;color:#fff;padding:0 .9rem;font-weight:600;cursor:pointer}",
    ".tw-count{padding:.15rem .8rem 0;font-size:.75rem;color:#475569;text-align:right;min-height:1rem}",
    ".tw-count.tw-over{color:#b91c1c;font-weight:600}",
    ".tw-alert{padding:0 .8rem;font-size:.85rem;color:#b91c1c}.tw-alert:empty{display:none}",
    ".tw-foot{padding-bottom:.6rem}",
    ".tw-rate{padding:.6rem .8rem;border-top:1px solid #e5e7eb}",
    ".tw-stars{display:flex;gap:.3rem;margin:.3rem 0}.tw-stars button{flex:1;padding:.4rem 0;border:1px solid #9ca3af;",
    "border-radius:.4rem;background:#fff;cursor:pointer}.tw-stars button[aria-pressed=true]{background:#fde68a}",
    ".tw-rate textarea{width:100%;box-sizing:border-box;height:3rem;font:inherit}",
    ".tw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    "@media (max-width:480px){.tw-panel{right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}",
    ".tw-head{border-radius:0}}"
  ].join("");
  document.head.appendChild(style);

  var launcher = el("button", "tw-launch", W.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "tandem-chat");
  var panel = el("section", "tw-panel");
  panel.id = "tandem-chat";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", W.title);
  panel.lang = locale;
  var head = el("div", "tw-head");
  head.appendChild(el("h2", "", W.title));
  var closeButton = el("button", "", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", W.close);
  head.appendChild(closeButton);
  var log = el("div", "tw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var status = el("div", "tw-status");
  status.setAttribute("role", "status");
  var agentButton = el("button", "tw-agentbtn", W.agent);
  agentButton.type = "button";
  var newButton = el("button", "tw-agentbtn", W.newChat);
  newButton.type = "button";
  newButton.hidden = true;

  // an e-mail address for the reply, while waiting for a person
  var follow = el("form", "tw-follow");
  follow.hidden = true;
  follow.noValidate = true;  // our own message, in the visitor's language
  var followText = el("p", "", W.followUp);
  followText.id = "tandem-follow-text";
  var followRow = el("div");
  var followInput = el("input");
  followInput.type = "email";
  followInput.autocomplete = "email";
  followInput.placeholder = "name@example.com";
  followInput.setAttribute("aria-label", W.followUpInput);
  followInput.setAttribute("aria-describedby", "tandem-follow-text");
  var followSend = el("button", "", W.followUpSend);
  followSend.type = "submit";
  var followError = el("p", "tw-alert");
  followError.setAttribute("role", "alert");
  followRow.appendChild(followInput);
  followRow.appendChild(followSend);
  follow.appendChild(followText);
  follow.appendChild(followRow);
  follow.appendChild(followError);

  var form = el("form", "tw-form");
  var label = el("label", "tw-sr", W.input);
  label.htmlFor = "tandem-input";
  var input = el("textarea");
  input.id = "tandem-input";
  input.placeholder = W.placeholder;
  input.setAttribute("aria-describedby", "tandem-count tandem-alert");
  // no maxLength: a browser would cut a long paste silently; the countdown and the refusal say it instead
  var sendButton = el("button", "", W.send);
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);
  var counter = el("div", "tw-count");
  counter.id = "tandem-count";
  counter.setAttribute("aria-live", "polite");
  var alertLine = el("div", "tw-alert tw-foot");
  alertLine.id = "tandem-alert";
  alertLine.setAttribute("role", "alert");

  var rating = el("div", "tw-rate");
  rating.hidden = true;
  var ratingTitle = el("p", "", W.rate);
  ratingTitle.id = "tandem-rate";
  var stars = el("div", "tw-stars");
  stars.setAttribute("role", "group");
  stars.setAttribute("aria-labelledby", "tandem-rate");
  var chosen = 0;
  for (var n = 1; n <= 5; n++) {
    (function (value) {
      var star = el("button", "", "★".repeat(value));
      star.type = "button";
      star.setAttribute("aria-label", say("star", { n: value }));
      star.setAttribute("aria-pressed", "false");
      star.addEventListener("click", function () {
        chosen = value;
        Array.prototype.forEach.call(stars.children, function (b, i) { b.setAttribute("aria-pressed", String(i + 1 === value)); });
      });
      stars.appendChild(star);
    })(n);
  }
  var commentLabel = el("label", "", W.comment);
  var comment = el("textarea");
  commentLabel.appendChild(comment);
  var submitRating = el("button", "tw-agentbtn", W.submit);
  submitRating.type = "button";
  rating.appendChild(ratingTitle);
  rating.appendChild(stars);
  rating.appendChild(commentLabel);
  rating.appendChild(submitRating);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(agentButton);
  panel.appendChild(newButton);
  panel.appendChild(follow);
  panel.appendChild(rating);
  panel.appendChild(form);
  panel.appendChild(counter);
  panel.appendChild(alertLine);
  document.body.appendChild(launcher);
  document.body.appendChild(panel);

  var typing = null;
  var typingTimer = null;
  function showTyping(on, text) {
    // the assistant while it works on an answer; a person when their console says they are typing
    if (typing) { typing.remove(); typing = null; }
    clearTimeout(typingTimer);
    if (on && (text || state.owner === "bot")) {
      typing = el("div", "tw-msg tw-system tw-typing", text || W.typing);
      log.appendChild(typing);
      typingTimer = setTimeout(function () { showTyping(false); }, text ? 4000 : 12000);
    }
    log.scrollTop = log.scrollHeight;
  }

  function bubble(kind, name, text) {
    var node = el("div", "tw-msg tw-" + kind);
    if (kind !== "system") node.appendChild(el("span", "tw-who", name));
    node.appendChild(document.createTextNode(text));
    return node;
  }

  function greet() {
    // the assistant's first words when the panel opens; nothing is stored until the visitor writes
    if (state.cid || !config.greeting || log.querySelector(".tw-greeting, [data-seq]")) return;
    // looks like the assistant's messages; its own class, since it is no message of the conversation
    var hello = bubble("greeting", W.bot, config.greeting);
    log.insertBefore(hello, log.firstChild);
  }

  function render(message) {
    if (log.querySelector('[data-seq="' + message.seq + '"]')) return;  // replayed after a reconnect
    if (message.client_message_id && state.pending[message.client_message_id]) {
      state.pending[message.client_message_id].remove();
      delete state.pending[message.client_message_id];
    }
    var kind = message.author_kind;
    var who = kind === "customer" ? W.you : kind === "bot" ? W.bot : (message.author_name || W.agentName);
    var node = bubble(kind, who, message.body);
    node.setAttribute("data-seq", String(message.seq));
    var after = null;
    Array.prototype.some.call(log.querySelectorAll("[data-seq]"), function (other) {
      if (Number(other.getAttribute("data-seq")) > message.seq) { after = other; return true; }
      return false;
    });
    log.insertBefore(node, after || (typing && typing.parentNode === log ? typing : null));
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    var meta = message.meta || {};
    if (meta.to) { state.owner = meta.to; ownerChanged(); }
    if (meta.event === "queue_status") { state.noticeQueue = meta; showQueue(meta); }
    if (meta.event === "follow_up") { state.followUp = meta.email || true; ownerChanged(); }
    if (kind !== "customer") showTyping(false);
    log.scrollTop = log.scrollHeight;
  }

  function ownerChanged() {
    // "Talk to an agent" only while the assistant has the conversation: not while a person is on the way or
    // here, and after the end a new conversation instead
    var owner = state.owner;
    agentButton.hidden = owner !== "bot";
    newButton.hidden = owner !== "resolved";
    follow.hidden = owner !== "waiting" || !!state.followUp;
    if (owner !== "waiting") { status.textContent = ""; state.queue = null; state.noticeQueue = null; }
    if (owner === "waiting" && state.queue) showQueue(state.queue);
    rating.hidden = owner !== "resolved" || state.rated;
  }

  function queueText(q) {
    if (!q.agents_online || q.expected_wait_seconds === null || q.expected_wait_seconds === undefined) return W.nobody;
    if (q.position === 1) return say("next", { w: waitText(q.expected_wait_seconds) });
    return say("queue", { p: q.position, w: waitText(q.expected_wait_seconds) });
  }

  function showQueue(q) {
    state.queue = q;  // a live queue frame may overtake the notice that we are waiting: keep it for then
    if (state.owner !== "waiting") return;
    // The transcript already has the queue notice; the status line only says what changed since.
    var text = queueText(q);
    status.textContent = state.noticeQueue && queueText(state.noticeQueue) === text ? "" : text;
  }

  function charsOf(text) { return Array.from(text).length; }  // code points, as the server counts
  function updateCount() {
    var used = charsOf(input.value);
    var left = config.maxChars - used;
    var near = left <= Math.max(50, Math.round(config.maxChars * 0.1));
    counter.classList.toggle("tw-over", left < 0);
    counter.textContent = !near ? "" : left < 0 ? say("over", { n: count(-left) }) : say("left", { n: count(left) });
    input.setAttribute("aria-invalid", String(left < 0));
    if (left >= 0 && alertLine.getAttribute("data-kind") === "too-long") { alertLine.textContent = ""; }
  }
  function refuseTooLong(used) {
    alertLine.setAttribute("data-kind", "too-long");
    alertLine.textContent = say("tooLong", { n: count(used - config.maxChars), limit: count(config.maxChars) });
    input.focus();
  }

  // --- network --------------------------------------------------------------------------------------------
  function api(method, path, body) {
    var headers = { "content-type": "application/json" };
    if (state.token) headers.authorization = "Bearer " + state.token;
    return fetch(origin + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (problem) {
            var error = new Error("HTTP " + response.status);
            error.status = response.status;
            error.code = problem && problem.code;
            throw error;
          });
        }
        return response.status === 204 ? null : response.json();
      });
  }

  var configured = fetch(origin + "/api/v1/widget/config?locale=" + encodeURIComponent(locale))
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (found) {
      if (!found) return;
      config.greeting = found.greeting;
      config.maxChars = found.max_message_chars || config.maxChars;
      updateCount();
    })
    .catch(function () {});  // without it: no greeting, and the server's 413 still guards the limit

  function start(firstMessage) {
    var body = { locale: locale, channel: "web" };
    if (firstMessage) body.first_message = firstMessage;
    return api("POST", "/api/v1/conversations", body).then(function (started) {
      state.cid = started.conversation.id;
      state.token = started.access_token;
      persist();
      (started.messages || []).forEach(render);
      connect();
    });
  }

  function connect() {
    if (!state.cid || (state.socket && state.socket.readyState <= 1)) return;
    var url = origin.replace(/^http/, "ws") + "/api/v1/conversations/" + state.cid + "/live?after_seq=" +
      state.lastSeq + "&token=" + encodeURIComponent(state.token);
    var socket = new WebSocket(url);
    state.socket = socket;
    socket.onopen = function () { state.retry = 0; if (status.textContent === W.reconnecting) status.textContent = ""; };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "message" || frame.type === "ack") render(frame.message);
      else if (frame.type === "queue") showQueue(frame.queue);
      else if (frame.type === "typing" && frame.author_kind === "agent") showTyping(true, W.agentTyping.replace("{name}", frame.name || W.agentName));
      else if (frame.type === "hello" && frame.conversation) {
        state.owner = frame.conversation.state;
        state.followUp = state.followUp || frame.conversation.follow_up_email;
        ownerChanged();
      } else if (frame.type === "error") refused(frame.code, frame.client_message_id);
    };
    socket.onclose = function () {
      if (state.socket !== socket || state.closedByUs) return;
      status.textContent = W.reconnecting;
      var delay = Math.min(5000, 300 * Math.pow(2, state.retry++));
      setTimeout(connect, delay);
    };
  }

  function refused(code, clientId) {
    // the server did not take a message: say why, and give the text back rather than losing it
    var pending = clientId && state.pending[clientId];
    var text = pending ? pending.getAttribute("data-text") : null;
    if (pending) { pending.remove(); delete state.pending[clientId]; }
    showTyping(false);
    if (text && !input.value) { input.value = text; updateCount(); }
    if (code === "conversation_resolved" && text) {  // closed meanwhile: "write again to reopen it"
      input.value = "";
      updateCount();
      send(text);
    } else if (code === "message_too_long") {
      refuseTooLong(charsOf(text || input.value));
    } else {
      failed();
    }
  }

  function send(text) {
    var clientId = "w-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    var pending = bubble("customer", W.you, text);
    pending.classList.add("tw-pending");
    pending.setAttribute("data-text", text);
    log.appendChild(pending);
    state.pending[clientId] = pending;
    var message = { body: text, client_message_id: clientId };
    showTyping(true);
    if (!state.cid) return start(message).catch(function (error) { refused(error.code, clientId); });
    if (state.owner === "resolved") {
      // writing again reopens the conversation, as its closing notice says
      return api("POST", "/api/v1/conversations/" + state.cid + "/reopen", {})
        .then(function () { return post(message); })
        .catch(function (error) { refused(error.code, clientId); });
    }
    if (state.socket && state.socket.readyState === 1) {
      state.socket.send(JSON.stringify({ type: "message", body: text, client_message_id: clientId }));
      return Promise.resolve();
    }
    // the socket is down: the same client id makes a retry over HTTP safe
    return post(message).catch(function (error) { refused(error.code, clientId); });
  }

  function post(message) {
    return api("POST", "/api/v1/conversations/" + state.cid + "/messages", message)
      .then(function (posted) { render(posted.message); });
  }

  function failed() {
    showTyping(false);
    status.textContent = W.error;
  }

  function startOver() {
    // a new conversation: the closed one stays on the server (and in the agents' history), not on screen
    state.closedByUs = true;
    if (state.socket) state.socket.close();
    state.socket = null;
    state.closedByUs = false;
    state.cid = null; state.token = null; state.lastSeq = 0; state.owner = "bot"; state.rated = false;
    state.pending = {}; state.queue = null; state.noticeQueue = null; state.followUp = null;
    persist();
    log.textContent = "";
    status.textContent = "";
    alertLine.textContent = "";
    chosen = 0;
    comment.value = "";
    Array.prototype.forEach.call(stars.children, function (b) { b.setAttribute("aria-pressed", "false"); });
    ownerChanged();
    greet();
    input.focus();
  }

  // --- events ---------------------------------------------------------------------------------------------
  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      input.focus();
      if (state.cid) connect(); else configured.then(greet);
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var used = charsOf(text);
    if (used > config.maxChars) { refuseTooLong(used); return; }  // the text stays in the box
    alertLine.textContent = "";
    input.value = "";
    updateCount();
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  var typedAt = 0;
  input.addEventListener("input", function () {
    updateCount();
    // the agent sees "Customer is typing"; at most one signal every two seconds
    if (state.owner !== "human" || !state.socket || state.socket.readyState !== 1 || Date.now() - typedAt < 2000) return;
    typedAt = Date.now();
    state.socket.send(JSON.stringify({ type: "typing" }));
  });
  agentButton.addEventListener("click", function () {
    agentButton.hidden = true;  // asked once; the notice that a person is coming follows
    var go = state.cid ? Promise.resolve() : start(null);
    go.then(function () { return api("POST", "/api/v1/conversations/" + state.cid + "/handoff", {}); })
      .then(function () { showTyping(false); })
      .catch(function () { ownerChanged(); failed(); });
  });
  newButton.addEventListener("click", startOver);
  follow.addEventListener("submit", function (event) {
    event.preventDefault();
    var address = followInput.value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/.test(address)) { followError.textContent = W.followUpInvalid; followInput.focus(); return; }
    followError.textContent = "";
    api("POST", "/api/v1/conversations/" + state.cid + "/follow-up", { email: address }).then(function (where) {
      state.followUp = (where && where.follow_up_email) || address;  // the confirmation notice follows live
      ownerChanged();
    }).catch(function (error) {
      followError.textContent = error.status === 422 ? W.followUpInvalid : W.error;
    });
  });
  submitRating.addEventListener("click", function () {
    if (!chosen) { stars.firstChild.focus(); return; }
    var body = { csat: chosen };
    if (comment.value.trim()) body.comment = comment.value.trim();
    api("POST", "/api/v1/conversations/" + state.cid + "/rating", body).then(function () {
      state.rated = true;
      rating.hidden = true;
      status.textContent = W.thanks;
    }).catch(failed);
  });

  if (state.cid) connect();
  window.TandemWidget = {
    open: function () { setOpen(true); },
    /** For tests and support staff: drop the live connection as a flaky network would. */
    dropConnection: function () { if (state.socket) state.socket.close(); },
    conversationId: function () { return state.cid; }
  };
})();
