// dil console page: a websocket feed drawn at the server's display rate, controls posted to
// /api/command with the token. Plain JavaScript and canvas; nothing loaded from elsewhere.
// The scene is drawn by scene.js from plain frame objects (see liveScene below).
"use strict";
import { SceneView } from "./scene.js";

const $ = (id) => document.getElementById(id);
const DEG = 180 / Math.PI;
const state = {
  token: null, authorised: false, viewNeedsToken: false, confirm: new Set(), staleMs: 500,
  lastFrameAt: 0, ws: null, retryMs: 500, actuatorRange: [0, 1], catalog: [], connected: false,
  tokenRefused: false,
};
// what the page displayed and when: the benchmark reads it (delay from bus message to display)
window.dilStats = { frames: 0, delaysMs: [] };

// --- token and operator --------------------------------------------------------------------------
(function initCredentials() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    sessionStorage.setItem("dil-token", fromUrl);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search);
  }
  state.token = sessionStorage.getItem("dil-token");
  $("operator").value = localStorage.getItem("dil-operator") || "";
  $("operator").addEventListener("change", () => localStorage.setItem("dil-operator", $("operator").value.trim()));
  $("token-apply").addEventListener("click", () => {
    state.token = $("token").value.trim() || null;
    state.tokenRefused = false;
    if (state.token) sessionStorage.setItem("dil-token", state.token); else sessionStorage.removeItem("dil-token");
    $("token").value = "";
    reconnect();
  });
})();

function headers() {
  const h = { "Content-Type": "application/json" };
  if (state.token) h.Authorization = "Bearer " + state.token;
  return h;
}

function showAuth(text, cls) {
  const a = $("auth");
  a.textContent = text;
  a.className = "badge " + cls;
  document.querySelectorAll("button[data-cmd]").forEach((b) => (b.disabled = !state.authorised));
}

function say(text, ok) {
  const m = $("msg");
  m.textContent = text;
  m.className = ok ? "ok" : "error";
}

// --- the feed ------------------------------------------------------------------------------------
function connect() {
  const protocols = ["dil-console"];
  if (state.token) protocols.push("token." + state.token);
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws", protocols);
  state.ws = ws;
  let opened = false;
  ws.onopen = () => { opened = true; state.retryMs = 500; };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "hello") hello(m);
    else if (m.type === "estop") say(m.result === "sent" ? `E-STOP sent at ${m.time}` : `E-STOP: ${m.error}`, m.result === "sent");
    else frame(m);
  };
  ws.onclose = () => {
    state.connected = false;
    if (ws !== state.ws) return;
    $("conn").textContent = "reconnecting";
    $("conn").className = "badge bad";
    const retry = () => { setTimeout(connect, state.retryMs); state.retryMs = Math.min(state.retryMs * 2, 3000); };
    if (opened) { retry(); return; }
    // never opened: the console is down (keep the token) or refused the handshake (ask why)
    fetch("/api/session", { headers: headers() })
      .then((r) => r.json())
      .then((s) => {
        if (state.token && !s.authorised) {
          state.token = null; // a wrong token: go on without it where viewing is free, and say so
          sessionStorage.removeItem("dil-token");
          state.authorised = false;
          state.tokenRefused = true;
          showAuth("token refused", "bad");
        } else if (!state.token && s.view_needs_token) {
          showAuth("token needed", "bad");
        }
      })
      .catch(() => {})
      .finally(retry);
  };
}

function reconnect() {
  if (state.ws) { const old = state.ws; state.ws = null; old.close(); }
  connect();
}

function hello(m) {
  state.connected = true;
  state.authorised = m.authorised;
  state.viewNeedsToken = m.view_needs_token;
  state.confirm = new Set(m.confirm);
  state.staleMs = m.stale_ms;
  state.actuatorRange = m.actuator_range;
  state.lastFrameAt = performance.now();
  if (m.authorised) state.tokenRefused = false;
  if (m.authorised) showAuth("authorised", "ok");
  else if (state.tokenRefused) showAuth("token refused: view only, controls disabled", "bad");
  else showAuth("view only (no token): controls disabled", "warn");
  $("events").innerHTML = "";
  m.events.forEach(addEvent);
  $("audit").innerHTML = "";
  m.audit.forEach(addAudit);
  drawHeader(m.header);
  loadCatalog();
  loadRuns();
}

