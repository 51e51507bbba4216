"""The diff of a sync or import as text lines (the commands and the admin preview print it)."""

from __future__ import annotations

from collections.abc import Iterator

from switchboard.crm.sync import Change, Plan


def change_lines(change: Change) -> Iterator[str]:
    head = f"{change.action} {change.kind} {change.subject}"
    if change.crm_id and change.crm_id != change.subject:
        head += f" [{change.crm_id}]"
    if change.message:
        yield f"{head}: {change.message}"
        return
    yield head
    for name, (old, new) in change.fields.items():
        yield (
            f"    {name}: {old or '∅'} → {new or '∅'}"
            if change.action == "update"
            else f"    {name}: {new}"
        )


def plan_lines(plan: Plan, *, limit: int = 5000) -> Iterator[str]:
    for change in plan.changes[:limit]:
        yield from change_lines(change)
    shown = len(plan.changes[:limit])
    total = sum(
        v for k, v in plan.counts.items() if k.endswith(("_create", "_update", "_flag", "_skip"))
    )
    if total > shown:
        yield f"… and {total - shown} more changes (counted below)."
    yield "Counts: " + ", ".join(f"{k} {v}" for k, v in sorted(plan.counts.items()))
