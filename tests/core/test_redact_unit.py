"""`reconciler.redact`: every secret of a leader, collected in one place, masked by value in
any letter case; and the sinks of `github.step_report` and `notify` and the stale banner built from `render.escape`."""
from __future__ import annotations

import io
import json
import logging

import pytest
from inert_kit import live_markup

from reconciler import notify, redact
from reconciler.github import step_report
from reconciler.errors import LeaderctlError
from reconciler.github import comment
from reconciler.model import Action, Change, LeaderPlan, LeaderStatus, Plan, Problem
from reconciler.render.escape import for_markdown, for_slack, for_terminal, markdown_block


@pytest.fixture(autouse=True)
def _empty_book():
    redact.forget()
    yield
    redact.forget()


def spec_with(code=None, code_env=None):
    from reconciler.importer import bare_spec
    from dataclasses import replace

    spec = bare_spec("desk")
    return replace(spec, settings=replace(spec.settings, invite_code=code), invite_code_env=code_env)


def test_a_leaders_secrets_are_collected_in_one_place(monkeypatch):
    spec = spec_with(code="InFile26", code_env="DESK_CODE")
    monkeypatch.setenv(spec.credentials.api_key_env, "KeyAbc123xyz")
    monkeypatch.setenv(spec.credentials.api_secret_env, "SecDef456uvw")
    monkeypatch.setenv("DESK_CODE", "InEnv2026")
    assert set(redact.leader_secrets(spec)) == {"KeyAbc123xyz", "SecDef456uvw", "InFile26", "InEnv2026"}
    redact.remember_leader(spec)
    redact.remember_live_config({"inviteCode": "LiveOne9", "profitRate": "0.1"})
    text = "keyabc123xyz SECDEF456UVW infile26 INENV2026 liveone9 0.1"
    assert redact.mask(text) == " ".join(["(sensitive)"] * 5) + " 0.1"


def test_masking_takes_the_longest_secret_first_and_leaves_nothing_of_it():
    redact.remember("abcdef", "abcdefghij")
    assert redact.mask("xxABCDEFGHIJxx") == "xx(sensitive)xx"
    assert redact.mask("nothing here") == "nothing here"
    assert redact.mask_tree({"a": ["ABCDEF", 1, None], "abcdef": True}) == {"a": ["(sensitive)", 1, None], "(sensitive)": True}


def test_the_book_is_emptied_when_a_command_starts():
    from click.testing import CliRunner

    from reconciler.cli import cli

    redact.remember("leftover-secret")
    CliRunner().invoke(cli, ["schema"])
    assert redact.mask("leftover-secret") == "leftover-secret"


def test_the_log_filter_masks_every_record_that_passes_the_handler():
    redact.remember("tAQfOrPIZAhym0qH")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redact.MaskFilter())
    logger = logging.getLogger("leaderctl.test-redact")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("key %s echoed", "TAQFORPIZAHYM0QH")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "key (sensitive) echoed\n"


def test_every_sink_function_masks_before_it_escapes():
    redact.remember("a<b|c`d")  # a secret made of every sink's metacharacters
    for sink in (for_terminal, for_markdown, for_slack, markdown_block):
        assert "(sensitive)" in sink("x A<B|C`D y")


def test_examples_of_each_sinks_escaping():
    assert for_terminal("a\x1b[2Jb\x07\r\n\u202ec\x9b") == "a\\x1b[2Jb\\x07\\x0d\\x0a\\u202ec\\x9b"
    assert for_markdown("@octocat") == "`@octocat`"
    assert for_markdown("a|b") == "`a`\\|`b`"
    assert for_markdown("x ``` y") == "````x ``` y````"
    assert for_markdown("`x`") == "`` `x` ``"
    assert for_markdown("a" * 600) == "`" + "a" * 499 + "…`"
    assert for_slack("<!channel> & <https://evil.example|ok> @here") == "&lt;!channel&gt; &amp; &lt;https://evil.example|ok&gt; @\u2060here"
    assert markdown_block("a\n```\nb") == "````\na\n```\nb\n````"


HOSTILE = "@octocat [x](https://evil.example) ``` </details> <img src=x>\n# heading\n::error::forged"


def test_a_failure_in_the_step_summary_cannot_break_out_of_its_block(tmp_path, monkeypatch, capsys):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    redact.remember("Desk2026X")
    step_report.report_failure("plan", LeaderctlError(HOSTILE + " code DESK2026X"))
    text = summary.read_text()
    assert live_markup(text) == [], text
    assert "desk2026x" not in text.lower()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("::error title=") and "desk2026x" not in err.lower()  # one line: nothing forged


def test_annotations_and_webhook_text_from_exchange_text(monkeypatch):
    redact.remember("Desk2026X")
    lp = LeaderPlan("desk", LeaderStatus.CHANGES,
                    changes=[Change("symbols", "symbolIds", Action.REMOVE, before="<!channel>")],
                    problems=[Problem(HOSTILE + " DESK2026X", code=-1130)])
    lines = step_report.annotations(Plan(leaders=[lp]))
    assert len(lines) == 2 and all("\n" not in line and "desk2026x" not in line.lower() for line in lines)
    payload = notify.webhook_payload(Plan(leaders=[lp]))
    assert "<!channel>" not in payload["text"] and "&lt;!channel&gt;" in payload["text"]
    assert "desk2026x" not in json.dumps(payload).lower()


def test_the_stale_banner_shows_the_reason_as_inert_markdown():
    body = comment.stale_body(comment.plan_marker("examples/", "0" * 64) + "\nold plan", "examples/", HOSTILE, None)
    assert live_markup(body) == [], body
    assert body.count("<!-- leaderctl-stale -->") == 1 and "\n# heading" not in body


def test_remembering_many_secrets_masks_each_and_a_late_one():
    """3,000 secrets (a 1,000-leader run) then one more: the pattern is built when first
    needed after a change, not at every remember (that was quadratic)."""
    from reconciler import redact

    redact.forget()
    try:
        for i in range(3000):
            redact.remember(f"secret-value-{i:05d}")
        assert redact.mask("a secret-value-02999 b SECRET-VALUE-00000") == "a (sensitive) b (sensitive)"
        redact.remember("late-one-here")
        assert redact.mask("late-one-here") == "(sensitive)"
    finally:
        redact.forget()
