// The e-stop of a page that has no live feed of its own (the replay page): the same button, the
// same space bar, the same way as the live page: POST /api/estop (no token, no name, no confirmation
// needed), and should that fail, {"type": "estop"} over a websocket opened for it.
"use strict";

function inTextField(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

/** Wire `button` and the space bar (outside text fields) to the e-stop; `say(text, ok)` reports. */
export function installEstop(button, say) {
  async function estop() {
    const token = sessionStorage.getItem("dil-token");
    const operator = (localStorage.getItem("dil-operator") || "").trim();
    const body = operator ? { operator } : {};
    const h = { "Content-Type": "application/json" };
    if (token) h.Authorization = "Bearer " + token;
    try {
      const r = await fetch("/api/estop", { method: "POST", headers: h, body: JSON.stringify(body) });
      const j = await r.json();
      if (r.ok) { say(`E-STOP sent at ${j.time}`, true); return; }
      say(`E-STOP: ${j.error}; trying the feed`, false);
    } catch (e) {
      say(`E-STOP: the console did not answer (${e}); trying the feed`, false);
    }
    const protocols = ["dil-console"];
    if (token) protocols.push("token." + token);
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws", protocols);
    ws.onopen = () => ws.send(JSON.stringify({ type: "estop", ...body }));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type !== "estop") return;
      say(m.result === "sent" ? `E-STOP sent at ${m.time}` : `E-STOP: ${m.error}`, m.result === "sent");
      ws.close();
    };
  }
  button.addEventListener("click", estop);
  document.addEventListener("keydown", (e) => {
    if (e.code !== "Space" || e.repeat || inTextField(e.target) || inTextField(document.activeElement)) return;
    e.preventDefault();
    estop();
  });
}
