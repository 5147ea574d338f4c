"""YAML that does not read as it looks, config sets that could leak secrets, and files
that must not drop out silently (CONTRACT §6)."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import load_desired
from reconciler.errors import ConfigError

LEADER = """\
  {name}:
    {credentials}settings:
      cooldown: {{enabled: false}}
      position_type: cross
      trade_protection: true
      profit_sharing: {{period: weekly, rate: "0.1"}}
      follower_minimums: {{asset: {asset}, fixed_amount: "10", fixed_rate: "10"}}
      invite: {{required: {required}, scope: {scope}{invite}}}
    symbols: [BTC-SWAP-USDT]
    followers: {{remove: [{follower}]}}
"""


def leader(name="desk", *, asset='"100"', scope="1", follower="100000027", required="false", invite="", credentials="") -> str:
    return LEADER.format(name=name, asset=asset, scope=scope, follower=follower, required=required, invite=invite, credentials=credentials)


def validate(tmp_path, text: str, name: str = "leaders.yaml"):
    path = tmp_path / name
    path.write_text("version: 1\nleaders:\n" + text)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert "Traceback" not in result.output
    return path, result


@pytest.mark.parametrize(
    "field, written, what",
    [
        ("follower", "0100000027", "leading zero"),  # YAML 1.1: octal 16777239, somebody else
        ("asset", "0100", "leading zero"),  # would plan "64"
        ("scope", "0x10", "hexadecimal"),
        ("scope", "0o17", "octal"),
        ("scope", "0b1", "binary"),
        ("scope", "1:30", "base-60"),  # 90
        ("asset", "1:30.5", "base-60"),
        ("asset", ".inf", "not a finite number"),
        ("asset", "-.Inf", "not a finite number"),
        ("asset", ".nan", "not a finite number"),
        ("follower", "-012", "leading zero"),
    ],
)
def test_numbers_that_yaml_misreads_are_located_errors(tmp_path, field, written, what):
    path, result = validate(tmp_path, leader(**{field: written}))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    row = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if written in text)
    col = path.read_text().splitlines()[row - 1].index(written) + 1
    assert line.startswith(f"{path}:{row}:{col}: ") and what in line
    assert "write it as a string" in line or "not a finite number" in line


@pytest.mark.parametrize("field, written", [("follower", "100000027"), ("asset", '"0100"'), ("asset", "1_000.5"), ("asset", "0.5"), ("scope", "0")])
def test_plain_and_quoted_numbers_are_fine(tmp_path, field, written):
    _, result = validate(tmp_path, leader(**{field: written}))
    assert result.exit_code == 0, result.stderr


def test_the_follower_id_is_never_misread_anywhere_in_a_list(tmp_path):
    path, result = validate(tmp_path, leader(follower="100000027, 0777"))
    assert result.exit_code == 1 and "leaders.desk.followers.remove[1]" in result.stderr


def test_a_credential_variable_cannot_be_another_leaders_invite_code(tmp_path):
    text = leader("eth-desk") + leader("btc-desk", required="true", invite=", code_env: LEADERCTL_ETH_DESK_API_SECRET")
    path, result = validate(tmp_path, text)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "leaders.btc-desk.settings.invite.code_env: LEADERCTL_ETH_DESK_API_SECRET is already the API secret of leader 'eth-desk'" in line


def test_two_leaders_cannot_share_a_credential_variable(tmp_path):
    shared = "credentials: {api_key_env: DESK_KEY, api_secret_env: DESK_SECRET}\n    "
    path, result = validate(tmp_path, leader("a", credentials=shared) + leader("b", credentials=shared))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all("leaders.b.credentials." in line and "of leader 'a'" in line for line in lines)


def test_default_variables_that_collide_are_refused_too(tmp_path):
    # desk-a and desk_a both default to LEADERCTL_DESK_A_API_KEY
    path, result = validate(tmp_path, leader("desk-a") + leader("desk_a"))
    assert result.exit_code == 1 and "LEADERCTL_DESK_A_API_KEY is already the API key of leader 'desk-a'" in result.stderr


def test_key_and_secret_of_one_leader_must_differ(tmp_path):
    creds = "credentials: {api_key_env: SAME, api_secret_env: SAME}\n    "
    path, result = validate(tmp_path, leader("a", credentials=creds))
    assert result.exit_code == 1 and "SAME is already the API key of leader 'a'" in result.stderr


def test_leaders_may_share_an_invite_code_variable(tmp_path):
    text = leader("a", required="true", invite=", code_env: DESK_INVITE") + leader("b", required="true", invite=", code_env: DESK_INVITE")
    _, result = validate(tmp_path, text)
    assert result.exit_code == 0, result.stderr


def test_an_uppercase_suffix_is_still_a_config_file(tmp_path):
    (tmp_path / "desk.YAML").write_text("version: 1\nleaders:\n" + leader())
    (tmp_path / "other.Yml").write_text("version: 1\nleaders:\n" + leader("other"))
    assert sorted(load_desired([tmp_path]).leaders) == ["desk", "other"]


def test_a_dangling_symlink_is_an_error_not_a_leader_that_drops_out(tmp_path):
    (tmp_path / "desk.yaml").write_text("version: 1\nleaders:\n" + leader())
    os.symlink(tmp_path / "gone.yaml", tmp_path / "other.yaml")
    with pytest.raises(ConfigError) as info:
        load_desired([tmp_path])
    assert [str(i) for i in info.value.issues] == [f"{tmp_path / 'other.yaml'}: broken symbolic link: its target does not exist; fix or remove the link"]


def test_four_thousand_leaders_in_one_file_are_fine(tmp_path):
    text = "".join(leader(f"desk-{i}") for i in range(4000))
    path = tmp_path / "big.yaml"
    path.write_text("version: 1\nleaders:\n" + text)
    assert len(load_desired([path]).leaders) == 4000


def test_minus_zero_is_sent_as_zero():
    from reconciler.spec import AMOUNT

    from decimal import Decimal

    value = AMOUNT.from_yaml(Decimal("-0.0"))
    assert AMOUNT.to_api(value) == "0" and not value.is_signed()

