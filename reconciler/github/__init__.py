"""leaderctl inside GitHub Actions: `leaderctl github ...` and `leaderctl init github`.

Modules: `api` (the REST client), `actions_env` (the run's environment),
`identity` (whose token this is), `digest` (the plan digest), `comment` (the
plan comment), `review` (apply's check against the merged pull request's
comment), `drift_issue`, `refresh_pr` (the refresh pull request through the git
data API), `step_report` (step summary and annotations), `workflow` (init's
caller workflow), `commands` (the click commands: they call the core directly),
`stale` (marks the plan comment stale when leaderctl could not even be
installed).

`api`, `actions_env`, `comment` and `stale` use the standard library only, so
`python -m reconciler.github.stale` works from the action's checkout before (or
without) installing leaderctl's dependencies.
"""
