"""The handbook's macros and the support team's standard views, shipped as data.

Created only when missing (matched by title), so an admin's edits survive re-running; reversing
leaves them in place. The texts are frozen here on purpose: later changes to the shipped texts
belong in a new migration, not in an edit of this one.
"""

from django.db import migrations

INVITE_CALL = """Hi {{ticket.requester.first_name}},

I think a call is the quickest way to move ticket #{{ticket.id}} ("{{ticket.title}}") forward. \
Please pick a time that suits you with this single-use link:

{{current_user.booking_link}}

The call is 60 minutes long, and we start wrapping up at 45 minutes so that we can agree on next \
steps together. To make the most of it, please:

- invite the people who know the affected systems and can make changes to them;
- have access to the relevant servers, logs and admin area ready to share;
- if the call is about an upgrade, finish a backup before the call starts.

If none of the offered times work for you, reply here and we will find another way.

Best regards,
{{current_user.name}}"""

PRE_CALL = """Hi {{ticket.requester.first_name}},

Thank you for booking a call about ticket #{{ticket.id}} ("{{ticket.title}}"). A few notes so \
that we make the best use of our time together:

Duration: the call is scheduled for 60 minutes. At 45 minutes we wrap up: we summarise what we \
learned and agree on next steps, whether or not the problem is solved by then.

Who should join: the people who can access and change the affected systems, and anyone who saw \
the problem happen.

Before the call:
- have access to the applicable systems (servers, admin area, logs) ready to share on screen;
- for an upgrade or installation call, finish a backup beforehand and let us know the \
installation type, the current version, the version you are moving to, and whether you use CI;
- if you would like the session recorded, please start and keep the recording on your side, so \
that anything sensitive shown on screen stays within your own security boundary.

If you can no longer make it, please rebook with the link from my earlier message. If nobody \
has joined after 10 minutes we will end the call and send you a fresh link.

Talk to you soon,
{{current_user.name}}"""

POST_CALL = """Hi {{ticket.requester.first_name}},

Thank you for your time on the call today. Here is the summary of our call about ticket \
#{{ticket.id}} ("{{ticket.title}}"), for your team and for anyone who works on this ticket.

Summary
- (what we looked at together and what was done during the call)

What we learned
- (findings, error messages, configuration details, what we ruled out)

Next steps for {{current_user.name}} (Support)
- (what Support will do, and by when)

Next steps for you
- (what we agreed you will do or send us)

Next call recommendation
- (whether another call is needed; if so, its timing, goal and who should join)

If anything above does not match your notes, please reply here so we can correct it.

Best regards,
{{current_user.name}}"""

PROVE_ENTITLEMENT = """Hi {{ticket.requester.first_name}},

Thank you for contacting Support about "{{ticket.title}}" (ticket #{{ticket.id}}).

We could not match {{ticket.requester.email}} to an organization with a support subscription, \
so we cannot apply your plan's service levels to this ticket yet. Please help us verify your \
support entitlement by replying with one of the following:

- the name of your organization as it appears on the subscription, and your subscription or \
account ID;
- the invoice or order confirmation of the subscription (with payment details removed);
- the name and email address of your organization's sold-to contact, who can confirm that you \
may open tickets on the organization's behalf.

Once your entitlement is verified we will associate your account with your organization, so \
that your future tickets get the right service level straight away.

Best regards,
{{current_user.name}}"""

MACROS = [
    {
        "title": "General::Invite customer call",
        "description": "Invite the requester to book a call with you (single-use booking link).",
        "position": 10,
        "actions": [
            {"field": "comment_value", "value": INVITE_CALL},
            {"field": "comment_mode_is_public", "value": True},
            {"field": "status", "value": "pending"},
        ],
    },
    {
        "title": "General::Pre customer call",
        "description": "Set expectations before a scheduled call: goals, duration, who joins.",
        "position": 20,
        "actions": [
            {"field": "comment_value", "value": PRE_CALL},
            {"field": "comment_mode_is_public", "value": True},
        ],
    },
    {
        "title": "General::Post customer call",
        "description": "The call summary: summary, what we learned, next steps, next call.",
        "position": 30,
        "actions": [
            {"field": "comment_value", "value": POST_CALL},
            {"field": "comment_mode_is_public", "value": True},
        ],
    },
    {
        "title": "Prove support entitlement",
        "description": "Ask an unverified requester to prove their support entitlement.",
        "position": 40,
        "actions": [
            {"field": "comment_value", "value": PROVE_ENTITLEMENT},
            {"field": "comment_mode_is_public", "value": True},
            {"field": "status", "value": "pending"},
            {"field": "current_tags", "value": "entitlement_unverified"},
        ],
    },
]

OPEN = {"field": "status", "operator": "less_than", "value": "solved"}

VIEWS = [
    {
        "title": "My open tickets",
        "conditions": {
            "all": [{"field": "assignee", "operator": "is", "value": "current_user"}, OPEN]
        },
        "sort_by": "updated_at",
        "sort_order": "desc",
    },
    {
        "title": "Unassigned tickets",
        "conditions": {"all": [{"field": "assignee", "operator": "is", "value": None}, OPEN]},
        "sort_by": "created_at",
        "sort_order": "asc",
    },
    {
        "title": "New awaiting first reply (FRT hawk)",
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]},
        "sort_by": "sla_due_at",
        "sort_order": "asc",
    },
    {
        "title": "Breaching within 2 h (SLA hawk)",
        "conditions": {
            "all": [{"field": "sla_due_within_minutes", "operator": "is", "value": 120}, OPEN]
        },
        "sort_by": "sla_due_at",
        "sort_order": "asc",
    },
    {
        "title": "Entitlement unverified",
        "conditions": {
            "all": [
                {"field": "tags", "operator": "includes", "value": "entitlement_unverified"},
                OPEN,
            ]
        },
        "sort_by": "created_at",
        "sort_order": "asc",
    },
    {
        "title": "Self-managed open",
        "conditions": {
            "all": [{"field": "product_line", "operator": "is", "value": "self_managed"}, OPEN]
        },
        "sort_by": "updated_at",
        "sort_order": "desc",
    },
    {
        "title": "SaaS open",
        "conditions": {"all": [{"field": "product_line", "operator": "is", "value": "saas"}, OPEN]},
        "sort_by": "updated_at",
        "sort_order": "desc",
    },
    {
        "title": "Recently solved",
        "conditions": {
            "all": [
                {"field": "status", "operator": "greater_than", "value": "hold"},
                {"field": "hours_since_solved", "operator": "less_than", "value": 168},
            ]
        },
        "sort_by": "solved_at",
        "sort_order": "desc",
    },
]


def create_shipped(apps, schema_editor):
    Macro = apps.get_model("tickets", "Macro")
    View = apps.get_model("tickets", "View")
    for spec in MACROS:
        if not Macro.objects.filter(title=spec["title"]).exists():
            Macro.objects.create(**spec)
    for position, spec in enumerate(VIEWS, start=1):
        if not View.objects.filter(title=spec["title"], owner__isnull=True).exists():
            View.objects.create(position=position * 10, **spec)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_shipped, migrations.RunPython.noop)]
