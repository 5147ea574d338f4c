"""A state file that cannot be used is one clear error; a write that cannot be saved is not a success."""
import errno
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.errors import LeaderctlError
from reconciler.sandbox import Sandbox, SandboxSaveError, SandboxStateError
from reconciler.sandbox import store as store_module
from sandbox_procs import sandbox_process

CONFIG = "/api/v2/copy-trading/leader/config"


def _valid_state(tmp_path) -> dict:
    with Sandbox(state_path=tmp_path / "seed.json") as sb:
        sb.ensure_account("alpha")
    return json.loads((tmp_path / "seed.json").read_text())


def _without(state: dict, key: str) -> dict:
    del state["accounts"]["alpha"][key]
    return state


BROKEN = {
    "not JSON": lambda s: '{"accounts": {',
    "JSON without accounts": lambda s: json.dumps({"version": 1}),
    "a list": lambda s: "[]",
    "accounts not an object": lambda s: json.dumps({"accounts": []}),
    "an account not an object": lambda s: json.dumps({"accounts": {"alpha": 7}}),
    "an account without its config": lambda s: json.dumps(_without(s, "config")),
    "an account under another name": lambda s: json.dumps({"accounts": {"beta": s["accounts"]["alpha"]}}),
    "a newer version": lambda s: json.dumps(dict(s, version=2)),
    "not UTF-8": lambda s: b"\xff\xfe{}",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_unusable_state_file_is_one_clear_error_at_creation(tmp_path, case):
    path = tmp_path / "sandbox.json"
    content = BROKEN[case](_valid_state(tmp_path))
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SandboxStateError) as raised:
        Sandbox(state_path=path)
    message = str(raised.value)
    assert isinstance(raised.value, LeaderctlError)
    assert str(path) in message and "delete it to start over" in message and "\n" not in message
    assert path.read_bytes() == (content if isinstance(content, bytes) else content.encode())  # left as it was


def test_not_json_says_where(tmp_path):
    path = tmp_path / "sandbox.json"
    path.write_text('{\n  "accounts": {,\n}')
    with pytest.raises(SandboxStateError, match=r"is not valid JSON at line 2 column 16"):
        Sandbox(state_path=path)


def test_a_directory_at_the_state_path(tmp_path):
    (tmp_path / "sandbox.json").mkdir()
    with pytest.raises(SandboxStateError, match=r"sandbox\.json is a directory, not a file; remove it"):
        Sandbox(state_path=tmp_path / "sandbox.json")


def test_a_file_where_the_state_directory_should_be(tmp_path):
    (tmp_path / ".leaderctl").write_text("oops")
    with pytest.raises(SandboxStateError, match=r"\.leaderctl/sandbox\.json: its directory cannot be created"):
        Sandbox(state_path=tmp_path / ".leaderctl" / "sandbox.json")


def test_an_unreadable_state_file(tmp_path, monkeypatch):
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps(_valid_state(tmp_path)))
    real = Path.read_bytes

    def read_bytes(self):
        if self == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(SandboxStateError, match=r"cannot be read \(Permission denied\); delete it to start over"):
        Sandbox(state_path=path)


def test_the_cli_renders_a_corrupt_state_file_in_one_line(tmp_path, monkeypatch):
    from reconciler.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".leaderctl").mkdir()
    (tmp_path / ".leaderctl" / "sandbox.json").write_text("not json")
    (tmp_path / "leaders.yaml").write_text((Path(__file__).parents[2] / "examples" / "desk-btc.yaml").read_text())
    result = CliRunner().invoke(cli, ["plan", "--sandbox", "leaders.yaml"])
    assert result.exit_code == 1
    assert "internal error" not in result.output
    assert "Error: sandbox state file .leaderctl/sandbox.json is not valid JSON at line 1 column 1; delete it to start over" in result.output


# ------------------------------------------------------------------ failed saves