const latest = {};

function frame(m) {
  state.lastFrameAt = performance.now();
  Object.assign(latest, m.topics);
  // while paused the simulation stands still and its topics fall silent: held, not stale
  const paused = m.header && m.header.state === "paused";
  for (const sec of document.querySelectorAll("section[data-topic]")) {
    const t = m.topics[sec.dataset.topic];
    const stale = !t || (t.age_ms > state.staleMs && !paused);
    sec.classList.toggle("stale", stale);
    sec.querySelector(".age").textContent = !t ? "(no data)" : t.age_ms > state.staleMs
      ? (paused ? "(paused)" : `(stale ${(t.age_ms / 1000).toFixed(1)} s)`) : "";
  }
  drawHeader(m.header);
  liveScene(m);
  drawCamera(m.camera);
  drawLoop(m.topics["run/status"]);
  drawVehicle(m.topics["vehicle/state"]);
  drawInputs(m);
  drawRig(m.topics["rig/feedback"], m.topics["rig/command"]);
  $("no-motion-banner").hidden = !m.no_motion;
  $("ai-misses").textContent = m.counters.deadline_misses;
  $("collisions").textContent = m.counters.collisions;
  m.events.forEach(addEvent);
  (m.audit || []).forEach(addAudit);
  const vs = m.topics["vehicle/state"];
  window.dilStats.frames += 1;
  if (vs) {
    const sent = vs.msg.t_wall_ns / 1e6;
    requestAnimationFrame(() => {
      const d = window.dilStats.delaysMs;
      d.push(performance.timeOrigin + performance.now() - sent);
      if (d.length > 5000) d.shift();
    });
  }
}

const fmt = (v, n = 1) => (v === undefined || v === null ? "-" : Number(v).toFixed(n));

function drawLoop(t) {
  if (!t) return;
  const s = t.msg;
  $("run-state").textContent = s.state;
  $("rate").textContent = fmt(s.rate_hz, 0) + " Hz";
  $("lateness").textContent = `${fmt(s.lateness_p50_us)} / ${fmt(s.lateness_p99_us)} / ${fmt(s.lateness_p999_us)} / ${fmt(s.lateness_max_us)} us`;
  $("ticks").textContent = `${s.late_ticks} / ${s.missed_ticks}`;
  $("ticks").className = s.missed_ticks > 0 ? "alarm" : s.late_ticks > 0 ? "amber" : "";
  $("dropped").className = s.dropped_messages > 0 ? "amber" : "";
  $("dropped").textContent = s.dropped_messages;
  $("scheduling").textContent = s.scheduling || "-";
  charts.lateness.push([s.lateness_p99_us, s.lateness_max_us]);
}

function drawVehicle(t) {
  if (!t) return;
  const v = t.msg;
  $("speed").textContent = `${fmt(v.speed * 3.6)} km/h (${fmt(v.speed, 2)} m/s)`;
  $("accel").textContent = `${fmt(v.ax, 2)} / ${fmt(v.ay, 2)} m/s²`;
  $("yaw-rate").textContent = fmt(v.yaw_rate * DEG) + " deg/s";
  $("gear").textContent = v.gear;
  $("in-steer").textContent = fmt(v.steering_wheel_angle * DEG);
  $("in-throttle").value = v.throttle;
  $("in-brake").value = v.brake;
  charts.speed.push([v.speed * 3.6]);
  charts.accel.push([v.ax, v.ay]);
  charts.inputs.push([v.steering_wheel_angle * DEG, v.throttle * 100, v.brake * 100]);
}

