"""Store.by_key: a dictionary lookup that stays right when accounts change under it."""
from __future__ import annotations

from reconciler.sandbox.store import Store


def _store(n: int = 3) -> Store:
    store = Store(None)
    for i in range(n):
        store.ensure(f"desk-{i}")
    return store


def test_keys_find_their_account_and_say_read_only():
    store = _store()
    for name, account in store.accounts.items():
        assert store.by_key(account["api_key"]) == (account, False)
        assert store.by_key(account["readonly_api_key"]) == (account, True)
    assert store.by_key("nosuchkey0123456789") is None


def test_known_keys_do_not_rescan(monkeypatch):
    store = _store(200)
    keys = [a["api_key"] for a in store.accounts.values()]
    builds = []
    real = store._build_index
    monkeypatch.setattr(store, "_build_index", lambda: builds.append(1) or real())
    for _ in range(5):
        for key in keys:
            assert store.by_key(key) is not None
    assert len(builds) == 1  # built once, at the first lookup


def test_a_changed_a_removed_and_a_new_account_are_seen():
    store = _store()
    first = store.accounts["desk-0"]
    old = first["api_key"]
    assert store.by_key(old) == (first, False)
    first["api_key"] = "replacedkey0123456789"  # edited in place, as tests of the sandbox do
    assert store.by_key(old) is None
    assert store.by_key("replacedkey0123456789") == (first, False)
    gone = store.accounts.pop("desk-1")
    assert store.by_key(gone["api_key"]) is None
    added = store.ensure("desk-9")
    assert store.by_key(added["readonly_api_key"]) == (added, True)


def test_a_state_reloaded_from_the_file_is_seen(tmp_path):
    path = tmp_path / "sandbox.json"
    one, other = Store(path), Store(path)
    old = one.ensure("desk-a")["api_key"]
    assert other.by_key(old)[0]["name"] == "desk-a"  # written by the other store
    one.accounts["desk-a"]["api_key"] = "rotatedkey0123456789"
    one.save("desk-a")
    assert other.by_key(old) is None
    assert other.by_key("rotatedkey0123456789")[0]["name"] == "desk-a"
