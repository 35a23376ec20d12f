// The attendant console: login, the live lane grid over the hub's events websocket, and the
// commands (approve, reject, void, cancel, open/close) with their outcome in words.
// Talks only to /console/api/* (docs/console.md); no framework, no build step.
import { duration, reasonText } from "./format.js";
import { getLang, setLang, t, translateStatic } from "./i18n.js";
import { laneTile, openInterventions, queueItem } from "./render.js";
import { Chime } from "./sound.js";

const $ = (id) => document.getElementById(id);
const FLASH_MS = 4000;
const RESULT_MS = 30000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const SESSION_ENDED = 4001; // the hub's close code when the session expired or was ended

const state = {
  me: null, csrf: "", lanes: new Map(), clockOffsetMs: 0, socket: null, backoffMs: 0,
  reconnectTimer: 0, known: null, busy: new Set(), results: new Map(), fresh: new Set(),
  flashing: new Set(),
};
const chime = new Chime();

function ageOf(iso) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "?";
  return duration((Date.now() + state.clockOffsetMs - then) / 1000);
}

function syncClock(nowIso) {
  const now = Date.parse(nowIso ?? "");
  if (!Number.isNaN(now)) state.clockOffsetMs = now - Date.now();
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  if (resp.status !== 204) data = await resp.json().catch(() => ({}));
  return { status: resp.status, data };
}

// ---- views -------------------------------------------------------------------------------

function showLogin(message = "") {
  closeSocket();
  state.me = null;
  state.csrf = "";
  $("console-view").hidden = true;
  $("logout").hidden = true;
  $("who").hidden = true;
  $("conn").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message;
  document.title = t("title");
  $("attendant-id").focus();
}

function showConsole() {
  $("login-view").hidden = true;
  $("console-view").hidden = false;
  $("logout").hidden = false;
  const who = $("who");
  who.textContent = `${state.me.name} (${t(`role_${state.me.role}`)})`;
  who.hidden = false;
  $("sound-on").hidden = chime.ready;
}

