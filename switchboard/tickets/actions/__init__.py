"""Every write to a ticket, by subject. The web UI, the API, email intake and automations all call
these; callers import from the module that owns the function (there is no facade here).

- `create`: create_ticket, create_follow_up
- `comments`: add_comment
- `update`: update_ticket (compare-and-set, require_unchanged_since) and its shorthands
  (change_status, solve_ticket, add_tags, remove_tags, set_tags)
- `merge`: plan_merge, merge_tickets
- `macros`: apply_macro
- `bulk`: bulk_update (one change to many selected tickets, each through update_ticket or
  apply_macro in its own savepoint)
- `lifecycle`: close_if_still_solved, add_system_tag, delete_ticket
- `ccs`: who may be copied (check_ccs, used by create and update), change_ccs (copy people by
  email, stop copying others), person_for_email (an existing person or a new end-user)
- `entitlement`: verify_requester (verify entitlement and re-associate unsolved tickets)
- `changes`, `fields`, `audit`: what the actions share (status transitions and field changes on a
  locked ticket, cleaning of values and tags, the audit of one change set)

Each action runs in one transaction: the change, its audit events, the SLA clock updates and any
queued follow-up work commit together or not at all.
"""
