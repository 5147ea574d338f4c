"""`policy:` offline (docs/contract.md §10): the policy's own errors, and limits on merged leaders."""
from __future__ import annotations

import textwrap

import pytest

from reconciler.config import load_desired
from reconciler.errors import ConfigError
from reconciler.spec import WindowKind

LEADERS = """\
version: 1
profiles:
  std:
    settings:
      profit_sharing: {period: weekly, rate: "0.2"}
leaders:
  a:
    extends: std
    settings:
      cooldown: {enabled: false}
      position_type: all
      trade_protection: true
      follower_minimums: {asset: "10", fixed_amount: "5", fixed_rate: "5"}
      invite: {required: false, scope: 1}
    symbols: [BTC-SWAP-USDT]
  b:
    extends: std
    ignore: [settings.profit_sharing]
    settings:
      cooldown: {enabled: false}
      position_type: cross
      trade_protection: true
      follower_minimums: {asset: "100", fixed_amount: "5", fixed_rate: "5"}
      invite: {required: false, scope: 1}
    symbols: [BTC-SWAP-USDT]
"""


def errors(tmp_path, policy: str, leaders: str = LEADERS) -> list[str]:
    (tmp_path / "leaders.yaml").write_text(leaders)
    (tmp_path / "policy.yaml").write_text("version: 1\npolicy:\n" + textwrap.indent(textwrap.dedent(policy), "  "))
    try:
        load_desired([tmp_path])
    except ConfigError as e:
        return [str(i).replace(f"{tmp_path}/", "") for i in e.issues]
    return []


def test_limits_are_checked_where_each_value_was_written_and_name_the_limit(tmp_path):
    found = errors(tmp_path, """\
        limits:
          settings.profit_sharing.rate: {max: "0.12"}
          settings.follower_minimums.asset: {min: "50", max: 5000}
          settings.position_type: {one_of: [cross, isolated]}
        """)
    assert found == [
        "leaders.yaml:5:46: profiles.std.settings.profit_sharing.rate: 0.2 is above the policy's max 0.12 (policy.yaml:4:5)",
        "leaders.yaml:11:22: leaders.a.settings.position_type: all is not one of the policy's one_of: cross, isolated (policy.yaml:6:5)",
        "leaders.yaml:13:34: leaders.a.settings.follower_minimums.asset: 10 is below the policy's min 50 (policy.yaml:5:5)",
    ]  # b ignores profit_sharing: its merged 0.2 is not checked; bounds are inclusive (100 <= 5000)


def test_a_leader_value_overriding_a_profile_is_the_one_checked(tmp_path):
    leaders = LEADERS.replace("  b:\n    extends: std\n    ignore: [settings.profit_sharing]\n", "  b:\n    extends: std\n")
    leaders = leaders.replace("      position_type: cross\n", "      position_type: cross\n      profit_sharing: {rate: \"0.3\"}\n")
    found = errors(tmp_path, 'limits:\n  settings.profit_sharing.rate: {max: "0.25"}\n', leaders)
    assert found == ["leaders.yaml:21:30: leaders.b.settings.profit_sharing.rate: 0.3 is above the policy's max 0.25 (policy.yaml:4:5)"]


def test_exact_bounds_are_inclusive_and_compared_by_value(tmp_path):
    assert errors(tmp_path, 'limits:\n  settings.profit_sharing.rate: {min: "0.20", max: 0.2}\n'
                            '  settings.follower_minimums.asset: {one_of: ["10.0", "100"]}\n') == []


