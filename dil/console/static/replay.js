// dil console, replay page: a recorded run (a dil log, or an OSI trace converted by the console)
// read from /api/replay as a decimated timeline, drawn with the live page's scene module. A cursor
// (a frame index) drives the scene, the charts, the events list and the header together. Read-only:
// nothing here is sent anywhere but the e-stop.
"use strict";
import { SceneView } from "./scene.js";
import { TimeChart, lastAtOrBefore } from "./timechart.js";
import { installEstop } from "./estop.js";

const $ = (id) => document.getElementById(id);
const DEG = 180 / Math.PI;
const rp = { tl: null, log: null, index: 0, playing: false, speed: 1, anchor: null, error: "", ego: [], info: new Map() };

function say(text, ok) {
  const m = $("msg");
  m.textContent = text;
  m.className = ok ? "ok" : "error";
}

function headers() {
  const token = sessionStorage.getItem("dil-token");
  return token ? { Authorization: "Bearer " + token } : {};
}

const view = new SceneView($("scene"));
window.dilScene = view; // the browser tests read view.state()
$("scene-follow").addEventListener("click", () => view.followEgo());
$("scene-fit").addEventListener("click", () => { view.follow = false; view.fitRoad(); view.draw(); });

const charts = {
  speed: new TimeChart($("chart-speed"), ["speed km/h"], ["#3fd08f"], 10),
  accel: new TimeChart($("chart-accel"), ["ax m/s²", "ay m/s²"], ["#3f8fd0", "#d03fb0"], 2),
  inputs: new TimeChart($("chart-inputs"), ["steer deg", "throttle %", "brake %"], ["#ffd400", "#3fd08f", "#e04040"], 20),
};

/** Simulated time as m:ss.s (seconds below a minute as s.s s), as on the live page. */
function simTime(t) {
  if (t < 60) return t.toFixed(2) + " s";
  const m = Math.floor(t / 60);
  return `${m}:${(t - 60 * m).toFixed(2).padStart(5, "0")}`;
}

// --- opening a log ------------------------------------------------------------------------------------
async function listLogs(chosen) {
  const r = await fetch("/api/replay/logs", { headers: headers() });
  if (!r.ok) return;
  const pick = $("log-pick");
  pick.innerHTML = "";
  for (const l of await r.json()) pick.add(new Option(`${l.log} (${l.kind})`, l.log));
  if (chosen && ![...pick.options].some((o) => o.value === chosen)) pick.add(new Option(chosen, chosen));
  if (chosen) pick.value = chosen;
}

function showError(text) {
  rp.error = text;
  $("replay-error").textContent = text ? "REPLAY: " + text : "";
  $("replay-error").hidden = !text;
}

async function open(log) {
  pause();
  rp.log = log;
  rp.tl = null;
  showError("");
  $("replay-notice").hidden = true;
  const url = new URL(location.href);
  url.searchParams.set("log", log);
  history.replaceState(null, "", url.pathname + url.search);
  say(`reading ${log} ...`, true);
  let tl;
  try {
    const r = await fetch("/api/replay?log=" + encodeURIComponent(log), { headers: headers() });
    const j = await r.json();
    if (!r.ok) { showError(j.error || `HTTP ${r.status}`); say("", true); return; }
    tl = j;
  } catch (e) {
    showError(`${log}: the console did not answer (${e})`);
    return;
  }
  if (log !== rp.log) return; // another was opened meanwhile
  rp.tl = tl;
  rp.info = new Map(tl.actors.map((a) => [a.id, a]));
  rp.ego = tl.frames.actors.map((f) => { const e = f.find((a) => a[0] === 0); return e ? [e[1], e[2]] : null; });
  $("replay-notice").textContent = tl.notice;
  $("replay-notice").hidden = !tl.notice;
  $("hdr-scenario").textContent = tl.scenario || "-";
  $("hdr-run").textContent = tl.run_id || "-";
  $("hdr-kind").textContent = `${tl.kind}: ${tl.log}`;
  document.title = `dil replay: ${tl.run_id}`;
  const n = tl.frames.t.length;
  $("timeline").max = String(n - 1);
  const s = tl.series;
  charts.speed.setData(s.t, [s.speed.map((v) => (v === null ? null : v * 3.6))]);
  charts.accel.setData(s.t, [s.ax, s.ay]);
  charts.inputs.setData(s.t, [s.steering_wheel_angle.map((v) => (v === null ? null : v * DEG)),
    s.throttle.map((v) => (v === null ? null : v * 100)), s.brake.map((v) => (v === null ? null : v * 100))]);
  listEvents(tl.events);
  say(`${tl.log}: ${n} frames at ${tl.rate_hz.toFixed(0)} Hz, ${(tl.frames.t[n - 1] - tl.frames.t[0]).toFixed(1)} s`, true);
  view.road = null; view.frame = null;
  seek(0);
  try {
    const r = await fetch("/api/replay/road?log=" + encodeURIComponent(log), { headers: headers() });
    if (log === rp.log) view.setRoad(r.ok ? await r.json() : null);
  } catch (e) {
    view.setRoad(null);
  }
  if (log === rp.log) seek(rp.index);
}

