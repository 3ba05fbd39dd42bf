// The frontdesk operator console: plain JS over the same HTTP API as everyone else.
// The API key lives in sessionStorage (this tab only) and travels in the Authorization header;
// live updates are server-sent events read with fetch streaming, so the key never goes in a URL.
"use strict";

const KEY_STORAGE = "frontdesk.apiKey";
const $ = (id) => document.getElementById(id);
const state = { key: null, me: null, tickets: [], selected: null, ticket: null,
                queueStream: null, convStream: null, lastSeq: 0 };

function headers(extra) {
  return Object.assign({ Authorization: "Bearer " + state.key }, extra || {});
}

async function api(path, options) {
  const opts = Object.assign({}, options || {});
  opts.headers = headers(opts.body ? { "Content-Type": "application/json" } : {});
  const response = await fetch(path, opts);
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (response.status === 401) { logout("Your key was refused (revoked?). Log in again."); }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(message);
  }
  return body;
}

// Read an SSE stream with fetch; calls onEvent(name, data) per event; reconnects with back-off.
function follow(path, onEvent, onStatus) {
  const controller = new AbortController();
  let delay = 500;
  (async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(path(), { headers: headers({ Accept: "text/event-stream" }),
                                               signal: controller.signal });
        if (response.status === 401) { logout("Your key was refused. Log in again."); return; }
        if (!response.ok || !response.body) throw new Error("stream failed: " + response.status);
        onStatus && onStatus("live");
        delay = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let name = "message", data = "";
            for (const line of frame.split("\n")) {
              if (line.startsWith("event: ")) name = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (data) onEvent(name, JSON.parse(data));
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      onStatus && onStatus("reconnecting…");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
    }
  })();
  return controller;
}

function fmtAge(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function sla(ticket) {
  if (ticket.status === "resolved") return { text: "—", overdue: false };
  const left = ticket.sla_deadline - Date.now() / 1000;
  return left >= 0 ? { text: fmtAge(left) + " left", overdue: false }
                   : { text: "overdue " + fmtAge(-left), overdue: true };
}

function text(el, value) { el.textContent = value == null ? "—" : String(value); return el; }

function renderQueue() {
  const body = $("tickets");
  body.replaceChildren();
  for (const t of state.tickets) {
    const row = document.createElement("tr");
    row.tabIndex = 0;
    row.dataset.id = t.id;
    row.setAttribute("aria-selected", String(t.id === state.selected));
    const prio = document.createElement("td");
    prio.className = "prio p" + t.priority;
    text(prio, "P" + t.priority);
    const reason = text(document.createElement("td"), t.reason + (t.category && t.category !== t.reason ? " · " + t.category : ""));
    const age = document.createElement("td"); age.className = "age";
    const slaCell = document.createElement("td"); slaCell.className = "sla";
    const status = text(document.createElement("td"), t.status);
    row.append(prio, reason, age, slaCell, status);
    row.addEventListener("click", () => select(t.id));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(t.id); } });
    body.append(row);
  }
  $("empty").hidden = state.tickets.length > 0;
  tick();
}

function tick() {
  const now = Date.now() / 1000;
  for (const row of $("tickets").rows) {
    const t = state.tickets.find((x) => x.id === row.dataset.id);
    if (!t) continue;
    text(row.querySelector(".age"), fmtAge(now - t.created_at));
    const s = sla(t);
    const cell = row.querySelector(".sla");
    text(cell, s.text);
    cell.classList.toggle("overdue", s.overdue);
  }
  if (state.ticket) {
    const s = sla(state.ticket);
    text($("t-sla"), s.text).classList.toggle("overdue", s.overdue);
  }
}

async function loadQueue() {
  const filter = $("status-filter").value;
  const statuses = filter === "active" ? ["open", "claimed"] : [filter];
  const pages = await Promise.all(statuses.map((s) => api("/v1/escalations?status=" + s)));
  // most urgent first, then oldest first (as the API orders each list)
  state.tickets = pages.flatMap((p) => p.items)
    .sort((a, b) => a.priority - b.priority || a.created_at - b.created_at);
  renderQueue();
}

