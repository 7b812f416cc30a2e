"""The web application: the page, its live feed over a websocket, the control API, the catalog,
the run history and the run reports.

| route | what | needs the token |
|---|---|---|
| ``GET /`` and ``/static/...`` | the page (no data in it) | never |
| ``WS /ws`` | hello, then frames at the display rate; takes ``{"type": "estop"}`` | beyond loopback |
| ``GET /api/session`` | whether the request is authorised, and its token's state | never |
| ``GET /api/catalog``, ``/api/runs``, ``/api/audit`` | scenarios, runs, actions | beyond loopback |
| ``GET /runs/NAME/report`` | the run's report (made on first request) | beyond loopback |
| ``GET /api/road?scenario=KEY`` | the lanes of a scenario's road network (``roads.py``) | beyond loopback |
| ``GET /replay`` | the replay page (no data in it) | never |
| ``GET /api/replay/logs`` | the logs and OSI traces it can open (``replay.py``) | beyond loopback |
| ``GET /api/replay?log=PATH``, ``/road`` | a log's timeline, its road; read-only | beyond loopback |
| ``POST /api/estop`` | the e-stop (any body or none; ``operator`` is recorded when given) | never |
| ``POST /api/command`` | an operator action (``estop`` as ``/api/estop``) | always, but estop |

A websocket handshake from a foreign ``Origin`` is refused (403), as is a command other than the
e-stop posted from one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .audit import Audit
from .auth import SUBPROTOCOL, Access, origin_allowed
from .bridge import Bridge
from .catalog import CATALOG, recent_runs, scenario_catalog
from .commands import CONFIRM, NAME, ActionError, check_situation, parse_action, parse_estop
from .header import Header
from .replay import ReplayError, Replays, openable
from .roads import RoadError, road_file_of, road_json

log = logging.getLogger("dil.console")

STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class ConsoleConfig:
    access: Access
    audit: Audit
    runs_dir: Path = Path("dil-runs")
    catalog_dir: Path = CATALOG
    rate_hz: float = 25.0
    """Frames per second to the page (20 to 30)."""
    actuator_range: tuple[float, float] = (0.0, 1.0)
    """The rig's actuator stroke, shortest and longest length [m], drawn as the bars' limits."""
    stale_s: float = 0.5
    """A topic silent for longer is shown as stale."""
    bind: str = "127.0.0.1"
    port: int = 0
    """The address and port the page is served on (its own origin)."""
    allow_origins: tuple[str, ...] = ()
    """Further origins whose pages may open the feed (``--allow-origin``)."""
    extra: dict[str, Any] = field(default_factory=dict)


class _Clients:
    """The connected pages, each with a one-frame mailbox (a slow page skips frames, it never
    holds the others back)."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[str]] = set()

    def put(self, text: str) -> None:
        for q in self.queues:
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(text)