function drawInputs(m) {
  const d = m.topics["driver/input"], a = m.topics["ai/command"];
  if (d) { $("drv-steer").textContent = fmt(d.msg.steering_wheel_angle * DEG); $("drv-throttle").value = d.msg.throttle; $("drv-brake").value = d.msg.brake; }
  if (a) {
    $("ai-steer").textContent = fmt(a.msg.steering_wheel_angle * DEG); $("ai-throttle").value = a.msg.throttle; $("ai-brake").value = a.msg.brake;
    $("ai-inference").textContent = fmt(a.msg.inference_ns / 1e6, 2) + " ms";
  }
  const fresh = (t) => t && t.age_ms <= state.staleMs;
  const c = $("control");
  c.textContent = m.control ? m.control : fresh(a) ? "ai" : fresh(d) ? "driver" : "-";
  // nobody in control, or the fallback holding the car: red while it lasts
  c.className = m.control === "none" || m.control === "fallback" ? "alarm" : "";
}

function drawRig(fb, cmd) {
  if (cmd) $("rig-mode").textContent = cmd.msg.mode;
  const banner = $("rig-banner");
  if (!fb) { banner.hidden = true; return; }
  const r = fb.msg;
  const el = $("rig-state");
  el.textContent = r.state;
  el.className = r.state === "engaged" ? "pass" : r.state === "fault" ? "fail" : "";
  const why = r.reason || r.fault || "";
  // rearm_required where the rig server sends it; else a parked rig with a reason is held
  const rearm = r.rearm_required !== undefined ? r.rearm_required : r.state === "parked" && why !== "";
  $("rig-fault").textContent = why || "-";
  $("rig-rearm").textContent = rearm ? "NEEDED: arm / engage rig" : "no";
  $("rig-rearm").className = rearm ? "alarm" : "";
  const down = rearm || r.state === "fault";
  banner.hidden = !down;
  if (down) {
    banner.textContent = `RIG ${r.state.toUpperCase()}: ${why || "no reason given"}` +
      (rearm ? " - needs an operator re-arm (arm / engage rig)" : "");
  }
  $("rig-trips").textContent = r.watchdog_trips;
  // a peer that failed the link's handshake (no CURVE, a refused key): the server reconnects, the operator should know
  const links = $("rig-links");
  links.textContent = r.link_failures ? `${r.link_failures}: ${r.link_error}` : r.link_failures === 0 ? "0" : "-";
  links.className = r.link_failures ? "amber" : "";
  $("rig-pose").textContent = [r.surge, r.sway, r.heave].map((x) => fmt(x * 1000, 0)).join(" ") + " ; " +
    [r.roll, r.pitch, r.yaw].map((x) => fmt(x * DEG, 2)).join(" ");
  drawActuators(r.actuator_lengths, cmd ? cmd.msg.actuator_lengths : null);
}

function drawActuators(lengths, commanded) {
  const c = $("actuators"), g = c.getContext("2d");
  const [lo, hi] = state.actuatorRange;
  g.clearRect(0, 0, c.width, c.height);
  const w = c.width / 6, top = 14, h = c.height - top - 4;
  const y = (L) => top + h * (1 - (L - lo) / (hi - lo));
  g.font = "10px sans-serif";
  lengths.forEach((L, i) => {
    const x = i * w + 10, near = (Math.min(L - lo, hi - L) / (hi - lo)) < 0.05;
    g.fillStyle = "#2b323c"; g.fillRect(x, top, w - 20, h);
    g.fillStyle = near ? "#e04040" : "#3f8fd0"; g.fillRect(x, y(L), w - 20, top + h - y(L));
    if (commanded) { g.fillStyle = "#ffd400"; g.fillRect(x - 3, y(commanded[i]) - 1, w - 14, 2); }
    g.fillStyle = "#9fb0c3"; g.fillText(`${i + 1}: ${(L * 1000).toFixed(0)} mm`, x, 10);
  });
}

// --- header: scenario, run, state, simulated time, who drives --------------------------------------
const STATE_CLASS = { running: "ok", paused: "warn", starting: "warn", stopping: "warn", aborted: "bad", "no runtime": "bad" };

function drawHeader(h) {
  if (!h) return;
  $("hdr-scenario").textContent = h.scenario || "-";
  $("hdr-run").textContent = h.run_id || "-";
  const st = $("hdr-state");
  st.textContent = h.state;
  st.className = "badge " + (STATE_CLASS[h.state] || "");
  $("hdr-time").textContent = h.t_sim_s === null || h.t_sim_s === undefined ? "-" : simTime(h.t_sim_s);
  const c = $("hdr-control");
  c.textContent = h.control_alarm ? `${h.control} - nobody drives this car` : h.control;
  c.className = h.control_alarm ? "alarm" : "";
  if (h.road !== scene.roadKey) loadRoad(h.road);
}

