// dil scene view: a top-down canvas of the road network, the actors, the ego's trail and the
// events. Fed by plain objects only, so that a live feed and a recorded log draw the same way:
//
//   view.setRoad(road)   road: the JSON of /api/road (lanes as world polylines, metres), or null
//   view.render(frame)   frame: {t_sim_s, ego_id, actors: [{id, kind, name, x, y, yaw [rad], speed [m/s],
//                          length, width [m]}], trail: [[x, y], ...], events: [{x, y, kind, label}]}
//
// World frame: x east, y north, metres; the canvas keeps north up. Follow-ego (the default) centres
// the ego every frame; dragging pans and the wheel zooms (dragging ends follow-ego, follow() brings
// it back). state() says what is drawn where (the browser tests read it).
"use strict";

const LANE_FILL = { driving: "#3a3f47", shoulder: "#2c3036", parking: "#2c3036", sidewalk: "#4a4640",
  biking: "#3a4a3f", median: "#26302a", border: "#26302a" };
const MARK = { standard: "#e8e8e8", white: "#e8e8e8", yellow: "#f2c230", red: "#e04040", blue: "#3f8fd0" };
const ACTOR = { vehicle: "#f0a040", pedestrian: "#d03fb0", cyclist: "#40d0c0", object: "#a0a0a0" };
const EGO = "#3fa0ff";

export class SceneView {
  constructor(canvas) {
    this.canvas = canvas;
    this.road = null;
    this.paths = null;
    this.frame = null;
    this.follow = true;
    this.scale = 4; // pixels per metre
    this.cx = 0; this.cy = 0; // the world point at the canvas centre [m]
    this._drag = null;
    canvas.addEventListener("wheel", (e) => this._wheel(e), { passive: false });
    canvas.addEventListener("mousedown", (e) => { this._drag = [e.offsetX, e.offsetY]; });
    window.addEventListener("mouseup", () => { this._drag = null; });
    canvas.addEventListener("mousemove", (e) => this._move(e));
  }

  setRoad(road) {
    this.road = road;
    this.paths = road ? buildPaths(road) : null;
    if (road && !this.frame) this.fitRoad();
    this.draw();
  }

  render(frame) {
    this.frame = frame;
    const ego = this.ego();
    if (this.follow && ego) { this.cx = ego.x; this.cy = ego.y; }
    this.draw();
  }

  /** Centre on the ego again and keep it there. */
  followEgo() { this.follow = true; this.render(this.frame); }

  fitRoad() {
    if (!this.road) return;
    const [x0, y0, x1, y1] = this.road.bounds;
    const c = this.canvas;
    this.cx = (x0 + x1) / 2; this.cy = (y0 + y1) / 2;
    this.scale = Math.max(0.05, Math.min(c.width / Math.max(1, x1 - x0), c.height / Math.max(1, y1 - y0)) * 0.9);
  }

  ego() {
    const f = this.frame;
    if (!f || !f.actors) return null;
    return f.actors.find((a) => a.id === (f.ego_id ?? 0)) || null;
  }

  /** Canvas pixel of world point (x, y). */
  toPixel(x, y) {
    const c = this.canvas;
    return [c.width / 2 + (x - this.cx) * this.scale, c.height / 2 - (y - this.cy) * this.scale];
  }

  toWorld(px, py) {
    const c = this.canvas;
    return [this.cx + (px - c.width / 2) / this.scale, this.cy - (py - c.height / 2) / this.scale];
  }

  /** What is drawn where: for tests and for a replay's timeline. */
  state() {
    const f = this.frame || { actors: [], trail: [], events: [] };
    const c = this.canvas;
    const inside = ([px, py]) => px >= 0 && py >= 0 && px <= c.width && py <= c.height;
    const actors = (f.actors || []).map((a) => {
      const p = this.toPixel(a.x, a.y);
      return { id: a.id, name: a.name, kind: a.kind, x: a.x, y: a.y, speed: a.speed, px: p[0], py: p[1], inView: inside(p) };
    });
    return {
      follow: this.follow, scale: this.scale, centre: [this.cx, this.cy], width: c.width, height: c.height,
      t_sim_s: f.t_sim_s, lanes: this.road ? this.road.lanes.length : 0, roadFile: this.road ? this.road.file : null,
      actors, ego: actors.find((a) => a.id === (f.ego_id ?? 0)) || null,
      trail: (f.trail || []).length, events: (f.events || []).length, scaleBar: this._bar,
    };
  }

  _wheel(e) {
    e.preventDefault();
    const [wx, wy] = this.toWorld(e.offsetX, e.offsetY);
    const k = Math.exp(-e.deltaY * 0.0015);
    this.scale = Math.min(200, Math.max(0.05, this.scale * k));
    if (!this.follow) { // zoom about the cursor; following, the ego stays in the centre
      this.cx = wx - (e.offsetX - this.canvas.width / 2) / this.scale;
      this.cy = wy + (e.offsetY - this.canvas.height / 2) / this.scale;
    }
    this.draw();
  }

  _move(e) {
    if (!this._drag || !(e.buttons & 1)) return;
    const [x0, y0] = this._drag;
    this._drag = [e.offsetX, e.offsetY];
    this.follow = false;
    this.cx -= (e.offsetX - x0) / this.scale;
    this.cy += (e.offsetY - y0) / this.scale;
    this.draw();
  }