def create_app(bridge: Bridge, config: ConsoleConfig) -> Starlette:
    access, audit = config.access, config.audit
    clients = _Clients()
    catalog = {"scenarios": scenario_catalog(config.catalog_dir)}
    header = Header(config.runs_dir)
    replays = Replays(config.runs_dir)

    def declared() -> dict[str, dict[str, str]]:
        return {name: {p.name: p.value for p in ps} for name, ps in catalog["scenarios"].items()}

    def client_of(conn: HTTPConnection) -> str:
        c = conn.client
        return f"{c.host}:{c.port}" if c is not None else "?"

    def bearer(request: Request) -> str | None:
        return access.from_header(request.headers.get("authorization"))

    def authorised(request: Request) -> bool:
        return access.valid(bearer(request))

    def own_origin(conn: HTTPConnection) -> bool:
        h = conn.headers
        return origin_allowed(h.get("origin"), h.get("host"), config.bind, config.port, config.allow_origins)

    async def send_estop(conn: HTTPConnection, body: Any, token: str | None, via: str) -> Response:
        """Publish the e-stop whatever came with it; audited with who and where."""
        action = parse_estop(body)
        given = body.get("operator") if isinstance(body, dict) else None
        who = {
            "operator": action.operator or None,
            "client": client_of(conn),
            "origin": conn.headers.get("origin"),
            "token": access.token_state(token),
            "via": via,
            "command": "estop",
        }
        if given is not None and given != action.operator:
            who["operator_given"] = str(given)[:80]
        try:
            await run_in_threadpool(bridge.send, action)
        except Exception as e:
            audit.record("action", **who, result="failed", status=503, reason=str(e))
            return JSONResponse({"error": f"could not publish the e-stop on the bus: {e}"}, 503)
        entry = audit.record("action", **who, result="sent", status=200)
        return JSONResponse({"result": "sent", "command": "estop", "argument": "", "time": entry["time"]})

    def may_view(request: Request) -> Response | None:
        """None if the request may read data, else the refusal (logged)."""
        if not access.view_needs_token or authorised(request):
            return None
        audit.record(
            "auth",
            client=client_of(request),
            what=request.url.path,
            result="refused",
            reason="no valid token",
        )
        return JSONResponse({"error": "this console needs its token (Authorization: Bearer ...)"}, 401)

    async def broadcast() -> None:
        last_event = 0
        last_audit = 0
        period = 1.0 / config.rate_hz
        next_t = time.monotonic()
        while True:
            next_t += period
            await asyncio.sleep(max(0.0, next_t - time.monotonic()))
            if not clients.queues:
                last_event = bridge.snapshot(last_event)[1]
                continue
            snap, last_event = bridge.snapshot(last_event, images=True)
            snap["header"] = header(snap)
            new_audit = audit.count - last_audit
            snap["audit"] = list(audit.recent)[-new_audit:] if 0 < new_audit <= len(audit.recent) else []
            last_audit = audit.count
            snap["type"] = "frame"
            snap["t_wall_ms"] = time.time() * 1e3
            clients.put(json.dumps(snap, separators=(",", ":")))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(broadcast())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            replays.close()

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def session(request: Request) -> Response:
        return JSONResponse(
            {
                "authorised": authorised(request),
                "token": access.token_state(bearer(request)),
                "view_needs_token": access.view_needs_token,
                "rate_hz": config.rate_hz,
            }
        )

    async def get_catalog(request: Request) -> Response:
        if (refusal := may_view(request)) is not None:
            return refusal
        catalog["scenarios"] = await run_in_threadpool(scenario_catalog, config.catalog_dir)
        return JSONResponse(
            [{"name": n, "parameters": [p.__dict__ for p in ps]} for n, ps in catalog["scenarios"].items()]
        )

    async def get_runs(request: Request) -> Response:
        if (refusal := may_view(request)) is not None:
            return refusal
        return JSONResponse(await run_in_threadpool(recent_runs, config.runs_dir))

    async def get_audit(request: Request) -> Response:
        if (refusal := may_view(request)) is not None:
            return refusal
        return JSONResponse(list(audit.recent))

    async def report(request: Request) -> Response:
        if (refusal := may_view(request)) is not None:
            return refusal
        name = request.path_params["name"]
        folder = config.runs_dir / name
        log_file = folder / "run.mcap"
        if not NAME.fullmatch(name) or name.startswith(".") or not log_file.is_file():
            return JSONResponse({"error": f"no run {name!r} with a log in {config.runs_dir}"}, 404)
        page_file = log_file.with_suffix(".html")
        if not page_file.exists() or page_file.stat().st_mtime < log_file.stat().st_mtime:
            try:
                from dil.replay.report import write_report

                await run_in_threadpool(write_report, log_file, page_file)
            except Exception as e:  # a broken or partial log: say so on the page
                log.warning("report of %s failed: %s", log_file, e)
                return HTMLResponse(f"<p>no report for {name}: {type(e).__name__}: {e}</p>", 500)
        return FileResponse(page_file)

    async def road(request: Request) -> Response:
        """The road network of a catalog scenario (by name) or of a scenario file a runtime said it runs."""
        if (refusal := may_view(request)) is not None:
            return refusal
        key = request.query_params.get("scenario", "")
        if key in bridge.scenario_files:
            scenario = Path(key)
        elif NAME.fullmatch(key) and key in catalog["scenarios"]:
            scenario = config.catalog_dir / f"{key}.xosc"
        else:
            return JSONResponse({"error": f"scenario {key!r}: neither in the catalog nor run here"}, 404)
        try:
            return JSONResponse(await run_in_threadpool(lambda: road_json(road_file_of(scenario))))
        except RoadError as e:
            return JSONResponse({"error": str(e)}, 422)

    async def replay_page(request: Request) -> Response:
        return FileResponse(STATIC / "replay.html", headers={"Cache-Control": "no-store"})

    async def replay_logs(request: Request) -> Response:
        if (refusal := may_view(request)) is not None:
            return refusal
        return JSONResponse(await run_in_threadpool(openable, config.runs_dir))

    async def replay(request: Request) -> Response:
        """A log's timeline (``/api/replay``) or its road (``/api/replay/road``); read-only."""
        if (refusal := may_view(request)) is not None:
            return refusal
        rel = request.query_params.get("log", "")
        road = request.url.path.endswith("/road")
        try:
            if road:
                return JSONResponse(await run_in_threadpool(replays.road, rel))
            body = await run_in_threadpool(replays.timeline, rel)
            return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
        except FileNotFoundError as e:
            return JSONResponse({"error": str(e)}, 404)
        except (ReplayError, RoadError) as e:
            return JSONResponse({"error": str(e)}, 422)
        except Exception as e:  # whatever a damaged file raises: said on the page, one line here
            log.warning("replay of %s failed: %s: %s", rel, type(e).__name__, e)
            return JSONResponse({"error": f"{rel}: cannot be replayed: {type(e).__name__}: {e}"}, 422)

    async def estop(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:  # a body that is not JSON, or none: the e-stop all the same
            body = None
        return await send_estop(request, body, bearer(request), "http")

    async def command(request: Request) -> Response:
        client = client_of(request)
        try:
            body = await request.json()
        except ValueError:
            body = None
        who = body.get("operator") if isinstance(body, dict) else None
        what = body.get("command") if isinstance(body, dict) else None
        if what == "estop":
            return await send_estop(request, body, bearer(request), "http")
        if not own_origin(request):
            audit.record(
                "action",
                operator=who,
                client=client,
                origin=request.headers.get("origin"),
                command=what,
                result="refused",
                status=403,
                reason="foreign origin",
            )
            return JSONResponse({"error": "refused: a page of another origin may not send controls"}, 403)
        if not authorised(request):
            audit.record(
                "action",
                operator=who,
                client=client,
                command=what,
                result="refused",
                status=401,
                reason="not authorised: no valid token",
            )
            return JSONResponse({"error": "not authorised: controls need the console's token"}, 401)
        try:
            if body is None:
                raise ActionError(400, "the body must be JSON")
            action = parse_action(body, declared())
            check_situation(action, bridge.situation())
        except ActionError as e:
            audit.record(
                "action",
                operator=who,
                client=client,
                command=what,
                result="refused",
                status=e.status,
                reason=str(e),
            )
            return JSONResponse({"error": str(e)}, e.status)
        try:
            await run_in_threadpool(bridge.send, action)
        except Exception as e:
            audit.record(
                "action",
                operator=action.operator,
                client=client,
                command=action.command,
                argument=action.argument,
                result="failed",
                status=503,
                reason=str(e),
            )
            return JSONResponse({"error": f"could not publish on the bus: {e}"}, 503)
        entry = audit.record(
            "action",
            operator=action.operator,
            client=client,
            command=action.command,
            argument=action.argument,
            result="sent",
            status=200,
        )
        return JSONResponse(
            {"result": "sent", "command": action.command, "argument": action.argument, "time": entry["time"]}
        )

    async def feed(websocket: WebSocket) -> None:
        token, speaks = Access.from_subprotocols(websocket.headers.get("sec-websocket-protocol"))
        ok = access.valid(token)
        if not own_origin(websocket):
            audit.record(
                "auth",
                client=client_of(websocket),
                what="/ws",
                origin=websocket.headers.get("origin"),
                result="refused",
                reason=f"foreign origin {websocket.headers.get('origin')!r}",
            )
            await websocket.close(code=1008)  # before accepting: the handshake is refused (403)
            return
        if (token is not None and not ok) or (access.view_needs_token and not ok):
            audit.record(
                "auth",
                client=client_of(websocket),
                what="/ws",
                result="refused",
                reason="wrong token" if token is not None else "no token",
            )
            await websocket.close(code=1008)  # before accepting: the handshake is refused (403)
            return
        await websocket.accept(subprotocol=SUBPROTOCOL if speaks else None)
        snap, _ = bridge.snapshot(0)
        hello = {
            "header": header(snap),
            "type": "hello",
            "authorised": ok,
            "token": access.token_state(token),
            "view_needs_token": access.view_needs_token,
            "rate_hz": config.rate_hz,
            "stale_ms": config.stale_s * 1e3,
            "actuator_range": list(config.actuator_range),
            "confirm": sorted(CONFIRM),
            "events": snap["events"][-100:],
            "audit": list(audit.recent)[-30:],
            **config.extra,
        }
        await websocket.send_text(json.dumps(hello))
        q: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        clients.queues.add(q)
        sending = asyncio.Lock()  # frames and e-stop answers leave one at a time
        sender = asyncio.create_task(_send_all(websocket, q, sending))
        try:
            while True:  # the page says nothing but the e-stop; this also notices when it goes
                text = await websocket.receive_text()
                try:
                    said = json.loads(text)
                except ValueError:
                    continue
                if isinstance(said, dict) and said.get("type") == "estop":
                    r = await send_estop(websocket, said, token, "websocket")
                    async with sending:
                        await websocket.send_text(json.dumps({"type": "estop", **json.loads(r.body)}))
        except WebSocketDisconnect:
            pass
        finally:
            clients.queues.discard(q)
            sender.cancel()

    routes = [
        Route("/", page),
        Route("/api/session", session),
        Route("/api/catalog", get_catalog),
        Route("/api/runs", get_runs),
        Route("/api/audit", get_audit),
        Route("/api/command", command, methods=["POST"]),
        Route("/api/estop", estop, methods=["POST"]),
        Route("/runs/{name}/report", report),
        Route("/api/road", road),
        Route("/replay", replay_page),
        Route("/api/replay/logs", replay_logs),
        Route("/api/replay", replay),
        Route("/api/replay/road", replay),
        WebSocketRoute("/ws", feed),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _send_all(websocket: WebSocket, q: asyncio.Queue[str], sending: asyncio.Lock) -> None:
    with contextlib.suppress(Exception):  # the page went away: the receiving side cleans up
        while True:
            text = await q.get()
            async with sending:
                await websocket.send_text(text)
