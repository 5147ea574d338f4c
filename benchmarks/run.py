#!/usr/bin/env python3
"""leaderctl benchmarks: plan wall time against its lower bound, requests per leader,
peak memory and cold start, measured against the sandbox exchange over real HTTP.

    .venv/bin/python benchmarks/run.py                    # the full set (about 3.5 minutes)
    .venv/bin/python benchmarks/run.py --sizes 1,10 --runs 1 --startup-runs 5 --out /tmp/r.json

What it does (README.md, "Benchmarks", explains the numbers):

- For each size N it starts a fresh sandbox (in-memory state, a fixed per-request
  latency, the exchange's 1200 weight/minute limit, and so an empty rate-limit
  window) for every run, generates N seeded leaders and a config directory that is
  in sync with them (one file per leader, credentials in LEADERCTL_<NAME>_API_KEY /
  _API_SECRET, the endpoint in LEADERCTL_ENDPOINT), and runs `leaderctl plan
  --format json DIR` in a subprocess (`CHILD`: the CLI's main with a timer around
  LivePlanner.plan). It reports the median wall time of that process, the median time
  of its network phase (LivePlanner.plan) and both against the lower bound (below),
  the requests the sandbox saw, every 429, and the process's peak RSS (VmHWM).
- CPU: each plan process's user+sys CPU (RUSAGE_CHILDREN); CPU per extra leader is the
  largest size's minus the next size's, per leader. The budget the plan learnt from the
  sandbox's exchangeInfo is recorded. --also-parallelism repeats the largest size at other
  --parallelism values (default 32); --skip-apply-startup stops after the plan runs.
- Requests per leader: from the plan runs, and from `apply --auto-approve` on a
  config that changes one setting per leader (then the same apply again, in sync).
- Cold start: a bare interpreter (`python -c pass`), `leaderctl --help`, `leaderctl validate examples/` and
  `leaderctl plan --sandbox examples/` (each in a fresh temporary directory), their
  runs interleaved, one discarded warm-up round, then the median of --startup-runs
  runs and each command's ratio to the bare interpreter's median.

The lower bound of a plan of N leaders in sync, with P = --parallelism, L = latency,
R = N requests (one GET config per leader in sync: CONTRACT §8), B = 1200 weight
per W = 60 s window (every request weighs 1):

    latency path: ceil(N / P) * L
        each leader needs one round trip and at most P leaders are in flight;
    weight budget: k * W + ceil(r / P) * L, k = floor((R - 1) / B), r = R - k * B
        (only when R > B) the exchange admits at most B in any W-second window,
        and it (like leaderctl's limiter) lets the whole budget go at once: the
        first B requests cost no waiting at all, request B+1 cannot be admitted
        until W after the first one was, and the r requests of the last window need
        ceil(r / P) round trips at P requests in flight;
    bound = max(latency path, weight budget).

R / (B / W), the steady-rate figure, is NOT a lower bound here: it would be for an
exchange that spaced requests evenly, but with a rolling window all 1200 may go
at once. It is reported as `steady_rate_s`. Until leaderctl read only what a plan
needs, a leader cost 3 requests (GET config, symbols, orders/current): PREVIOUS
keeps those figures for the README's before/after table.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEFAULT_OUT = Path(__file__).resolve().with_name("results.json")
WEIGHT_PER_MINUTE = 1200  # the sandbox's limit and leaderctl's default budget
WINDOW_SECONDS = 60.0
REQUESTS_PER_LEADER_MIN = 1  # GET config (symbols and orders only when the plan needs them)
GOAL_RATIO = 1.3  # issue 14: a plan of 500 and of 1,000 leaders in sync within 1.3x its lower bound
GOAL_FROM = 500  # below this, the process's start-up (about 0.3 s) is most of the time: no goal
# Before the economy (benchmarks/results.json of 2026-11-25, 50 ms, median of 3): leaders ->
# (requests, lower bound s, `leaderctl plan` s)
PREVIOUS = {1: (3, 0.05, 0.264), 10: (30, 0.1, 0.352), 100: (300, 0.65, 1.14), 500: (1500, 60.65, 61.78)}
APPLY_LEADERS = 10  # leaders in the apply runs (fewer if --sizes is smaller)

# Runs `leaderctl plan` in this process (cli.main, as the console script does) with a
# timer around LivePlanner.plan, then writes the timings and the peak RSS as JSON.
CHILD = r"""
import json, os, sys, time
out = os.environ.pop("LEADERCTL_BENCH_RESULT")
from reconciler import runner
spans = []
_plan = runner.LivePlanner.plan
def _timed(self, *args, **kwargs):
    start = time.perf_counter()
    try:
        return _plan(self, *args, **kwargs)
    finally:
        spans.append(time.perf_counter() - start)
