"""Apply a plan: one PUT per leader with changes, confirmed by reading back; then
the follower removals.

Money-safe rules: only the body the plan computed is sent; a write answered by a
5XX or a timeout is settled by reading the state back, never assumed; success is
only reported after the read-back matches.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reconciler.live import refresh_config
from reconciler.model import LeaderPlan, LeaderResult, Result
from reconciler.planner import fingerprint, plan_leader

CONVERGED = ("applied", "in_sync")


def exit_code(result: Result) -> int:
    """0 all converged; 3 something was written or is pending but not all converged; 1 nothing written."""
    if all(r.result in CONVERGED for r in result.leaders):
        return 0
    wrote = any(r.put_sent or any(v in ("removed", "pending", "unknown") for v in r.removals.values()) for r in result.leaders)
    return 3 if wrote else 1


class Applier:
    def __init__(self, session, *, max_put_attempts: int = 2):
        self.session = session
        self.max_put_attempts = max_put_attempts

    def apply(self, plans: list[LeaderPlan], contexts: dict) -> Result:
        with ThreadPoolExecutor(self.session.parallelism, thread_name_prefix="apply") as pool:
            futures = [pool.submit(self._one, lp, contexts.get(lp.name)) for lp in plans]
            return Result(leaders=[f.result() for f in futures])

    def _one(self, lp: LeaderPlan, ctx) -> LeaderResult:
        from reconciler.exchange import ExchangeError

        res = LeaderResult(plan=lp, result="in_sync")
        if lp.status == "blocked":
            res.result = "blocked"
            res.messages = [p.message for p in lp.problems]
            return res
        if lp.status == "error" or ctx is None or ctx[1] is None:
            res.result = "failed"
            res.messages = [p.message for p in lp.problems] or ["the leader could not be planned"]
            return res
        spec, client, live = ctx
        put_ok = True
        if lp.changes:
            try:
                put_ok = self._put_and_confirm(lp, spec, client, live, res)
            except ExchangeError as e:  # a ban (418) too: report what was written so far, send nothing more
                put_ok = False
                res.messages.append(f"config {'not confirmed' if res.put_sent else 'not applied'}: {e}")
        for user_id in lp.follower_removals:
            res.removals[user_id] = self._remove(client, user_id, res)
        states = set(res.removals.values())
        wrote = res.put_sent or "removed" in states
        if not put_ok:
            res.result = "partial" if "removed" in states else "failed"
        elif "pending" in states or states & {"failed", "unknown"}:
            res.result = "partial" if (wrote or "pending" in states) else "failed"
        elif wrote:
            res.result = "applied"
        return res

    def _put_and_confirm(self, lp, spec, client, live, res: LeaderResult) -> bool:
        """PUT the body, settle an unknown outcome by reading back, confirm the result."""
        from reconciler.exchange import OutcomeUnknownError

        for attempt in range(1, self.max_put_attempts + 1):
            try:
                client.put_config(lp.body)
                res.put_sent = True
            except OutcomeUnknownError as e:
                res.put_sent = True  # it may have been applied: only a read-back can tell
                after = refresh_config(live, client.get_config())
                if not plan_leader(spec, after).changes:
                    res.messages.append(f"the exchange answered with an unknown outcome ({e.label}); reading back shows the config applied")
                    return True
                if fingerprint(after) == fingerprint(live) and attempt < self.max_put_attempts:
                    res.messages.append(f"the exchange answered with an unknown outcome ({e.label}); reading back shows nothing changed: sending the same config again")
                    continue
                res.messages.append(
                    f"outcome unknown: the exchange answered {e.label} and reading back does not show the desired config; run plan to see the current state"
                )
                return False
            break
        after = refresh_config(live, client.get_config())
        remaining = plan_leader(spec, after).changes
        if remaining:
            diffs = ", ".join(f"{c.path} ({c.action})" for c in remaining)
            res.messages.append(f"the exchange accepted the config but reading it back still differs: {diffs}")
            return False
        return True

    def _remove(self, client, user_id: int, res: LeaderResult) -> str:
        from reconciler.exchange import ExchangeError, OutcomeUnknownError

        for attempt in (1, 2):
            try:
                client.remove_follower(user_id)
                return "removed"
            except OutcomeUnknownError:
                if attempt == 2:
                    res.messages.append(f"follower {user_id}: outcome unknown (the exchange answered 5XX or timed out twice)")
                    return "unknown"
                continue  # DELETE is idempotent: a second try settles it (-32045 = already gone)
            except ExchangeError as e:
                if e.code == -32045:
                    return "not_found" if attempt == 1 else "removed"
                if e.code == -120055:
                    res.messages.append(f"follower {user_id}: pending: has a copy position and cannot be removed yet (-120055); apply again once it is closed")
                    return "pending"
                res.messages.append(f"follower {user_id}: {e}")
                return "failed"
        return "unknown"
