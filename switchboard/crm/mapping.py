"""The Salesforce → Switchboard field mapping: data, its validation, and applying it (pure).

The mapping is a JSON document (stored in ``crm.CrmSettings.mapping``, edited in the admin,
validated by ``validate``)::

    {"customer_type": "Customer",
     "account": [{"source": "Name", "target": "name"}, ...,
                 {"source": "Support_Level__c", "target": "support_level",
                  "values": {"Priority": "priority", "Standard": "standard", "None": "none"}}],
     "contact": {"email": "Email", "first_name": "FirstName", "last_name": "LastName",
                 "account": "AccountId", "sold_to": "Is_Sold_To__c"},
     "case": {"object": "Case", "external_id_field": "Switchboard_Ticket_Id__c"}}

``map_account`` turns one Salesforce record into organization values plus flags. A value that
fails validation is left out (the organization keeps what it has) and flagged; an unknown or
missing support level is flagged and never replaced by a default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from switchboard.accounts.domains import InvalidDomain, normalize_domain
from switchboard.crm.ids import InvalidSalesforceId, normalize_id

# Organization targets and how their values are read.
TARGETS: dict[str, str] = {
    "name": "text",
    "account_type": "text",
    "crm_account_owner": "text",
    "arr": "decimal",
    "seats": "integer",
    "market_segment": "text",
    "support_level": "choice",
    "account_manager": "email",
    "sales_segmentation": "text",
    "product_line": "choice",
    "domain_names": "domains",
    "collaboration_project_url": "url",
    "plan": "text",
}
CHOICES = {
    "support_level": ("none", "standard", "priority"),
    "product_line": ("self_managed", "saas"),
}
TEXT_LIMITS = {
    "name": 255,
    "account_type": 60,
    "crm_account_owner": 255,
    "market_segment": 60,
    "sales_segmentation": 60,
    "plan": 60,
}
CONTACT_KEYS = ("email", "first_name", "last_name", "account", "sold_to")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

DEFAULT_MAPPING: dict[str, Any] = {
    "customer_type": "Customer",
    "account": [
        {"source": "Name", "target": "name"},
        {"source": "Type", "target": "account_type"},
        {"source": "Owner.Name", "target": "crm_account_owner"},
        {"source": "ARR__c", "target": "arr"},
        {"source": "Number_of_Seats__c", "target": "seats"},
        {"source": "Market_Segment__c", "target": "market_segment"},
        {
            "source": "Support_Level__c",
            "target": "support_level",
            "values": {"Priority": "priority", "Standard": "standard", "None": "none"},
        },
        {"source": "Technical_Account_Manager_Email__c", "target": "account_manager"},
        {"source": "Sales_Segmentation__c", "target": "sales_segmentation"},
        {
            "source": "Product_Line__c",
            "target": "product_line",
            "values": {"Self-Managed": "self_managed", "SaaS": "saas"},
        },
        {"source": "Domain__c", "target": "domain_names"},
        {"source": "Collaboration_Project_URL__c", "target": "collaboration_project_url"},
    ],
    "contact": {
        "email": "Email",
        "first_name": "FirstName",
        "last_name": "LastName",
        "account": "AccountId",
        "sold_to": "Is_Sold_To__c",
    },
    "case": {"object": "Case", "external_id_field": "Switchboard_Ticket_Id__c"},
}


class InvalidMapping(ValueError):
    pass


def validate(mapping: Any) -> dict[str, Any]:
    """Return the mapping if it is usable; raise InvalidMapping naming the first problem."""
    if not isinstance(mapping, dict):
        raise InvalidMapping("The mapping must be a JSON object.")
    unknown = set(mapping) - {"customer_type", "account", "contact", "case"}
    if unknown:
        raise InvalidMapping(f"Unknown mapping keys: {', '.join(sorted(unknown))}.")
    if not isinstance(mapping.get("customer_type"), str) or not mapping["customer_type"].strip():
        raise InvalidMapping('"customer_type" must name the account Type to sync (e.g. Customer).')
    rows = mapping.get("account")
    if not isinstance(rows, list) or not rows:
        raise InvalidMapping('"account" must be a list of {"source", "target"} rows.')
    seen: set[str] = set()
    for index, row in enumerate(rows, 1):
        if not isinstance(row, dict) or set(row) - {"source", "target", "values"}:
            raise InvalidMapping(f"account row {index}: use only source, target and values.")
        source, target = row.get("source"), row.get("target")
        if not isinstance(source, str) or not _FIELD.fullmatch(source):
            raise InvalidMapping(f"account row {index}: {source!r} is not a Salesforce field name.")
        if target not in TARGETS:
            raise InvalidMapping(
                f"account row {index}: unknown target {target!r} (one of {', '.join(TARGETS)})."
            )
        if target in seen:
            raise InvalidMapping(f"account row {index}: {target} is mapped twice.")
        seen.add(target)
        values = row.get("values")
        if target in CHOICES:
            if not isinstance(values, dict) or not values:
                raise InvalidMapping(
                    f"account row {index}: {target} needs a values map "
                    f"(Salesforce value → one of {', '.join(CHOICES[target])})."
                )
            for label, value in values.items():
                if value not in CHOICES[target]:
                    raise InvalidMapping(
                        f"account row {index}: {label!r} maps to {value!r}, not one of "
                        f"{', '.join(CHOICES[target])}."
                    )
        elif values is not None:
            raise InvalidMapping(f"account row {index}: only choice targets take a values map.")
    if "name" not in seen:
        raise InvalidMapping("The account mapping must map a field to name.")
    contact = mapping.get("contact")
    if not isinstance(contact, dict) or set(contact) != set(CONTACT_KEYS):
        raise InvalidMapping(f'"contact" must map exactly: {", ".join(CONTACT_KEYS)}.')
    for key, source in contact.items():
        if not isinstance(source, str) or not _FIELD.fullmatch(source):
            raise InvalidMapping(f"contact {key}: {source!r} is not a Salesforce field name.")
    case = mapping.get("case")
    if not isinstance(case, dict) or set(case) != {"object", "external_id_field"}:
        raise InvalidMapping('"case" must give "object" and "external_id_field".')
    for key, value in case.items():
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", value):
            raise InvalidMapping(f"case {key}: {value!r} is not a Salesforce name.")
    return mapping


def account_fields(mapping: dict[str, Any]) -> list[str]:
    """The Salesforce fields a sync selects: Id, Type, SystemModstamp and every mapped source."""
    fields = ["Id", "Type", "IsDeleted", "SystemModstamp"]
    for row in mapping["account"]:
        if row["source"] not in fields:
            fields.append(row["source"])
    return fields


def contact_fields(mapping: dict[str, Any]) -> list[str]:
    fields = ["Id", "SystemModstamp"]
    for source in mapping["contact"].values():
        if source not in fields:
            fields.append(source)
    return fields


@dataclass
class MappedAccount:
    sf_id: str
    account_type: str
    is_customer: bool
    values: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    raw_support_level: str = ""
    raw_domain: str = ""
    tam_email: str = ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _choice(label: str, values: dict[str, str]) -> str | None:
    folded = label.casefold()
    for key, value in values.items():
        if key.casefold() == folded:
            return value
    return None


_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def _number(raw: str) -> Decimal:
    """A number as an API (120000.0) or a report export ("120,000.00") writes it."""
    text = raw.replace(",", "") if _GROUPED.fullmatch(raw) else raw
    return Decimal(text)


def split_domains(raw: str) -> list[str]:
    return [part for part in re.split(r"[,;\s]+", raw) if part]


def map_account(record: dict[str, Any], mapping: dict[str, Any]) -> MappedAccount:
    """Organization values for one Salesforce account record (flat keys: "Owner.Name")."""
    try:
        sf_id = normalize_id(_text(record.get("Id")))
    except InvalidSalesforceId as exc:
        raise InvalidMapping(str(exc)) from None
    account_type = _text(record.get("Type"))
    mapped = MappedAccount(
        sf_id=sf_id,
        account_type=account_type,
        is_customer=account_type.casefold() == mapping["customer_type"].casefold(),
    )
    for row in mapping["account"]:
        source, target = row["source"], row["target"]
        raw = _text(record.get(source))
        kind = TARGETS[target]
        if target == "support_level":
            mapped.raw_support_level = raw
            if not raw:
                mapped.flags.append(f"support level missing ({source} is empty)")
                continue
            level = _choice(raw, row["values"])
            if level is None:
                mapped.flags.append(f"support level unknown: {source} = {raw!r}")
                continue
            mapped.values[target] = level
        elif kind == "choice":
            if not raw:
                continue
            choice = _choice(raw, row["values"])
            if choice is None:
                mapped.flags.append(f"{target.replace('_', ' ')} unknown: {source} = {raw!r}")
                continue
            mapped.values[target] = choice
        elif kind == "text":
            if target == "name" and not raw:
                mapped.flags.append(f"name missing ({source} is empty)")
                continue
            mapped.values[target] = raw[: TEXT_LIMITS.get(target, 255)]
        elif kind == "decimal":
            if not raw:
                mapped.values[target] = None
                continue
            try:
                mapped.values[target] = _number(raw).quantize(Decimal("0.01"))
            except InvalidOperation:
                mapped.flags.append(f"{source} is not a number: {raw!r}")
        elif kind == "integer":
            if not raw:
                mapped.values[target] = None
                continue
            try:
                number = _number(raw)
                if number < 0 or number != number.to_integral_value():
                    raise InvalidOperation
                mapped.values[target] = int(number)
            except InvalidOperation:
                mapped.flags.append(f"{source} is not a whole number: {raw!r}")
        elif kind == "email":
            mapped.tam_email = raw.lower()
            if raw and not _EMAIL.fullmatch(raw):
                mapped.flags.append(f"{source} is not an email address: {raw!r}")
                mapped.tam_email = ""
        elif kind == "domains":
            mapped.raw_domain = raw
            domains: list[str] = []
            for part in split_domains(raw):
                try:
                    domain = normalize_domain(part)
                except InvalidDomain as exc:
                    mapped.flags.append(f"domain invalid: {exc}")
                    break
                if domain not in domains:
                    domains.append(domain)
            else:
                mapped.values[target] = domains
        elif kind == "url":
            if not raw:
                mapped.values[target] = ""
                continue
            parts = urlsplit(raw)
            if parts.scheme not in ("http", "https") or not parts.netloc or len(raw) > 200:
                mapped.flags.append(f"{source} is not an http(s) URL: {raw!r}")
                continue
            mapped.values[target] = raw
    return mapped


@dataclass
class MappedContact:
    sf_id: str
    email: str
    name: str
    account_id: str
    sold_to: bool
    problem: str = ""


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).casefold() in ("true", "1", "yes", "y")


def map_contact(record: dict[str, Any], mapping: dict[str, Any]) -> MappedContact:
    keys = mapping["contact"]
    email = _text(record.get(keys["email"])).lower()
    name = " ".join(
        part
        for part in (_text(record.get(keys["first_name"])), _text(record.get(keys["last_name"])))
        if part
    )
    contact = MappedContact(
        sf_id="",
        email=email,
        name=name[:255],
        account_id="",
        sold_to=_truthy(record.get(keys["sold_to"])),
    )
    try:
        contact.sf_id = normalize_id(_text(record.get("Id")))
    except InvalidSalesforceId:
        contact.problem = f"no valid contact id ({_text(record.get('Id'))!r})"
    try:
        contact.account_id = normalize_id(_text(record.get(keys["account"])))
    except InvalidSalesforceId:
        contact.problem = f"no valid account id ({keys['account']})"
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        contact.problem = f"no valid email ({keys['email']} = {email!r})"
    return contact