runner.LivePlanner.plan = _timed
budgets = []
from reconciler.exchange import client as _client
_learn = _client.Connection.learn_budget
def _learnt(self):
    value = _learn(self)
    budgets.append({"weight_per_minute": value, "source": self.budget_source})
    return value
_client.Connection.learn_budget = _learnt
from reconciler.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
# Peak RSS of this process image: VmHWM. Not ru_maxrss: Linux carries the parent's
# peak RSS over fork+exec into it, so it would report the benchmark's own size.
rss_kib, source = None, None
try:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                rss_kib, source = int(line.split()[1]), "VmHWM"
except OSError:
    pass
if rss_kib is None:
    try:
        import resource
        rss_kib, source = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"
    except ImportError:
        pass
with open(out, "w") as f:
    json.dump({"exit": code, "planner_s": spans, "maxrss_kib": rss_kib, "rss_source": source, "budget": budgets[:1]}, f)
sys.exit(code)
"""


class BenchError(RuntimeError):
    """A run did not do what the benchmark measures (an error, a changed plan)."""


class _PlanOnly(Exception):
    """--skip-apply-startup: stop after the plan runs."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the machine


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": usable,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average": _load_average(),
    }


def _load_average() -> list[float] | None:
    """1/5/15-minute load: other work on the machine shows up in every timing."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


# ---------------------------------------------------------------- the bound


def lower_bound(leaders: int, latency: float, parallelism: int) -> dict:
    requests = REQUESTS_PER_LEADER_MIN * leaders
    latency_path = math.ceil(leaders / parallelism) * latency
    budget = 0.0
    if requests > WEIGHT_PER_MINUTE:
        k = (requests - 1) // WEIGHT_PER_MINUTE
        rest = requests - k * WEIGHT_PER_MINUTE
        budget = k * WINDOW_SECONDS + math.ceil(rest / (REQUESTS_PER_LEADER_MIN * parallelism)) * latency
    return {
        "requests": requests,
        "latency_path_s": round(latency_path, 6),
        "weight_budget_s": round(budget, 6),
        "lower_bound_s": round(max(latency_path, budget), 6),
        "bound_set_by": "weight budget" if budget > latency_path else "latency",
        "steady_rate_s": round(requests * WINDOW_SECONDS / WEIGHT_PER_MINUTE, 6),
    }


# ---------------------------------------------------------------- fixtures


def leaderctl_command() -> list[str]:
    script = Path(sys.executable).with_name("leaderctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]


def base_env() -> dict:
    """This environment minus anything that would change what leaderctl does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADERCTL_", "GITHUB_"))}
    env.pop("DESK_BTC_INVITE_CODE", None)
    # An installed package has its bytecode compiled (pip does it); with this set (some CI
    # images do) every run would compile leaderctl from source again and time that instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


class SeededExchange:
    """A fresh sandbox with `n` seeded leaders and configs that match them."""

    def __init__(self, n: int, latency: float):
        from reconciler.sandbox import Sandbox

        self.names = [f"bench-{i:04d}" for i in range(n)]
        # In-memory state: the stand-in exchange's own disk writes are not ours to time.
        self.sandbox = Sandbox(state_path=None, latency=latency, weight_per_minute=WEIGHT_PER_MINUTE).start()
        self.env = base_env()
        self.env["LEADERCTL_ENDPOINT"] = self.sandbox.url
        for name in self.names:
            account = self.sandbox.ensure_account(name)
            self.env[_env_name(name, "API_KEY")] = account.api_key
            self.env[_env_name(name, "API_SECRET")] = account.api_secret

    def write_config(self, directory: Path, *, change: bool = False) -> Path:
        """One file per leader, as `leaderctl import` writes them; `change` moves each
        leader's profit-sharing rate, so apply has one PUT to make per leader."""
        from reconciler.importer import bare_spec, to_yaml
        from reconciler.live import live_from_api

        directory.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            state = self.sandbox.account_state(name)
            live = live_from_api(state["config"], state["symbols"], state["orders_current"])
            if change:
                rate = Decimal("0.12") if live.settings.profit_rate == Decimal("0.1") else Decimal("0.1")
                live = replace(live, settings=replace(live.settings, profit_rate=rate))
            (directory / f"{name}.yaml").write_text(to_yaml([(bare_spec(name), live)]), encoding="utf-8")
        return directory

    def stop(self) -> None:
        self.sandbox.stop()


