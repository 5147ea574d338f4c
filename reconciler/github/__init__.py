"""leaderctl inside GitHub Actions: `leaderctl github ...` and `leaderctl init github`.

Modules: `api` (the REST client), `actions_env` (the run's environment),
`digest` (the plan digest), `comment` (the plan comment), `review` (apply's
check against the merged pull request's comment), `drift_issue`, `workflow`
(init's caller workflow), `core` (every call into the rest of leaderctl),
`commands` (the click commands), `stale` (marks the plan comment stale when
leaderctl could not even be installed).

`api`, `actions_env`, `comment` and `stale` use the standard library only, so
`python -m reconciler.github.stale` works from the action's checkout before (or
without) installing leaderctl's dependencies.
"""