function renderAll() {
  if (!state.me) return;
  const focusedKey = document.activeElement?.dataset?.key;
  const lanes = [...state.lanes.values()].sort((a, b) => a.lane_id.localeCompare(b.lane_id));
  const ctx = {
    role: state.me.role, busy: state.busy, results: state.results, fresh: state.fresh,
    flashing: state.flashing, ageOf, onAction, onShow,
  };
  $("grid").replaceChildren(...lanes.map((lane) => laneTile(ctx, lane)));
  $("lanes-empty").hidden = lanes.length > 0;
  const open = openInterventions(lanes);
  $("queue").replaceChildren(...open.map((item) => queueItem(ctx, item)));
  $("queue-empty").hidden = open.length > 0;
  document.title = open.length > 0 ? `(${open.length}) ${t("title")}` : t("title");
  if (focusedKey) {
    const again = document.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

/** Only the ticking ages change each second; the rest waits for the hub's events. */
function tick() {
  for (const node of document.querySelectorAll("[data-since]")) {
    node.textContent = t("since", { age: ageOf(node.dataset.since) });
  }
}

function onShow(laneId, interventionId) {
  const card = document.querySelector(`#lane-${CSS.escape(laneId)} [data-iv="${
    CSS.escape(interventionId)}"]`);
  const target = card?.querySelector("button") ?? $(`lane-${laneId}`);
  target?.scrollIntoView({ block: "center" });
  target?.focus();
}

// ---- new interventions: sound, flash, spoken ----------------------------------------------

function noticeNew(lanes) {
  const open = openInterventions(lanes);
  if (state.known === null) { // the first picture after login is not "new"
    state.known = new Set(open.map(({ iv }) => iv.intervention_id));
    return;
  }
  const fresh = open.filter(({ iv }) => !state.known.has(iv.intervention_id));
  state.known = new Set(open.map(({ iv }) => iv.intervention_id));
  if (fresh.length === 0) return;
  chime.play();
  const words = fresh.map(({ lane, iv }) => t("new_iv", {
    lane: lane.lane_name || lane.lane_id, reason: reasonText(iv) }));
  $("announce").textContent = words.join(". ");
  for (const { lane, iv } of fresh) {
    state.fresh.add(iv.intervention_id);
    state.flashing.add(lane.lane_id);
    setTimeout(() => {
      state.fresh.delete(iv.intervention_id);
      state.flashing.delete(lane.lane_id);
      renderAll();
    }, FLASH_MS);
  }
}

function applyLanes(rows, replace) {
  if (replace) state.lanes.clear();
  for (const row of rows) state.lanes.set(row.lane_id, row);
  noticeNew([...state.lanes.values()]);
  renderAll();
}

// ---- events websocket with backoff --------------------------------------------------------

function closeSocket() {
  clearTimeout(state.reconnectTimer);
  if (state.socket) {
    state.socket.onclose = null;
    state.socket.close();
    state.socket = null;
  }
}

function connect() {
  closeSocket();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/console/api/events`);
  state.socket = socket;
  socket.onopen = () => {
    state.backoffMs = 0;
    $("conn").hidden = true;
    $("console-view").classList.remove("is-stale");
  };
  socket.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.now) syncClock(msg.now);
    if (msg.type === "lanes") applyLanes(msg.lanes ?? [], true);
    else if (msg.type === "lane" && msg.lane) applyLanes([msg.lane], false);
  };
  socket.onclose = (event) => {
    state.socket = null;
    if (!state.me) return;
    if (event.code === SESSION_ENDED) { reconnect(); return; } // asks /me, which says 401
    const banner = $("conn");
    banner.textContent = t("conn_lost");
    banner.hidden = false;
    $("console-view").classList.add("is-stale"); // the tiles may be old: say so by look too
    // Full jitter: many consoles do not all knock on a restarted hub at once.
    state.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, state.backoffMs * 2));
    const wait = state.backoffMs / 2 + Math.random() * state.backoffMs / 2;
    state.reconnectTimer = setTimeout(reconnect, wait);
  };
}

async function reconnect() {
  // A closed socket may mean the session ended (idle timeout, logout elsewhere): ask first.
  try {
    const { status, data } = await api("GET", "/console/api/me");
    if (status === 401) { showLogin(); return; }
    if (status === 200) state.csrf = data.csrf_token ?? state.csrf;
  } catch { /* the hub is still away: try the socket anyway, it will fail and back off */ }
  if (state.me) connect();
}

async function start() {
  showConsole();
  state.known = null;
  try {
    const { status, data } = await api("GET", "/console/api/lanes");
    if (status === 401) { showLogin(); return; }
    if (status === 200) { syncClock(data.now); applyLanes(data.lanes ?? [], true); }
  } catch { /* the socket's "lanes" message brings the same picture */ }
  connect();
}

// ---- commands -----------------------------------------------------------------------------

function resultText(lane, spec, status, data) {
  const what = spec.label;
  const laneName = lane.lane_name || lane.lane_id;
  const reason = data.reason || data.error || "";
  if (status === 200) {
    if (data.status === "applied") return { ok: true, text: t("res_applied", { what }) };
    if (data.status === "duplicate") return { ok: true, text: t("res_duplicate", { what }) };
    return { ok: false, text: t("res_refused", { what, reason }) };
  }
  // 409 is "offline" or "that intervention is no longer open there": the words tell which.
  if (status === 409 && /offline/i.test(reason)) {
    return { ok: false, text: t("res_offline", { lane: laneName }) };
  }
  if (status === 504) return { ok: false, text: t("res_timeout", { what }) };
  if (status === 403) return { ok: false, text: t("res_forbidden", { what, reason }) };
  return { ok: false, text: t("res_error", { what, reason: reason || String(status) }) };
}

async function send(lane, spec, key) {
  const body = { action: spec.action };
  for (const field of ["intervention_id", "line_id", "basket_id"]) {
    if (spec[field] !== undefined) body[field] = spec[field];
  }
  state.busy.add(key);
  renderAll();
  let outcome;
  try {
    const { status, data } = await api("POST",
      `/console/api/lanes/${encodeURIComponent(lane.lane_id)}/commands`, body);
    if (status === 401) { state.busy.delete(key); showLogin(); return; }
    outcome = resultText(lane, spec, status, data);
  } catch {
    outcome = { ok: false, text: t("res_timeout", { what: spec.label }) };
  }
  state.busy.delete(key);
  state.results.set(lane.lane_id, outcome);
  $("announce").textContent = outcome.text;
  setTimeout(() => {
    if (state.results.get(lane.lane_id) === outcome) {
      state.results.delete(lane.lane_id);
      renderAll();
    }
  }, RESULT_MS);
  renderAll();
}

function confirmThen(question, yes, opener, then) {
  const dialog = $("confirm");
  $("confirm-text").textContent = question;
  $("confirm-yes").textContent = yes;
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "yes") then();
    // The tile may have been rebuilt meanwhile: find the button by its key.
    const back = document.querySelector(`[data-key="${CSS.escape(opener)}"]`);
    back?.focus();
  }, { once: true });
  dialog.showModal();
  $("confirm-no").focus();
}

function onAction(lane, spec, key) {
  if (state.busy.has(key)) return;
  if (spec.confirm) {
    confirmThen(spec.confirm.text, spec.confirm.yes, key, () => send(lane, spec, key));
  } else {
    send(lane, spec, key);
  }
}

// ---- login --------------------------------------------------------------------------------

function loginMessage(status, data) {
  if (status === 401) return t("login_wrong");
  if (status === 429) {
    const until = data.locked_until ? new Date(data.locked_until) : null;
    const match = /(\d{1,2}:\d{2})/.exec(data.error ?? "");
    const time = until && !Number.isNaN(until.getTime())
      ? until.toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" })
      : (match ? match[1] : "?");
    return t("login_locked", { time });
  }
  return t("login_failed", { reason: data.error ?? String(status) });
}

async function login(body) {
  chime.unlock(); // this click is the user gesture browsers demand before any sound
  $("login-error").textContent = "";
  let answer;
  try {
    answer = await api("POST", "/console/api/login", body);
  } catch {
    $("login-error").textContent = t("hub_unreachable");
    return;
  }
  const { status, data } = answer;
  if (status !== 200) {
    $("login-error").textContent = loginMessage(status, data);
    $("pin").value = "";
    return;
  }
  $("pin").value = "";
  $("badge").value = "";
  state.me = data.attendant;
  state.csrf = data.csrf_token;
  await start();
}

function wire() {
  $("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("attendant-id").value.trim();
    const pin = $("pin").value;
    if (!id || !pin) { $("login-error").textContent = t("login_missing"); return; }
    login({ attendant_id: id, pin });
  });
  $("badge-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const badge = $("badge").value.trim();
    if (badge) login({ badge });
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/console/api/logout"); } catch { /* logged out here anyway */ }
    showLogin();
  });
  $("lang").addEventListener("click", () => {
    setLang(getLang() === "de" ? "en" : "de");
    localStorage.setItem("console.lang", getLang());
    applyLanguage();
  });
  $("sound-on").addEventListener("click", () => { chime.unlock(); chime.play(); });
  // Any key or touch counts as the gesture that lets the page make sound after a reload.
  for (const kind of ["pointerdown", "keydown"]) {
    document.addEventListener(kind, () => {
      chime.unlock();
      $("sound-on").hidden = chime.ready || !state.me;
    });
  }
}

function applyLanguage() {
  translateStatic();
  const other = getLang() === "de" ? "en" : "de";
  $("lang").textContent = t("lang_switch");
  $("lang").lang = other;
  if (state.me) showConsole();
  renderAll();
  if (!state.me) document.title = t("title");
}

async function boot() {
  setLang(localStorage.getItem("console.lang") ?? "de");
  wire();
  applyLanguage();
  setInterval(tick, 1000);
  try {
    const { status, data } = await api("GET", "/console/api/me");
    if (status === 200) {
      state.me = data.attendant;
      state.csrf = data.csrf_token;
      await start();
      return;
    }
  } catch { /* no hub: the login form says so on submit */ }
  showLogin();
}

boot();
