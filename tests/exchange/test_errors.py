"""Every documented code is a row of the code table whose one-line message says what to do."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.errors import LeaderctlError
from reconciler.exchange import (
    CODE,
    CODES,
    AccessDeniedError,
    BannedError,
    ExchangeError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    TransientError,
    TransportError,
    error_for_code,
)

LEADER_CODES = [-1020, -1102, -1130, -120041, -120047, -120067, -120072, -120073, -120078,
                -32090, -32093, -120510, -120511, -120512, -32045, -120055, -1000]
COMMON_CODES = [-1001, -1002, -1003, -1006, -1007, -1021, -1022, -2014, -2015]


@pytest.mark.parametrize("code", LEADER_CODES + COMMON_CODES)
def test_every_documented_code_has_its_own_row(code):
    cls = CODE[code].kind
    assert cls is not ExchangeError and issubclass(cls, ExchangeError)
    err = error_for_code(code, http_status=200, endpoint="PUT /api/v2/copy-trading/leader/config",
                         server_msg="exchange text")
    assert type(err) is cls and err.code == code and err.http_status == 200
    assert isinstance(err, LeaderctlError)
    text = str(err)
    assert "\n" not in text
    assert f"({code}" in text
    assert text.index(f"({code}") > 0 and "): " in text  # "<what happened> (<code>): <what to do>"
    assert err.meaning and err.advice


def test_rows_are_distinct():
    assert len(CODE) == len(CODES)
    assert len({row.meaning for row in CODES}) == len(CODES)


@pytest.mark.parametrize(
    "code, text",
    [
        (-1020, "this API key is read-only (-1020): plan works, apply needs a key with write permission"),
        (-120041, "this account is not an active copy-trading leader (-120041): "),
        (-1022, "the signature was rejected (-1022): check that the API secret matches the API key"),
        (-32090, "a trading pair with current lead orders cannot be disabled (-32090): "
                 "close those orders first or keep the pair in `symbols`"),
    ],
)
def test_examples_from_the_brief(code, text):
    assert str(error_for_code(code)).startswith(text)


def test_unknown_code_keeps_the_code_and_the_exchange_message():
    err = error_for_code(-99999, http_status=400, endpoint="GET /x", server_msg="Something\nodd   happened")
    assert type(err) is RejectedError
    assert err.code == -99999
    assert str(err) == ('the exchange rejected the request (-99999 "Something odd happened"): '
                        "check the exchange's message; retry later if it looks temporary")


def test_parameter_errors_show_which_parameter():
    err = error_for_code(-1130, server_msg="Data sent for paramter 'type' is not valid.")
    assert "'type'" in str(err)


def test_fixed_meaning_codes_do_not_repeat_the_exchange_message():
    assert "whatever" not in str(error_for_code(-1020, server_msg="whatever"))
    assert "already gone" in str(error_for_code(-32045))


def test_transport_level_errors():
    banned = BannedError(endpoint="GET /x", retry_after=120)
    assert banned.http_status == 418 and banned.code is None
    assert str(banned) == ("this IP is banned by the exchange for breaking its rate limit (HTTP 418): "
                           "stop everything and wait 120 s before sending any request from this IP")
    assert "2 minutes up to 3 days" in str(BannedError())
    limited = RateLimitedError(None, http_status=429, retry_after=7)
    assert limited.label == "HTTP 429" and "wait 7 s" in str(limited)
    assert RateLimitedError().label == "-1003"
    unknown = OutcomeUnknownError(http_status=503, endpoint="PUT /p", meaning="PUT /p was answered by a server error")
    assert str(unknown) == ("PUT /p was answered by a server error (HTTP 503): "
                            "the write may or may not have been applied; read the state back")
    timeout = OutcomeUnknownError(kind="ReadTimeout", meaning="PUT /p was sent but got no answer")
    assert timeout.label == "ReadTimeout" and "(ReadTimeout): the write may" in str(timeout)
    assert str(TransportError(kind="ConnectError")).startswith("could not reach the exchange (ConnectError): ")


def test_long_exchange_messages_are_cut():
    err = ExchangeError(1, server_msg="x" * 1000)
    assert len(str(err)) < 400


def test_detail_is_the_message_without_the_code_label():
    err = error_for_code(-1130, server_msg="Data sent for paramter 'type' is not valid.")
    assert str(err).startswith("the exchange rejected a parameter value for its range, precision or format (-1130 ")
    assert err.detail == ("the exchange rejected a parameter value for its range, precision or format "
                          "(\"Data sent for paramter 'type' is not valid.\"): "
                          "fix the value the exchange names, within the leader's level limits and precision")
    assert "-1130" not in err.detail
    shown = f"[{err.code}] {err.detail}"
    assert shown.count("-1130") == 1
    assert error_for_code(-1020).detail == "this API key is read-only: plan works, apply needs a key with write permission"


def test_exchange_text_is_stored_with_control_characters_escaped():
    err = ExchangeError(-5, server_msg="a\x1b[31mred\x1b[0m\x07\x9b2J\u202eevil\u200b`")
    assert err.server_msg == "a\\x1b[31mred\\x1b[0m\\x07\\x9b2J\\u202eevil\\u200b`"
    for text in (str(err), err.detail):
        assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 or c in "\u202e\u200b" for c in text)


def test_status_unknown_codes_say_so():
    for code in (-1006, -1007):
        err = error_for_code(code)
        assert "status is unknown" in str(err) and "read the state back" in str(err)


def test_huge_ban_times_read_as_days():
    assert "wait 3 days" in str(BannedError(retry_after=1e300))
    assert "wait 2 min" not in str(BannedError(retry_after=120)) and "120 s" in str(BannedError(retry_after=120))
    assert "wait 15 min" in str(RateLimitedError(retry_after=900))


DOCS = Path(__file__).resolve().parents[2] / "docs" / "exchange-api.md"
KINDS = {"access denied": AccessDeniedError, "rejected": RejectedError, "transient": TransientError,
         "rate limited": RateLimitedError, "outcome unknown": OutcomeUnknownError}


def documented_codes() -> dict[int, str]:
    """code -> kind, from the error-code table of docs/exchange-api.md §5."""
    section = DOCS.read_text(encoding="utf-8").split("## §5 Error codes", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"-\d+(, -\d+)*", cells[0]):
            for code in cells[0].split(", "):
                found[int(code)] = cells[2]
    return found


def test_the_docs_table_lists_every_code_the_tests_know():
    assert set(documented_codes()) == set(LEADER_CODES + COMMON_CODES)


@pytest.mark.parametrize("code, kind", sorted(documented_codes().items()))
def test_every_documented_code_is_in_the_table_with_its_kind(code, kind):
    row = CODE[code]
    assert row.code == code and row.kind is KINDS[kind]
    assert row.meaning.strip() and row.advice.strip()
    assert row.meaning != row.advice
    err = error_for_code(code)
    assert isinstance(err, KINDS[kind]) and str(err).startswith(f"{row.meaning} ({code}): {row.advice}")


def test_the_table_holds_no_undocumented_code():
    assert set(CODE) == set(documented_codes())


def test_flags_that_callers_act_on():
    assert [r.code for r in CODES if r.already_done] == [-32045]
    assert {r.code for r in CODES if r.pending} == {-32090, -32093, -120055}
    gone, busy, other = error_for_code(-32045), error_for_code(-120055), error_for_code(-1130)
    assert gone.already_done and not gone.pending
    assert busy.pending and not busy.already_done
    assert not other.already_done and not other.pending
    assert busy.copy().pending  # each thread's copy keeps them


def test_the_caller_can_give_better_advice_for_a_code():
    err = error_for_code(-120512, advice_for={-120512: "use 6 to 10 letters"})
    assert str(err) == "the invite code format is invalid (-120512): use 6 to 10 letters"
    assert "validate" in str(error_for_code(-120512))  # the table's own advice says what to do too
    assert str(error_for_code(-1130, advice_for={-120512: "x"})).endswith("within the leader's level limits and precision")


def test_reads_never_raise_outcome_unknown():
    err = error_for_code(-1006, as_kind=TransientError)
    assert type(err) is TransientError and err.code == -1006 and "status is unknown" in str(err)
