"""Per-process caches of configuration rows, invalidated across processes by a generation row.

SLA policies, schedules and rules are read on every ticket write but edited a few times a day.
A namespace ("sla", "rules") has one `ConfigGeneration` row; every write to a model that
`watch()`es the namespace sets a new random token in that row, in the writer's own transaction.
`cached(namespace, key, load)` reads the token (one indexed single-row SELECT) and returns what
this process loaded under the same token, or calls `load()` again.

Why it is right:
- the token changes in the same transaction as the rows, so a reader that sees the new rows sees
  the new token (and a writer's own transaction sees both at once);
- a rolled-back write rolls its token back too, and tokens are random, never counters: a token
  never names two different sets of rows (a counter would, after a rollback and a new write);
- saves and deletes bump through signals; `QuerySet.update`, `bulk_create`, `bulk_update` and
  `delete` bump through the watched models' manager (`watched_manager`), so no write path forgets.

Cached values are shared by every request of the process: treat them as read-only.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

_cache: dict[tuple[str, str], tuple[str, Any]] = {}
_watched: dict[type[models.Model], str] = {}


def bump(namespace: str) -> None:
    """A new generation of `namespace`, in the current transaction."""
    from switchboard.core.models import ConfigGeneration

    ConfigGeneration.objects.bulk_create(
        [ConfigGeneration(name=namespace, token=secrets.token_hex(8))],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["token"],
    )


def current(namespace: str) -> str:
    """The namespace's token as this transaction sees it ("" before its first write)."""
    from switchboard.core.models import ConfigGeneration

    table = connection.ops.quote_name(ConfigGeneration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} WHERE name = %s", [namespace])  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else ""


def cached(namespace: str, key: str, load: Callable[[], T]) -> T:
    """`load()`'s value, loaded once per generation of `namespace` in this process."""
    token = current(namespace)
    hit = _cache.get((namespace, key))
    if hit is not None and hit[0] == token:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    _cache[(namespace, key)] = (token, value)
    return value


def clear() -> None:
    """Forget every cached value of this process (tests that write around the ORM)."""
    _cache.clear()


# --- watching models ---------------------------------------------------------------------------


def _bump_for(sender: type[models.Model], **kwargs: Any) -> None:
    namespace = _watched.get(sender)
    if namespace is not None and not kwargs.get("raw", False):
        bump(namespace)


def _bump_for_m2m(sender: Any, action: str, instance: models.Model, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        namespace = _watched.get(type(instance))
        if namespace is not None:
            bump(namespace)


def watch(namespace: str, *model_classes: type[models.Model]) -> None:
    """Every save, delete or many-to-many change of these models bumps `namespace`. Their
    default manager must be `watched_manager(namespace)` (the bulk paths); checked here."""
    for model in model_classes:
        manager = model._default_manager
        if getattr(manager, "generation_namespace", None) != namespace:
            raise TypeError(f"{model.__name__}.objects must be watched_manager({namespace!r})")
        _watched[model] = namespace
        post_save.connect(_bump_for, sender=model, dispatch_uid=f"gen-save-{model._meta.label}")
        post_delete.connect(_bump_for, sender=model, dispatch_uid=f"gen-del-{model._meta.label}")
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                _bump_for_m2m,
                sender=field.remote_field.through,
                dispatch_uid=f"gen-m2m-{model._meta.label}-{field.name}",
            )


class _WatchedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    generation_namespace = ""

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if count:
            bump(self.generation_namespace)
        return count

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            bump(self.generation_namespace)
        return created

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        count = super().bulk_update(objs, fields, batch_size=batch_size)
        if count:
            bump(self.generation_namespace)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        if deleted[0]:
            bump(self.generation_namespace)
        return deleted


def watched_manager(namespace: str) -> models.Manager[Any]:
    """The default manager of a model whose rows `namespace`'s caches hold."""
    queryset = type(f"WatchedQuerySet_{namespace}", (_WatchedQuerySet,), {})
    queryset.generation_namespace = namespace
    manager_class = models.Manager.from_queryset(queryset)
    manager = manager_class()
    manager.generation_namespace = namespace  # type: ignore[attr-defined]
    return manager
