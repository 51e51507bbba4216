"""Row editors for rule JSON: conditions as field / operator / value rows in "all" / "any"
groups, actions as rows, so managers configure rules without typing JSON or ids.

Progressive enhancement: `RuleEditorWidget` is the JSON textarea the admin form already posts,
with a catalogue (``data-rule-editor``) that ``core/rule_editor.js`` turns into rows. Without
JavaScript the textarea is edited as before; with it, the textarea stays the form's value (kept in
sync, and shown again by "Edit as JSON"). The server validates the posted JSON with each rule's
own validation (model ``clean()`` / the form), so the editor is never trusted.

This module is the generic half (no app imports). Each rule language builds its catalogue where
it lives: `notify.rules.editor` (triggers, time rules), `tickets.view_editor` (views),
`sla.editor` (SLA policies); names come from `accounts.directory`. A catalogue lists each field
with its label, operators and — where the field has choices — ``[JSON value, label]`` pairs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.utils.text import capfirst

Choices = list[list[Any]]
Schema = dict[str, Any]
SchemaBuilder = Callable[[Any], Schema]  # (request) -> catalogue

OPERATOR_LABELS = {
    "is": "is",
    "is_not": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "not_contains": "does not contain",
    "includes": "includes",
    "not_includes": "does not include",
    "changed": "changed",
    "changed_to": "changed to",
    "changed_from": "changed from",
    "less_than": "less than",
    "greater_than": "greater than",
    "present": "is present",
    "not_present": "is not present",
}
NO_VALUE = ["present", "not_present", "changed"]
MULTI = ["in", "not_in"]
BOOLEAN: Choices = [[True, "Yes"], [False, "No"]]


def label(value: str) -> str:
    return capfirst(value.replace("_", " ")) if value else "(none)"


def plain_choices(values: Iterable[str]) -> Choices:
    return [[v, label(v)] for v in values]


def labelled_choices(text_choices: Iterable[tuple[str, Any]], *, blank: bool = False) -> Choices:
    return ([["", "(none)"]] if blank else []) + [[v, str(text)] for v, text in text_choices]


def field(
    name: str,
    title: str,
    operators: Iterable[str],
    *,
    choices: Choices | None = None,
    kind: str = "text",
) -> dict[str, Any]:
    """One field of a conditions catalogue; `kind` is text, number or tags (space-separated)."""
    return {
        "name": name,
        "label": title,
        "operators": list(operators),
        "choices": choices,
        "type": kind,
    }


def conditions_schema(shape: str, fields: list[dict[str, Any]]) -> Schema:
    """`shape`: "list" (one list of conditions) or "groups" (``{"all": [...], "any": [...]}``)."""
    return {
        "kind": "conditions",
        "shape": shape,
        "fields": fields,
        "operator_labels": OPERATOR_LABELS,
        "no_value": NO_VALUE,
        "multi": MULTI,
    }


def request_cache(request: Any, key: str, load: Callable[[], Any]) -> Any:
    """`load()` once per request: a page with several editors looks each list of names up once."""
    cache = getattr(request, "_rule_editor_cache", None)
    if cache is None:
        cache = {}
        if request is not None:
            request._rule_editor_cache = cache
    if key not in cache:
        cache[key] = load()
    return cache[key]


class RuleEditorWidget(forms.Textarea):
    """The JSON textarea plus the catalogue the row editor reads; built at render time."""

    def __init__(self, schema: Callable[[], Schema], *, heading: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema
        self.heading = heading

    class Media:
        js = ("core/rule_editor.js",)
        css = {"all": ("core/rule_editor.css",)}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        schema = dict(self.schema())
        if self.heading:
            schema["heading"] = self.heading
        attrs = {**(attrs or {}), "data-rule-editor": json.dumps(schema)}
        return super().get_context(name, value, attrs)


class RuleEditorAdmin:
    """Admin mixin: `rule_editors` maps a JSON field to (catalogue builder, heading)."""

    rule_editors: dict[str, tuple[SchemaBuilder, str]] = {}

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        spec = self.rule_editors.get(db_field.name)
        if spec is not None:
            build, heading = spec
            kwargs["widget"] = RuleEditorWidget(
                lambda: build(request), heading=heading, attrs={"rows": 6}
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