/** Simulated time as m:ss.s (seconds below a minute as s.s s). */
function simTime(t) {
  if (t < 60) return t.toFixed(1) + " s";
  const m = Math.floor(t / 60);
  return `${m}:${(t - 60 * m).toFixed(1).padStart(4, "0")}`;
}

/** A wall-clock time [ms since the epoch] in this browser's time zone, named (one zone on the page). */
function localTime(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(d).find((x) => x.type === "timeZoneName");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone ? zone.value : ""}`.trim();
}

// --- scene: the live feed turned into the scene module's plain frames ------------------------------
const scene = { view: new SceneView($("scene")), roadKey: undefined, run: undefined, trail: [], events: [] };
window.dilScene = scene.view; // the browser tests read scene.view.state()
$("scene-follow").addEventListener("click", () => scene.view.followEgo());
$("scene-fit").addEventListener("click", () => { scene.view.follow = false; scene.view.fitRoad(); scene.view.draw(); });

async function loadRoad(key) {
  scene.roadKey = key;
  if (!key) { scene.view.setRoad(null); return; }
  try {
    const r = await fetch("/api/road?scenario=" + encodeURIComponent(key), { headers: headers() });
    if (key !== scene.roadKey) return;
    scene.view.setRoad(r.ok ? await r.json() : null);
  } catch (e) {
    scene.view.setRoad(null);
  }
}

function liveScene(m) {
  const h = m.header || {};
  const run = h.run_id || h.scenario || "";
  if (run !== scene.run) { scene.run = run; scene.trail = []; scene.events = []; }
  const wa = m.topics["world/actors"];
  const actors = wa ? wa.msg.actors : [];
  const ego = actors.find((a) => a.id === 0);
  if (ego) {
    const last = scene.trail[scene.trail.length - 1];
    if (!last || Math.hypot(ego.x - last[0], ego.y - last[1]) > 0.5) scene.trail.push([ego.x, ego.y]);
    if (scene.trail.length > 4000) scene.trail.shift();
  }
  for (const e of m.events || []) {
    const msg = e.msg;
    if (e.topic === "world/events") scene.events.push({ x: msg.x, y: msg.y, kind: msg.kind, label: `${msg.kind} ${(msg.t_sim_ns / 1e9).toFixed(1)} s` });
    else if (e.topic === "scenario/events" && msg.element_type === "event" && msg.transition === "start" && ego) {
      // storyboard events happen to the scenario, not at a place: marked where the ego was
      scene.events.push({ x: ego.x, y: ego.y, kind: "storyboard", label: `${msg.element} ${(msg.t_sim_ns / 1e9).toFixed(1)} s` });
    }
  }
  if (scene.events.length > 200) scene.events.splice(0, scene.events.length - 200);
  scene.view.render({ t_sim_s: h.t_sim_s, ego_id: 0, actors, trail: scene.trail, events: scene.events });
}

// --- camera: JPEG images at about 10 a second --------------------------------------------------------
window.dilStats.cameraFrames = 0;
function drawCamera(images) {
  for (const [name, img] of Object.entries(images || {})) {
    const el = $("camera-" + name);
    if (!el) continue;
    el.src = "data:image/jpeg;base64," + img.jpeg;
    el.hidden = false;
    el.dataset.frameId = img.frame_id;
    $("camera-panel").hidden = false;
    $("camera-info").textContent = `${name} ${img.width}x${img.height} px, frame ${img.frame_id}, ${(img.t_sim_ns / 1e9).toFixed(1)} s`;
    window.dilStats.cameraFrames += 1;
  }
}

// --- strip charts ----------------------------------------------------------------------------------
class Strip {
  // minSpan: the smallest range the y axis shows (noise of a steady value stays flat)
  constructor(id, names, colours, minSpan = 0, n = 300) {
    this.c = $(id); this.names = names; this.colours = colours; this.n = n; this.data = []; this.minSpan = minSpan;
  }
  push(values) {
    this.data.push(values);
    if (this.data.length > this.n) this.data.shift();
    this.draw();
  }
  draw() {
    const g = this.c.getContext("2d"), W = this.c.width, H = this.c.height;
    g.clearRect(0, 0, W, H);
    let lo = Infinity, hi = -Infinity;
    for (const row of this.data) for (const v of row) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
    if (hi - lo < this.minSpan) { const mid = (hi + lo) / 2; hi = mid + this.minSpan / 2; lo = mid - this.minSpan / 2; }
    const y = (v) => H - 12 - (H - 24) * (v - lo) / (hi - lo);
    this.names.forEach((name, k) => {
      g.strokeStyle = this.colours[k]; g.beginPath();
      this.data.forEach((row, i) => { const x = W * i / (this.n - 1); i ? g.lineTo(x, y(row[k])) : g.moveTo(x, y(row[k])); });
      g.stroke();
      g.fillStyle = this.colours[k]; g.fillText(name, 4 + 90 * k, 10);
    });
    g.fillStyle = "#8a97a6"; g.fillText(hi.toPrecision(3), W - 40, 10); g.fillText(lo.toPrecision(3), W - 40, H - 2);
  }
}
const charts = {
  lateness: new Strip("chart-lateness", ["p99 us", "max us"], ["#e0a040", "#e04040"], 100),
  speed: new Strip("chart-speed", ["speed km/h"], ["#3fd08f"], 10),
  accel: new Strip("chart-accel", ["ax m/s²", "ay m/s²"], ["#3f8fd0", "#d03fb0"], 2),
  inputs: new Strip("chart-inputs", ["steer deg", "throttle %", "brake %"], ["#ffd400", "#3fd08f", "#e04040"], 20),
};

// --- events, actions, runs, catalog ------------------------------------------------------------------
function addEvent(e) {
  const m = e.msg, li = document.createElement("li");
  const t = (m.t_sim_ns / 1e9).toFixed(2) + " s";
  if (e.topic === "world/events") { li.textContent = `${t} ${m.kind} actor ${m.actor_id}/${m.other_id} ${fmt(m.relative_speed, 1)} m/s ${m.detail}`; if (m.kind === "collision") li.className = "collision"; }
  else if (e.topic === "scenario/events") li.textContent = `${t} ${m.element_type} ${m.element}: ${m.transition} -> ${m.state}`;
  else {
    li.textContent = `${t} ${m.kind} -> ${m.control} ${m.node} ${m.latency_ms ? fmt(m.latency_ms) + " ms " : ""}${m.detail}`;
    if (m.latency_ms) $("ai-latency").textContent = fmt(m.latency_ms) + " ms";
  }
  const list = $("events");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

function addAudit(a) {
  const li = document.createElement("li");
  li.textContent = `${localTime(a.t_wall_ns / 1e6)} ${a.kind === "auth" ? "refused connection " + a.what : a.operator + " " + a.command + (a.argument ? " " + a.argument : "")} ${a.result}${a.reason ? ": " + a.reason : ""}`;
  if (a.result !== "sent") li.className = "refused";
  const list = $("audit");
  list.prepend(li);
  while (list.children.length > 100) list.lastChild.remove();
}

async function loadCatalog() {
  const r = await fetch("/api/catalog", { headers: headers() });
  if (!r.ok) return;
  state.catalog = await r.json();
  const sel = $("scenario"), chosen = sel.value;
  sel.innerHTML = "";
  for (const s of state.catalog) sel.add(new Option(s.name, s.name));
  if (chosen) sel.value = chosen;
  showParams();
}

function showParams() {
  const s = state.catalog.find((x) => x.name === $("scenario").value);
  const box = $("params");
  box.innerHTML = "";
  for (const p of s ? s.parameters : []) {
    const label = document.createElement("label");
    label.textContent = p.name + " ";
    const input = document.createElement("input");
    input.value = p.value; input.dataset.name = p.name; input.dataset.default = p.value;
    label.append(input); box.append(label, " ");
  }
}
$("scenario").addEventListener("change", showParams);

async function loadRuns() {
  const r = await fetch("/api/runs", { headers: headers() });
  if (!r.ok) return;
  const body = $("runs").querySelector("tbody");
  body.innerHTML = "";
  for (const run of await r.json()) {
    const tr = body.insertRow();
    tr.insertCell().textContent = run.name;
    const v = tr.insertCell();
    // outcome pass / fail / aborted / incomplete; older results without one: from "passed"
    const outcome = run.outcome || (run.passed === true ? "pass" : run.passed === false ? "fail" : "");
    v.textContent = (outcome || "-").toUpperCase() + (run.reason && outcome !== "pass" ? ": " + run.reason : "");
    v.className = outcome === "pass" ? "pass" : outcome === "fail" ? "fail" : "amber";
    v.dataset.outcome = outcome;
    tr.insertCell().textContent = run.end;
    tr.insertCell().textContent = run.finished_ms ? localTime(run.finished_ms) : run.finished;
    const rep = tr.insertCell();
    if (run.has_log) { const a = document.createElement("a"); a.href = `/runs/${encodeURIComponent(run.name)}/report`; a.textContent = "report"; a.target = "_blank"; rep.append(a); }
    if (run.has_log) { const p = document.createElement("a"); p.href = "/replay?log=" + encodeURIComponent(run.name + "/run.mcap"); p.textContent = "replay"; p.className = "replay"; rep.append(" ", p); }
  }
}
setInterval(() => { if (state.connected) loadRuns(); }, 5000);

// --- controls ----------------------------------------------------------------------------------------
async function act(command, argument) {
  const operator = $("operator").value.trim();
  const body = { command, operator };
  if (command === "start") {
    if ($("no-motion").checked) body.no_motion = true;
    body.scenario = $("scenario").value;
    body.params = {};
    for (const input of $("params").querySelectorAll("input")) if (input.value !== input.dataset.default) body.params[input.dataset.name] = input.value;
  } else if (argument) body.argument = argument;
  if (state.confirm.has(command)) {
    const what = command === "start" ? `start ${body.scenario}${body.no_motion ? " WITHOUT MOTION" : ""}` : command + (argument ? " to " + argument : "");
    if (!window.confirm(`Really ${what}?`)) { say(`${command}: not confirmed`, false); return; }
    body.confirmed = true;
  }
  try {
    const r = await fetch("/api/command", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    const j = await r.json();
    say(r.ok ? `${command} sent at ${j.time}` : `${command} refused: ${j.error}`, r.ok);
  } catch (e) {
    say(`${command}: the console did not answer (${e})`, false);
  }
}

// The e-stop needs nothing: no token, no operator name, no confirmation. It goes by HTTP (a definite
// answer); should that fail, by the open websocket.
async function estop() {
  const operator = $("operator").value.trim();
  const body = operator ? { operator } : {};
  try {
    const r = await fetch("/api/estop", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    const j = await r.json();
    if (r.ok) { say(`E-STOP sent at ${j.time}`, true); return; }
    say(`E-STOP: ${j.error}; trying the feed`, false);
  } catch (e) {
    say(`E-STOP: the console did not answer (${e}); trying the feed`, false);
  }
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ type: "estop", ...body }));
}

// typing in a text field never fires a shortcut (a space in "7 0" is a space)
function inTextField(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

$("estop").addEventListener("click", estop);
document.addEventListener("keydown", (e) => {
  if (e.code !== "Space" || e.repeat || inTextField(e.target) || inTextField(document.activeElement)) return;
  e.preventDefault();
  estop();
});
document.querySelectorAll("button[data-cmd]").forEach((b) => b.addEventListener("click", () => act(b.dataset.cmd, b.dataset.arg)));

// --- staleness -----------------------------------------------------------------------------------------
setInterval(() => {
  const silent = performance.now() - state.lastFrameAt;
  const stale = !state.connected || silent > 1000;
  $("stale").hidden = !stale;
  if (stale) $("stale").textContent = `STALE: no data for ${(silent / 1000).toFixed(1)} s`;
  if (state.connected) { $("conn").textContent = stale ? "stale" : "live"; $("conn").className = "badge " + (stale ? "warn" : "ok"); }
}, 250);

showAuth("connecting", "");
connect();
