"""Every ``dil`` command the README lists runs, with short options, and exits as documented.

The commands are read from the README's code blocks; each needs a short form below (a new README
command without one fails the first test). Commands run in a scratch folder holding a link to
``scenarios/``, in the README's order, so ``dil-runs/ccrs`` exists for the commands that read it.
Long-lived servers are started, waited on until they say they serve, used where the README pairs
them with another command, and stopped with Ctrl-C (SIGINT), which must end them with status 0.
A benchmark's JSON report is checked here too (:mod:`.bench_reports`): each runs once in the suite.
"""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..ports import port_block
from . import bench_reports

ROOT = Path(__file__).resolve().parents[2]
SERVING_WAIT_S = 600.0
"""How long a server may take to say it serves [s]: ``dil run-worker`` loads (on a fresh clone,
compiles) every kernel of a run first, which took minutes on a busy 2-core machine."""
STOP_WAIT_S = 300.0
"""How long a server may take to end after Ctrl-C [s] (a busy machine: not what these tests time)."""
DIL = str(Path(sys.executable).parent / "dil")  # the installed command, as a user types it


@dataclass(frozen=True)
class Smoke:
    """How one README command runs here: ``args`` (with ``{port}``, ``{port2}``, ``{root}``), the exit
    statuses it may end with, and for a server the line that says it is serving."""

    args: str
    exits: tuple[int, ...] = (0,)
    serving: str = ""
    then: str = ""
    """For a server: a command run against it while it serves (exit 0)."""
    made: str = ""
    """For a command run with a server's entry (``args`` empty): the file that run wrote."""
    check: Callable[[Path, str], None] | None = None
    """Checks what the command wrote, given the scratch folder and its stdout."""


SMOKE: dict[str, Smoke] = {
    "dil run scenarios/catalog/ccrs.xosc": Smoke("run scenarios/catalog/ccrs.xosc"),
    "dil --help": Smoke("--help"),
    "dil warm": Smoke("warm"),
    "dil run-worker --idle 3600": Smoke(
        "run-worker --socket run.sock --idle 3600", serving="serving dil run at"
    ),
    "dil bench startup": Smoke("bench startup --repeat 1 --json bench-startup.json"),
    "dil run scenarios/catalog/alks_cutin.xosc --param CutInGap=10": Smoke(
        "run scenarios/catalog/alks_cutin.xosc --param CutInGap=10"
    ),
    "dil bench scenario": Smoke("bench scenario ccrs --repeat 1 --json bench-scenario.json"),
    "dil campaign scenarios/campaigns/ccrs_grid.yaml": Smoke(
        "campaign scenarios/campaigns/ccrs_grid.yaml --workers 2"
    ),
    "dil log check dil-runs/ccrs/run.mcap": Smoke("log check dil-runs/ccrs/run.mcap"),
    "dil replay dil-runs/ccrs/run.mcap --resim": Smoke("replay dil-runs/ccrs/run.mcap --resim"),
    "dil report dil-runs/ccrs": Smoke("report dil-runs/ccrs"),
    "dil vehicles": Smoke("vehicles"),
    "dil messages [--markdown]": Smoke("messages --markdown"),
    "dil drive --headless": Smoke("drive --headless --duration 1 --port {port}"),
    "dil script-driver sine-steer": Smoke("script-driver sine-steer --duration 1 --port {port}"),
    "dil keys NAME --dir DIR": Smoke("keys smoke --dir keys"),
    "dil bench dynamics": Smoke(
        "bench dynamics --steps 2000 --vehicles 4 --batch-seconds 0.05 --baseline-steps 50 --json d.json",
        check=bench_reports.dynamics,
    ),
    "dil bench bus": Smoke(
        "bench bus --transports kernel inproc local --messages 300 --burst 5000 --codec-messages 2000 "
        "--json b.json",
        check=bench_reports.bus,
    ),
    "dil bench loop": Smoke(
        "bench loop --duration 0.3 --loads 0 --only-realtime --port {port} --json l.json"
    ),
    "dil bench rig": Smoke("bench rig --ticks 2000 --json r.json", check=bench_reports.rig),
    # the time guard cuts the 60 s drive after 3 s: exit 3, as the README documents for a cut run
    "dil run scenarios/catalog/lane_keeping_rural.xosc --stack ai --ai-model "
    "dil/inference/models/lane_keeper.yaml": Smoke(
        "run scenarios/catalog/lane_keeping_rural.xosc --stack ai --ai-model "
        "{root}/dil/inference/models/lane_keeper.yaml --max-time 3 --out ai-runs",
        exits=(3,),
    ),
    "dil node serve dil/inference/models/lane_keeper.yaml --bind tcp://0.0.0.0:5700": Smoke(
        "node serve {root}/dil/inference/models/lane_keeper.yaml --bind tcp://127.0.0.1:{port}",
        serving="serving lane-keeper at tcp://127.0.0.1:",
    ),
    "dil bench inference": Smoke(
        "bench inference --frames 20 --burst 8 --json i.json", check=bench_reports.inference
    ),
    "dil rig serve --sim": Smoke("rig serve --sim --port {port}", serving="dil rig serve: simulated"),
    "dil console": Smoke(
        "console --http-port {port2} --port {port} --audit audit.jsonl", serving="dil console: http://"
    ),
    "dil bench console": Smoke(
        "bench console --seconds 1 --port {port} --json c.json", check=bench_reports.console
    ),
    "dil bench world": Smoke("bench world --networks rural --json w.json", check=bench_reports.world),
    "dil carla-lite --map scenarios/roads/highway.xodr --port 2000": Smoke(
        "carla-lite --map scenarios/roads/highway.xodr --port {port}",
        serving="carla-lite listening on 127.0.0.1:",
        # the client's time-out fits a busy machine (the 10 s default is not what this runs for)
        then="run scenarios/catalog/ccrs.xosc --world carla --carla-port {port} --carla-timeout 120 "
        "--out carla-runs",
    ),
    "dil run scenarios/catalog/ccrs.xosc --world carla --carla-port 2000": Smoke(
        "", made="carla-runs/ccrs/result.json"
    ),
    "dil bench carla": Smoke(
        "bench carla --ticks 40 --actors 5 --json carla.json", check=bench_reports.carla
    ),
    "dil view scenarios/roads/junction.xodr": Smoke("view scenarios/roads/junction.xodr --width 400"),
    "dil compare dil-runs/ccrs/run.mcap other/trace.csv --tolerance-m 0.2 --html cmp.html": Smoke(
        "compare dil-runs/ccrs/run.mcap carla-runs/ccrs/trace.csv --tolerance-m 0.2 --html cmp.html"
    ),
    # no esmini binary is installed here: dil's side of the table and the census
    "dil conform DIR --esmini PATH --census": Smoke(
        "conform scenarios/catalog/ccrs.xosc --census --out conform"
    ),
    "dil drive --headless --rt-priority 80 --cpu 1 --mlock": Smoke(
        "drive --headless --rt-priority 80 --cpu 1 --mlock --duration 1 --port {port}"
    ),
}


