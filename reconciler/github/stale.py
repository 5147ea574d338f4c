"""Mark a pull request's plan comment stale when leaderctl could not run at all.

`leaderctl github plan` marks its own comment stale when it fails. This covers
the case where it never started: installing it failed. The action then runs

    PYTHONPATH=<action checkout> python -m reconciler.github.stale --reason TEXT PATH...

with nothing but the standard library (this module, `api`, `actions_env` and
`comment` import nothing else). It never fails the job on its own: the job has
failed already; a problem here is a warning.
"""
from __future__ import annotations

import argparse
import sys

from reconciler.github import comment
from reconciler.github.actions_env import ActionsEnv
from reconciler.github.api import GitHubApi
from reconciler.github.identity import Identity


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconciler.github.stale")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--reason", default="leaderctl could not be installed")
    args = parser.parse_args(argv)
    try:
        env = ActionsEnv.from_environ()
        pr = env.pull_request()
        if env.event_name != "pull_request" or pr is None or pr.from_fork or not env.token or not env.repository:
            return 0  # no comment of ours to mark, or no token that could
        api = GitHubApi(env.api_url, env.token)
        key = comment.path_key(args.paths)
        if comment.mark_stale(api, env.repository, pr.number, key, args.reason, env.run_url, Identity(api)):
            print(f"marked the plan comment for {key} on #{pr.number} stale")
    except Exception as e:  # noqa: BLE001 - never a traceback, never a second failure
        print(f"::warning title=leaderctl::could not mark the plan comment stale: {comment.one_line(str(e))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
