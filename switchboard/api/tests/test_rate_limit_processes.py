"""The rate limit holds across processes: two gunicorn workers share one count per user."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from switchboard.accounts.actions import issue_api_token
from switchboard.accounts.tests.factories import AgentFactory

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def get(url: str, token: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


@pytest.fixture
def gunicorn(child_env):
    """`gunicorn -w 2` on this test's database with a limit of 40 requests a minute."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**child_env, "SWITCHBOARD_API_RATE_LIMIT": "40", "LOG_LEVEL": "WARNING"}
    gunicorn_bin = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn_bin), "config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def test_two_workers_share_one_count(gunicorn):
    """70 concurrent requests from one user with a limit of 40: exactly 40 pass, 30 get 429."""
    token, _ = issue_api_token(user=AgentFactory())
    if time.time() % 60 > 45:  # keep the burst inside one rate-limit window
        time.sleep(61 - time.time() % 60)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: get(f"{gunicorn}/api/v2/users/me.json", token), range(70))
        )
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(200) == 40 and statuses.count(429) == 30
    remaining = sorted(int(h["X-Rate-Limit-Remaining"]) for s, h in answers if s == 200)
    assert remaining == list(range(40))
    assert all(1 <= int(h["Retry-After"]) <= 60 for s, h in answers if s == 429)