def _env_name(name: str, what: str) -> str:
    from reconciler.config import default_env

    return default_env(name, what)


def request_counts(records) -> dict:
    """The leaders' requests; the run's own (GET /api/v1/exchangeInfo, the budget) apart."""
    statuses = Counter(r.http_status for r in records)
    own = [r for r in records if r.path.startswith("/api/v1/")]
    records = [r for r in records if not r.path.startswith("/api/v1/")]
    by_endpoint = Counter(f"{r.method} {r.path}" for r in records)
    return {
        "requests": len(records),
        "run_requests": len(own),
        "by_endpoint": dict(sorted(by_endpoint.items())),
        "http_status": {str(k): v for k, v in sorted(statuses.items())},
        "http_429": statuses.get(429, 0),
    }


def run_leaderctl(args: list[str], env: dict, cwd: Path, result_file: Path | None = None, cpu: list | None = None):
    """(wall seconds, CompletedProcess); with result_file, through CHILD (timed planner); `cpu`
    gets the process's user+sys CPU seconds appended (RUSAGE_CHILDREN before and after)."""
    if result_file is not None:
        env = dict(env, LEADERCTL_BENCH_RESULT=str(result_file))
        command = [sys.executable, "-c", CHILD, *args]
    else:
        command = [*leaderctl_command(), *args]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return wall, done


def _fail(what: str, done: subprocess.CompletedProcess) -> BenchError:
    tail = (done.stderr or "").strip().splitlines()[-5:]
    return BenchError(f"{what}: exit {done.returncode}: " + " | ".join(tail))


# ---------------------------------------------------------------- measurements


def bench_plan(n: int, runs: int, latency: float, parallelism: int, tmp: Path) -> dict:
    bound = lower_bound(n, latency, parallelism)
    walls, planner, rss, counts, cpu, budgets = [], [], [], [], [], []
    rss_source = None
    for i in range(runs):
        work = Path(tempfile.mkdtemp(prefix=f"plan-{n}-", dir=tmp))
        exchange = SeededExchange(n, latency)
        try:
            config = exchange.write_config(work / "config")
            result_file = work / "child.json"
            wall, done = run_leaderctl(
                ["plan", "--format", "json", "--parallelism", str(parallelism), str(config)],
                exchange.env, work, result_file, cpu,
            )
            records = exchange.sandbox.requests
        finally:
            exchange.stop()
        if done.returncode != 0:
            raise _fail(f"plan with {n} leaders", done)
        summary = json.loads(done.stdout)["summary"]
        if summary.get("in_sync") != n:
            raise BenchError(f"plan with {n} leaders: expected all in sync, got {summary}")
        child = json.loads(result_file.read_text())
        walls.append(wall)
        budgets.extend(child.get("budget") or [])
        planner.extend(child["planner_s"][:1])
        if child["maxrss_kib"] is not None:
            rss.append(child["maxrss_kib"] / 1024)
            rss_source = child["rss_source"]
        counts.append(request_counts(records))
        log(f"  plan, {n} leaders, P={parallelism}, run {i + 1}/{runs}: {wall:.3f} s, CPU {cpu[-1]:.2f} s ({counts[-1]['requests']} requests, "
            f"{counts[-1]['http_429']} x 429)")
    wall = statistics.median(walls)
    phase = statistics.median(planner) if planner else None
    requests = statistics.median(c["requests"] for c in counts)
    return {
        "leaders": n,
        "parallelism": parallelism,
        "runs": runs,
        "cpu_s": round(statistics.median(cpu), 4),
        "cpu_runs_s": [round(c, 4) for c in cpu],
        "budget": budgets[-1] if budgets else None,
        **bound,
        "wall_s": round(wall, 4),
        "wall_runs_s": [round(w, 4) for w in walls],
        "ratio": round(wall / bound["lower_bound_s"], 3) if bound["lower_bound_s"] else None,
        "planner_s": round(phase, 4) if phase is not None else None,
        "planner_runs_s": [round(p, 4) for p in planner],
        "planner_ratio": round(phase / bound["lower_bound_s"], 3) if phase and bound["lower_bound_s"] else None,
        "requests_sent": requests,
        "requests_per_leader": round(requests / n, 3),
        "by_endpoint": counts[-1]["by_endpoint"],
        "http_429": max(c["http_429"] for c in counts),
        "peak_rss_mib": round(statistics.median(rss), 1) if rss else None,
        "peak_rss_runs_mib": [round(r, 1) for r in rss],
        "peak_rss_source": rss_source,
    }