function listEvents(events) {
  const list = $("events");
  list.innerHTML = "";
  for (const e of events) {
    const li = document.createElement("li");
    li.textContent = `${e.t.toFixed(2)} s ${e.text}`;
    li.dataset.t = e.t;
    if (e.kind === "collision") li.className = "collision";
    li.addEventListener("click", () => { pause(); seekTime(e.t); });
    list.append(li);
  }
}

// --- the cursor ---------------------------------------------------------------------------------------
function seek(i) {
  const tl = rp.tl;
  if (!tl) return;
  const n = tl.frames.t.length;
  rp.index = Math.max(0, Math.min(n - 1, i));
  const t = tl.frames.t[rp.index];
  $("timeline").value = String(rp.index);
  $("hdr-time").textContent = simTime(t);
  $("cursor-info").textContent = `frame ${rp.index + 1} of ${n}, ${simTime(t)} of ${simTime(tl.frames.t[n - 1])}`;
  const actors = tl.frames.actors[rp.index].map(([id, x, y, yaw, speed]) => {
    const a = rp.info.get(id) || {};
    return { id, x, y, yaw, speed, kind: a.kind, name: a.name, length: a.length, width: a.width };
  });
  const trail = [];
  for (let k = 0; k <= rp.index; k++) if (rp.ego[k]) trail.push(rp.ego[k]);
  const events = tl.events.filter((e) => e.t <= t + 1e-9 && e.x !== null)
    .map((e) => ({ x: e.x, y: e.y, kind: e.kind, label: `${e.kind === "storyboard" ? e.text.split(":")[0] : e.kind} ${e.t.toFixed(1)} s` }));
  view.render({ t_sim_s: t, ego_id: 0, actors, trail, events });
  for (const c of Object.values(charts)) c.setCursor(t);
  let current = null;
  for (const li of $("events").children) {
    const past = Number(li.dataset.t) <= t + 1e-9;
    li.classList.toggle("past", past);
    li.classList.remove("current");
    if (past) current = li;
  }
  if (current) current.classList.add("current");
}

function seekTime(t) {
  if (rp.tl) seek(Math.max(0, lastAtOrBefore(rp.tl.frames.t, t)));
}

// --- playing ------------------------------------------------------------------------------------------
function play() {
  if (!rp.tl) return;
  if (rp.index >= rp.tl.frames.t.length - 1) seek(0);
  rp.playing = true;
  rp.anchor = { wall: performance.now(), t: rp.tl.frames.t[rp.index] };
  $("play").textContent = "pause";
  requestAnimationFrame(tick);
}

function pause() {
  rp.playing = false;
  $("play").textContent = "play";
}

function tick(now) {
  if (!rp.playing || !rp.tl) return;
  const ts = rp.tl.frames.t;
  const t = rp.anchor.t + (now - rp.anchor.wall) / 1000 * rp.speed;
  const i = Math.max(0, lastAtOrBefore(ts, t));
  if (i !== rp.index) seek(i);
  if (i >= ts.length - 1) { pause(); return; }
  requestAnimationFrame(tick);
}

$("play").addEventListener("click", () => (rp.playing ? pause() : play()));
$("step-fwd").addEventListener("click", () => { pause(); seek(rp.index + 1); });
$("step-back").addEventListener("click", () => { pause(); seek(rp.index - 1); });
$("timeline").addEventListener("input", () => { if (rp.playing) pause(); seek(Number($("timeline").value)); });
$("speed").addEventListener("change", () => {
  rp.speed = Number($("speed").value);
  if (rp.playing && rp.tl) rp.anchor = { wall: performance.now(), t: rp.tl.frames.t[rp.index] };
});
$("log-open").addEventListener("click", () => { if ($("log-pick").value) open($("log-pick").value); });

// what the page shows, for the browser tests
window.dilReplay = {
  state() {
    const tl = rp.tl;
    return {
      log: rp.log, kind: tl ? tl.kind : null, run_id: tl ? tl.run_id : null, error: rp.error,
      notice: tl ? tl.notice : "", frames: tl ? tl.frames.t.length : 0, index: rp.index,
      t_sim_s: tl ? tl.frames.t[rp.index] : null, playing: rp.playing, speed: rp.speed,
      past_events: [...$("events").querySelectorAll("li.past")].length,
      chart_cursor_s: charts.speed.cursor, speed_kmh: tl ? (charts.speed.valuesAt(charts.speed.cursor ?? -1) || [null])[0] : null,
    };
  },
};

installEstop($("estop"), say);
const given = new URL(location.href).searchParams.get("log");
listLogs(given).finally(() => { if (given) open(given); });