@pytest.fixture
def disk_full(monkeypatch):
    """disk_full(): from now on every save of the state file fails as on a full disk."""

    def atomic_write(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    return lambda: monkeypatch.setattr(store_module, "atomic_write", atomic_write)


def test_a_put_that_cannot_be_saved_is_an_internal_error_and_not_applied(tmp_path, sandbox, raw_api, base_config,
                                                                          disk_full, caplog):
    api = raw_api("alpha")
    saved = (tmp_path / "sandbox.json").read_bytes()
    disk_full()
    response = api.request("PUT", CONFIG, json=dict(base_config, profitRate="0.2"))
    assert response.status_code == 500
    assert response.json() == {"code": -1001, "msg": "Internal error; unable to process your request. Please try again.",
                               "data": None}
    assert api.get("/config")["data"]["profitRate"] == "0.08"  # rolled back in memory
    assert sandbox.account_state("alpha")["config"]["profitRate"] == "0.08"
    assert (tmp_path / "sandbox.json").read_bytes() == saved
    warnings = [r for r in caplog.records if r.name.startswith("reconciler.sandbox")]
    assert [r.levelno for r in warnings] == [logging.WARNING] and not warnings[0].exc_info
    assert "No space left on device" in warnings[0].getMessage()


def test_a_delete_that_cannot_be_saved_keeps_the_follower(sandbox, raw_api, disk_full):
    api = raw_api("alpha")
    user_id = next(f["user_id"] for f in sandbox.account_state("alpha")["followers"] if not f["has_position"])
    total = api.get("/followers")["data"]["total"]
    disk_full()
    assert api.delete_follower(user_id)["code"] == -1001
    assert api.get("/followers")["data"]["total"] == total
    assert user_id in [f["user_id"] for f in sandbox.account_state("alpha")["followers"]]


def test_a_new_account_that_cannot_be_saved_is_not_created(tmp_path, disk_full):
    with Sandbox(state_path=tmp_path / "sandbox.json") as sb:
        disk_full()
        with pytest.raises(SandboxSaveError, match=r"could not save sandbox state to .*No space left on device"):
            sb.ensure_account("alpha")
        assert "alpha" not in sb.store.accounts


def test_save_failure_rolls_back_direct_changes(sandbox, disk_full):
    sandbox.ensure_account("alpha")
    sandbox.account_state("alpha")["followers"] = []
    disk_full()
    with pytest.raises(SandboxSaveError, match="No space left on device"):
        sandbox.save()
    assert sandbox.account_state("alpha")["followers"] != []


def test_a_real_write_failure_in_another_process(tmp_path, raw_client):
    """The OS refuses the write (RLIMIT_FSIZE: EFBIG), which works even as root."""
    state = tmp_path / "sandbox.json"
    with sandbox_process(state, ["alpha"], fsize=1024) as proc:
        api = raw_client(proc.url, *proc.accounts["alpha"])
        before = state.read_bytes()
        body = api.get("/config")["data"]
        body.pop("inviteCode")
        body["unLeadStartTime"], body["unLeadEndTime"] = 0, 0
        response = api.request("PUT", CONFIG, json=dict(body, profitRate="0.2"))
        assert (response.status_code, response.json()["code"]) == (500, -1001)
        assert api.get("/config")["data"]["profitRate"] == "0.08"
        assert state.read_bytes() == before
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    stderr = proc.proc.stderr.read()
    assert "could not save sandbox state" in stderr and "File too large" in stderr
    assert "Traceback" not in stderr


def test_the_same_save_failure_is_reported_once(sandbox, raw_api, base_config, disk_full, caplog):
    api = raw_api("alpha")
    disk_full()
    for rate in ("0.2", "0.21", "0.22"):
        assert api.put_config(dict(base_config, profitRate=rate))["code"] == -1001
    warnings = [r for r in caplog.records if r.name.startswith("reconciler.sandbox") and r.levelno >= logging.WARNING]
    assert len(warnings) == 1