function renderTicket() {
  const t = state.ticket;
  $("no-ticket").hidden = !!t;
  $("ticket-body").hidden = !t;
  if (!t) return;
  $("ticket-title").textContent = "Ticket " + t.id + " · conversation " + t.conversation_id;
  text($("t-status"), t.status);
  text($("t-reason"), t.reason);
  const c = t.classification || {};
  text($("t-class"), c.category || "unclassified");
  text($("t-confidence"), t.confidence == null ? null : Number(t.confidence).toFixed(2));
  text($("t-alternatives"), (t.alternatives || []).map((a) => a.category + " " + Number(a.confidence).toFixed(2)).join(", ") || "none");
  text($("t-claimed"), t.claimed_by ? (state.me && t.claimed_by === state.me.id ? "you" : t.claimed_by) : "nobody");
  const list = (el, items, fmt) => { el.replaceChildren(...items.map((i) => text(document.createElement("li"), fmt(i)))); };
  list($("t-actions"), t.suggested_actions || [], (a) => a);
  list($("t-attempts"), t.attempts || [], (a) => typeof a === "string" ? a : Object.entries(a).map(([k, v]) => k + ": " + (typeof v === "object" ? JSON.stringify(v) : v)).join(" · "));
  if (!(t.attempts || []).length) list($("t-attempts"), ["nothing recorded"], (a) => a);
  const mine = state.me && (t.claimed_by === state.me.id);
  const admin = state.me && state.me.role === "admin";
  $("claim").disabled = t.status !== "open";
  $("send-reply").disabled = !(t.status === "claimed" && mine);
  $("reply-text").disabled = !(t.status === "claimed" && mine);
  const canResolve = t.status === "claimed" && (mine || admin) || (admin && t.status === "open");
  $("resolve-human").disabled = !canResolve;
  $("resolve-bot").disabled = !canResolve;
  tick();
}

function addMessage(m) {
  if (m.seq <= state.lastSeq) return;
  state.lastSeq = m.seq;
  const li = document.createElement("li");
  li.className = m.role;
  li.dataset.seq = m.seq;
  const who = document.createElement("span");
  who.className = "who";
  const agent = m.role === "operator" && state.me && m.agent === state.me.id ? "you" : m.agent;
  who.textContent = m.role + (agent ? " · " + agent : "") + " · " + new Date(m.created_at * 1000).toLocaleTimeString();
  li.append(who, document.createTextNode(m.text));
  $("messages").append(li);
  li.scrollIntoView({ block: "nearest" });
}

async function refreshTicket() {
  if (!state.selected) return;
  state.ticket = await api("/v1/escalations/" + encodeURIComponent(state.selected));
  renderTicket();
}

async function select(id) {
  $("ticket-error").textContent = "";
  if (state.convStream) state.convStream.abort();
  state.selected = id;
  state.lastSeq = 0;
  $("messages").replaceChildren();
  renderQueue();
  try { await refreshTicket(); } catch (e) { $("ticket-error").textContent = e.message; return; }
  const cid = encodeURIComponent(state.ticket.conversation_id);
  state.convStream = follow(() => "/v1/conversations/" + cid + "/stream?after=" + state.lastSeq,
                            (name, data) => { if (name === "message") addMessage(data); });
  $("ticket").focus();
}

async function act(path, body) {
  $("ticket-error").textContent = "";
  try {
    await api(path, { method: "POST", body: body ? JSON.stringify(body) : undefined });
    await refreshTicket();
  } catch (e) {
    $("ticket-error").textContent = e.message;
    await refreshTicket().catch(() => {});
  }
}

function ticketPath(action) { return "/v1/escalations/" + encodeURIComponent(state.selected) + "/" + action; }

async function login(key) {
  state.key = key;
  try {
    state.me = await api("/v1/me");
  } catch (e) {
    state.key = null;
    $("login-error").textContent = e.message;
    return;
  }
  if (state.me.role !== "operator" && state.me.role !== "admin") {
    $("login-error").textContent = "This key's role is " + state.me.role + ": the console needs an operator or admin key.";
    state.key = null;
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $("login").hidden = true;
  $("workspace").hidden = false;
  $("logout").hidden = false;
  text($("whoami"), "Signed in as " + state.me.name + " (" + state.me.role + ")");
  state.queueStream = follow(() => "/v1/escalations/stream", (name) => {
    if (name === "ready" || name === "resync" || name.startsWith("ticket.")) {
      loadQueue().catch(() => {});
      if (state.selected) refreshTicket().catch(() => {});
    }
  }, (status) => { $("live").textContent = status; });
  $("status-filter").focus();
}

function logout(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  for (const s of [state.queueStream, state.convStream]) if (s) s.abort();
  Object.assign(state, { key: null, me: null, tickets: [], selected: null, ticket: null });
  $("workspace").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  text($("whoami"), "");
  $("login-error").textContent = message || "";
  $("api-key").value = "";
  $("api-key").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => { e.preventDefault(); login($("api-key").value.trim()); });
  $("logout").addEventListener("click", () => logout(""));
  $("status-filter").addEventListener("change", () => loadQueue().catch(() => {}));
  $("claim").addEventListener("click", () => act(ticketPath("claim")));
  $("resolve-human").addEventListener("click", () => act(ticketPath("resolve"), { resume_bot: false }));
  $("resolve-bot").addEventListener("click", () => act(ticketPath("resolve"), { resume_bot: true }));
  $("reply-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const box = $("reply-text");
    if (!box.value.trim()) return;
    await act(ticketPath("reply"), { text: box.value });
    if (!$("ticket-error").textContent) box.value = "";
  });
  setInterval(tick, 1000);
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) login(saved); else $("api-key").focus();
});