  draw() {
    const c = this.canvas;
    // drawn at the size it is shown, so that a pixel of the mouse is a pixel of the drawing
    if (c.clientWidth > 0 && (c.width !== c.clientWidth || c.height !== c.clientHeight)) {
      c.width = c.clientWidth; c.height = c.clientHeight;
    }
    const g = c.getContext("2d"), s = this.scale;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = "#161a1f"; g.fillRect(0, 0, c.width, c.height);
    // world transform: metres to pixels, y up
    g.setTransform(s, 0, 0, -s, c.width / 2 - this.cx * s, c.height / 2 + this.cy * s);
    if (this.paths) drawRoad(g, this.paths, s);
    const f = this.frame;
    if (f) {
      drawTrail(g, f.trail || [], s);
      for (const a of f.actors || []) drawBox(g, a, a.id === (f.ego_id ?? 0));
    }
    g.setTransform(1, 0, 0, 1, 0, 0);
    if (f) {
      for (const ev of f.events || []) this._event(g, ev);
      for (const a of f.actors || []) this._label(g, a);
    }
    this._scaleBar(g);
    if (!this.paths) { g.fillStyle = "#8a97a6"; g.font = "12px sans-serif"; g.fillText("no road network", 10, 18); }
  }

  _label(g, a) {
    const [px, py] = this.toPixel(a.x, a.y);
    const half = Math.max(a.length || 1, a.width || 1) * this.scale / 2;
    g.font = "11px sans-serif";
    const text = `${a.id} ${a.name || ""} ${(a.speed * 3.6).toFixed(0)} km/h`;
    g.fillStyle = "rgba(0,0,0,.6)";
    const w = g.measureText(text).width;
    g.fillRect(px + half + 3, py - half - 14, w + 6, 14);
    g.fillStyle = "#fff";
    g.fillText(text, px + half + 6, py - half - 3);
  }

  _event(g, ev) {
    const [px, py] = this.toPixel(ev.x, ev.y);
    const bad = ev.kind === "collision" || ev.kind === "off_road";
    g.strokeStyle = bad ? "#ff4040" : "#ffd400"; g.lineWidth = 2;
    g.beginPath(); g.moveTo(px - 6, py - 6); g.lineTo(px + 6, py + 6); g.moveTo(px + 6, py - 6); g.lineTo(px - 6, py + 6); g.stroke();
    g.fillStyle = bad ? "#ff8080" : "#ffe680"; g.font = "10px sans-serif";
    g.fillText(ev.label || ev.kind, px + 8, py + 12);
  }

  _scaleBar(g) {
    // the longest 1, 2 or 5 x 10^n metres that fits in 120 px
    const target = 120 / this.scale;
    const p = Math.pow(10, Math.floor(Math.log10(target)));
    const m = [5, 2, 1].map((k) => k * p).find((v) => v <= target) || p;
    const px = m * this.scale, x = 12, y = this.canvas.height - 14;
    g.strokeStyle = "#fff"; g.lineWidth = 2;
    g.beginPath(); g.moveTo(x, y - 5); g.lineTo(x, y); g.lineTo(x + px, y); g.lineTo(x + px, y - 5); g.stroke();
    g.fillStyle = "#fff"; g.font = "11px sans-serif";
    const text = m >= 1000 ? `${m / 1000} km` : m >= 1 ? `${m} m` : `${(m * 100).toFixed(0)} cm`;
    g.fillText(text, x + px + 6, y);
    this._bar = { metres: m, pixels: px, text };
  }
}

function polyline(flat) {
  const p = new Path2D();
  for (let i = 0; i < flat.length; i += 2) (i ? p.lineTo(flat[i], flat[i + 1]) : p.moveTo(flat[i], flat[i + 1]));
  return p;
}

/** Path2D objects in world coordinates, built once per road network. */
function buildPaths(road) {
  const fills = [], marks = [], centres = [];
  for (const l of road.lanes) {
    if (l.lane !== 0) {
      const p = polyline(l.inner);
      for (let i = l.outer.length - 2; i >= 0; i -= 2) p.lineTo(l.outer[i], l.outer[i + 1]);
      p.closePath();
      fills.push({ path: p, colour: LANE_FILL[l.type] || "#30343a" });
      if (l.type === "driving") centres.push(polyline(l.centre));
    }
    if (l.mark && l.mark !== "none") {
      marks.push({ path: polyline(l.outer), colour: MARK[l.mark_color] || MARK.standard, broken: l.mark.includes("broken") });
    }
  }
  return { fills, marks, centres };
}

function drawRoad(g, paths, s) {
  for (const f of paths.fills) { g.fillStyle = f.colour; g.fill(f.path); }
  g.lineWidth = 1 / s; g.strokeStyle = "rgba(120,160,200,.25)"; g.setLineDash([2, 4]);
  for (const p of paths.centres) g.stroke(p);
  g.lineWidth = Math.max(0.15, 1.5 / s);
  for (const m of paths.marks) {
    g.strokeStyle = m.colour;
    g.setLineDash(m.broken ? [3, 3] : []);
    g.stroke(m.path);
  }
  g.setLineDash([]);
}

function drawTrail(g, trail, s) {
  if (trail.length < 2) return;
  g.strokeStyle = "rgba(63,160,255,.7)"; g.lineWidth = 2 / s;
  g.beginPath();
  trail.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.stroke();
}

function drawBox(g, a, ego) {
  const L = Math.max(a.length || 0, 0.5), W = Math.max(a.width || 0, 0.5);
  g.save();
  g.translate(a.x, a.y); g.rotate(a.yaw || 0);
  g.fillStyle = ego ? EGO : ACTOR[a.kind] || ACTOR.object;
  g.fillRect(-L / 2, -W / 2, L, W);
  g.fillStyle = "#111"; // the front: a dark band shows where it heads
  g.fillRect(L / 2 - Math.min(0.6, L / 4), -W / 2, Math.min(0.6, L / 4), W);
  g.restore();
}
