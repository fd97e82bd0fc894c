"""Where outbound calls may go: the guard against server-side request forgery.

Customers choose the URLs hirebridge calls: an HRIS connection's base URL, webhook and write-back URLs. Without a
guard, anyone who may write those could aim the service at its own network (a database's HTTP port, a cloud
metadata endpoint at 169.254.169.254) and, through the attempt log, read the answers. So every outbound connection
goes through ``GuardedTransport``: the host name is resolved once, every address it resolves to must be public, and
the socket connects to an address that was checked. Checking and connecting to the same address is what keeps a DNS
answer that changes between the check and the connect (DNS rebinding) from slipping through.

Loopback, private, link-local, shared (CGNAT), multicast and reserved ranges are refused unless the operator allows
private networks (``HIREBRIDGE_ALLOW_PRIVATE_NETWORK``; on by default only in demo mode, whose simulators listen on
127.0.0.1). So are IPv6 addresses that carry an IPv4 address a network may deliver to (IPv4-mapped and
IPv4-compatible, NAT64, 6to4, Teredo) when that IPv4 address is not public; the local-use NAT64 prefix always.

Outbound calls do not use ``HTTP_PROXY``/``HTTPS_PROXY``: the guarded transport connects directly, since a proxy
would resolve the host itself and the check would no longer bind the connection.

``url_problem`` checks a URL when a customer stores it (webhook, HRIS base URL, result write-back), so one that can
never be called is refused with a field error then instead of failing every attempt later: not http(s), no host,
user info, a host that is neither a valid name nor a canonical IP address (``0177.0.0.1``, ``2130706433``, which
resolvers read as 127.0.0.1), and, unless private networks are allowed, an address or ``localhost`` that is not
public. Host names are resolved only when called.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from hirebridge.tls import client_context

__all__ = ["BlockedAddress", "GuardedTransport", "embedded_ipv4", "is_public", "url_problem"]

ALLOW_SETTING = "HIREBRIDGE_ALLOW_PRIVATE_NETWORK"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(httpcore.ConnectError):
    """The destination resolves to an address outbound calls may not reach. Nothing was sent.

    httpx re-raises it as ``httpx.ConnectError`` with this exception as ``__cause__``; ``blocked()`` finds it."""


def blocked(exc: BaseException) -> BlockedAddress | None:
    """The ``BlockedAddress`` behind an httpx error, if that is what it was."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BlockedAddress):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # ::a.b.c.d (deprecated, RFC 4291 2.5.5.1)
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix, RFC 6052
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use prefix, RFC 8215: never public


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and that a translator or relay may deliver it to."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in IPV4_COMPATIBLE or address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:  # 2002::/16, the IPv4 address in bits 16-48
        found.append(address.sixtofour)
    if address.teredo is not None:  # 2001::/32: (server, client), the client's address de-obfuscated
        found.extend(address.teredo)
    return found


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet. An IPv6 address that carries an IPv4 address must be public
    itself and carry only public IPv4 addresses; an IPv4-mapped one is judged as its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address in NAT64_LOCAL:
            return False
        if not all(is_public(v4) for v4 in embedded_ipv4(address)):
            return False
    return address.is_global and not address.is_multicast


# A host WHATWG URL parsing (browsers, curl) and inet_aton read as an IPv4 address: the last label is a number.
_NUMERIC_LAST_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$", re.IGNORECASE)  # "_": container and service names
_PRIVATE_ONLY_WHEN = f"hirebridge calls private networks only when {ALLOW_SETTING}=true"


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why hirebridge could never call ``url``, as a field error's reason; None when it may."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "must be an http(s) URL (http:// or https://)"
    if "@" in parts.netloc:
        return "must not carry a user name or password in the URL"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "must name a host"
    try:
        address: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None:
        labels = host.split(".")
        if _NUMERIC_LAST_LABEL.match(labels[-1]):
            return "has a host that is not a valid IP address (write an IPv4 address as four decimal numbers)"
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "has a host name that is not valid"
        if not all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
            return "has a host name that is not valid"
        if not allow_private and (ascii_host.lower() == "localhost" or ascii_host.lower().endswith(".localhost")):
            return (
                f"points at this machine (localhost); hirebridge calls private networks only when {ALLOW_SETTING}=true"
            )
    elif not allow_private and not is_public(address):
        return f"points at {address}, which is not a public address; {_PRIVATE_ONLY_WHEN}"
    return None


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's own socket backend, resolving the host itself so it connects only to addresses it checked."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        if not self._allow_private:
            for address in addresses:
                if not is_public(address):
                    raise BlockedAddress(
                        f"{host} resolves to {address}, which is not a public address; hirebridge does not call "
                        f"private networks unless {ALLOW_SETTING}=true"
                    )
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    @staticmethod
    def _resolve(host: str, port: int) -> list[IPAddress]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone id
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        return addresses


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the address guard; TLS still verifies the certificate against the host name."""

    def __init__(self, *, allow_private: bool, ssl_context: ssl.SSLContext | None = None) -> None:
        """``ssl_context``: another TLS context than the shared one (a connector's client certificate, say)."""
        context = ssl_context or client_context()
        super().__init__(verify=context, retries=0)
        self.allow_private = allow_private
        # httpx offers no way to hand its connection pool a network backend, so the pool is rebuilt here with
        # httpx's own defaults and ours; the rest of the transport (request and error mapping) is httpx's.
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_GuardedBackend(allow_private),
        )
