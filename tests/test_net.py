"""The outbound address policy for admin-configured endpoints (fine-tuning API, suggestion provider)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import httpx2
import pytest

from app.config import get_settings
from app.net import (
    EndpointRefusedError,
    PolicyTransport,
    _CheckedBackend,
    address_problem,
    check_url,
    parse_host,
    policy_http_client,
)


def _allow_private(monkeypatch: pytest.MonkeyPatch, value: bool) -> None:
    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true" if value else "false")
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("2852039166", "169.254.169.254"),
        ("[::ffff:169.254.169.254]", "169.254.169.254"),
        ("[::ffff:a9fe:a9fe]", "169.254.169.254"),
        ("[fe80::1%25eth0]", "fe80::1"),
        ("api.openai.com", None),
        ("10.example.com", None),
    ],
)
def test_odd_spellings_are_normalised(host: str, address: str | None) -> None:
    parsed = parse_host(host)
    assert (str(parsed) if parsed is not None else None) == address


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://2852039166/v1",
        "http://[fe80::1]/v1",
        "http://[::ffff:169.254.169.254]/v1",
        "http://0.0.0.0:8000/v1",
        "http://[::]/v1",
        "http://224.0.0.1/v1",
    ],
)
@pytest.mark.parametrize("opted_in", [False, True])
def test_link_local_and_special_addresses_are_never_allowed(
    url: str, opted_in: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _allow_private(monkeypatch, opted_in)
    with pytest.raises(EndpointRefusedError):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/v1", "http://2130706433/v1", "http://127.1/v1", "http://10.0.0.5/v1",
     "http://192.168.1.20:11434/v1", "http://[::1]/v1", "http://[fd00::5]/v1", "http://100.64.0.1/v1",
     "http://localhost:8000/v1"],
)  # fmt: skip
def test_loopback_and_private_only_when_opted_in(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _allow_private(monkeypatch, False)
    with pytest.raises(EndpointRefusedError, match="PAIRWISE_ALLOW_PRIVATE_ENDPOINTS"):
        check_url(url)
    _allow_private(monkeypatch, True)
    check_url(url)


def test_public_addresses_are_allowed() -> None:
    assert address_problem(ipaddress.ip_address("8.8.8.8"), allow_private=False) is None
    check_url("https://api.openai.com/v1", resolve=False)


def test_saving_a_metadata_url_as_the_fine_tuning_endpoint_is_refused(engine: object) -> None:
    from app.db import session_scope
    from app.errors import ValidationFailedError
    from app.training.provider import save_credentials

    with session_scope() as session, pytest.raises(ValidationFailedError, match="link-local"):
        save_credentials(session, base_url="http://169.254.169.254/v1", api_key="sk-0123456789", user_id=None)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"internal service")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def internal_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(
    internal_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs when connecting (after DNS), not only when the URL is saved."""
    _allow_private(monkeypatch, False)
    with (
        policy_http_client(timeout=10) as client,
        pytest.raises(httpx2.ConnectError, match="outbound address policy"),
    ):
        client.get(f"http://localhost:{internal_port}/")
    with (
        policy_http_client(timeout=10) as client,
        pytest.raises(httpx2.ConnectError, match="outbound address policy"),
    ):
        client.get(f"http://2130706433:{internal_port}/")


def test_with_the_opt_in_the_same_request_goes_through(
    internal_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _allow_private(monkeypatch, True)
    with policy_http_client(timeout=10) as client:
        assert client.get(f"http://localhost:{internal_port}/").text == "internal service"


def test_the_transport_really_uses_the_checking_backend() -> None:
    """Guards the one private attribute we set: a new httpx2 must not silently drop the check."""
    assert isinstance(PolicyTransport()._pool._network_backend, _CheckedBackend)
