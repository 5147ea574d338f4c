"""Who the job's token writes as: the one author whose plan comments (and drift issues)
leaderctl takes for its own.

A comment's marker, its author association (MEMBER, COLLABORATOR, ...) or its
author's type (`Bot`) prove nothing: anyone can type a marker, and members and
other bots are not this job. Only the login the token itself writes as is trusted:

- the job's own token (the action passes `LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN=true`
  when its `github-token` input is `github.token`, the default) writes as
  `github-actions[bot]`: no request needed;
- any other token: `GET /user`. A user's token (a personal access token, an
  OAuth or GitHub App user token) is answered with that user's login. An
  installation token (the job's GITHUB_TOKEN run by hand, or another GitHub App's)
  is answered 403, and GitHub's REST API has no read-only way to tell which app it
  belongs to: leaderctl takes it for the job's token (`github-actions[bot]`),
  unless the action said it is not, and checks the author of every comment it
  writes (`check_author`), so a token of another app fails loudly instead of
  leaving comments that nobody trusts.

Standard library only (see `stale`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from reconciler.github.api import GitHubError, item, value

JOB_BOT = "github-actions[bot]"
JOB_TOKEN_ENV = "LEADERCTL_GITHUB_TOKEN_IS_JOB_TOKEN"
ADVICE = ("use the job's token (the action's default github-token) or a user's token (a personal access token), "
          "whose author leaderctl can tell from GET /user")


def same(a: str, b: str) -> bool:
    """GitHub logins are unique whatever their letter case."""
    return a.lower() == b.lower()


class IdentityError(GitHubError):
    """The token's author cannot be told, so no comment can be trusted as ours."""


@dataclass
class Identity:
    """The login the token writes as, found once (lazily: only when a comment must be judged)."""

    api: object
    environ: dict = field(default_factory=lambda: dict(os.environ))
    _login: str | None = None

    def login(self) -> str:
        if self._login is None:
            self._login = self._find()
        return self._login

    def _find(self) -> str:
        said = (self.environ.get(JOB_TOKEN_ENV) or "").strip().lower()
        if said == "true":
            return JOB_BOT
        what = "finding who the GitHub token writes as"
        try:
            r = self.api.get("/user", what=what)
        except GitHubError as e:
            if e.status != 403:
                raise
            if said == "false":
                raise IdentityError(
                    "the github-token is a GitHub App's installation token other than the job's (GET /user answered 403): "
                    f"leaderctl cannot tell which comments that app wrote, so it trusts none: {ADVICE}"
                ) from None
            return JOB_BOT
        user = item(r.data, "", what=what, where=r.where)
        login = value(user, "login", (str,), "", what=what, where=r.where)
        if not login or not login.isprintable() or len(login) > 100:
            raise IdentityError(f"GitHub answered GET /user with a login leaderctl cannot use: {ADVICE}")
        return login

    def wrote(self, entry: dict) -> bool:
        """True when `entry` (a comment or an issue, already shape-checked) was written by this token."""
        user = entry.get("user")
        return isinstance(user, dict) and isinstance(user.get("login"), str) and same(user["login"], self.login())

    def check_author(self, entry, what: str) -> None:
        """After a write: the comment GitHub answered with must be this token's; else stop."""
        user = entry.get("user") if isinstance(entry, dict) else None
        login = user.get("login") if isinstance(user, dict) else None
        if isinstance(login, str) and same(login, self.login()):
            return
        shown = login if isinstance(login, str) and login.isprintable() and len(login) <= 100 else "someone else"
        raise IdentityError(
            f"GitHub says the comment written while {what} is by {shown}, not {self.login()}, the author leaderctl "
            f"expected for this token: it will not be trusted as the reviewed plan: {ADVICE}"
        )