def readme_commands() -> list[str]:
    """The ``dil`` commands in the README's code blocks (not Python), comments cut, in order."""
    text = (ROOT / "README.md").read_text()
    found: list[str] = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        if lang == "python":
            continue
        for line in body.splitlines():
            for part in line.split("&&"):
                command = re.sub(r"\s+#.*$", "", part).strip()
                if command.startswith("dil ") and command not in found:
                    found.append(command)
    return found


def _port() -> int:
    """The first of a block of 32 ports (a bus takes consecutive ports), away from other tests'."""
    return port_block()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readme")
    (d / "scenarios").symlink_to(ROOT / "scenarios")
    return d


def _argv(template: str) -> list[str]:
    return [DIL, *template.format(root=ROOT, port=_port(), port2=_port()).split()]


def test_every_readme_command_has_a_short_form():
    listed = readme_commands()
    assert len(listed) >= 25, listed  # the blocks were found
    assert set(listed) == set(SMOKE), {
        "without a short form": set(listed) - set(SMOKE),
        "stale": set(SMOKE) - set(listed),
    }


@pytest.mark.parametrize("command", readme_commands())
def test_the_readme_command_runs(command, workdir):
    smoke = SMOKE[command]
    if not smoke.args:  # run with the server it needs, in that server's entry
        assert (workdir / smoke.made).is_file(), command
        return
    argv = _argv(smoke.args)
    if smoke.serving:
        _serve(argv, smoke, workdir)
        return
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=300)
    assert done.returncode in smoke.exits, (command, done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and "RequestError" not in done.stderr, (
        command,
        done.stderr[-3000:],
    )
    assert done.stdout.strip(), command  # every command says something
    if smoke.check is not None:
        smoke.check(workdir, done.stdout)


def _serve(argv: list[str], smoke: Smoke, workdir: Path) -> None:
    """Start a server, wait for its serving line (stdout or stderr), run ``then``, stop it with SIGINT."""
    port = argv[argv.index("--port") + 1] if "--port" in argv else None
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=workdir)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, "")])
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + SERVING_WAIT_S
    try:
        while not any(smoke.serving in x for x in seen):
            try:  # the server starts (imports, numba caches); looked at every second: one that ends, fails
                seen.append(lines.get(timeout=1.0))
                continue
            except queue.Empty:
                pass
            if proc.poll() is not None:  # it ended: what it said to the end, then no serving line
                reader.join(30)
                while not lines.empty():
                    seen.append(lines.get())
                if not any(smoke.serving in x for x in seen):
                    raise AssertionError(f"{argv}: ended ({proc.returncode}) without serving: {seen}")
            elif time.monotonic() > deadline:
                raise AssertionError(f"{argv}: no {smoke.serving!r} in {SERVING_WAIT_S:g} s: {seen}")
        if smoke.then:
            then = [DIL, *smoke.then.format(root=ROOT, port=port).split()]
            done = subprocess.run(then, capture_output=True, text=True, cwd=workdir, timeout=300)
            assert done.returncode == 0, (then, done.stderr[-3000:])
            assert "Traceback" not in done.stderr, done.stderr[-3000:]
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.wait(STOP_WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(30)
    while not lines.empty():
        seen.append(lines.get())
    text = "".join(seen)
    assert proc.returncode == 0, (argv, proc.returncode, text[-3000:])
    assert "Traceback" not in text, text[-3000:]
