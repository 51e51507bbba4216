"""The ways a configuration row changes that a per-process cache must notice (core/generations.py),
for the cache tests: one dispatch, so every cached list is tested against the same edits."""

from __future__ import annotations

from typing import Any

from django.db import models


def apply_edit(
    edit: str,
    row: models.Model,
    *,
    field: str,
    new: str,
    update: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """`create` / `bulk_create` another row with `field` = `new` (and `fields`), `save` `row` with
    it, `queryset_update` `row` with `update` (default: deactivate it) around the model's save,
    or `delete` it."""
    model = type(row)
    if edit == "create":
        model._default_manager.create(**{field: new}, **fields)
    elif edit == "bulk_create":
        model._default_manager.bulk_create([model(**{field: new}, **fields)])
    elif edit == "save":
        setattr(row, field, new)
        row.save()
    elif edit == "queryset_update":
        model._default_manager.filter(pk=row.pk).update(**(update or {"active": False}))
    elif edit == "delete":
        row.delete()
    else:
        raise ValueError(f"unknown edit {edit!r}")
