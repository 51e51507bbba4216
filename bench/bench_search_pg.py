"""Benchmark of free-text ticket search on PostgreSQL (full-text search over GIN indexes).

Run from the repository root:

    .venv/bin/python bench/bench_search_pg.py [--tickets 100000] [--comments 1000000] [--runs 2]
                                              [--append-results] [--keep]

Creates its own PostgreSQL database (dropped first if left over, dropped again at the end unless
--keep) and migrates it. Drops the full-text GIN indexes, bulk-loads in SQL (INSERT ... SELECT
generate_series): 200 organizations, 5,000 end-users, 50 agents, N tickets and M comments of
English-ish text (30 % stop words, 63 % from ~600 support words with a skewed frequency, so the
top words are in about half of all comments, 7 % from 32,768 rare pseudo-words, ~55 comments
each), fills Ticket.search_vector with migration 0005's backfill (one UPDATE, documents with
adjacent-word bigram lexemes), then re-creates the
indexes with the migrations' own SQL and ANALYZEs.

Runs ~50 free-text searches (common, mid and rare words, two-word queries, phrases, prefixes)
through `switchboard.tickets.search.search()` for an agent, evaluating what the API does for a
first page: the first 100 results and the total count. One warm-up pass, then --runs timed
passes; reports median and p95 per query kind and overall, EXPLAIN (ANALYZE, BUFFERS) of one
query, and a Markdown section for bench/RESULTS.md (appended with --append-results).
Target: p95 < 200 ms.

The server is taken from BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import platform
import random
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 200.0
DB_NAME = "switchboard_bench_search"

STOP = (  # noqa: SIM905
    "the a an to of and in is it for on with that this be we you your our are was have has can "
    "not from at as by or if but will please after when"
).split()
REAL = (  # noqa: SIM905
    "error runner pipeline upgrade server install database backup license user project "
    "repository merge request branch commit deploy kubernetes cluster node memory disk timeout "
    "log logs config configuration ssl certificate proxy nginx postgres redis sidekiq gitaly "
    "registry container image docker helm chart ldap saml login password token permission "
    "group admin settings webhook api request response latency slow fails failed failing crash "
    "restart reboot service version release patch migration schema index query performance cpu "
    "storage bucket object s3 artifact cache job stage build test coverage report dashboard "
    "metric alert incident outage customer ticket support engineer call screen share session "
    "browser chrome firefox network dns firewall port connection refused reset handshake tls "
    "email notification mailer smtp imap inbox delivery bounce spam filter search issue label "
    "milestone epic board wiki page snippet import export mirror push pull clone fetch ssh key "
    "gpg signature audit event billing seat subscription renewal invoice trial plan premium "
    "ultimate starter free tier quota limit rate throttle retry backoff queue worker process "
    "thread lock deadlock transaction rollback replica primary failover geo secondary sync "
    "replication lag object pool housekeeping prune garbage collection cleanup archive upload "
    "download attachment file size large small missing broken corrupt invalid unexpected "
    "behaviour behavior expected current steps reproduce screenshot attached output trace stack "
    "exception warning debug verbose option flag feature toggle enable disable default custom "
    "template variable environment production staging development local remote host domain url "
    "path route redirect loop header cookie cors origin policy security vulnerability scan "
    "dependency package gem npm maven pypi runtime ruby python java go node kernel linux ubuntu "
    "centos debian windows macos omnibus source helm operator chart values yaml json xml csv "
    "schedule cron daily weekly nightly hourly minute second hour week month year today tomorrow "
    "yesterday morning evening team manager director account owner contact sales renewal quote "
    "contract agreement compliance gdpr soc audit region europe america asia pacific timezone "
    "hello thanks regards sorry apologies update status resolved closed pending waiting reply "
    "question answer help assistance urgent critical blocker priority severity impact business "
    "production down degraded partial intermittent random consistent always never sometimes "
    "again still now earlier later soon quickly slowly correctly properly successfully manually "
    "automatically scheduled triggered started stopped finished completed running stuck hanging "
    "frozen unresponsive waiting queued cancelled skipped retried passed green red yellow"
).split()
SYLLABLES = (  # noqa: SIM905
    "ka lo mi ner tus vex zor bri quo dan fel gri hap jun pol rix sav tem ulm wex "
    "yor bak cim dov eph gul hin jax kep lum mox nud"
).split()


def admin_conn(base_url: str) -> psycopg.Connection:
    return psycopg.connect(f"{base_url}/postgres", autocommit=True)


def recreate_database(base_url: str) -> None:
    with admin_conn(base_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def drop_database(base_url: str) -> None:
    with admin_conn(base_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
        )


def rare_words() -> list[str]:
    return ["".join(p) for p in itertools.product(SYLLABLES, repeat=3)]


# One word drawn per call: 30 % stop words, 63 % support words (index skewed to the top: the
# first word is ~4 % of those tokens), 7 % rare pseudo-words (uniform).
WORD_SQL = """CASE WHEN x.r < 0.30 THEN (%(stop)s::text[])[1 + floor(random() * %(ns)s)::int]
 WHEN x.r < 0.93 THEN (%(real)s::text[])[1 + floor(%(nr)s * random() ^ 2)::int]
 ELSE (%(rare)s::text[])[1 + floor(random() * %(nx)s)::int] END"""


def text_sql(min_words: str, spread: int) -> str:
    """A correlated subquery (one text per outer row g) of min_words + g % spread words."""
    return (
        f"(SELECT string_agg({WORD_SQL}, ' ') FROM (SELECT random() AS r "
        f"FROM generate_series(1, {min_words} + (mod(g, {spread})))) x)"
    )


def load(cursor, tickets: int, comments: int, params: dict) -> None:
    now = "timestamptz '2026-11-01 00:00:00+00'"
    cursor.execute(
        f"""INSERT INTO accounts_organization (name, support_level, plan, product_line,
        preferred_region, sharing, notes, details, collaboration_project_url, is_internal,
        crm_account_owner, market_segment, sales_segmentation, account_type, created_at,
        updated_at)
        SELECT 'Org ' || g, 'standard', '', CASE WHEN mod(g, 2) = 0 THEN 'saas' ELSE 'self_managed'
        END, 'all', 'own', '', '', '', false, '', '', '', '', {now}, {now}
        FROM generate_series(1, 200) g"""
    )
    cursor.execute(
        f"""INSERT INTO accounts_user (password, is_superuser, email, name, role, is_active,
        organization_id, is_sold_to_contact, ticket_access, phone, time_zone, region,
        working_hours, is_support_manager, created_at, updated_at)
        SELECT '!', false, 'user' || g || '@bench.test', 'User ' || g,
        CASE WHEN g <= 50 THEN 'agent' ELSE 'end_user' END, true,
        CASE WHEN g <= 50 THEN NULL ELSE (SELECT min(id) FROM accounts_organization) + mod(g, 200)
        END, false, 'inherit', '', 'UTC', 'all', '{{}}', false, {now}, {now}
        FROM generate_series(1, 5050) g"""
    )
    cursor.execute("SELECT min(id) FROM accounts_user")
    first_user = cursor.fetchone()[0]
    print(f"  tickets: {tickets:,} ...", flush=True)
    cursor.execute(
        f"""INSERT INTO tickets_ticket (id, subject, description, status, priority, ticket_type,
        requester_id, submitter_id, assignee_id, organization_id, product_line,
        preferred_region, channel, custom_fields, external_id, problem_started,
        business_impact, steps_to_reproduce, current_behavior, expected_behavior,
        recent_changes, version, install_type, created_at, updated_at)
        SELECT g, {text_sql("4", 6)}, {text_sql("20", 40)},
        (ARRAY['closed','closed','closed','closed','closed','closed','solved','open',
               'pending','new'])[1 + mod(g, 10)],
        (ARRAY['low','normal','normal','high','urgent'])[1 + mod(g, 5)], '',
        u.id, u.id, CASE WHEN mod(g, 3) = 0 THEN NULL ELSE {first_user} + mod(g, 50) END,
        u.organization_id, 'saas', 'all', 'web', '{{}}', '', '', '', '', '', '', '', '', '',
        {now} - (mod(g, 700)) * interval '1 day' - (mod(g, 1440)) * interval '1 minute',
        {now} - (mod(g, 600)) * interval '1 day'
        FROM generate_series(1, %(tickets)s) g
        JOIN accounts_user u ON u.id = {first_user} + 50 + mod(g, 5000)""",
        {**params, "tickets": tickets},
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), max(id)) FROM tickets_ticket"
    )
    chunk = 250_000
    for start in range(0, comments, chunk):
        stop = min(start + chunk, comments)
        print(f"  comments {start:,}-{stop:,} ...", flush=True)
        cursor.execute(
            f"""INSERT INTO tickets_comment (ticket_id, author_id, body, public, channel,
            metadata, secret_findings, created_at)
            SELECT 1 + mod(g, %(tickets)s), {first_user} + mod(g, 60), {text_sql("10", 31)},
            mod(g, 5) <> 0, 'web', '{{}}', '[]', {now} - (mod(g, 500)) * interval '1 hour'
            FROM generate_series(%(lo)s, %(hi)s - 1) g""",
            {**params, "tickets": tickets, "lo": start, "hi": stop},
        )


def queries(cursor, rng: random.Random) -> list[tuple[str, str]]:
    """~50 free-text queries: (kind, query text)."""
    rare = rare_words()
    out: list[tuple[str, str]] = []
    out += [("common word", w) for w in REAL[:10]]
    out += [("mid word", w) for w in rng.sample(REAL[40:500], 8)]
    out += [("rare word", w) for w in rng.sample(rare, 10)]
    out += [("two words", f"{a} {b}") for a, b in zip(REAL[:3], rng.sample(rare, 3), strict=True)]
    out += [("two words", f"{a} {b}") for a, b in zip(REAL[3:6], REAL[20:23], strict=True)]
    # Phrases that occur: two adjacent non-stop words from stored comments.
    cursor.execute("SELECT body FROM tickets_comment TABLESAMPLE SYSTEM (1) LIMIT 400")
    phrases = []
    for (body,) in cursor.fetchall():
        words = body.split()
        pairs = [
            f'"{a} {b}"'
            for a, b in itertools.pairwise(words)
            if a not in STOP and b not in STOP and a != b
        ]
        if pairs:
            phrases.append(rng.choice(pairs))
    out += [("phrase", p) for p in rng.sample(phrases, 8)]
    out += [("prefix", p) for p in ("inst*", "conf*", "repl*", "deplo*")]
    out += [("prefix", w[:5] + "*") for w in rng.sample(rare, 2)]
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--append-results", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")

    if not args.reuse:
        recreate_database(base_url)
    os.environ["DATABASE_URL"] = f"{base_url}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from switchboard.accounts.models import User
    from switchboard.tickets.search import TICKET_COUNT_CAP, SearchResults, search

    index_migration = importlib.import_module("switchboard.tickets.migrations.0003_search_indexes")
    vector_migration = importlib.import_module(
        "switchboard.tickets.migrations.0004_ticket_search_vector"
    )
    bigram_migration = importlib.import_module(
        "switchboard.tickets.migrations.0005_search_vector_bigrams"
    )
    try:
        if not args.reuse:
            t0 = time.perf_counter()
            call_command("migrate", verbosity=0)
            params = {
                "stop": STOP,
                "ns": len(STOP),
                "real": REAL,
                "nr": len(REAL),
                "rare": rare_words(),
                "nx": len(rare_words()),
            }
            with connection.cursor() as cursor:
                for name, _table, _expr in index_migration.INDEXES:
                    cursor.execute(f"DROP INDEX IF EXISTS {name}")
                cursor.execute(f"DROP INDEX IF EXISTS {vector_migration.INDEX_NAME}")
                print("Loading ...", flush=True)
                load(cursor, args.tickets, args.comments, params)
                print("Filling search_vector (migration 0005's backfill) ...", flush=True)
                t1 = time.perf_counter()
                cursor.execute("SET work_mem = '256MB'")
                cursor.execute(bigram_migration.BACKFILL)
                print(f"  {time.perf_counter() - t1:.0f} s", flush=True)
                print("Building the GIN indexes (the migrations' SQL) ...", flush=True)
                cursor.execute("SET maintenance_work_mem = '1GB'")
                for name, table, expression in index_migration.INDEXES:
                    cursor.execute(f"CREATE INDEX {name} ON {table} USING gin (({expression}))")
                cursor.execute(
                    vector_migration.CREATE_INDEX.replace("CONCURRENTLY IF NOT EXISTS ", "")
                )
                cursor.execute("VACUUM ANALYZE")
            print(f"Loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tickets_ticket")
            n_tickets = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM tickets_comment")
            n_comments = cursor.fetchone()[0]
            rng = random.Random(42)
            workload = queries(cursor, rng)
        agent = User.objects.filter(role="agent").order_by("pk").first()

        def run_once(text: str) -> tuple[float, int]:
            start = time.perf_counter()
            results = search(agent, text)
            results.page(1, 100)
            results.count  # noqa: B018 -- the API reports it with every page
            elapsed = (time.perf_counter() - start) * 1000
            return elapsed, results.counts().get("ticket", 0)

        for _kind, text in workload:  # warm-up
            run_once(text)
        samples: dict[str, list[float]] = {}
        counts: dict[str, int] = {}
        for _ in range(args.runs):
            for kind, text in workload:
                ms, count = run_once(text)
                samples.setdefault(kind, []).append(ms)
                counts[text] = count
        everything = [ms for values in samples.values() for ms in values]
        median, p95 = statistics.median(everything), pct(everything, 0.95)

        print(f"\n{n_tickets:,} tickets, {n_comments:,} comments, {len(workload)} queries")
        print(f"{'kind':<12} {'n':>3} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  results")
        kind_rows = []
        for kind, values in samples.items():
            hits = [counts[t] for k, t in workload if k == kind]
            row = (
                kind,
                len(hits),
                statistics.median(values),
                pct(values, 0.95),
                max(values),
                f"{min(hits):,}-{max(hits):,}",
            )
            kind_rows.append(row)
            print(
                f"{row[0]:<12} {row[1]:>3} {row[2]:>10.1f} {row[3]:>8.1f} {row[4]:>8.1f}  {row[5]}"
            )
        print(f"{'all':<12} {len(workload):>3} {median:>10.1f} {p95:>8.1f} {max(everything):>8.1f}")

        explain_query = workload[0][1]
        results = search(agent, explain_query)
        # The query SearchResults.page() runs: page ids + capped total in one statement.
        page_query = SearchResults.ticket_page_query(results.tickets, 0, 100)
        plan = page_query.explain(analyze=True, buffers=True)
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) first page of {explain_query!r}:\n{plan}")
        phrase_query = next(text for kind, text in workload if kind == "phrase")
        results = search(agent, phrase_query)
        plan = SearchResults.ticket_page_query(results.tickets, 0, 100).explain(
            analyze=True, buffers=True
        )
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) first page of {phrase_query!r}:\n{plan}")

        verdict = "PASS" if p95 < TARGET_MS else "FAIL"
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        command = " ".join(
            [".venv/bin/python", "bench/bench_search_pg.py", *map(shlex.quote, sys.argv[1:])]
        )
        lines = [
            "",
            "## Search (PostgreSQL)",
            "",
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {platform.node() or 'vm'}, {os.cpu_count()} CPUs "
            f"({platform.machine()}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, PostgreSQL {server}; load average "
            f"{os.getloadavg()[0]:.1f} at the end (shared VM)",
            f"- Command: `{command}`",
            f"- Data: {n_tickets:,} tickets, {n_comments:,} comments of English-ish text "
            "(30 % stop words, 63 % ~600 support words skewed so the top ones are in about half "
            "of the comments, 7 % rare pseudo-words); Ticket.search_vector (with the bigram "
            "lexemes of migration 0005) filled by migration 0005's backfill; GIN indexes from "
            "migrations 0003 and 0004; ANALYZEd.",
            f"- {len(workload)} free-text queries x {args.runs} timed passes after a warm-up, each "
            "`search(agent, q)` + first page of 100 + total count (exact up to "
            f"{TICKET_COUNT_CAP:,}), through the Django ORM:",
            "",
            "| kind | queries | median | p95 | max | matching tickets |",
            "|---|---|---|---|---|---|",
            *[
                f"| {r[0]} | {r[1]} | {r[2]:.1f} ms | {r[3]:.1f} ms | {r[4]:.1f} ms | {r[5]} |"
                for r in kind_rows
            ],
            f"| **all** | {len(workload)} | **{median:.1f} ms** | **{p95:.1f} ms** | "
            f"{max(everything):.1f} ms | |",
            "",
            f"Target p95 < {TARGET_MS:.0f} ms. Result: {verdict}.",
            "",
        ]
        markdown = "\n".join(lines)
        print(markdown)
        if args.append_results:
            path = ROOT / "bench" / "RESULTS.md"
            existing = path.read_text() if path.exists() else "# Benchmark results\n"
            path.write_text(existing.rstrip("\n") + "\n" + markdown)
        return 0 if verdict == "PASS" else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(base_url)


if __name__ == "__main__":
    sys.exit(main())
