"""Profiles, `extends` and `ignore` (CONTRACT §8), offline: merge rules, located errors."""
from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import load_desired
from reconciler.errors import ConfigError

STANDARD = """\
version: 1
profiles:
  standard:
    settings:
      cooldown: {enabled: false}
      position_type: cross
      trade_protection: true
      profit_sharing: {period: weekly, rate: "0.1"}
      follower_minimums: {asset: "100", fixed_amount: "10", fixed_rate: "10"}
      invite: {required: false, scope: 1}
    symbols: [BTC-SWAP-USDT, ETH-SWAP-USDT]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def leaders(text: str) -> str:
    return "version: 1\nleaders:\n" + textwrap.indent(textwrap.dedent(text), "  ")


def line_of(path: Path, needle: str, nth: int = 0) -> int:
    hits = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if needle in line]
    return hits[nth]


def errors(*paths) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_desired(list(paths))
    return [str(i) for i in info.value.issues]


def test_a_leader_extends_a_profile_in_another_file(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD)
    write(tmp_path, "desks.yaml", leaders("desk-a:\n  extends: standard\n"))
    desk = load_desired([tmp_path]).leaders["desk-a"]
    assert desk.settings.profit_rate == Decimal("0.1") and desk.settings.position_type == "cross"
    assert desk.symbols == ("BTC-SWAP-USDT", "ETH-SWAP-USDT")
    assert desk.profiles == ("standard",)
    where = desk.where("settings.profit_sharing.rate")
    assert where.file.endswith("profiles.yaml") and where.origin == "profile standard"


def test_mappings_merge_key_by_key_lists_and_scalars_replace(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD)
    write(tmp_path, "desks.yaml", leaders("""\
        desk-a:
          extends: standard
          settings:
            profit_sharing: {rate: "0.12"}
            follower_minimums: {asset: "250"}
          symbols: [SOL-SWAP-USDT]
        """))
    s = load_desired([tmp_path]).leaders["desk-a"]
    assert s.settings.profit_rate == Decimal("0.12") and s.settings.profit_period == "weekly"  # key by key
    assert s.settings.follower_min_asset == Decimal("250") and s.settings.follower_min_fixed_amount == Decimal("10")
    assert s.symbols == ("SOL-SWAP-USDT",)  # the list replaces, it is not appended to
    assert s.where("settings.profit_sharing.rate").origin == "leader desk-a"
    assert s.where("settings.profit_sharing.period").origin == "profile standard"


def test_extends_left_to_right_the_leader_last_and_profiles_of_profiles(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD + (
        "  high:\n    extends: standard\n    settings: {profit_sharing: {rate: \"0.2\"}}\n"
        "  tight:\n    settings: {profit_sharing: {rate: \"0.05\"}, follower_minimums: {asset: \"500\"}}\n"
    ))
    write(tmp_path, "desks.yaml", leaders("""\
        one: {extends: [high, tight]}
        two: {extends: [tight, high]}
        three:
          extends: [high, tight]
          settings: {follower_minimums: {asset: "1"}}
        """))
    got = load_desired([tmp_path]).leaders
    assert got["one"].settings.profit_rate == Decimal("0.05") and got["one"].settings.follower_min_asset == Decimal("500")
    # high brings standard with it, after tight: standard's asset wins over tight's
    assert got["two"].settings.profit_rate == Decimal("0.2") and got["two"].settings.follower_min_asset == Decimal("100")
    assert got["two"].profiles == ("tight", "standard", "high")
    assert got["three"].settings.follower_min_asset == Decimal("1")
    assert got["one"].profiles == ("standard", "high", "tight")


def test_a_profile_reached_twice_is_applied_once_where_first_reached(tmp_path):
    # high and low both extend standard; standard must not be re-applied after high
    write(tmp_path, "profiles.yaml", STANDARD + (
        '  high: {extends: standard, settings: {profit_sharing: {rate: "0.2"}}}\n'
        '  low: {extends: standard, settings: {follower_minimums: {asset: "5"}}}\n'
    ))
    write(tmp_path, "desks.yaml", leaders("desk: {extends: [high, low]}\n"))
    desk = load_desired([tmp_path]).leaders["desk"]
    assert desk.profiles == ("standard", "high", "low")
    assert desk.settings.profit_rate == Decimal("0.2") and desk.settings.follower_min_asset == Decimal("5")


def test_unknown_profile_is_an_error_at_the_extends_item(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD)
    desks = write(tmp_path, "desks.yaml", leaders("desk:\n  extends: [standard, standrd]\n"))
    (error,) = errors(tmp_path)
    assert error.startswith(f"{desks}:{line_of(desks, 'extends')}:")
    assert "leaders.desk.extends[1]: unknown profile 'standrd'" in error and "did you mean 'standard'?" in error


def test_a_cycle_is_an_error_even_in_profiles_no_leader_extends(tmp_path):
    profiles = write(tmp_path, "profiles.yaml", STANDARD + "  a: {extends: b}\n  b: {extends: [a]}\n")
    write(tmp_path, "desks.yaml", leaders("desk: {extends: standard}\n"))
    found = errors(tmp_path)
    assert found and all("cycle (a -> b -> a)" in e or "cycle (b -> a -> b)" in e for e in found)
    assert all(e.startswith(str(profiles)) for e in found)


def test_an_invalid_value_in_a_profile_is_reported_once_where_it_was_written(tmp_path):
    profiles = write(tmp_path, "profiles.yaml", STANDARD.replace('rate: "0.1"', 'rate: "-1"'))
    write(tmp_path, "desks.yaml", leaders("a: {extends: standard}\nb: {extends: standard}\n"))
    (error,) = errors(tmp_path)
    assert error.startswith(f"{profiles}:{line_of(profiles, 'rate')}:")
    assert "profiles.standard.settings.profit_sharing.rate: must be a share from 0 to 1" in error


def test_a_rule_broken_by_the_merge_points_at_the_values(tmp_path):
    # the profile's cool-down ends before the start the leader sets
    write(tmp_path, "profiles.yaml", STANDARD.replace("cooldown: {enabled: false}", 'cooldown: {enabled: true, end: "2026-12-01T00:00:00Z"}'))
    desks = write(tmp_path, "desks.yaml", leaders('desk:\n  extends: standard\n  settings: {cooldown: {start: "2026-12-24T00:00:00Z"}}\n'))
    (error,) = errors(tmp_path)
    assert "profiles.standard.settings.cooldown.end: the cool-down end must not be before its start" in error
    assert str(desks) not in error


def test_missing_settings_after_the_merge_point_at_the_leader(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD.replace("      position_type: cross\n", ""))
    desks = write(tmp_path, "desks.yaml", leaders("desk: {extends: standard}\n"))
    (error,) = errors(tmp_path)
    assert error.startswith(f"{desks}:{line_of(desks, 'desk:')}:3: leaders.desk: missing required key 'settings.position_type'")
    assert "profile it extends (standard)" in error


def test_a_file_may_hold_only_profiles_but_the_config_needs_a_leader(tmp_path):
    path = write(tmp_path, "profiles.yaml", STANDARD)
    (error,) = errors(path)
    assert error == f"{path}:1:1: no leaders in the config: define at least one under `leaders:`"


def test_a_profile_nobody_extends_is_a_warning_not_an_error(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD + "  unused:\n    settings: {trade_protection: false}\n")
    write(tmp_path, "desks.yaml", leaders("desk: {extends: standard}\n"))
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "profile 'unused' is not extended by any leader" in result.stderr
    assert "standard" not in result.stderr


def test_profile_names_are_unique_across_files(tmp_path):
    first = write(tmp_path, "a.yaml", STANDARD)
    second = write(tmp_path, "b.yaml", STANDARD + "leaders:\n  desk: {extends: standard}\n")
    (error,) = errors(first, second)
    assert error.startswith(f"{second}:3:3: profiles.standard: profile 'standard' is already defined at {first}:3:3")


def test_ignore_unknown_path_is_an_error_with_a_suggestion(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD)
    desks = write(tmp_path, "desks.yaml", leaders("desk:\n  extends: standard\n  ignore: [settings.follower_minimum]\n"))
    (error,) = errors(tmp_path)
    assert error.startswith(f"{desks}:{line_of(desks, 'ignore')}:")
    assert "unknown ignore path 'settings.follower_minimum'; did you mean 'settings.follower_minimums'?" in error


def test_an_ignored_section_need_not_be_written(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD.replace("      follower_minimums: {asset: \"100\", fixed_amount: \"10\", fixed_rate: \"10\"}\n", ""))
    write(tmp_path, "desks.yaml", leaders("desk:\n  extends: standard\n  ignore: [settings.follower_minimums, symbols]\n"))
    desk = load_desired([tmp_path]).leaders["desk"]
    assert desk.ignored == ("settings.follower_minimums", "symbols")
    assert desk.settings.follower_min_asset is None


def test_ignore_in_a_profile_is_inherited_and_a_leader_list_replaces_it(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD + "    ignore: [settings.trade_protection]\n")
    write(tmp_path, "desks.yaml", leaders("a: {extends: standard}\nb: {extends: standard, ignore: [symbols]}\n"))
    got = load_desired([tmp_path]).leaders
    assert got["a"].ignored == ("settings.trade_protection",) and got["b"].ignored == ("symbols",)


def test_credentials_in_a_profile_would_share_one_key_and_are_refused(tmp_path):
    write(tmp_path, "profiles.yaml", STANDARD + "    credentials: {api_key_env: DESK_KEY, api_secret_env: DESK_SECRET}\n")
    write(tmp_path, "desks.yaml", leaders("a: {extends: standard}\nb: {extends: standard}\n"))
    found = errors(tmp_path)
    assert len(found) == 2 and all("is already the API" in e and "of leader 'a'" in e for e in found)


def test_the_published_schema_lets_editors_complete_profiles_extends_and_ignore():
    from reconciler.schema import generate

    schema = generate()
    assert "profiles" in schema["properties"]
    assert {"extends", "ignore"} <= schema["$defs"]["partialLeader"]["properties"].keys()
    assert "settings.follower_minimums" in schema["$defs"]["ignore"]["items"]["enum"]
