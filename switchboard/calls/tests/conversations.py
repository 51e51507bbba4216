"""A labelled set of support conversations for "suggest a call" (written for this purpose).

Each entry: (should a call be suggested?, the handbook case it illustrates or "" for none,
[(speaker, text), ...]) with speaker "c" (customer) or "a" (agent), public messages in order.
Labels follow the handbook: a call helps when the problem statement is very unclear, when two
requests for information got nothing usable, when several exchanges made no progress, or when
the customer is getting frustrated. Tickets that are moving along by email are negatives, even
long ones.
"""

from __future__ import annotations

C, A = "c", "a"

CONVERSATIONS: list[tuple[bool, str, list[tuple[str, str]]]] = [
    # --- unclear initial problem statement -------------------------------------------------
    (True, "unclear", [(C, "GitLab is broken.")]),
    (True, "unclear", [(C, "Help, the pipelines are not working anymore, please advise.")]),
    (True, "unclear", [(C, "Something is wrong with our instance since yesterday.")]),
    (True, "unclear", [(C, "We are having an issue with the registry. Can someone help us?")]),
    (True, "unclear", [(C, "urgent problem with login")]),
    (True, "unclear", [(C, "Our users say it's weird and slow. Please look into it.")]),
    (
        True,
        "unclear",
        [(C, "The thing we talked about last month stopped working again, same as before.")],
    ),
    # --- no progress after two requests for information ------------------------------------
    (
        True,
        "no_info",
        [
            (C, "Since the upgrade to 16.11 merges fail for some projects with a 500 error."),
            (A, "Thanks. Could you send the production_json.log lines from the time of a failure?"),
            (C, "It happened again this morning on the web project."),
            (A, "Sorry to ask again: can you please attach the log lines for that request?"),
            (C, "We are looking into it on our side."),
        ],
    ),
    (
        True,
        "no_info",
        [
            (C, "Runner jobs time out after 1 hour on our self-managed runners (17.2)."),
            (A, "Could you share the runner config.toml (without tokens) and a job log?"),
            (C, "Our admin is on holiday this week."),
            (A, "Understood. When possible, would you provide the job log of a failed job?"),
            (C, "Ok I will ask somebody."),
        ],
    ),
    (
        True,
        "no_info",
        [
            (C, "LDAP sign-in fails for a subset of users after we moved to 17.0."),
            (A, "Please run gitlab-rake gitlab:ldap:check and share the output."),
            (C, "Some users can still sign in, others cannot."),
            (A, "We'll need the output of that check to compare; could you run it?"),
            (C, "I don't have shell access, sorry."),
        ],
    ),
    (
        True,
        "no_info",
        [
            (C, "Backups fail every night since 16.9 with error: tar exited with status 2."),
            (A, "Could you send the full backup log and the output of df -h on the server?"),
            (C, "Thanks for the quick answer."),
            (A, "No problem. Can you please attach the full log when you get a chance?"),
            (C, "Will do."),
            (A, "Just checking in: do you have the backup log?"),
        ],
    ),
    (
        True,
        "no_info",
        [
            (C, "Geo secondary shows replication errors for 12% of repositories on 16.8.1."),
            (A, "Could you share the output of gitlab-rake geo:status from the secondary?"),
            (C, "The number went up to 15% today."),
            (A, "Please send the geo:status output and the geo.log from the secondary."),
            (C, "It is still getting worse."),
        ],
    ),
    # --- no progress toward resolution over several exchanges ------------------------------
    (
        True,
        "no_progress",
        [
            (C, "Container registry pushes fail with 'blob upload unknown' on 17.1.2."),
            (A, "Please increase the registry's upload timeout in gitlab.rb and reconfigure."),
            (C, "Done, still failing with the same error."),
            (A, "Thanks. Let's try disabling the storage redirect: set redirect disable = true."),
            (C, "Tried that, no change. Same error on every push."),
            (A, "Could you then try pushing a small image to rule out size limits?"),
            (C, "Small images fail too, still the same error."),
        ],
    ),
    (
        True,
        "no_progress",
        [
            (C, "Sidekiq memory grows to 8 GB within an hour on 16.10.3 and gets killed."),
            (A, "Please set SIDEKIQ_MEMORY_KILLER_MAX_RSS to 2000000 and restart."),
            (C, "Applied it, didn't help, it still grows the same way."),
            (A, "Let's reduce concurrency to 10 in sidekiq['concurrency']."),
            (C, "Did that as well. Still happening every hour."),
            (A, "Could you disable the project export cron to rule it out?"),
            (C, "No difference at all."),
        ],
    ),
    (
        True,
        "no_progress",
        [
            (C, "Pages deployments return 404 after the upgrade to 17.3.0."),
            (A, "Please check that pages_external_url matches your DNS and reconfigure."),
            (C, "It matches. Reconfigured; still getting 404."),
            (A, "Can you run gitlab-ctl restart gitlab-pages and try again?"),
            (C, "Same problem after the restart."),
            (A, "Let's check the pages logs then: gitlab-ctl tail gitlab-pages."),
            (C, "Nothing in the logs, and it is still not fixed."),
        ],
    ),
    (
        True,
        "no_progress",
        [
            (C, "Merge request diffs don't load for large MRs (over 2,000 files) on 16.11."),
            (A, "Please raise the diff limits in the admin area and try again."),
            (C, "Raised them, no luck, the diffs are still not loading."),
            (A, "Could you try the plain diff view with ?view=inline?"),
            (C, "Tried it already, same issue."),
            (A, "Let's clear the Redis cache for diffs with the rake task."),
            (C, "Still not loading, back to square one."),
        ],
    ),
    # --- customer getting frustrated ------------------------------------------------------
    (
        True,
        "frustrated",
        [
            (C, "Our CI has been down since the 17.2.1 upgrade; jobs stay pending forever."),
            (A, "Sorry about that. Could you check that the runners are online in the admin area?"),
            (C, "They are online. This is really frustrating, our whole team is blocked."),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (C, "We opened this ticket three days ago about failed imports from GitHub (16.9)."),
            (A, "Thanks for waiting. We are reviewing the import logs you sent."),
            (C, "We are still waiting. This is unacceptable for a priority customer."),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (C, "Users get logged out every few minutes since 17.0.1 (SAML)."),
            (A, "Could you share the SAML response from the browser's developer tools?"),
            (C, "I already sent it!! Please read the ticket before asking again."),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (C, "Search returns no results for code since we enabled Elasticsearch on 16.8."),
            (A, "Please run the index status rake task and share the output."),
            (
                C,
                "Attached is the output. Honestly this is a waste of our time, nobody has "
                "looked at the details we sent.",
            ),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (C, "PRODUCTION IS DOWN. The web UI returns 502 for EVERY request since 17.4.0."),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (
                C,
                "Webhooks to our Jenkins stopped firing after 16.11.4; error: 'execution expired'.",
            ),
            (A, "Could you check whether Jenkins is reachable from the GitLab server with curl?"),
            (
                C,
                "It is reachable. We are getting annoyed, this is the third ticket about webhooks "
                "this quarter.",
            ),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (C, "Package registry uploads fail with 413 for files over 100 MB on 17.1."),
            (A, "Please raise nginx['client_max_body_size'] and reconfigure."),
            (C, "Did it. Still 413."),
            (A, "Could you check the package size limit in the admin area?"),
            (C, "How much longer will this take? We are fed up with trial and error."),
        ],
    ),
    # --- negatives: clear reports, progressing, or resolved ---------------------------------
    (
        False,
        "",
        [
            (
                C,
                "After upgrading to 16.11.2, the Sidekiq process logs error: PG::UndefinedColumn "
                "column 'ci_job_token_scope_enabled' does not exist. Steps: we ran "
                "gitlab-ctl reconfigure, then the migration check shows pending migrations.",
            ),
            (
                A,
                "Thanks, that is a pending background migration. Please run gitlab-rake "
                "db:migrate and let us know.",
            ),
            (C, "That fixed it, thank you!"),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "How do I rotate the Rails secrets in /etc/gitlab/gitlab-secrets.json when I run "
                "two application nodes on 17.2? I want to avoid downtime.",
            ),
            (A, "Copy the file to both nodes before reconfiguring; here are the steps."),
            (C, "Clear, thanks. We will do it in our maintenance window."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Our license expires on 30 November. Can you confirm the renewal includes "
                "500 seats, as on our order 12345?",
            ),
            (A, "Confirmed: the renewal includes 500 seats from 1 December."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "When I push to a protected branch on 17.3.1 I get error: 'GitLab: You are not "
                "allowed to push code to protected branches on this project.' I am a Maintainer.",
            ),
            (A, "Could you check the protected branch settings under Settings > Repository?"),
            (C, "Here is a screenshot of the settings, attached. Maintainers are allowed."),
            (A, "Thanks, the screenshot shows 'No one' for push. Please change it to Maintainers."),
            (C, "That was it. Works now."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Feature question: can we restrict runner registration to admins only in 17.0? "
                "We found the setting for instance runners but not for group runners.",
            ),
            (A, "Yes: Admin Area > Settings > CI/CD > Runner registration; uncheck the group box."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Backups fail with error: 'No space left on device' at /var/opt/gitlab/backups "
                "on 16.10.1. The disk has 20 GB free before the backup starts.",
            ),
            (A, "The backup stages in that directory; could you share df -h during a backup?"),
            (C, "Here is the output: the disk fills to 100% at the repositories stage."),
            (A, "Thanks, please point backup_path to the larger /data volume."),
            (C, "Done, tonight's backup succeeded."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Please add our new colleague jane@initech.test as a support contact for "
                "organization Initech.",
            ),
            (A, "Done: Jane can now open tickets for Initech."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Import from Bitbucket Server fails with error: 'Connection refused' for project "
                "PLATFORM/api. Other projects import fine. Version 17.1.0, log attached.",
            ),
            (
                A,
                "The log shows the Bitbucket host resolves to an internal IP that GitLab blocks. "
                "Please allow it under Admin > Settings > Network > Outbound requests.",
            ),
            (C, "Allowed it and the import worked. Thanks."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "The SSH host key changed warning appears for all users after we migrated the "
                "server to new hardware (16.9.2). We copied /etc/ssh/ssh_host_* but kept the old "
                "permissions.",
            ),
            (A, "sshd ignores keys with wrong permissions; set them to 600 and restart sshd."),
            (C, "Fixed after the permission change, thank you for the quick help."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Can you confirm whether 17.5 still supports PostgreSQL 14? We plan the upgrade "
                "for next month.",
            ),
            (A, "17.5 requires PostgreSQL 14 minimum; 15 is also supported."),
            (C, "Great, thanks."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Merge trains stopped merging after we renamed the default branch to main "
                "(17.0.2). The pipeline shows error: 'merge train ref not found'.",
            ),
            (A, "Could you recreate the merge train by re-adding the MRs after the rename?"),
            (C, "Here is what happened: after re-adding them the train merged all three MRs."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "We see slow page loads (5-8 s) on the project overview since 16.11.0. Steps: "
                "open any project with more than 10,000 tags; the tags count query is slow (log "
                "attached, 4.9 s in ActiveRecord).",
            ),
            (A, "This is a known issue fixed in 16.11.3; please upgrade."),
            (C, "Upgraded to 16.11.3 and the page now loads in under a second."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Our SAML group sync maps groups wrong for users with more than 150 groups in "
                "Azure AD on 17.2.0. Error in the log: 'groups claim truncated'.",
            ),
            (
                A,
                "Azure sends a link instead of the groups claim above 150; configure the "
                "Microsoft Graph integration as described here.",
            ),
            (C, "Configured it; the sync works for those users now."),
        ],
    ),
    (
        False,
        "",
        [
            (C, "We need an invoice copy for order 98765 for our finance team."),
            (A, "Attached is the invoice for order 98765."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Renovate bot MRs fail with error 403 on the API since we enabled IP allowlists "
                "on 17.3.2; the bot runs from 10.2.0.15.",
            ),
            (A, "Please add 10.2.0.15 to the group's allowed IP ranges."),
            (
                C,
                "Added, the bot works again. Still curious whether the allowlist covers "
                "runners too?",
            ),
            (A, "It does not cover runners' job tokens; only API and web requests."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Question about the maintenance policy: which versions get security fixes now "
                "that 17.5 is out?",
            ),
            (A, "The current and the two previous minor versions: 17.5, 17.4 and 17.3."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "The Prometheus exporter on 16.10.2 exposes metrics on 0.0.0.0:9168 and our "
                "security scan flags it. How do we bind it to localhost only?",
            ),
            (
                A,
                "Set gitlab_exporter['listen_address'] = 'localhost' in gitlab.rb and reconfigure.",
            ),
            (C, "Thank you, the scan is clean now."),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "Gitaly logs show error: 'rpc error: code = ResourceExhausted' during peak hours "
                "on 17.1.1 with 400 concurrent clones from CI.",
            ),
            (
                A,
                "Please enable the pack-objects cache and raise concurrency limits for "
                "SSHUploadPackWithSidechannel as described here.",
            ),
            (
                C,
                "We enabled the cache this morning; here are the numbers: no errors during "
                "today's peak.",
            ),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "We would like to schedule our upgrade from 16.11 to 17.5 and read the upgrade "
                "path tool output (attached). Is stopping at 17.1 and 17.3 correct?",
            ),
            (
                A,
                "Yes, those are the required stops; run the background migrations check at "
                "each stop.",
            ),
        ],
    ),
    (
        False,
        "",
        [
            (
                C,
                "A user accidentally deleted the project acme/web (ID 4242) on 17.2.1; deletion "
                "protection is set to 7 days. How do we restore it?",
            ),
            (A, "Admin Area > Projects > Deleted projects lists it; restore it from there."),
            (C, "Restored, thanks a lot."),
        ],
    ),
    # --- added after the rules were written, not tuned against (see docs/calls.md) ---------
    (False, "", [(C, "Please reset 2FA for jane@initech.test.")]),
    (
        False,
        "",
        [
            (
                C,
                "The nightly backup on 17.2.0 skips the registry; error: 'skipping registry "
                "(storage not local)'. We use S3 for the registry.",
            ),
            (A, "That is expected: back up the S3 bucket separately, as described here."),
            (C, "Makes sense, thanks!!"),
        ],
    ),
    (
        True,
        "frustrated",
        [
            (C, "Our pipelines on 17.0.3 are 3x slower since the upgrade (job logs attached)."),
            (A, "Thanks, we are comparing the logs with the previous version."),
            (C, "I'm honestly disappointed with how long this takes."),
        ],
    ),
    (
        True,
        "unclear",
        [
            (
                C,
                "We did the change on Tuesday as planned and now the other part behaves "
                "differently than before, and our people see it in several places across teams.",
            ),
        ],
    ),
]
