"""Where outbound calls may go: the guard against server-side request forgery.

Customers choose the URLs hirebridge calls: an HRIS connection's base URL, webhook and write-back URLs. Without a
guard, anyone who may write those could aim the service at its own network (a database's HTTP port, a cloud
metadata endpoint at 169.254.169.254) and, through the attempt log, read the answers. So every outbound connection
goes through ``GuardedTransport``: the host name is resolved once, every address it resolves to must be public, and
the socket connects to an address that was checked. Checking and connecting to the same address is what keeps a DNS
answer that changes between the check and the connect (DNS rebinding) from slipping through.

Loopback, private, link-local, shared (CGNAT), multicast and reserved ranges are refused unless the operator allows
private networks (``HIREBRIDGE_ALLOW_PRIVATE_NETWORK``; on by default only in demo mode, whose simulators listen on
127.0.0.1). When an HTTP proxy is configured through the environment, calls go through it and the proxy is the place
to restrict where they may go.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import httpcore
import httpx

from hirebridge.tls import client_context

__all__ = ["BlockedAddress", "GuardedTransport", "is_public"]

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


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (IPv4-mapped IPv6 addresses are judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


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

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__(verify=client_context(), retries=0)
        # httpx offers no way to hand its connection pool a network backend, so the pool is rebuilt here with
        # httpx's own defaults and ours; the rest of the transport (request and error mapping) is httpx's.
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=client_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_GuardedBackend(allow_private),
        )