def test_a_valid_policy_is_in_the_model(tmp_path):
    (tmp_path / "leaders.yaml").write_text(LEADERS)
    (tmp_path / "policy.yaml").write_text(textwrap.dedent("""\
        version: 1
        policy:
          windows:
            - {kind: deny, schedule: "0  7 * * *", duration: 1h30m, paths: [settings.profit_sharing, followers], leaders: ["a*"]}
            - {kind: allow, schedule: "0 9 * * 1-5", duration: 2d}
          max_follower_removals: 3
        """))
    policy = load_desired([tmp_path]).policy
    first, second = policy.windows
    assert (first.kind, first.schedule, first.minutes, first.paths, first.leaders) == (
        WindowKind.DENY, "0 7 * * *", 90, ("settings.profit_sharing", "followers"), ("a*",))
    assert (second.kind, second.minutes, second.paths, second.leaders, second.index) == (WindowKind.ALLOW, 2880, (), (), 1)
    assert policy.max_follower_removals == 3 and str(policy.location).endswith("policy.yaml:2:1")


BAD = {
    "unknown path": ('limits:\n  settings.profit_sharing.rat: {max: "0.12"}\n',
                     "policy.yaml:4:5: policy.limits.settings.profit_sharing.rat: unknown key 'settings.profit_sharing.rat'; did you mean 'settings.profit_sharing.rate'?"),
    "min above max": ('limits:\n  settings.follower_minimums.asset: {min: "500", max: 50}\n',
                      "policy.yaml:4:45: policy.limits.settings.follower_minimums.asset.min: min 500 is above max 50: swap them or fix one"),
    "min on a switch": ("limits:\n  settings.trade_protection: {min: 1}\n",
                        "policy.yaml:4:33: policy.limits.settings.trade_protection.min: unknown key 'min'; allowed keys: one_of"),
    "wrong type": ('limits:\n  settings.invite.scope: {max: "x"}\n',
                   "policy.yaml:4:34: policy.limits.settings.invite.scope.max: expected an integer, got a string"),
    "invite code": ('limits:\n  settings.invite.code: {one_of: ["ABCDEF"]}\n',
                    "policy.yaml:4:5: policy.limits.settings.invite.code: unknown key 'settings.invite.code'; did you mean 'settings.invite.scope'?"),
    "one_of of the wrong values": ("limits:\n  settings.position_type: {one_of: [crosss]}\n",
                                   "policy.yaml:4:39: policy.limits.settings.position_type.one_of[0]: must be one of: all, cross, isolated (got 'crosss')"),
    "bad hour": ('windows:\n  - {kind: deny, schedule: "0 25 * * *", duration: 1h}\n',
                 "policy.yaml:4:30: policy.windows[0].schedule: '0 25 * * *' is not a 5-field cron schedule (minute hour day-of-month month day-of-week, in UTC): bad hour"),
    "bad day of week": ('windows:\n  - {kind: deny, schedule: "0 7 * * MON,FOO", duration: 1h}\n',
                        "policy.yaml:4:30: policy.windows[0].schedule: '0 7 * * MON,FOO' is not a 5-field cron schedule (minute hour day-of-month month day-of-week, in UTC): bad day-of-week"),
    "four fields": ('windows:\n  - {kind: deny, schedule: "0 7 * *", duration: 1h}\n',
                    "policy.yaml:4:30: policy.windows[0].schedule: must be a 5-field cron schedule in UTC (minute hour day-of-month month day-of-week), such as \"0 7 * * *\" (got '0 7 * *')"),
    "six fields": ('windows:\n  - {kind: deny, schedule: "0 0 7 * * *", duration: 1h}\n',
                   "policy.yaml:4:30: policy.windows[0].schedule: must be a 5-field cron schedule in UTC (minute hour day-of-month month day-of-week), such as \"0 7 * * *\" (got '0 0 7 * * *')"),
    "never fires": ('windows:\n  - {kind: deny, schedule: "0 0 31 2 *", duration: 1h}\n',
                    "policy.yaml:4:30: policy.windows[0].schedule: '0 0 31 2 *' is not a 5-field cron schedule (minute hour day-of-month month day-of-week, in UTC): bad day-of-month"),
    "8 days": ('windows:\n  - {kind: deny, schedule: "0 7 * * *", duration: 8d}\n',
               "policy.yaml:4:53: policy.windows[0].duration: '8d' is outside 1m..7d: write minutes, hours or days such as 90m, 3h, 1h30m, 2d"),
    "0 minutes": ('windows:\n  - {kind: deny, schedule: "0 7 * * *", duration: 0m}\n',
                  "policy.yaml:4:53: policy.windows[0].duration: '0m' is outside 1m..7d: write minutes, hours or days such as 90m, 3h, 1h30m, 2d"),
    "7 days and a minute": ('windows:\n  - {kind: deny, schedule: "0 7 * * *", duration: 6d24h1m}\n',
                            "policy.yaml:4:53: policy.windows[0].duration: '6d24h1m' is outside 1m..7d: write minutes, hours or days such as 90m, 3h, 1h30m, 2d"),
    "no unit": ('windows:\n  - {kind: deny, schedule: "0 7 * * *", duration: 60}\n',
                "policy.yaml:4:53: policy.windows[0].duration: expected a string, got an integer"),
    "unknown window path": ('windows:\n  - {kind: deny, schedule: "0 7 * * *", duration: 1h, paths: [follower]}\n',
                            "policy.yaml:4:65: policy.windows[0].paths[0]: unknown window path 'follower'; did you mean 'followers'?"),
    "unknown kind": ('windows:\n  - {kind: block, schedule: "0 7 * * *", duration: 1h}\n',
                     "policy.yaml:4:14: policy.windows[0].kind: must be one of: allow, deny (got 'block')"),
    "negative budget": ("max_follower_removals: -1\n",
                        "policy.yaml:3:26: policy.max_follower_removals: must be >= 0 (got -1)"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_policy_is_a_located_error(tmp_path, case):
    policy, expected = BAD[case]
    assert errors(tmp_path, policy) == [expected]


def test_7_days_and_1_minute_are_the_bounds(tmp_path):
    assert errors(tmp_path, 'windows:\n  - {kind: deny, schedule: "0 7 * * *", duration: 7d}\n'
                            '  - {kind: allow, schedule: "0 7 * * *", duration: 1m}\n  - {kind: allow, schedule: "0 7 * * *", duration: 6d23h60m}\n') == []


def test_a_second_policy_is_an_error_at_it(tmp_path):
    (tmp_path / "z.yaml").write_text("version: 1\npolicy:\n  max_follower_removals: 2\n")
    assert errors(tmp_path, "max_follower_removals: 3\n") == [
        "z.yaml:2:1: policy: a policy is already defined at policy.yaml:2:1: the config set has one policy: merge the two",
    ]


def test_a_file_may_hold_only_the_policy_but_the_set_needs_a_leader(tmp_path):
    (tmp_path / "policy.yaml").write_text("version: 1\npolicy: {max_follower_removals: 3}\n")
    with pytest.raises(ConfigError, match="no leaders in the config"):
        load_desired([tmp_path / "policy.yaml"])


def test_the_readme_policy_is_valid_and_its_example_error_is_what_validate_says(tmp_path):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Guardrails: `policy:`"):readme.index("## Commands")]
    policy = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    (tmp_path / "leaders").mkdir()
    (tmp_path / "leaders" / "policy.yaml").write_text(policy)
    leader = LEADERS.split("leaders:\n", 1)[1].split("  b:\n")[0].replace("position_type: all", "position_type: cross")
    leader = leader.replace("asset: \"10\"", "asset: \"100\"")
    (tmp_path / "leaders" / "a.yaml").write_text("version: 1\nprofiles:\n  std:\n    settings:\n      profit_sharing: {period: weekly, rate: \"0.1\"}\nleaders:\n" + leader)
    desired = load_desired([tmp_path / "leaders"])
    assert [w.kind for w in desired.policy.windows] == ["deny", "deny", "allow"] and desired.policy.max_follower_removals == 5
    assert "0.15 is above the policy's max 0.12 (leaders/policy.yaml:4:5)" in section
    assert ":4:5" in str(desired.policy.limits[0].location)
