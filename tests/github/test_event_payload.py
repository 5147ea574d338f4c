"""CONTRACT §9 (odd inputs): an event payload (GITHUB_EVENT_PATH) that is not what GitHub
Actions writes is one clear line naming the file and the field, exit 1, nothing sent to
GitHub or the exchange: never "internal error"."""
from __future__ import annotations

import pytest
from github_kit import HEAD_SHA, MERGE_SHA

GOOD_HEAD = {"sha": HEAD_SHA, "repo": {"full_name": "acme/leaders"}}
GOOD_BASE = {"repo": {"full_name": "acme/leaders"}}


def _pr(**fields):
    pr = {"number": 7, "head": GOOD_HEAD, "base": GOOD_BASE}
    pr.update(fields)
    return {"pull_request": {k: v for k, v in pr.items() if v is not ...}}


PLAN_PAYLOADS = [
    (_pr(head="feature-branch"), "pull_request.head is a string, not an object"),
    (_pr(head=...), "pull_request.head is missing"),
    (_pr(head={"repo": {"full_name": "acme/leaders"}}), "pull_request.head.sha is missing"),
    (_pr(head={"sha": 7, "repo": None}), "pull_request.head.sha is a number, not a string"),
    (_pr(head={"sha": HEAD_SHA, "repo": "acme/leaders"}), "pull_request.head.repo is a string, not an object"),
    (_pr(head={"sha": HEAD_SHA, "repo": {"full_name": ["acme/leaders"]}}), "pull_request.head.repo.full_name is a list, not a string"),
    (_pr(base={"repo": {"full_name": ""}}), "pull_request.base.repo.full_name is not OWNER/REPO"),
    (_pr(head={"sha": HEAD_SHA, "repo": {"full_name": "acme"}}), "pull_request.head.repo.full_name is not OWNER/REPO"),
    (_pr(head={"sha": HEAD_SHA, "repo": {"full_name": "acme/leaders\n"}}), "pull_request.head.repo.full_name is not OWNER/REPO"),
    (_pr(base="main"), "pull_request.base is a string, not an object"),
    (_pr(base={"repo": {"name": "leaders"}}), "pull_request.base.repo.full_name is missing"),
    (_pr(number="7"), "pull_request.number is a string, not an integer"),
    (_pr(number=True), "pull_request.number is a boolean, not an integer"),
    (_pr(number=0), "pull_request.number is 0, not a pull request number"),
    ({"pull_request": "7"}, "pull_request is a string, not an object"),
    ({"pull_request": [7]}, "pull_request is a list, not an object"),
]


@pytest.mark.parametrize("payload, detail", PLAN_PAYLOADS, ids=[d for _, d in PLAN_PAYLOADS])
def test_a_malformed_pull_request_payload_is_one_line(kit, payload, detail):
    r = kit.run("plan", "examples/", payload=payload)
    assert r.code == 1 and r.outputs == {"exitcode": "1"}, r.output
    assert "internal error" not in r.output and "Traceback" not in r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith(f"Error: GITHUB_EVENT_PATH ({kit.root}/event-") and detail in line, line
    assert kit.gh.requests == [] and kit.exchange_requests() == []


RAW_PAYLOADS = [
    (b"{not json", "is not JSON (line 1, column 2)"),
    (b"", "is not JSON"),
    (b"\xff\xfe{}", "is not JSON"),
    (b"[1, 2]", "holds a list, not an object"),
    (b'"pull_request"', "holds a string, not an object"),
    (b"null", "holds null, not an object"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
]


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
@pytest.mark.parametrize("raw, detail", RAW_PAYLOADS, ids=[d for _, d in RAW_PAYLOADS])
def test_a_payload_that_is_not_a_json_object_is_one_line(kit, command, raw, detail):
    path = kit.root / "event.json"
    path.write_bytes(raw)
    event = {"plan": "pull_request", "apply": "push", "drift": "schedule"}[command]
    r = kit.run(command, "examples/", event=event, sha=MERGE_SHA, env={"GITHUB_EVENT_PATH": str(path)})
    assert r.code == 1 and r.outputs == {"exitcode": "1"}, r.output
    assert "internal error" not in r.output and "Traceback" not in r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith(f"Error: GITHUB_EVENT_PATH ({path})") and detail in line, line
    assert kit.gh.requests == [] and kit.exchange_requests() == []


def test_a_payload_that_cannot_be_read_is_one_line(kit):
    r = kit.run("plan", "examples/", env={"GITHUB_EVENT_PATH": str(kit.root / "missing.json")})
    assert r.code == 1 and "GITHUB_EVENT_PATH: cannot read" in r.stderr and "internal error" not in r.output


@pytest.mark.parametrize("payload, detail", [
    ({"repository": "acme/leaders"}, "repository is a string, not an object"),
    ({"repository": {"default_branch": ["main"]}}, "repository.default_branch is a list, not a string"),
])
def test_a_malformed_push_payload_is_one_line_and_nothing_is_applied(kit, payload, detail):
    r = kit.run("apply", "examples/", event="push", payload=payload, sha=MERGE_SHA)
    assert r.code == 1 and "internal error" not in r.output, r.output
    assert detail in r.stderr
    assert kit.gh.requests == [] and kit.exchange_requests() == []


def test_a_control_character_in_the_path_stays_on_one_line(kit):
    path = kit.root / "ev\nent.json"
    path.write_text('{"pull_request": {"number": 7, "head": "x"}}', encoding="utf-8")
    r = kit.run("plan", "examples/", env={"GITHUB_EVENT_PATH": str(path)})
    assert r.code == 1
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("Error:")]
    assert "ev\\x0aent.json" in line and "pull_request.head is a string" in line
