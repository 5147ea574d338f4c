"""DELETE .../leader/followers/{followerUserId}: every documented outcome."""
import pytest


def _followers(sandbox, with_position):
    return [f["user_id"] for f in sandbox.account_state("alpha")["followers"] if f["has_position"] == with_position]


def test_remove_follower(sandbox, raw_api):
    api = raw_api("alpha")
    user_id = _followers(sandbox, with_position=False)[0]
    total = int(api.get("/followers")["data"]["total"])
    assert api.delete_follower(user_id) == {"code": 200, "msg": "success", "data": None}
    assert int(api.get("/followers")["data"]["total"]) == total - 1
    assert api.get("/trade-data")["data"][0]["currentFollowerCount"] == str(total - 1)
    assert api.delete_follower(user_id) == {"code": -32045, "msg": "Copy trading follower not found.", "data": None}


def test_follower_with_copy_position_stays(sandbox, raw_api):
    api = raw_api("alpha")
    user_id = _followers(sandbox, with_position=True)[0]
    assert api.delete_follower(user_id) == {
        "code": -120055, "msg": "The follower currently has copy position, cannot be removed.", "data": None}
    assert user_id in _followers(sandbox, with_position=True)


def test_unknown_follower(raw_api):
    assert raw_api("alpha").delete_follower(999999999999)["code"] == -32045


@pytest.mark.parametrize("user_id", ["0", "-5", "abc", "1.5", "99999999999999999999"])
def test_invalid_follower_id(raw_api, user_id):
    body = raw_api("alpha").delete_follower(user_id)
    assert body == {"code": -1130, "msg": "Data sent for paramter 'followerUserId' is not valid.", "data": None}
