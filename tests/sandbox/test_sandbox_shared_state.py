"""Processes sharing one state file take turns (CONTRACT section 6): no write is lost.

Two sandboxes in two other processes serve the same `sandbox.json`; four accounts are
written concurrently, each write sent to one process and read back from the other.
"""
import json
from concurrent.futures import ThreadPoolExecutor

from reconciler.sandbox import Sandbox
from sandbox_procs import sandbox_processes

NAMES = ["desk-a", "desk-b", "desk-c", "desk-d"]
WRITES_PER_ACCOUNT = 20


def _body(config: dict) -> dict:
    """A PUT body equal to a GET config answer."""
    body = {k: v for k, v in config.items() if k != "inviteCode"}
    body["unLeadStartTime"], body["unLeadEndTime"] = int(body["unLeadStartTime"]), int(body["unLeadEndTime"])
    return body


def _writer(apis, index: int) -> list[int]:
    """Sequential writes to one account, alternating processes; each read back on the other one."""
    base = _body(apis[0].get("/config")["data"])
    written = []
    for i in range(WRITES_PER_ACCOUNT):
        scope = 1000 * index + i
        writer, reader = apis[i % 2], apis[(i + 1) % 2]
        assert writer.put_config(dict(base, inviteScope=scope)) == {"code": 200, "msg": "success", "data": None}
        assert reader.get("/config")["data"]["inviteScope"] == scope, f"{NAMES[index]}: write {i} not seen"
        written.append(scope)
    return written


def test_concurrent_writes_from_two_processes_are_all_kept(tmp_path, raw_client):
    state = tmp_path / "sandbox.json"
    with sandbox_processes(state, NAMES, count=2) as processes:
        apis = {name: [raw_client(p.url, *p.accounts[name]) for p in processes] for name in NAMES}
        with ThreadPoolExecutor(len(NAMES)) as pool:
            results = list(pool.map(lambda i: _writer(apis[NAMES[i]], i), range(len(NAMES))))
        for index, name in enumerate(NAMES):  # every account's last write, from both processes
            assert [api.get("/config")["data"]["inviteScope"] for api in apis[name]] == [results[index][-1]] * 2
    saved = json.loads(state.read_text())["accounts"]
    assert {n: saved[n]["config"]["inviteScope"] for n in NAMES} == {n: r[-1] for n, r in zip(NAMES, results)}


def test_a_follower_removed_in_one_process_is_gone_in_the_other(tmp_path, raw_client):
    state = tmp_path / "sandbox.json"
    with sandbox_processes(state, ["desk-a"], count=2) as (one, two):
        first, second = raw_client(one.url, *one.accounts["desk-a"]), raw_client(two.url, *two.accounts["desk-a"])
        total = int(first.get("/followers")["data"]["total"])
        with Sandbox(state_path=state) as here:  # a third process-like user of the file: this test
            removable = [f["user_id"] for f in here.account_state("desk-a")["followers"] if not f["has_position"]]
        for k, user_id in enumerate(removable[:6]):
            assert (first, second)[k % 2].delete_follower(user_id)["code"] == 200
        assert second.delete_follower(removable[0])["code"] == -32045  # removed by the other process
        assert int(first.get("/followers")["data"]["total"]) == int(second.get("/followers")["data"]["total"]) == total - 6


def test_the_lock_file_sits_beside_the_state(tmp_path):
    with Sandbox(state_path=tmp_path / "s.json") as sb:
        sb.ensure_account("alpha")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.json.lock"]


def test_in_process_writers_share_the_store(sandbox, raw_api, base_config):
    """Threads of one process go through the same transaction (re-entrant, no deadlock)."""
    api = raw_api("alpha")
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: api.put_config(dict(base_config, inviteScope=i))["code"], range(40)))
    assert codes == [200] * 40
    assert api.get("/config")["data"]["inviteScope"] in range(40)


def _leaders_yaml(prefix: str, count: int) -> str:
    leader = """  {name}:
    settings:
      cooldown: {{enabled: false}}
      position_type: cross
      trade_protection: true
      profit_sharing: {{period: weekly, rate: "0.1"}}
      follower_minimums: {{asset: "100", fixed_amount: "10", fixed_rate: "10"}}
      invite: {{required: false, scope: 1}}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
"""
    return "version: 1\nleaders:\n" + "".join(leader.format(name=f"{prefix}-desk-{i}") for i in range(count))


def test_two_apply_sandbox_runs_in_one_directory_keep_every_write(tmp_path):
    """The case of issue 11: two `leaderctl apply --sandbox` at once on .leaderctl/sandbox.json."""
    import subprocess
    import sys

    for prefix in "ab":
        (tmp_path / f"{prefix}.yaml").write_text(_leaders_yaml(prefix, 6))
    runs = [subprocess.Popen([sys.executable, "-m", "reconciler", "apply", "--sandbox", "--auto-approve", f"{p}.yaml"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for p in "ab"]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    accounts = json.loads((tmp_path / ".leaderctl" / "sandbox.json").read_text())["accounts"]
    assert sorted(accounts) == sorted(f"{p}-desk-{i}" for p in "ab" for i in range(6))
    for name, account in accounts.items():
        config = account["config"]
        assert (config["profitRate"], config["followAssetLowerLimit"], config["fixedAmountFollowMin"]) == (
            "0.1", "100", "10"), name