def bench_apply(n: int, runs: int, latency: float, parallelism: int, tmp: Path) -> dict:
    """Requests per leader for apply with one change per leader, then apply in sync."""
    changes, in_sync = [], []
    for i in range(runs):
        work = Path(tempfile.mkdtemp(prefix=f"apply-{n}-", dir=tmp))
        exchange = SeededExchange(n, latency)
        try:
            config = exchange.write_config(work / "config", change=True)
            args = ["apply", "--auto-approve", "--format", "json", "--parallelism", str(parallelism), str(config)]
            for label, expected, into in (("changes", "applied", changes), ("in sync", "in_sync", in_sync)):
                exchange.sandbox.clear_requests()
                _, done = run_leaderctl(args, exchange.env, work)
                if done.returncode != 0:
                    raise _fail(f"apply ({label}) with {n} leaders", done)
                results = Counter(lp["result"] for lp in json.loads(done.stdout)["leaders"])
                if results != Counter({expected: n}):
                    raise BenchError(f"apply ({label}) with {n} leaders: expected every leader {expected}, got {dict(results)}")
                into.append(request_counts(exchange.sandbox.requests))
        finally:
            exchange.stop()
        log(f"  apply, {n} leaders, run {i + 1}/{runs}: {changes[-1]['requests']} requests with changes, "
            f"{in_sync[-1]['requests']} in sync")

    def per_leader(counts):
        return {
            "requests_per_leader": round(statistics.median(c["requests"] for c in counts) / n, 3),
            "by_endpoint_per_leader": {k: round(v / n, 3) for k, v in counts[-1]["by_endpoint"].items()},
            "http_429": max(c["http_429"] for c in counts),
        }

    return {"leaders": n, "runs": runs, "apply_changes": per_leader(changes), "apply_in_sync": per_leader(in_sync)}


STARTUP = (
    ("leaderctl --help", ["--help"], False),
    ("leaderctl validate examples/", ["validate", str(EXAMPLES)], False),
    ("leaderctl plan --sandbox examples/", ["plan", "--sandbox", str(EXAMPLES)], True),
)


BARE = [sys.executable, "-c", "pass"]  # the interpreter alone, started as the console script starts it
STARTUP_GOALS = {"leaderctl --help": 3.0, "leaderctl validate examples/": 5.0}  # issue 22: at most this x the bare interpreter


def bench_startup(runs: int, tmp: Path) -> tuple[list[dict], dict]:
    """Each command's median wall time and its ratio to a bare interpreter's, the runs of all
    of them interleaved (bare, then each command, runs + 1 times) so that load moves them alike."""
    env = base_env()
    env["DESK_BTC_INVITE_CODE"] = "DESKBTC26"  # as in the README's first command
    times: dict[str, list[float]] = {label: [] for label, _, _ in STARTUP}
    bare: list[float] = []
    for i in range(runs + 1):  # the first round warms the file cache and is discarded
        start = time.perf_counter()
        done = subprocess.run(BARE, env=env, cwd=tmp, capture_output=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(BARE)} exited {done.returncode}")
        if i:
            bare.append(time.perf_counter() - start)
        for label, args, fresh_cwd in STARTUP:
            cwd = Path(tempfile.mkdtemp(prefix="startup-", dir=tmp)) if fresh_cwd else tmp
            wall, done = run_leaderctl(args, env, cwd)
            if done.returncode != 0:
                raise _fail(label, done)
            if i:
                times[label].append(wall)
    base = statistics.median(bare)
    bare_row = {"command": "python -c pass", "runs": runs, "median_s": round(base, 4), "min_s": round(min(bare), 4), "max_s": round(max(bare), 4)}
    log(f"  python -c pass: median {base * 1000:.0f} ms over {runs} runs")
    rows = []
    for label, _, _ in STARTUP:
        median = statistics.median(times[label])
        rows.append({"command": label, "runs": runs, "median_s": round(median, 4), "min_s": round(min(times[label]), 4),
                     "max_s": round(max(times[label]), 4), "ratio_to_bare": round(median / base, 2), "goal_ratio": STARTUP_GOALS.get(label)})
        log(f"  {label}: median {median * 1000:.0f} ms over {runs} runs ({median / base:.2f}x bare)")
    return rows, bare_row


