"""Every rule of the desired-state files: one config that passes, one that fails.

Each failing config must make `leaderctl validate` exit 1 with a message
`FILE:LINE:COL: dotted.path: message` pointing at the exact place. Configs are
built by `Config`: a minimal valid leader `desk`, plus overrides keyed by dotted
path. Override values are YAML source text (so `'"0.1"'` is a quoted string and
`"0.1"` a YAML number); a dict is a block mapping, a list a block sequence and
DELETE removes the key. `Config` writes the YAML itself and records where it put
every key and value: that record, not the loader, is the oracle for line:col.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import load_desired

DELETE = object()
D = "leaders.desk."  # dotted-path prefix of the leader every Config defines

BASE_LEADER = {
    "settings": {
        "cooldown": {"enabled": "true", "start": '"2026-12-24T00:00:00Z"', "end": '"2026-12-26T00:00:00Z"'},
        "position_type": "cross",
        "trade_protection": "true",
        "profit_sharing": {"period": "weekly", "rate": '"0.1"'},
        "follower_minimums": {"asset": '"100"', "fixed_amount": '"10"', "fixed_rate": '"10"'},
        "invite": {"required": "true", "scope": "2", "code_env": "DESK_INVITE_CODE"},
    },
    "symbols": ["BTC-SWAP-USDT", "ETH-SWAP-USDT"],
}

LOCATED = re.compile(r"^[^:]+:\d+:\d+: ")


def _split(path: str | tuple) -> tuple:
    if isinstance(path, tuple):
        return path
    if not path:
        return ()
    out: list = []
    for part in path.split("."):
        name, *indexes = re.split(r"\[(\d+)\]", part)
        out.append(name)
        out.extend(int(i) for i in indexes if i)
    return tuple(out)


@dataclass
class Config:
    """A config file: the minimal valid leader plus `overrides`."""

    overrides: dict = field(default_factory=dict)
    name: str = "desk"  # the leader's key, as YAML source

    def __post_init__(self):
        tree = {"version": "1", "leaders": {"desk": copy.deepcopy(BASE_LEADER)}}
        for path, value in self.overrides.items():
            *parents, last = _split(path)
            node = tree
            for p in parents:
                node = node.setdefault(p, {})
            if value is DELETE:
                del node[last]
            else:
                node[last] = copy.deepcopy(value)
        if self.name != "desk" and isinstance(tree.get("leaders"), dict):
            tree["leaders"] = {self.name: tree["leaders"].pop("desk")}
        self.lines: list[str] = []
        self.keys: dict[tuple, tuple[int, int]] = {}
        self.values: dict[tuple, tuple[int, int]] = {(): (1, 1)}
        self._mapping(tree, (), 0)
        self.text = "\n".join(self.lines) + "\n"

    def _mapping(self, mapping: dict, path: tuple, indent: int):
        for key, value in mapping.items():
            sub = path + (key,)
            self.keys[sub] = (len(self.lines) + 1, indent + 1)
            if isinstance(value, (dict, list)) and value:
                self.lines.append(f"{' ' * indent}{key}:")
                self.values[sub] = (len(self.lines) + 1, indent + 3)  # its first child
                if isinstance(value, dict):
                    self._mapping(value, sub, indent + 2)
                else:
                    for i, item in enumerate(value):
                        self.lines.append(f"{' ' * (indent + 2)}- {item}")
                        self.values[sub + (i,)] = (len(self.lines), indent + 5)
            else:
                text = "{}" if value == {} else "[]" if value == [] else value
                self.lines.append(f"{' ' * indent}{key}: {text}".rstrip())
                # YAML places an empty (null) value right after the colon
                self.values[sub] = (len(self.lines), indent + len(key) + (3 if text else 2))

    def write(self, directory: Path, filename: str = "leaders.yaml") -> Path:
        self.file = directory / filename
        self.file.write_text(self.text, encoding="utf-8")
        return self.file

    def at(self, path, *, key: bool = False, dotted: str | None = None) -> str:
        """The expected message prefix `FILE:LINE:COL: dotted.path: ` for `path`."""
        line, col = (self.keys if key else self.values)[_split(path)]
        shown = path if dotted is None else dotted
        return f"{self.file}:{line}:{col}: {shown}: " if shown else f"{self.file}:{line}:{col}: "


@dataclass
class Result:
    exit_code: int
    stdout: str
    errors: list[str]


def validate(*files: Path) -> Result:
    result = CliRunner().invoke(cli, ["validate", *map(str, files)], catch_exceptions=False, env={"LEADERCTL_DEBUG": "1"})
    errors = result.stderr.splitlines()
    assert "Traceback" not in result.output
    assert all(LOCATED.match(line) for line in errors), errors
    return Result(result.exit_code, result.stdout, errors)


def assert_valid(cfg: Config, tmp_path: Path):
    result = validate(cfg.write(tmp_path))
    assert (result.exit_code, result.errors) == (0, []), cfg.text
    assert result.stdout.startswith("valid: 1 leader in 1 file")


def assert_error(cfg: Config, tmp_path: Path, path: str, fragment: str, *, key: bool = False, only: bool = True, dotted: str | None = None):
    """validate exits 1 with a message at `path` (its value, or its key) containing `fragment`."""
    result = validate(cfg.write(tmp_path))
    assert result.exit_code == 1, cfg.text
    prefix = cfg.at(path, key=key, dotted=dotted)
    mine = [e for e in result.errors if e.startswith(prefix) and fragment in e]
    assert mine, f"no {prefix!r}...{fragment!r} in {result.errors}\n{cfg.text}"
    if only:
        assert result.errors == mine, result.errors
    return result


# --- the helper itself -------------------------------------------------------


def test_base_config_is_valid_and_the_oracle_matches_the_loader(tmp_path):
    cfg = Config()
    assert_valid(cfg, tmp_path)
    desired = load_desired([cfg.file])
    assert desired.leaders["desk"].where("settings.profit_sharing.rate").line == cfg.values[_split(D + "settings.profit_sharing.rate")][0]
    assert desired.leaders["desk"].location.line == cfg.keys[("leaders", "desk")][0]


# --- version and leaders ---------------------------------------------------------


@pytest.mark.parametrize("value, fragment", [("2", "must be 1 (got 2)"), ('"1"', "must be 1 (got '1')"), ("0", "must be 1")])
def test_version_must_be_1(tmp_path, value, fragment):
    assert_valid(Config({"version": "1"}), tmp_path)
    assert_error(Config({"version": value}), tmp_path, "version", fragment)


@pytest.mark.parametrize("value, fragment", [("{}", "must not be empty"), ("[]", "expected a mapping, got a list"), ("", "expected a mapping, got an empty value")])
def test_leaders_must_be_a_non_empty_mapping(tmp_path, value, fragment):
    assert_error(Config({"leaders": value}), tmp_path, "leaders", fragment)


@pytest.mark.parametrize("name", ["a", "0", "desk-btc_2", "0_a-b", "x" * 63])
def test_leader_name_valid(tmp_path, name):
    assert_valid(Config(name=name), tmp_path)


@pytest.mark.parametrize("name", ["Desk", "-desk", "_desk", "x" * 64, "desk.x", "dé", "desk btc"])
def test_leader_name_invalid(tmp_path, name):
    key = ("leaders", f'"{name}"')  # quoted in the YAML, so the oracle knows it by its source
    assert_error(Config(name=f'"{name}"'), tmp_path, key, "invalid leader name", key=True, dotted=f"leaders.{name}")


def test_empty_leader_name_is_invalid(tmp_path):
    cfg = Config(name='""')
    assert_error(cfg, tmp_path, ("leaders", '""'), "invalid leader name ''", key=True, dotted="leaders.")


# --- unknown keys ------------------------------------------------------------------

NEAR_MISSES = [
    ("versions", "version"),
    (D + "symbolz", "symbols"),
    (D + "credential", "credentials"),
    (D + "settings.position", "position_type"),
    (D + "settings.cooldown.ends", "end"),
    (D + "settings.profit_sharing.rates", "rate"),
    (D + "settings.follower_minimums.assets", "asset"),
    (D + "settings.invite.scopes", "scope"),
    (D + "settings.invite.codes", "code"),
]


@pytest.mark.parametrize("path, suggestion", NEAR_MISSES)
def test_unknown_key_with_did_you_mean(tmp_path, path, suggestion):
    key = path.rsplit(".", 1)[-1]
    assert_error(Config({path: "1"}), tmp_path, path, f"unknown key {key!r}; did you mean {suggestion!r}?", key=True)


UNKNOWN_ELSEWHERE = [
    # a key nothing resembles, at every level: the message lists the allowed keys
    ("zzz", "allowed keys: leaders, policy, profiles, version"),
    (D + "zzz", "allowed keys: credentials, extends, followers, ignore, settings, symbols"),
    (D + "settings.zzz", "allowed keys: cooldown, follower_minimums, invite, position_type"),
    (D + "settings.cooldown.zzz", "allowed keys: enabled, end, start"),
    (D + "settings.profit_sharing.zzz", "allowed keys: period, rate"),
    (D + "settings.follower_minimums.zzz", "allowed keys: asset, fixed_amount, fixed_rate"),
    (D + "settings.invite.zzz", "allowed keys: code, code_env, required, scope"),
]


@pytest.mark.parametrize("path, fragment", UNKNOWN_ELSEWHERE)
def test_unknown_key_anywhere(tmp_path, path, fragment):
    assert_error(Config({path: "1"}), tmp_path, path, f"unknown key 'zzz'; {fragment}", key=True)


@pytest.mark.parametrize(
    "section, valid_part, key, suggestion",
    [
        ("credentials", {"api_key_env": "DESK_KEY"}, "api_key", "api_key_env"),
        ("followers", {"remove": "[]"}, "removed", "remove"),
        ("settings.referral_sharing", {"enabled": "false"}, "rates", "rate"),
    ],
)
def test_unknown_key_in_optional_sections(tmp_path, section, valid_part, key, suggestion):
    assert_valid(Config({D + section: valid_part}), tmp_path)
    path = f"{D}{section}.{key}"
    assert_error(Config({D + section: {**valid_part, key: "1"}}), tmp_path, path, f"did you mean {suggestion!r}?", key=True)


def test_every_unknown_key_is_reported(tmp_path):
    cfg = Config({"zzz": "1", D + "settings.cooldown.ends": "1", D + "settings.invite.zzz": "1"})
    result = validate(cfg.write(tmp_path))
    assert result.exit_code == 1
    assert result.errors == [
        cfg.at(D + "settings.cooldown.ends", key=True) + "unknown key 'ends'; did you mean 'end'?",
        cfg.at(D + "settings.invite.zzz", key=True) + "unknown key 'zzz'; allowed keys: code, code_env, required, scope",
        cfg.at("zzz", key=True) + "unknown key 'zzz'; allowed keys: leaders, policy, profiles, version",
    ]


# --- required keys ------------------------------------------------------------------

REQUIRED = [
    "version",
    "leaders",
    D + "settings",
    D + "symbols",
    D + "settings.cooldown",
    D + "settings.position_type",
    D + "settings.trade_protection",
    D + "settings.profit_sharing",
    D + "settings.follower_minimums",
    D + "settings.invite",
    D + "settings.cooldown.enabled",
    D + "settings.profit_sharing.period",
    D + "settings.profit_sharing.rate",
    D + "settings.follower_minimums.asset",
    D + "settings.follower_minimums.fixed_amount",
    D + "settings.follower_minimums.fixed_rate",
    D + "settings.invite.required",
    D + "settings.invite.scope",
]


@pytest.mark.parametrize("path", REQUIRED)
def test_required_key(tmp_path, path):
    parent, _, key = path.rpartition(".")
    assert_error(Config({path: DELETE}), tmp_path, parent, f"missing required key {key!r}")


def test_referral_sharing_requires_enabled(tmp_path):
    path = D + "settings.referral_sharing"
    assert_error(Config({path: {"rate": '"0.2"'}}), tmp_path, path, "missing required key 'enabled'")


def test_optional_sections_may_be_omitted_or_given(tmp_path):
    assert_valid(
        Config(
            {
                D + "credentials": {"api_key_env": "DESK_KEY", "api_secret_env": "DESK_SECRET"},
                D + "followers": {"remove": ["7"]},
                D + "settings.referral_sharing": {"enabled": "true", "rate": '"0.2"'},
            }
        ),
        tmp_path,
    )


# --- enums and switches ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["all", "cross", "isolated"])
def test_position_type_valid(tmp_path, value):
    assert_valid(Config({D + "settings.position_type": value}), tmp_path)
    assert load_desired([tmp_path / "leaders.yaml"]).leaders["desk"].settings.position_type == value


@pytest.mark.parametrize("value", ["margin", "Cross", "-1", "0"])
def test_position_type_invalid(tmp_path, value):
    assert_error(Config({D + "settings.position_type": value}), tmp_path, D + "settings.position_type", "must be one of: all, cross, isolated")


@pytest.mark.parametrize("value", ["daily", "weekly"])
def test_profit_period_valid(tmp_path, value):
    assert_valid(Config({D + "settings.profit_sharing.period": value}), tmp_path)


@pytest.mark.parametrize("value", ["monthly", "7", "1", "Weekly"])
def test_profit_period_invalid(tmp_path, value):
    assert_error(Config({D + "settings.profit_sharing.period": value}), tmp_path, D + "settings.profit_sharing.period", "must be one of: daily, weekly")


@pytest.mark.parametrize("field", ["settings.trade_protection", "settings.cooldown.enabled", "settings.invite.required"])
def test_switches_must_be_booleans(tmp_path, field):
    assert_error(Config({D + field: '"true"'}), tmp_path, D + field, "expected true or false, got a string", only=False)
    assert_error(Config({D + field: "1"}), tmp_path, D + field, "expected true or false, got an integer", only=False)


# --- decimals ---------------------------------------------------------------------------

DECIMAL_FIELDS = [
    "settings.follower_minimums.asset",
    "settings.follower_minimums.fixed_amount",
    "settings.follower_minimums.fixed_rate",
]


@pytest.mark.parametrize("field", DECIMAL_FIELDS)
@pytest.mark.parametrize("value", ['"0"', "0", '"0.1"', "0.1", "100", '"12.50"', "1_000.5"])
def test_decimal_valid(tmp_path, field, value):
    assert_valid(Config({D + field: value}), tmp_path)


@pytest.mark.parametrize("field", DECIMAL_FIELDS)
@pytest.mark.parametrize("value", ['"-1"', "-1", "-0.5", '"abc"', '"1e5"', "1e999999", '""', "true", "[1]"])
def test_decimal_invalid(tmp_path, field, value):
    assert_error(Config({D + field: value}), tmp_path, D + field, "must be a non-negative decimal such as")


@pytest.mark.parametrize("value", ['"0"', "0", '"0.12345678"', '"1"', "1.0", '"0.10"'])
def test_profit_rate_is_a_share(tmp_path, value):
    assert_valid(Config({D + "settings.profit_sharing.rate": value}), tmp_path)


@pytest.mark.parametrize("value", ['"1.5"', "1.5", '"1.00000001"', '"12.50"', "1_000.5", '"-1"', "-0.5", '"abc"', "true"])
def test_profit_rate_above_1_or_not_a_share_is_an_error(tmp_path, value):
    assert_error(Config({D + "settings.profit_sharing.rate": value}), tmp_path, D + "settings.profit_sharing.rate",
                 "must be a share from 0 to 1 (0.1 is 10%)")


def test_decimals_are_exact_and_compared_by_value(tmp_path):
    cfg = Config({D + "settings.profit_sharing.rate": "0.10", D + "settings.follower_minimums.asset": "100.00"})
    assert_valid(cfg, tmp_path)
    settings = load_desired([cfg.file]).leaders["desk"].settings
    assert isinstance(settings.profit_rate, Decimal) and settings.profit_rate == Decimal("0.1")
    assert settings.follower_min_asset == Decimal("100")


# --- cool-down -----------------------------------------------------------------------------

CD = D + "settings.cooldown."
START_MS = int(datetime(2026, 12, 24, tzinfo=timezone.utc).timestamp() * 1000)  # 1798070400000


def test_cooldown_enabled_requires_end(tmp_path):
    assert_valid(Config({CD + "start": DELETE}), tmp_path)
    assert_error(Config({CD + "end": DELETE}), tmp_path, D + "settings.cooldown", "missing required key 'end'")


@pytest.mark.parametrize("value", ["0", '"1970-01-01T00:00:00Z"', '"1970-01-01T08:00:00+08:00"'])
def test_cooldown_end_must_not_be_0(tmp_path, value):
    assert_valid(Config({CD + "start": DELETE, CD + "end": "1"}), tmp_path)
    assert_error(Config({CD + "start": DELETE, CD + "end": value}), tmp_path, CD + "end", "must not be 0")


def test_cooldown_end_0_is_reported_even_with_a_start(tmp_path):
    assert_error(Config({CD + "end": "0"}), tmp_path, CD + "end", "must not be 0", only=False)


@pytest.mark.parametrize("key", ["start", "end"])
def test_cooldown_disabled_forbids_start_and_end(tmp_path, key):
    other = "end" if key == "start" else "start"
    assert_valid(Config({CD + "enabled": "false", CD + "start": DELETE, CD + "end": DELETE}), tmp_path)
    assert_error(
        Config({CD + "enabled": "false", CD + other: DELETE}),
        tmp_path, CD + key, f"not allowed when cooldown is disabled (enabled: false): remove {key!r}", key=True,
    )


def test_cooldown_disabled_reports_both_start_and_end(tmp_path):
    cfg = Config({CD + "enabled": "false"})
    result = validate(cfg.write(tmp_path))
    assert result.exit_code == 1
    assert result.errors == [
        cfg.at(CD + "start", key=True) + "not allowed when cooldown is disabled (enabled: false): remove 'start'",
        cfg.at(CD + "end", key=True) + "not allowed when cooldown is disabled (enabled: false): remove 'end'",
    ]


@pytest.mark.parametrize(
    "start, end",
    [
        ('"2026-12-24T00:00:00Z"', str(START_MS)),  # equal, mixed spellings
        (str(START_MS), '"2026-12-24T08:00:00+08:00"'),
        ('"2026-12-24T00:00:00Z"', '"2026-12-24T00:00:00.001Z"'),
        ("2026-12-24T00:00:00Z", "2026-12-25T00:00:00-01:00"),  # unquoted stays a string
    ],
)
def test_cooldown_end_not_before_start_valid(tmp_path, start, end):
    assert_valid(Config({CD + "start": start, CD + "end": end}), tmp_path)


@pytest.mark.parametrize(
    "start, end",
    [
        ('"2026-12-24T00:00:00Z"', str(START_MS - 1)),
        (str(START_MS), '"2026-12-24T07:59:59.999+08:00"'),
        ('"2026-12-24T00:00:00Z"', '"2026-12-23T23:59:59Z"'),
        (str(START_MS), str(START_MS - 1)),
    ],
)
def test_cooldown_end_before_start_invalid(tmp_path, start, end):
    assert_error(Config({CD + "start": start, CD + "end": end}), tmp_path, CD + "end", "the cool-down end must not be before its start")


def test_cooldown_times_reach_the_model_as_epoch_millis(tmp_path):
    cfg = Config({CD + "start": "2026-12-24T08:00:00+08:00", CD + "end": str(START_MS + 1)})
    assert_valid(cfg, tmp_path)
    settings = load_desired([cfg.file]).leaders["desk"].settings
    assert (settings.cooldown_start, settings.cooldown_end) == (START_MS, START_MS + 1)


@pytest.mark.parametrize(
    "value",
    ['"2026-12-27T00:00:00+08:00"', '"2026-12-27T00:00:00-05:30"', '"2026-12-27 00:00:00Z"', '"2026-12-27t00:00:00z"', "2026-12-27T00:00:00.250Z", "1798761600000", "253402300799999"],
)
def test_timestamp_valid(tmp_path, value):
    assert_valid(Config({CD + "end": value}), tmp_path)


@pytest.mark.parametrize(
    "value",
    ['"2026-12-27T00:00:00"', "2026-12-27T00:00:00", '"2026-12-27"', '"1798761600000"', "1798761600000.5", "-1", '"next week"', "253402300800000", "true"],
)
def test_timestamp_needs_a_zone_or_epoch_millis(tmp_path, value):
    assert_error(Config({CD + "end": value}), tmp_path, CD + "end", "must be an RFC 3339 date-time with a zone", only=False)


@pytest.mark.parametrize("value", ['"2026-13-01T00:00:00Z"', '"2027-02-29T00:00:00Z"', '"2026-12-27T24:00:00Z"', '"2026-12-27T00:00:00+24:00"'])
def test_timestamp_must_be_a_real_date(tmp_path, value):
    assert_valid(Config({CD + "end": '"2028-02-29T23:59:59+14:00"'}), tmp_path)
    assert_error(Config({CD + "end": value}), tmp_path, CD + "end", "is not a valid date-time")


@pytest.mark.parametrize("key, value", [("start", '"1969-12-31T23:59:59Z"'), ("end", '"9999-12-31T23:59:59-01:00"')])
def test_timestamp_written_as_text_has_the_range_of_epoch_millis(tmp_path, key, value):
    assert_valid(Config({CD + "start": '"1970-01-01T00:00:00Z"', CD + "end": '"9999-12-31T23:59:59.999Z"'}), tmp_path)
    assert_error(Config({CD + key: value}), tmp_path, CD + key, "out of range")


# --- referral sharing -------------------------------------------------------------------------

REF = D + "settings.referral_sharing"


@pytest.mark.parametrize("rate", ["0.00000001", '"0.00000001"', '"1.0"', "1.0", "1", '"1"', '"0.2"', "0.99999999", '"0.12345678"'])
def test_referral_rate_valid(tmp_path, rate):
    assert_valid(Config({REF: {"enabled": "true", "rate": rate}}), tmp_path)


@pytest.mark.parametrize("rate", ["0.000000001", '"0.000000001"', '"1.01"', "1.01", "1.00000001", "2", '"-0.5"', "-0.5", '"0.123456789"', '".5"'])
def test_referral_rate_out_of_range_or_too_precise(tmp_path, rate):
    assert_error(Config({REF: {"enabled": "true", "rate": rate}}), tmp_path, REF + ".rate", "must be a decimal from 0 to 1 with at most 8 decimal places")


@pytest.mark.parametrize("rate", ["0", '"0"', '"0.0"', "0.000", '"0.00000000"'])
def test_referral_rate_must_be_above_0_when_enabled(tmp_path, rate):
    assert_valid(Config({REF: {"enabled": "false", "rate": rate}}), tmp_path)
    assert_error(Config({REF: {"enabled": "true", "rate": rate}}), tmp_path, REF + ".rate", "must be greater than 0 when referral sharing is enabled")


def test_referral_enabled_requires_rate(tmp_path):
    assert_valid(Config({REF: {"enabled": "false"}}), tmp_path)
    assert_error(Config({REF: {"enabled": "true"}}), tmp_path, REF, "missing required key 'rate'")


def test_referral_huge_rate_is_an_error_not_a_crash(tmp_path):
    # Decimal % raised DivisionImpossible here before (quotient over 28 digits)
    rate = "123456789012345678901234567890.5"
    assert_error(Config({REF: {"enabled": "true", "rate": rate}}), tmp_path, REF + ".rate", "at most 8 decimal places")


def test_referral_settings_reach_the_model(tmp_path):
    cfg = Config({REF: {"enabled": "true", "rate": "0.00000001"}})
    assert_valid(cfg, tmp_path)
    settings = load_desired([cfg.file]).leaders["desk"].settings
    assert (settings.referral_enabled, settings.referral_rate) == (True, Decimal("0.00000001"))
    assert load_desired([Config().write(tmp_path)]).leaders["desk"].settings.referral_enabled is None


# --- invite ---------------------------------------------------------------------------------------

INV = D + "settings.invite"


def with_code(code: str, **more) -> Config:
    return Config({INV + ".code": code, INV + ".code_env": DELETE, **more})


@pytest.mark.parametrize("code", ["ABCDEF", "ABCDEFGHIJ", '"LEADER2026"', "Ab3-_x", "ÄÖÜäöü", "カタカナカナ"])
def test_invite_code_valid(tmp_path, code):
    assert_valid(with_code(code), tmp_path)


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("ABCDE", "must be at least 6 characters long"),
        ('""', "must be at least 6 characters long"),
        ("ABCDEFGHIJK", "must be at most 10 characters long"),
        ("中文中文中文", "must not contain Chinese characters"),
        ("ABC中DEF", "must not contain Chinese characters"),
        ("123456", "expected a string, got an integer"),
        ("[ABCDEFG]", "expected a string, got a list"),
    ],
)
def test_invite_code_invalid(tmp_path, code, fragment):
    cfg = with_code(code)
    result = assert_error(cfg, tmp_path, INV + ".code", fragment)
    secret = code.strip('"[]')
    assert not secret or all(secret not in e.removeprefix(str(cfg.file)) for e in result.errors)


@pytest.mark.parametrize("key, value", [("code", "ABCDEFG"), ("code_env", "DESK_INVITE_CODE")])
def test_invite_code_only_with_required_true(tmp_path, key, value):
    assert_valid(Config({INV: {"required": "true", "scope": "1", key: value}}), tmp_path)
    assert_valid(Config({INV: {"required": "false", "scope": "1"}}), tmp_path)
    assert_error(
        Config({INV: {"required": "false", "scope": "1", key: value}}),
        tmp_path, f"{INV}.{key}", "an invite code is only used with `required: true`", key=True,
    )


def test_invite_code_and_code_env_not_both(tmp_path):
    assert_error(Config({INV + ".code": "ABCDEFG"}), tmp_path, INV, "set either 'code' or 'code_env', not both")


def test_invite_code_reaches_the_model_but_not_its_repr(tmp_path):
    cfg = with_code("LEADER2026")
    assert_valid(cfg, tmp_path)
    spec = load_desired([cfg.file]).leaders["desk"]
    assert spec.settings.invite_code == "LEADER2026" and spec.invite_code_env is None
    assert "LEADER2026" not in repr(spec)


@pytest.mark.parametrize("scope", ["0", "1", "2", "2147483647"])
def test_invite_scope_valid(tmp_path, scope):
    assert_valid(Config({INV + ".scope": scope}), tmp_path)


@pytest.mark.parametrize(
    "scope, fragment",
    [('"2"', "expected an integer, got a string"), ("2.5", "expected an integer, got a decimal number"), ("-1", "must be >= 0"), ("true", "expected an integer, got a boolean"), ("", "expected an integer, got an empty value")],
)
def test_invite_scope_invalid(tmp_path, scope, fragment):
    assert_error(Config({INV + ".scope": scope}), tmp_path, INV + ".scope", fragment)


# --- followers, symbols, credentials -----------------------------------------------------------------

REMOVE = D + "followers.remove"


@pytest.mark.parametrize("ids", [["1"], ["9223372036854775807"], [], ["1", "2", "123456789"]])
def test_follower_ids_valid(tmp_path, ids):
    cfg = Config({REMOVE: ids})
    assert_valid(cfg, tmp_path)
    assert load_desired([cfg.file]).leaders["desk"].follower_removals == tuple(int(i) for i in ids)


@pytest.mark.parametrize(
    "item, fragment",
    [
        ("0", "must be >= 1 (got 0)"),
        ("-5", "must be >= 1 (got -5)"),
        ("9223372036854775808", "must be <= 9223372036854775807"),
        ('"5"', "expected an integer, got a string"),
        ("1.5", "expected an integer, got a decimal number"),
        ("true", "expected an integer, got a boolean"),
    ],
)
def test_follower_ids_invalid(tmp_path, item, fragment):
    assert_error(Config({REMOVE: ["7", item]}), tmp_path, REMOVE + "[1]", fragment)


def test_follower_ids_unique(tmp_path):
    assert_error(Config({REMOVE: ["7", "7"]}), tmp_path, REMOVE, "items must be unique; 7 appears more than once")


def test_follower_remove_must_be_a_list(tmp_path):
    assert_error(Config({REMOVE: "7"}), tmp_path, REMOVE, "expected a list, got an integer")


SYMBOLS = D + "symbols"


@pytest.mark.parametrize("symbols", [["BTC-SWAP-USDT"], ["ETH-SWAP-USDT", "BTC-SWAP-USDT", "SOL-SWAP-USDT"]])
def test_symbols_valid(tmp_path, symbols):
    cfg = Config({SYMBOLS: symbols})
    assert_valid(cfg, tmp_path)
    assert load_desired([cfg.file]).leaders["desk"].symbols == tuple(symbols)


@pytest.mark.parametrize(
    "symbols, path, fragment",
    [
        ("[]", SYMBOLS, "must have at least 1 item"),
        (["BTC-SWAP-USDT", "ETH-SWAP-USDT", "BTC-SWAP-USDT"], SYMBOLS, "items must be unique; 'BTC-SWAP-USDT' appears more than once"),
        ("BTC-SWAP-USDT", SYMBOLS, "expected a list, got a string"),
        (["BTC-SWAP-USDT", "5"], SYMBOLS + "[1]", "expected a string, got an integer"),
        (["BTC-SWAP-USDT", "~"], SYMBOLS + "[1]", "expected a string, got an empty value"),
        (["BTC-SWAP-USDT", "[ETH]"], SYMBOLS + "[1]", "expected a string, got a list"),
        (["BTC-SWAP-USDT", '" "'], SYMBOLS + "[1]", "does not match the expected format"),
    ],
)
def test_symbols_invalid(tmp_path, symbols, path, fragment):
    assert_error(Config({SYMBOLS: symbols}), tmp_path, path, fragment)


def test_symbol_must_not_be_empty(tmp_path):
    cfg = Config({SYMBOLS: ['""']})
    result = assert_error(cfg, tmp_path, SYMBOLS + "[0]", "must be at least 1 characters long", only=False)
    assert all(e.startswith(cfg.at(SYMBOLS + "[0]")) for e in result.errors)


@pytest.mark.parametrize("name", ["DESK_KEY", "_K1", "desk_key", "A"])
def test_credentials_env_names_valid(tmp_path, name):
    cfg = Config({D + "credentials": {"api_key_env": name, "api_secret_env": "DESK_SECRET"}})
    assert_valid(cfg, tmp_path)
    assert load_desired([cfg.file]).leaders["desk"].credentials.api_key_env == name


@pytest.mark.parametrize("name", ["1KEY", "MY-KEY", '""', "MY KEY", "KEY$"])
@pytest.mark.parametrize("field", ["api_key_env", "api_secret_env"])
def test_credentials_env_names_invalid(tmp_path, field, name):
    cfg = Config({D + "credentials": {field: name}})
    assert_error(cfg, tmp_path, f"{D}credentials.{field}", "must be the name of an environment variable")


def test_credentials_default_to_leaderctl_variables(tmp_path):
    cfg = Config(name="desk-btc")
    assert_valid(cfg, tmp_path)
    creds = load_desired([cfg.file]).leaders["desk-btc"].credentials
    assert (creds.api_key_env, creds.api_secret_env) == ("LEADERCTL_DESK_BTC_API_KEY", "LEADERCTL_DESK_BTC_API_SECRET")


# --- leader names across files ---------------------------------------------------------------------------


def test_leader_name_unique_across_files(tmp_path):
    first = Config()
    second = Config({"version": "1"})
    first.write(tmp_path, "a.yaml")
    second.write(tmp_path, "b.yaml")
    result = validate(first.file, second.file)
    assert result.exit_code == 1
    line, col = first.keys[("leaders", "desk")]
    assert result.errors == [
        second.at(D[:-1], key=True) + f"leader 'desk' is already defined at {first.file}:{line}:{col}: leader names must be unique across files"
    ]


def test_leader_name_unique_across_files_even_when_the_first_is_invalid(tmp_path):
    first = Config({D + "settings.position_type": "margin"})
    second = Config()
    first.write(tmp_path, "a.yaml")
    second.write(tmp_path, "b.yaml")
    result = validate(tmp_path)
    assert result.exit_code == 1
    assert len(result.errors) == 2
    assert result.errors[0].startswith(first.at(D + "settings.position_type"))
    assert result.errors[1].startswith(second.at(D[:-1], key=True) + "leader 'desk' is already defined at " + str(first.file))


def test_different_leaders_in_two_files_are_fine(tmp_path):
    Config().write(tmp_path, "a.yaml")
    Config(name="other").write(tmp_path, "b.yaml")
    result = validate(tmp_path)
    assert (result.exit_code, result.stdout.strip()) == (0, "valid: 2 leaders in 2 files")


def test_the_same_file_twice_is_not_a_duplicate(tmp_path):
    path = Config().write(tmp_path)
    result = validate(path, tmp_path, Path(str(tmp_path) + "/./leaders.yaml"))
    assert (result.exit_code, result.stdout.strip()) == (0, "valid: 1 leader in 1 file")
