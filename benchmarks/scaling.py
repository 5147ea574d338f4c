#!/usr/bin/env python3
"""How `leaderctl validate` scales with the number of leaders: CPU, wall, peak memory.

    .venv/bin/python benchmarks/scaling.py                      # 1,000 / 3,000 / 10,000 leaders
    .venv/bin/python benchmarks/scaling.py --sizes 100,1000 --runs 1 --source /tmp/other-checkout

For each N it writes N generated leaders (each the README's example leader, every setting
written, credentials by default names) as one file and as N files, then runs
`leaderctl validate` on it in a fresh interpreter (`CHILD`: the CLI's main, then the
process's own CPU time and peak RSS, VmHWM from /proc/self/status: not ru_maxrss, which
Linux carries over fork+exec from the parent). It prints, per layout and N, the median
over --runs of CPU and wall time, the peak RSS and KB per leader (peak RSS / N), and the
log-log slope of CPU (and of peak RSS) between consecutive sizes and from the smallest to
the largest: 1.0 is linear.

--source runs another checkout's `reconciler` (PYTHONPATH) with this script, for a before/after.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys
out = os.environ.pop("LEADERCTL_BENCH_RESULT")
from reconciler.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
times = os.times()
hwm = None
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
with open(out, "w") as f:
    json.dump({"exit": code, "cpu_s": times.user + times.system, "vmhwm_kib": hwm}, f)
sys.exit(code)
"""

LEADER = """\
  {name}:
    settings:
      cooldown: {{enabled: true, start: "2026-12-24T00:00:00Z", end: "2026-12-26T00:00:00Z"}}
      position_type: cross
      trade_protection: true
      profit_sharing: {{period: weekly, rate: "0.1"}}
      follower_minimums: {{asset: "100", fixed_amount: "10", fixed_rate: 10}}
      invite: {{required: false, scope: 1}}
      referral_sharing: {{enabled: true, rate: 0.2}}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
    followers:
      remove: [{follower}]
"""


def write_config(directory: Path, n: int, *, files: bool) -> Path:
    directory.mkdir(parents=True)
    names = [f"bench-{i:05d}" for i in range(n)]
    if files:
        for i, name in enumerate(names):
            (directory / f"{name}.yaml").write_text("version: 1\nleaders:\n" + LEADER.format(name=name, follower=100000 + i))
    else:
        body = "".join(LEADER.format(name=name, follower=100000 + i) for i, name in enumerate(names))
        (directory / "leaders.yaml").write_text("version: 1\nleaders:\n" + body)
    return directory


def env_for(source: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADERCTL_", "GITHUB_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an install has its bytecode compiled
    env["PYTHONPATH"] = str(source)
    env["NO_COLOR"] = "1"
    return env


def run_validate(config: Path, env: dict, tmp: Path) -> dict:
    result = tmp / "result.json"
    env = dict(env, LEADERCTL_BENCH_RESULT=str(result))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "validate", str(config)], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"validate {config} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    out = json.loads(result.read_text())
    out["wall_s"] = wall
    return out


def slope(a: float, b: float, na: int, nb: int) -> float:
    return math.log(b / a) / math.log(nb / na)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,3000,10000", help="leader counts (default 1000,3000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size and layout, median reported (default 3)")
    parser.add_argument("--layouts", default="one file,N files", help="'one file', 'N files' or both (default)")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose reconciler to run (default this one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    layouts = [s.strip() for s in args.layouts.split(",") if s.strip()]
    if len(sizes) < 2 or min(sizes) < 1 or args.runs < 1 or set(layouts) - {"one file", "N files"}:
        parser.error("give at least two sizes >= 1, runs >= 1, layouts 'one file' and/or 'N files'")
    env = env_for(args.source.resolve())
    tmp = Path(tempfile.mkdtemp(prefix="leaderctl-scaling-"))
    rows = []
    try:
        run_validate(write_config(tmp / "warm", 2, files=True), env, tmp)  # writes the bytecode once
        for layout in layouts:
            for n in sizes:
                config = write_config(tmp / f"{layout.replace(' ', '-')}-{n}", n, files=layout == "N files")
                runs = [run_validate(config, env, tmp) for _ in range(args.runs)]
                row = {"layout": layout, "leaders": n, "runs": args.runs,
                       "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                       "wall_s": statistics.median(r["wall_s"] for r in runs),
                       "peak_rss_kib": max(r["vmhwm_kib"] for r in runs)}
                row["kb_per_leader"] = row["peak_rss_kib"] * 1.024 / n  # kB (1000 bytes) of peak RSS per leader
                rows.append(row)
                print(f"  {layout}, {n}: cpu {row['cpu_s']:.2f} s, wall {row['wall_s']:.2f} s, peak {row['peak_rss_kib'] / 1024:.0f} MiB",
                      file=sys.stderr, flush=True)
                shutil.rmtree(config)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    print(f"`leaderctl validate`, {sys.implementation.name} {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"medians of {args.runs} runs, load average at end {', '.join(f'{x:.2f}' for x in load) if load else '-'}")
    print()
    print("| layout | leaders | CPU | wall | peak RSS | KB per leader | CPU slope | RSS slope |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for layout in layouts:
        mine = [r for r in rows if r["layout"] == layout]
        for prev, row in zip([None] + mine, mine):
            if prev:
                row["cpu_slope"] = slope(prev["cpu_s"], row["cpu_s"], prev["leaders"], row["leaders"])
                row["rss_slope"] = slope(prev["peak_rss_kib"], row["peak_rss_kib"], prev["leaders"], row["leaders"])
            s = f"{row['cpu_slope']:.2f} | {row['rss_slope']:.2f}" if prev else "- | -"
            print(f"| {layout} | {row['leaders']:,} | {row['cpu_s']:.2f} s | {row['wall_s']:.2f} s | "
                  f"{row['peak_rss_kib'] / 1024:.0f} MiB | {row['kb_per_leader']:.1f} | {s} |")
        first, last = mine[0], mine[-1]
        whole = slope(first["cpu_s"], last["cpu_s"], first["leaders"], last["leaders"])
        rss = slope(first["peak_rss_kib"], last["peak_rss_kib"], first["leaders"], last["leaders"])
        print(f"| {layout} | {first['leaders']:,} -> {last['leaders']:,} | | | | | {whole:.2f} | {rss:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