# ---------------------------------------------------------------- report


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def tables(results: dict) -> str:
    s, m = results["settings"], results["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['implementation']} {m['python']}.",
        f"Sandbox latency {s['latency_s'] * 1000:g} ms per request, --parallelism {s['parallelism']}, "
        f"{s['weight_per_minute']} weight/minute; medians of {s['runs']} runs (startup: {s['startup_runs']}).",
        "",
        "| leaders | requests (per leader) | lower bound | bound set by | `leaderctl plan` | ratio | goal | "
        "network phase | ratio | 429s | peak RSS | before: requests | before: `leaderctl plan` |",
        "|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["plan"]:
        before = PREVIOUS.get(r["leaders"])
        was = f"{before[0]} | {_ms(before[2])}" if before else "- | -"
        met = "-" if r["leaders"] < GOAL_FROM else ("met" if r["ratio"] is not None and r["ratio"] <= GOAL_RATIO else "missed")
        lines.append(
            f"| {r['leaders']} | {r['requests_sent']:g} ({r['requests_per_leader']:g}) | {_ms(r['lower_bound_s'])} | "
            f"{r['bound_set_by']} | {_ms(r['wall_s'])} | {_x(r['ratio'])} | {met if met == '-' else f'{met} (<= {GOAL_RATIO}x)'} | "
            f"{_ms(r['planner_s'])} | {_x(r['planner_ratio'])} | {r['http_429']} | {r['peak_rss_mib']} MiB | {was} |"
        )
    extra = results.get("plan_parallelism") or []
    if extra:
        lines += ["", "| leaders | --parallelism | lower bound | `leaderctl plan` | ratio | CPU (user+sys) |", "|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['leaders']} | {r['parallelism']} | {_ms(r['lower_bound_s'])} | {_ms(r['wall_s'])} | {_x(r['ratio'])} | "
                  f"{_ms(r['cpu_s'])} |" for r in extra]
    if results.get("cpu_per_extra_leader_ms") is not None:
        lines += ["", f"CPU per extra leader: {results['cpu_per_extra_leader_ms']:.2f} ms "
                      f"({results['cpu_per_extra_leader_from']}); learnt budget: {results.get('budget')}"]
    rpl = results["requests_per_leader"]
    lines += [
        "",
        "| run | requests per leader | minimum | before |",
        "|---|---:|---:|---:|",
        f"| plan, in sync | {rpl['plan']:g} | 1 (GET config) | 3 |",
        f"| apply, one change per leader | {rpl['apply_changes'] if rpl['apply_changes'] is not None else '-'} | 4 (+ GET config fresh read, PUT config, GET config read-back) | 5 |",
        f"| apply, in sync | {rpl['apply_in_sync'] if rpl['apply_in_sync'] is not None else '-'} | 1 | 3 |",
        "",
        "| command | wall time (median) | x bare interpreter | goal |",
        "|---|---:|---:|---|",
    ]
    bare = results.get("startup_bare")
    if bare:
        lines.append(f"| `python -c pass` (bare interpreter) | {_ms(bare['median_s'])} | 1.00x | |")
    for r in results["startup"]:
        goal = r.get("goal_ratio")
        met = "-" if goal is None else f"{'met' if r['ratio_to_bare'] <= goal else 'missed'} (<= {goal:g}x)"
        lines.append(f"| `{r['command']}` | {_ms(r['median_s'])} | {_x(r.get('ratio_to_bare'))} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,100,500,1000", help="leader counts for the plan runs (default 1,10,100,500,1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size, median reported (default 3)")
    parser.add_argument("--latency", type=float, default=0.05, help="sandbox latency per request in seconds (default 0.05)")
    parser.add_argument("--parallelism", type=int, default=8, help="leaderctl --parallelism (default 8, leaderctl's default)")
    parser.add_argument("--also-parallelism", default="32",
                        help="comma-separated --parallelism values also measured at the largest size (default 32; '' for none)")
    parser.add_argument("--skip-apply-startup", action="store_true", help="plan runs only (no apply, no cold start)")
    parser.add_argument("--startup-runs", type=int, default=10, help="runs per cold-start command (default 10)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file (default benchmarks/results.json)")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes comma-separated leader counts, e.g. 1,10,100")
    if not sizes or min(sizes) < 1 or args.runs < 1 or args.startup_runs < 1 or args.latency < 0 or args.parallelism < 1:
        parser.error("sizes, runs and parallelism must be at least 1, latency at least 0")
    sys.path.insert(0, str(ROOT))

    over_budget = [n for n in sizes if lower_bound(n, args.latency, args.parallelism)["weight_budget_s"]]
    if over_budget:
        log(f"note: plans of {', '.join(map(str, over_budget))} leaders need more than {WEIGHT_PER_MINUTE} requests, "
            f"so each run waits for the exchange's {WINDOW_SECONDS:g} s weight window (a minute or more a run)")
    # the bound, plus about 1 s per run for start-up, seeding and config, plus the apply and start-up runs
    estimate = sum(args.runs * (lower_bound(n, args.latency, args.parallelism)["lower_bound_s"] + 1 + n / 250) for n in sizes)
    estimate += args.runs * 2 + 3 * (args.startup_runs + 1) * 0.3
    log(f"estimated time: about {math.ceil(estimate / 60)} minute{'s' if estimate > 60 else ''}")
    started = time.perf_counter()
    results: dict = {
        "benchmark_version": 2,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "settings": {
            "sizes": sizes, "runs": args.runs, "latency_s": args.latency, "parallelism": args.parallelism,
            "weight_per_minute": WEIGHT_PER_MINUTE, "window_s": WINDOW_SECONDS, "startup_runs": args.startup_runs,
        },
        "bound": "max(ceil(N/P)*L, k*W + ceil(r/P)*L when N > B) with k = floor((N-1)/B), r = N - k*B; "
                 "see benchmarks/run.py and README.md (Benchmarks)",
    }
    tmp = Path(tempfile.mkdtemp(prefix="leaderctl-bench-"))
    run_leaderctl(["--help"], base_env(), tmp)  # writes the bytecode once, as an install would
    try:
        results["plan"] = []
        for n in sizes:
            log(f"plan: {n} leader{'s' if n != 1 else ''}, {args.runs} run{'s' if args.runs != 1 else ''}")
            results["plan"].append(bench_plan(n, args.runs, args.latency, args.parallelism, tmp))
        largest_n = max(sizes)
        results["plan_parallelism"] = []
        for p in sorted({int(x) for x in args.also_parallelism.split(",") if x.strip()} - {args.parallelism}):
            log(f"plan: {largest_n} leaders at --parallelism {p}, {args.runs} runs")
            results["plan_parallelism"].append(bench_plan(largest_n, args.runs, args.latency, p, tmp))
        by_n = {r["leaders"]: r for r in results["plan"]}
        low = [n for n in sizes if n < largest_n]
        if low:  # user+sys CPU of the plan process per leader beyond the smaller size
            base = max(low)
            results["cpu_per_extra_leader_ms"] = round(
                (by_n[largest_n]["cpu_s"] - by_n[base]["cpu_s"]) / (largest_n - base) * 1000, 3)
            results["cpu_per_extra_leader_from"] = f"CPU at {largest_n} minus at {base}, / {largest_n - base}"
        results["budget"] = by_n[largest_n]["budget"]
        if args.skip_apply_startup:
            raise _PlanOnly
        apply_n = min(APPLY_LEADERS, max(sizes))
        log(f"apply: {apply_n} leaders, {args.runs} runs")
        applied = bench_apply(apply_n, args.runs, args.latency, args.parallelism, tmp)
        results["apply"] = applied
        largest = results["plan"][-1]
        results["requests_per_leader"] = {
            "plan": largest["requests_per_leader"],
            "apply_changes": applied["apply_changes"]["requests_per_leader"],
            "apply_in_sync": applied["apply_in_sync"]["requests_per_leader"],
            "plan_minimum": REQUESTS_PER_LEADER_MIN,
        }
        results["memory"] = {
            "leaders": largest["leaders"],
            "peak_rss_mib": max(largest["peak_rss_runs_mib"]) if largest["peak_rss_runs_mib"] else None,
            "measured_as": "peak RSS of the `leaderctl plan` process (/proc/self/status VmHWM, else ru_maxrss), max over runs",
        }
        log(f"cold start: {args.startup_runs} runs each")
        results["startup"], results["startup_bare"] = bench_startup(args.startup_runs, tmp)
    except _PlanOnly:
        results["requests_per_leader"] = {"plan": results["plan"][-1]["requests_per_leader"], "apply_changes": None,
                                          "apply_in_sync": None, "plan_minimum": REQUESTS_PER_LEADER_MIN}
        results["startup"], results["startup_bare"] = [], None
    except BenchError as e:
        log(f"benchmark failed: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = _load_average()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(tables(results), end="")
    log(f"wrote {args.out} ({results['total_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
