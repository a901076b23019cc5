"""Webhook URLs against SSRF: public HTTPS only, checked when saved and again at every delivery (DNS can change
between the two), and the delivery connects to the very address that was checked (no second DNS lookup, no
redirects followed).

Operators may allow plain HTTP (TRAMONTANE_WEBHOOK_ALLOW_HTTP) and exempt named hosts from the public-address and
HTTPS checks (TRAMONTANE_WEBHOOK_ALLOWED_HOSTS, e.g. a receiver inside their own network).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

_getaddrinfo = socket.getaddrinfo  # module attribute: tests replace it to simulate DNS answers


class WebhookUrlRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the delivery connects to ("" when not resolvable and not required)


def _allowed_hosts() -> set[str]:
    return {h.strip().lower().strip("[]").rstrip(".") for h in settings.TRAMONTANE_WEBHOOK_ALLOWED_HOSTS if h.strip()}


def _internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global  # e.g. shared address space 100.64.0.0/10, documentation ranges
    )


def webhook_url_check(url: str, *, require_dns: bool = True) -> Target:
    """The URL's target when it may receive webhooks; WebhookUrlRefused saying why (and what to do) otherwise.

    Saving passes require_dns=False: a receiver whose name does not resolve yet may be configured (every address
    it does resolve to is still checked); each delivery requires it and checks again."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused("invalid_url", _("This is not a valid URL. Use https://host/path.")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookUrlRefused(
            "unsupported_scheme", _("Webhook URLs must start with https:// (other schemes are not allowed).")
        )
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused(
            "credentials_in_url",
            _(
                "Do not put a user name or password in the webhook URL: receivers authenticate deliveries "
                "with the signing secret (X-Tramontane-Signature header)."
            ),
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise WebhookUrlRefused("invalid_url", _("The webhook URL has no host name. Use https://host/path."))
    allowed = host in _allowed_hosts()
    if scheme == "http" and not (allowed or settings.TRAMONTANE_WEBHOOK_ALLOW_HTTP):
        raise WebhookUrlRefused(
            "https_required",
            _("Webhook URLs must use https:// so deliveries are encrypted. Change http:// to https://."),
        )
    port = port or (443 if scheme == "https" else 80)
    try:
        address = _checked_address(host, port, allowed=allowed)
    except WebhookUrlRefused as exc:
        if require_dns or exc.code != "unresolvable_host":
            raise
        address = ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, path=path, address=address)


def _checked_address(host: str, port: int, *, allowed: bool) -> str:
    try:
        infos = _getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookUrlRefused(
            "unresolvable_host",
            _("The host %(host)s could not be found (DNS). Check the webhook URL.") % {"host": host},
        ) from exc
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    if not addresses:
        raise WebhookUrlRefused(
            "unresolvable_host",
            _("The host %(host)s could not be found (DNS). Check the webhook URL.") % {"host": host},
        )
    if not allowed:
        # Every address must be public: a name resolving to one public and one internal address is refused.
        for address in addresses:
            if _internal(ipaddress.ip_address(address)):
                raise WebhookUrlRefused(
                    "internal_address",
                    _(
                        "The webhook host %(host)s points to an internal address (%(address)s); webhooks are only "
                        "sent to public internet addresses. Use a public HTTPS URL, or ask the platform operator to "
                        "allow this host."
                    )
                    % {"host": host, "address": address},
                )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while sending the URL's host name (Host header)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Same, over TLS: the certificate is verified against the URL's host name (SNI too)."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def webhook_post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST to a webhook URL re-checked now. (HTTP status or None, error for the delivery log)."""
    try:
        target = webhook_url_check(url)
    except WebhookUrlRefused as exc:
        return None, f"refused ({exc.code}): {exc.message}"
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout) if target.scheme == "https" else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        status = int(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return None, str(exc) or exc.__class__.__name__
    finally:
        connection.close()
    if 300 <= status < 400:
        return status, f"HTTP {status}: redirects are not followed; configure the final URL"
    return status, "" if 200 <= status < 300 else f"HTTP {status}"
