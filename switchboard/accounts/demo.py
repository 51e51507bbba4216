"""Demo company for `manage.py seed_demo`: organizations, agents, managers and customers."""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from switchboard.accounts import actions
from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import (
    Organization,
    OrgSharing,
    PersonalAccess,
    ProductLine,
    Region,
    Role,
    SupportGroup,
    SupportLevel,
    User,
)

DEMO_PASSWORD = "switchboard"

ORGANIZATIONS = [
    # name, domains, support level, plan, product line, region, sharing, notes
    (
        "Acme Corp",
        ["acme.test"],
        SupportLevel.PRIORITY,
        "Ultimate",
        ProductLine.SELF_MANAGED,
        Region.ALL,
        OrgSharing.VIEW_COMMENT_ALL,
        "Runs a 5-node HA cluster with Geo. Upgrades on the 3rd Saturday.",
    ),
    (
        "Globex",
        ["globex.test", "globex-corp.test"],
        SupportLevel.PRIORITY,
        "Premium",
        ProductLine.SAAS,
        Region.EMEA,
        OrgSharing.VIEW_ALL,
        "Regulated (finance). Never ask for full database dumps.",
    ),
    (
        "Initech",
        ["initech.test"],
        SupportLevel.STANDARD,
        "Premium",
        ProductLine.SELF_MANAGED,
        Region.AMER,
        OrgSharing.SELECTED_VIEW,
        "Air-gapped install; logs arrive by sFTP.",
    ),
    (
        "Umbrella Health",
        ["umbrella.test"],
        SupportLevel.PRIORITY,
        "Ultimate",
        ProductLine.SELF_MANAGED,
        Region.APAC,
        OrgSharing.SELECTED_VIEW_COMMENT,
        "US Federal subsidiary tickets go to the Federal team.",
    ),
    (
        "Hooli",
        ["hooli.test"],
        SupportLevel.STANDARD,
        "Premium",
        ProductLine.SAAS,
        Region.ALL,
        OrgSharing.OWN,
        "Large SaaS namespace; SSO via SAML.",
    ),
    (
        "Stark Logistics",
        ["stark.test"],
        SupportLevel.STANDARD,
        "Starter (legacy)",
        ProductLine.SELF_MANAGED,
        Region.EMEA,
        OrgSharing.VIEW_ALL,
        "Legacy Starter plan: standard support until renewal.",
    ),
    (
        "Wayne Foods",
        ["waynefoods.test"],
        SupportLevel.NONE,
        "Free",
        ProductLine.SAAS,
        Region.ALL,
        OrgSharing.OWN,
        "Free tier: community forum support only.",
    ),
    (
        "Tyrell Systems",
        ["tyrell.test"],
        SupportLevel.NONE,
        "Free",
        ProductLine.SELF_MANAGED,
        Region.APAC,
        OrgSharing.OWN,
        "Trial ended; evaluating Premium.",
    ),
]

AGENTS = [
    # name, email, region, time zone, hours (local)
    (
        "Alex Agent",
        "agent@switchboard.test",
        Region.AMER,
        "America/Los_Angeles",
        ("08:00", "17:00"),
    ),
    ("Brooke Chen", "brooke@switchboard.test", Region.AMER, "America/New_York", ("09:00", "17:30")),
    (
        "Carlos Mendes",
        "carlos@switchboard.test",
        Region.AMER,
        "America/Sao_Paulo",
        ("09:00", "18:00"),
    ),
    ("Dana Whitfield", "dana@switchboard.test", Region.AMER, "America/Chicago", ("08:00", "16:00")),
    ("Emil Novak", "emil@switchboard.test", Region.EMEA, "Europe/Prague", ("08:00", "16:30")),
    (
        "Fatima Zahra",
        "fatima@switchboard.test",
        Region.EMEA,
        "Europe/Amsterdam",
        ("09:00", "17:00"),
    ),
    ("Gareth Jones", "gareth@switchboard.test", Region.EMEA, "Europe/London", ("08:30", "17:00")),
    ("Hana Okafor", "hana@switchboard.test", Region.EMEA, "Africa/Lagos", ("08:00", "16:00")),
    ("Isabel Tan", "isabel@switchboard.test", Region.APAC, "Asia/Singapore", ("09:00", "18:00")),
    ("Jun Watanabe", "jun@switchboard.test", Region.APAC, "Asia/Tokyo", ("09:00", "17:30")),
    ("Kiri Walker", "kiri@switchboard.test", Region.APAC, "Pacific/Auckland", ("08:00", "16:00")),
    (
        "Liam O'Brien",
        "liam@switchboard.test",
        Region.APAC,
        "Australia/Brisbane",
        ("09:00", "17:00"),
    ),
]

MANAGERS = [
    ("Morgan Lee", "morgan.manager@switchboard.test", Region.AMER, "America/Los_Angeles"),
    ("Nadia Petrova", "nadia.manager@switchboard.test", Region.EMEA, "Europe/Amsterdam"),
    ("Oscar Reyes", "oscar.manager@switchboard.test", Region.APAC, "Australia/Sydney"),
]

FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kara",
    "Luca",
    "Maya",
    "Nico",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
]
LAST = [
    "Adams",
    "Baker",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
]


def _hours(start: str, end: str) -> dict[str, list[list[str]]]:
    return {day: [[start, end]] for day in ("mon", "tue", "wed", "thu", "fri")}


@transaction.atomic
def seed() -> bool:
    """Create the demo accounts; returns False (and changes nothing) when they already exist."""
    if User.objects.filter(email="admin@switchboard.test").exists():
        return False
    rng = random.Random(2026)
    admin = User.objects.create_superuser(
        "admin@switchboard.test",
        DEMO_PASSWORD,
        name="Ada Admin",
        time_zone="Europe/Amsterdam",
        region=Region.EMEA,
    )
    groups = {
        name: SupportGroup.objects.create(name=name, description=desc)
        for name, desc in [
            ("Support AMER", "Americas support engineers"),
            ("Support EMEA", "Europe, Middle East and Africa support engineers"),
            ("Support APAC", "Asia-Pacific support engineers"),
            ("US Federal", "US Federal customers (US citizens only)"),
            ("Support Managers", "Managers and escalations"),
        ]
    }
    agents = []
    for name, email, region, tz, (start, end) in AGENTS:
        agent = actions.create_user(
            actor=admin,
            email=email,
            name=name,
            role=Role.AGENT,
            time_zone=tz,
            region=region,
            working_hours=_hours(start, end),
        )
        agent.support_groups.add(groups[f"Support {region.upper()}"])
        agents.append(agent)
    agents[1].support_groups.add(groups["US Federal"])
    agents[3].support_groups.add(groups["US Federal"])
    for name, email, region, tz in MANAGERS:
        manager = actions.create_user(
            actor=admin,
            email=email,
            name=name,
            role=Role.AGENT,
            time_zone=tz,
            region=region,
            working_hours=_hours("09:00", "17:00"),
            is_support_manager=True,
        )
        manager.support_groups.add(groups["Support Managers"], groups[f"Support {region.upper()}"])

    internal = actions.create_organization(
        actor=admin,
        name="Switchboard Inc. (internal)",
        domain_names=["switchboard.test"],
        support_level=SupportLevel.STANDARD,
        plan="Internal",
        is_internal=True,
        notes="Our own staff. Excluded from CSAT.",
        sharing=OrgSharing.VIEW_ALL,
    )
    orgs: list[Organization] = []
    for i, (name, domains, level, plan, line, region, sharing, notes) in enumerate(ORGANIZATIONS):
        orgs.append(
            actions.create_organization(
                actor=admin,
                name=name,
                domain_names=domains,
                support_level=level,
                plan=plan,
                product_line=line,
                preferred_region=region,
                sharing=sharing,
                notes=notes,
                details=f"{name} — customer since {2015 + i}.",
                collaboration_project_url=f"https://collab.switchboard.test/customers/{domains[0].split('.')[0]}",
                account_manager=agents[i % len(agents)],
                crm_account_id=f"0015e00000{1000 + i}",
                crm_account_owner=rng.choice(["Jordan Sales", "Riley Sales", "Casey Sales"]),
                arr=Decimal(rng.randrange(12_000, 900_000)),
                seats=rng.randrange(25, 5000),
                market_segment=rng.choice(["Enterprise", "Mid-Market", "SMB"]),
                sales_segmentation=rng.choice(["Large", "Mid-Market", "SMB"]),
                account_type="Customer",
            )
        )
    # 40 end-users: the three known logins first, then colleagues in every org.
    customer = actions.create_user(actor=SYSTEM, email="customer@acme.test", name="Casey Customer")
    actions.update_user(actor=admin, user=customer, is_sold_to_contact=True)
    made = 1
    overrides = [PersonalAccess.OWN, PersonalAccess.VIEW_ALL, PersonalAccess.VIEW_COMMENT_ALL]
    while made < 40:
        org = orgs[made % len(orgs)]
        first, last = FIRST[made % len(FIRST)], LAST[(made * 7) % len(LAST)]
        domain = org.domain_names[0]
        user = actions.create_user(
            actor=SYSTEM,
            email=f"{first}.{last}{made}@{domain}".lower(),
            name=f"{first} {last}",
        )
        changes: dict[str, object] = {}
        if made <= len(orgs):
            changes["is_sold_to_contact"] = True
        if made % 5 == 0:
            changes["ticket_access"] = overrides[(made // 5) % 3]
        if changes:
            actions.update_user(actor=admin, user=user, **changes)
        made += 1
    # Two unverified requesters (gmail-style addresses match no organization).
    actions.create_user(actor=SYSTEM, email="pat.unverified@freemail.test", name="Pat Unverified")
    actions.create_user(actor=SYSTEM, email="sam.student@university.test", name="Sam Student")
    actions.create_user(actor=SYSTEM, email="it-staff@switchboard.test", name="Internal IT")
    # One password hash for every demo login (hashing 50 times would take ~15 s).
    User.objects.exclude(pk=admin.pk).update(password=make_password(DEMO_PASSWORD))
    if not internal.members.exists():
        raise RuntimeError("internal organization has no members; domain matching is broken")
    return True
