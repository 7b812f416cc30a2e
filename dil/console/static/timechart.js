// A chart of a whole recorded series with a cursor: the replay page's speed, acceleration and input
// charts. Same axes as the live page's strip charts: a y range at least minSpan tall, so that the
// noise of a steady value stays flat; the newest-first strip becomes time on x, the cursor a line.
"use strict";

export class TimeChart {
  constructor(canvas, names, colours, minSpan = 0) {
    this.c = canvas; this.names = names; this.colours = colours; this.minSpan = minSpan;
    this.t = []; this.rows = []; this.cursor = null;
  }

  /** t: times [s]; columns: one array per name, as long as t (null where unknown). */
  setData(t, columns) {
    this.t = t; this.columns = columns; this.cursor = null;
    let lo = Infinity, hi = -Infinity;
    for (const col of columns) for (const v of col) { if (v === null || v === undefined) continue; if (v < lo) lo = v; if (v > hi) hi = v; }
    if (!(hi > lo)) { hi = (Number.isFinite(lo) ? lo : 0) + 1; lo = hi - 2; }
    if (hi - lo < this.minSpan) { const mid = (hi + lo) / 2; hi = mid + this.minSpan / 2; lo = mid - this.minSpan / 2; }
    this.lo = lo; this.hi = hi;
    this.draw();
  }

  setCursor(t) { this.cursor = t; this.draw(); }

  /** The values at the cursor (the last sample at or before it). */
  valuesAt(t) {
    const i = lastAtOrBefore(this.t, t);
    return i < 0 ? null : this.columns.map((col) => col[i]);
  }

  draw() {
    const g = this.c.getContext("2d"), W = this.c.width, H = this.c.height;
    g.clearRect(0, 0, W, H);
    const n = this.t.length;
    if (!n) return;
    const t0 = this.t[0], t1 = Math.max(this.t[n - 1], t0 + 1e-9);
    const x = (t) => W * (t - t0) / (t1 - t0);
    const y = (v) => H - 12 - (H - 24) * (v - this.lo) / (this.hi - this.lo);
    g.font = "10px sans-serif";
    this.names.forEach((name, k) => {
      const col = this.columns[k];
      g.strokeStyle = this.colours[k]; g.beginPath();
      let pen = false;
      for (let i = 0; i < n; i++) {
        if (col[i] === null || col[i] === undefined) { pen = false; continue; }
        pen ? g.lineTo(x(this.t[i]), y(col[i])) : g.moveTo(x(this.t[i]), y(col[i]));
        pen = true;
      }
      g.stroke();
      const now = this.cursor === null ? null : this.valuesAt(this.cursor);
      const value = now && now[k] !== null && now[k] !== undefined ? ` ${now[k].toFixed(1)}` : "";
      g.fillStyle = this.colours[k]; g.fillText(name + value, 4 + 110 * k, 10);
    });
    g.fillStyle = "#8a97a6"; g.fillText(this.hi.toPrecision(3), W - 40, 10); g.fillText(this.lo.toPrecision(3), W - 40, H - 2);
    if (this.cursor !== null) {
      g.strokeStyle = "#ffffff"; g.lineWidth = 1; g.beginPath();
      g.moveTo(x(this.cursor), 12); g.lineTo(x(this.cursor), H); g.stroke();
    }
  }
}

/** Index of the last element of the sorted array `ts` at or before `t`, -1 if none. */
export function lastAtOrBefore(ts, t) {
  let lo = 0, hi = ts.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t + 1e-9) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}
