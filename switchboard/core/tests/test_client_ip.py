"""Which address a request comes from, behind zero or more trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from switchboard.core.client_ip import client_address, client_ip, parse_networks

PROXIES = parse_networks(("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"))


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        # no proxy configured: the peer, and X-Forwarded-For is ignored (anyone can send it)
        ("203.0.113.5", "198.51.100.1", (), "203.0.113.5"),
        # a peer that is not a trusted proxy: its own address, whatever it claims
        ("203.0.113.5", "198.51.100.1", PROXIES, "203.0.113.5"),
        # one trusted proxy: the hop it appended
        ("10.0.0.2", "198.51.100.1", PROXIES, "198.51.100.1"),
        # a client forging hops on the left does not move the answer
        ("10.0.0.2", "1.1.1.1, 8.8.8.8, 198.51.100.1", PROXIES, "198.51.100.1"),
        # two trusted proxies in a chain: the right-most untrusted hop
        ("10.0.0.2", "198.51.100.1, 192.0.2.7, 10.1.1.1", PROXIES, "198.51.100.1"),
        # every hop trusted (an internal health check): the left-most
        ("10.0.0.2", "10.9.9.9, 10.1.1.1", PROXIES, "10.9.9.9"),
        # garbage where the proxy's hop should be: the last readable trusted hop
        ("10.0.0.2", "198.51.100.1, not-an-ip", PROXIES, "10.0.0.2"),
        # ports and IPv6
        ("10.0.0.2", "198.51.100.1:51234", PROXIES, "198.51.100.1"),
        ("2001:db8::1", "[2001:db8:ffff::1]:443, 2600::5", PROXIES, "2600::5"),
        ("::ffff:10.0.0.2", "198.51.100.1", PROXIES, "198.51.100.1"),
        # a proxy that sent no header: the proxy
        ("10.0.0.2", "", PROXIES, "10.0.0.2"),
    ],
)
def test_client_address(remote, forwarded, trusted, expected):
    assert client_address(remote, forwarded, trusted) == expected


def test_bad_proxy_setting_names_the_entry():
    with pytest.raises(ValueError, match="not-a-network"):
        parse_networks(("10.0.0.0/8", "not-a-network"))


def test_client_ip_reads_the_setting(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    settings.SWITCHBOARD_TRUSTED_PROXIES = []
    assert client_ip(request) == "10.0.0.2"
    settings.SWITCHBOARD_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request) == "198.51.100.1"


def test_axes_gets_none_for_a_request_without_an_address():
    """force_login and requests built in code have no REMOTE_ADDR; axes stores NULL, not junk
    (PostgreSQL's inet column refuses "unknown")."""
    from django.http import HttpRequest

    from switchboard.core.client_ip import client_ip_for_axes

    assert client_ip_for_axes(HttpRequest()) is None
    assert client_ip_for_axes(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")) == "203.0.113.5"
