"""esmini-format CSV logs and a stand-in esmini executable for the harness's tests (esmini itself is
never needed by the tests)."""

from __future__ import annotations

import csv
import math
import stat
import sys
from pathlib import Path

import numpy as np

FIELDS = (
    "Entity_Name [-]", "Entity_ID [-]", "Current_Speed [m/s]", "Wheel_Angle [deg]", "Wheel_Rotation [-]",
    "bb_x [m]", "bb_y [m]", "bb_z [m]", "bb_length [m]", "bb_width [m]", "bb_height [m]",
    "World_Position_X [m]", "World_Position_Y [m]", "World_Position_Z [m]",
    "Distance_Travelled_Along_Road_Segment [m]", "Lateral_Distance_Lanem [m]",
    "World_Heading_Angle [rad]", "Heading_Angle_Rate [rad/s]",
)  # fmt: skip


def read_dil_trace(path: Path) -> dict[str, np.ndarray]:
    """dil's trace.csv: entity -> rows of (t, x, y, yaw, speed)."""
    rows: dict[str, list] = {}
    with path.open() as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["entity"], []).append(
                [float(r[k]) for k in ("t_s", "x_m", "y_m", "yaw_rad", "speed_mps")]
            )
    return {k: np.array(v) for k, v in rows.items()}


def write_esmini_csv(path: Path, tracks: dict[str, np.ndarray], dt: float = 0.01) -> None:
    """The tracks resampled every ``dt`` seconds in the layout of esmini's ``--csv_logger``: a few
    ``key: value`` lines, the header, one line per frame with a block of columns per entity."""
    t_end = min(float(a[-1, 0]) for a in tracks.values())
    times = np.round(np.arange(0.0, t_end + 1e-9, dt), 6)
    lines = [f"esmini {k}: test" for k in ("GIT REV", "GIT TAG", "GIT BRANCH", "BUILD VERSION")]
    lines += ["Scenario File Name: test.xosc", f"Number of Vehicles: {len(tracks)}"]
    lines.append(
        "Index [-], TimeStamp [s], "
        + "".join(f"#{k} {f}, " for k in range(1, len(tracks) + 1) for f in FIELDS)
    )
    for i, t in enumerate(times):
        vals = [str(i), f"{t:f}"]
        for k, (name, a) in enumerate(tracks.items()):
            x, y, yaw, v = (np.interp(t, a[:, 0], a[:, j]) for j in (1, 2, 3, 4))
            vals += [name, str(k), f"{v:f}", "0", "0", "1.4", "0", "0.75", "4.5", "1.8", "1.5",
                     f"{x:f}", f"{y:f}", "0", "0", "0", f"{yaw % (2 * math.pi):f}", "0"]  # fmt: skip
        lines.append(", ".join(vals) + ", ")
    path.write_text("\n".join(lines) + "\n")


def stand_in(
    path: Path, logs: dict[str, Path], *, hang: bool = False, crash: str = "", burn_s: float = 0.0
) -> Path:
    """An executable that takes esmini's command line, checks the flags the harness must give, and
    writes the prepared log for the scenario's file name (then sleeps for an hour where ``hang``); it
    dies of SIGSEGV on the file named ``crash``; it first spends ``burn_s`` of CPU time [s]."""
    path.write_text(
        f"#!{sys.executable}\n"
        "import os, shutil, signal, sys, time\n"
        "a = sys.argv[1:]\n"
        "need = ['--headless', '--disable_stdout', '--disable_log']\n"
        "if any(n not in a for n in need) or a[a.index('--fixed_timestep') + 1] != '0.01':\n"
        "    sys.exit(3)\n"
        "osc, out = a[a.index('--osc') + 1], a[a.index('--csv_logger') + 1]\n"
        f"while time.process_time() < {burn_s!r}:\n"
        "    pass\n"
        f"logs = { ({k: str(v) for k, v in logs.items()})!r}\n"
        "name = osc.replace('\\\\', '/').rsplit('/', 1)[-1]\n"
        f"if name == {crash!r}:\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
        "if name not in logs:\n"
        "    print('cannot load ' + osc, file=sys.stderr)\n"
        "    sys.exit(255)\n"
        "shutil.copy(logs[name], out)\n"
        f"if {hang!r}:\n"
        "    time.sleep(3600)\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path
