"""#18: plan -> apply -> plan of 200 leaders against a standalone `leaderctl sandbox` ends
without a 418: the cross-run weight record (reconciler/exchange/ledger.py) is on for a
loopback sandbox too, keyed by the instance it names in every answer, so the runs share
the sandbox's per-minute budget (without it the apply after a plan meets 429s, each a strike
towards a ban); a new sandbox instance starts with a clean record."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from e2e_kit import config_text, leader_yaml  # noqa: E402

LEADERS = 200


def _leaderctl(*args, env, timeout=600):
    return subprocess.run([sys.executable, "-m", "reconciler", *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def _standalone(tmp_path, config, env):
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--state", tmp_path / "sb.json",
                             "-c", config], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    exports = {}
    while True:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        if line.startswith("export "):
            name, _, value = line[len("export "):].strip().partition("=")
            exports[name] = value
        if len(exports) == 1 + 2 * LEADERS:
            return proc, exports


def test_plan_apply_plan_of_200_leaders_against_a_standalone_sandbox_is_never_banned(tmp_path):
    config = tmp_path / "leaders.yaml"
    config.write_text(config_text(*(leader_yaml(f"desk-{i:03d}", rate="0.1") for i in range(LEADERS))))
    env = {**os.environ, "LEADERCTL_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    proc, exports = _standalone(tmp_path, config, env)
    try:
        env.update(exports)
        started = time.monotonic()
        first = _leaderctl("plan", "-v", "--format", "json", config, env=env)
        assert first.returncode == 0, first.stderr[-2000:]
        assert json.loads(first.stdout)["summary"]["changes"] == LEADERS
        applied = _leaderctl("apply", "-v", "--auto-approve", config, env=env)
        assert applied.returncode == 0, applied.stderr[-2000:]
        again = _leaderctl("plan", "-v", "--detailed-exitcode", config, env=env)
        assert again.returncode == 0, again.stderr[-2000:]  # in sync, and no ban
        for r in (first, applied, again):
            assert "HTTP 418" not in r.stderr and "banned" not in r.stderr.lower()
            # not even a 429 (each is a strike towards a ban): every run knew what the ones before spent
            assert "HTTP 429" not in r.stderr, [line for line in r.stderr.splitlines() if "429" in line][:3]
        record = json.loads((tmp_path / "cache" / "weight.json").read_text())
        (key,) = record
        assert key.startswith(exports["LEADERCTL_ENDPOINT"].split("//", 1)[1] + "#")  # keyed by the sandbox instance
        assert len(record[key]["ends"]) > 0
        assert time.monotonic() - started < 400
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    # a new sandbox (a new instance, a fresh state): its record starts clean
    (tmp_path / "sb.json").unlink()
    proc, exports = _standalone(tmp_path, config, env)
    try:
        env.update(exports)
        r = _leaderctl("plan", "--leader", "desk-000", config, env=env)
        assert r.returncode == 0, r.stderr
        record = json.loads((tmp_path / "cache" / "weight.json").read_text())
        assert len(record) == 2 and all(k.startswith("127.0.0.1:") for k in record)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
