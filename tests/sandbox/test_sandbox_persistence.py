"""State lives in a JSON file: written atomically, reloaded at start and when edited."""
import json

from reconciler.sandbox import Sandbox


def test_state_survives_a_restart(tmp_path, raw_api, sandbox, base_config):
    api = raw_api("alpha")
    assert api.put_config(dict(base_config, profitRate="0.15"))["code"] == 200
    sandbox.stop()
    saved = json.loads((tmp_path / "sandbox.json").read_text())
    assert saved["accounts"]["alpha"]["config"]["profitRate"] == "0.15"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with Sandbox(state_path=tmp_path / "sandbox.json") as again:
        assert again.account_state("alpha")["config"]["profitRate"] == "0.15"
        assert again.ensure_account("alpha").api_key == api.api_key


def test_editing_the_file_changes_the_exchange_behind_the_back(tmp_path, raw_api, sandbox):
    api = raw_api("alpha")
    path = tmp_path / "sandbox.json"
    state = json.loads(path.read_text())
    state["accounts"]["alpha"]["config"]["tradeProtect"] = 0
    path.write_text(json.dumps(state, indent=2))
    assert api.get("/config")["data"]["tradeProtect"] == 0


def test_half_written_file_is_ignored(tmp_path, raw_api, sandbox):
    api = raw_api("alpha")
    (tmp_path / "sandbox.json").write_text('{"accounts": {')
    assert api.get("/config")["code"] == 200


def test_account_state_changes_are_saved(tmp_path, sandbox):
    sandbox.ensure_account("alpha")
    sandbox.account_state("alpha")["followers"] = []
    sandbox.save()
    saved = json.loads((tmp_path / "sandbox.json").read_text())
    assert saved["accounts"]["alpha"]["followers"] == []


def test_without_a_state_path_nothing_is_written(tmp_path):
    with Sandbox() as sb:
        sb.ensure_account("alpha")
        sb.save()
    assert list(tmp_path.iterdir()) == []


def test_deleting_the_state_directory_while_running_starts_over_on_the_next_write(tmp_path, raw_api, sandbox,
                                                                                     base_config):
    import shutil

    api = raw_api("alpha")
    shutil.rmtree(tmp_path)
    assert api.put_config(dict(base_config, profitRate="0.2"))["code"] == 200
    assert json.loads((tmp_path / "sandbox.json").read_text())["accounts"]["alpha"]["config"]["profitRate"] == "0.2"
