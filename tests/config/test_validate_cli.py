"""`leaderctl validate` and `leaderctl schema` as a user runs them: exit codes,
located messages on stderr, every error of every file in one sorted run, no
traceback, no network, no heavy imports, and never the invite code in any output.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DESK_BTC = (EXAMPLES / "desk-btc.yaml").read_text(encoding="utf-8")
INVITE = """\
      invite:
        required: true
        scope: 2
        code_env: DESK_BTC_INVITE_CODE
"""
LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): ")


def run(*args, env=None):
    return CliRunner().invoke(cli, list(map(str, args)), env=env)


def desk_btc(replacements: dict[str, str]) -> str:
    """The desk-btc example with some of its text replaced (first occurrence each)."""
    text = DESK_BTC
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def python(*args, timeout=60, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


# --- valid ----------------------------------------------------------------------------------


def test_examples_are_valid():
    result = run("validate", EXAMPLES)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "valid: 7 leaders in 6 files\n", "")


# each file on its own, except the fleet, whose leaders extend the profiles of another file
STANDALONE = sorted(p for p in EXAMPLES.rglob("*.yaml") if "fleet" not in p.parts and p.name != "policy.yaml")  # the policy: no leader of its own


@pytest.mark.parametrize("path", STANDALONE + [EXAMPLES / "fleet"], ids=lambda p: p.name)
def test_each_example_is_valid_on_its_own(path):
    result = run("validate", path)
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"valid: \d leaders? in \d files?\n", result.stdout)


# --- invalid ----------------------------------------------------------------------------------


def test_invalid_config_exits_1_with_located_messages_on_stderr(tmp_path):
    path = write(tmp_path / "bad.yaml", desk_btc({"position_type: cross": "position_type: margin"}))
    line = DESK_BTC.splitlines().index("      position_type: cross") + 1
    result = run("validate", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"{path}:{line}:22: leaders.desk-btc.settings.position_type: must be one of: all, cross, isolated (got 'margin')\n"


def test_all_errors_of_all_files_sorted(tmp_path):
    two_errors = desk_btc({"period: weekly": "period: monthly", "scope: 2": 'scope: "2"'})
    # each copy with credential variables of its own (a shared one is an error of its own)
    c = write(tmp_path / "c.yaml", two_errors.replace("desk-btc:", "desk-c:").replace("DESK_BTC_API", "DESK_C_API"))
    a = write(tmp_path / "conf" / "a.yaml", two_errors.replace("desk-btc:", "desk-a:").replace("DESK_BTC_API", "DESK_A_API"))
    b = write(tmp_path / "conf" / "b.yml", desk_btc({"version: 1\n": "version: 1\nzzz: 1\n", "desk-btc:": "Desk-B:"}))
    result = run("validate", c, tmp_path / "conf", tmp_path / "missing.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    where = [LOCATED.match(line) for line in lines[:-1]]  # the missing file has no position (the last line)
    assert all(where), lines
    keys = [(m["file"], int(m["line"]), int(m["col"])) for m in where]
    assert keys == sorted(keys)
    assert [k[0] for k in keys] + [lines[-1].split(": ", 1)[0]] == [str(c)] * 2 + [str(a)] * 2 + [str(b)] * 2 + [str(tmp_path / "missing.yaml")]
    assert "leaders.desk-a.settings.profit_sharing.period: must be one of: daily, weekly" in lines[0 + 2]
    assert "leaders.desk-a.settings.invite.scope: expected an integer, got a string" in lines[1 + 2]
    version = DESK_BTC.splitlines().index("version: 1") + 1
    assert lines[4] == f"{b}:{version + 1}:1: zzz: unknown key 'zzz'; allowed keys: leaders, policy, profiles, version"
    assert lines[5].startswith(f"{b}:{version + 3}:3: leaders.Desk-B: invalid leader name 'Desk-B': use lowercase letters")
    assert lines[6] == f"{tmp_path / 'missing.yaml'}: no such file or directory"


def test_errors_are_sorted_by_line_number_not_as_text(tmp_path):
    lines = DESK_BTC.splitlines()
    text = desk_btc({"version: 1": "version: 2", 'rate: "0.2"': 'rate: "2"'})
    path = write(tmp_path / "x.yaml", text)
    result = run("validate", path)
    assert [int(LOCATED.match(e)["line"]) for e in result.stderr.splitlines()] == [
        lines.index("version: 1") + 1, lines.index('        rate: "0.2"') + 1,
    ]  # fmt: skip


def test_nonexistent_path(tmp_path):
    result = run("validate", EXAMPLES, tmp_path / "nope")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{tmp_path / 'nope'}: no such file or directory\n"


def test_directory_without_yaml(tmp_path):
    write(tmp_path / "README.md", "# no configs here\n")
    result = run("validate", tmp_path)
    assert (result.exit_code, result.stderr) == (1, f"{tmp_path}: no *.yaml or *.yml files in this directory\n")


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "file is empty"),
        (b"# nothing\n", "file is empty"),
        (b"\x00\x01\x02", "binary file"),
        (b"version: 1\n\xff\xfe\n", "not UTF-8"),
        (b"- a\n- b\n", "got a list"),
        (b"just text\n", "got a string"),
        (b"version: [1\n", "YAML syntax error"),
    ],
)
def test_broken_files_are_one_located_error(tmp_path, content, fragment):
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    result = run("validate", path)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{path}:") and LOCATED.match(line) and fragment in line


@pytest.mark.parametrize("key", ['"a\\rb"', '"a\\nb"', '"a\\u2028b"', '"a\\x85b"'])
def test_a_key_with_a_line_break_stays_on_one_message_line(tmp_path, key):
    path = write(tmp_path / "k.yaml", desk_btc({"version: 1\n": f"version: 1\n{key}: 1\n"}))
    result = run("validate", path)
    line = DESK_BTC.splitlines().index("version: 1") + 2
    assert result.exit_code == 1
    [message] = result.stderr.splitlines()
    assert message.startswith(f"{path}:{line}:1: a\\") and "unknown key" in message


def test_an_internal_error_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    import reconciler.operations

    def broken(paths):
        raise RuntimeError("boom")

    monkeypatch.setattr(reconciler.operations, "load_desired", broken)
    monkeypatch.delenv("LEADERCTL_DEBUG", raising=False)
    result = run("validate", EXAMPLES)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith("internal error: RuntimeError") and len(result.stderr.splitlines()) == 1


# --- offline: nothing written, nothing called ----------------------------------------------------


def test_validate_is_offline_and_writes_nothing(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("validate tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.chdir(tmp_path)
    bad = write(tmp_path / "bad.yaml", desk_btc({"scope: 2": "scope: -1"}))
    before = sorted(p for p in tmp_path.rglob("*"))
    assert run("validate", EXAMPLES).exit_code == 0
    assert run("validate", bad).exit_code == 1
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert bad.read_text() == desk_btc({"scope: 2": "scope: -1"})


def test_validate_does_not_import_httpx_or_deepdiff():
    code = (
        "import sys\n"
        "from reconciler.cli import main\n"
        f"sys.argv = ['leaderctl', 'validate', {str(EXAMPLES)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(code, sorted(m for m in ('httpx', 'deepdiff', 'httpcore') if m in sys.modules))\n"
    )
    done = python("-c", code)
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr


# --- as a real process ------------------------------------------------------------------------------


def test_python_m_reconciler_validate_valid():
    done = python("-m", "reconciler", "validate", "examples")
    assert (done.returncode, done.stdout, done.stderr) == (0, "valid: 7 leaders in 6 files\n", "")


def test_python_m_reconciler_validate_invalid(tmp_path):
    path = write(tmp_path / "bad.yaml", desk_btc({"enabled: true": "enabled: maybe", "BTC-SWAP-USDT\n": "BTC-SWAP-USDT\n      - 7\n"}))
    done = python("-m", "reconciler", "validate", str(path), "examples/desks")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{path}:") for line in lines), lines
    assert "leaders.desk-btc.settings.cooldown.enabled: expected true or false, got a string" in lines[0]
    assert "leaders.desk-btc.symbols[1]: expected a string, got an integer" in lines[1]


def test_python_m_reconciler_survives_hostile_files(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    write(tmp_path / "bomb.yaml", bomb)
    write(tmp_path / "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    write(tmp_path / "huge.yaml", f"version: {'9' * 5000}\nrate: 1.0e+999999\nx: .nan\n")
    done = python("-m", "reconciler", "validate", str(tmp_path), timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert all(LOCATED.match(line) for line in lines), lines
    assert {Path(LOCATED.match(line)["file"]).name for line in lines} == {"bomb.yaml", "deep.yaml", "huge.yaml"}


def test_usage_error_exits_1_without_traceback():
    done = python("-m", "reconciler", "validate")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Missing argument" in done.stderr


# --- the invite code is never shown ----------------------------------------------------------------

INVITE_CASES = {
    "too-long": ("SECRETCODE123", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: SECRETCODE123")),
    "chinese": ("中文中文中文", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: 中文中文中文")),
    "mixed-chinese": ("ABC中DEF", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", 'code: "ABC中DEF"')),
    "too-short": ("SHRT5", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: SHRT5")),
    "not-required": ("HIDDEN2026", INVITE.replace("required: true", "required: false").replace("code_env: DESK_BTC_INVITE_CODE", "code: HIDDEN2026")),
    "with-code-env": ("BOTHCODE26", INVITE + "        code: BOTHCODE26\n"),
    "duplicated": ("DUPSECOND1", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: DUPFIRST1\n        code: DUPSECOND1")),
    "as-a-list": ("LISTCODE99", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: [LISTCODE99]")),
    "as-a-float": ("12:34:56.78", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: 12:34:56.78")),
    "as-a-number": ("1234567.5", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: 1234567.5")),
    "valid": ("VALIDCODE1", INVITE.replace("code_env: DESK_BTC_INVITE_CODE", "code: VALIDCODE1")),
}


@pytest.mark.parametrize("case", INVITE_CASES)
def test_invite_code_never_appears_in_the_output(tmp_path, case):
    code, invite = INVITE_CASES[case]
    path = write(tmp_path / "leaders.yaml", desk_btc({INVITE: invite}))
    assert code in path.read_text()
    result = run("validate", path, EXAMPLES / "desks")
    assert result.exit_code == (0 if case == "valid" else 1)
    assert code not in result.output
    assert all(LOCATED.match(line) for line in result.stderr.splitlines())


# --- leaderctl schema -----------------------------------------------------------------------------


def test_schema_command_prints_the_schema():
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((ROOT / "schemas" / "leaders.schema.json").read_text())
    assert result.stdout == (ROOT / "schemas" / "leaders.schema.json").read_text()


def test_schema_command_as_a_process_can_be_piped_into_a_file(tmp_path):
    done = python("-m", "reconciler", "schema", cwd=tmp_path)
    assert done.returncode == 0
    assert json.loads(done.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_directory_expansion_skips_hidden_files_and_folders(tmp_path):
    from click.testing import CliRunner

    from reconciler.cli import cli

    examples = Path(__file__).resolve().parents[2] / "examples" / "desk-btc.yaml"
    (tmp_path / "leaders.yaml").write_text(examples.read_text())
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "plan.yml").write_text("on: push\njobs: {}\n")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    r = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "1 file" in r.stdout


def test_a_missing_directory_is_named_as_given_without_a_made_up_position(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["plan", "--sandbox", "nosuch/"])
    assert (result.exit_code, result.stderr) == (1, "nosuch/: no such file or directory\n")


def test_validate_format_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "good.yaml"
    good.write_text((Path(__file__).resolve().parents[2] / "examples" / "desk-btc.yaml").read_text())
    r = CliRunner().invoke(cli, ["validate", "--format", "json", "good.yaml"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"format_version": "1", "valid": True, "leaders": ["desk-btc"],
                                    "files": ["good.yaml"], "warnings": []}
    (tmp_path / "bad.yaml").write_text("version: 1\nleaders:\n  d:\n    settings: {position_type: diagonal}\n    symbols: []\n")
    r = CliRunner().invoke(cli, ["validate", "--format", "json", "bad.yaml", "nosuch/"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["valid"] is False
    assert {"file": "bad.yaml", "line": 4, "col": 31, "path": "leaders.d.settings.position_type",
            "message": "must be one of: all, cross, isolated (got 'diagonal')"} in doc["issues"]
    assert {"file": "bad.yaml", "line": 5, "col": 14, "path": "leaders.d.symbols", "message": "must have at least 1 item"} in doc["issues"]
    assert doc["issues"][-1] == {"file": "nosuch/", "line": 0, "col": 0, "path": "", "message": "no such file or directory"}
