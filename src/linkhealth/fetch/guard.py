"""The address guard: which addresses linkhealth may connect to.

By default no connection goes to a loopback, private, link-local, multicast,
reserved, unspecified or shared (CGNAT 100.64/10) address, nor to an IPv6
address outside global unicast ``2000::/3`` (site-local ``fec0::/10`` included),
nor to an IPv6 form that embeds one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``). The check runs on the *resolved* address, at connect time:

* :class:`GuardResolver` (aiohttp's resolver interface, which both transports use)
  resolves every host
  name, applies ``settings.resolve`` and drops blocked addresses, so redirects
  and DNS rebinding are covered (the connection uses the address checked);
* :func:`make_socket_factory` re-checks the socket address just before connect
  (covers IP-literal hosts, which aiohttp does not pass to the resolver);
* :func:`check_literal_host` refuses IP-literal hosts (including the legacy
  forms ``2130706433`` and ``0x7f.1``) and the names ``localhost`` and
  ``*.localhost`` (loopback by definition, RFC 6761; no DNS is asked) before any
  request is built.

A name with several addresses is refused as a whole when *any* of them is
blocked: which record a client ends up using is the attacker's choice (order,
happy eyeballs, a failing first address), so a public record next to a private
one is no reason to connect.

Addresses the user names in ``settings.resolve`` are trusted: the user chose
them explicitly, like curl's ``--resolve``. Tests rely on this to stand a
loopback server in for a public host while every *other* loopback address
(a redirect to ``127.0.0.3``, ``localhost``, ``[::ffff:127.0.0.1]``) stays blocked.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.request import getproxies

from linkhealth.errors import ConfigError
from linkhealth.fetch.resolver import Resolver, ResolveResult
from linkhealth.fetch.resolver import ThreadedResolver as DefaultResolver
from linkhealth.lazyre import lazy_compile

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
# IPv6 global unicast (RFC 4291 2.4): the only IPv6 block public hosts live in. Anything
# outside it (site-local fec0::/10, ULA, link-local, reserved blocks) is never public,
# whatever the running Python's special-purpose tables say (fec0::/10 is "global" there).
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_LEGACY_V4 = lazy_compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$", re.I)


class AddressBlocked(OSError):
    """A connection to a non-public address was refused by the guard."""

    def __init__(self, host: str, addresses: Iterable[str]) -> None:
        self.host = host
        self.addresses = tuple(addresses)
        shown = ", ".join(self.addresses) or host
        super().__init__(f"{host} resolves to a non-public address ({shown})")


def is_blocked(ip: IPAddress) -> bool:
    """Whether ``ip`` is not a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            return is_blocked(embedded)
        if ip not in _GLOBAL_UNICAST_V6:
            return True
    elif ip in _SHARED:
        return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return None


def parse_ip(host: str) -> IPAddress | None:
    """The address an IP-literal host denotes, including legacy IPv4 forms; else ``None``.

    ``2130706433``, ``0x7f.1`` and ``127.1`` all denote 127.0.0.1 to the C
    resolver, so they are parsed the way it parses them.
    """
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_V4.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


@functools.lru_cache(maxsize=4096)
def is_canonical_ip(host: str) -> bool:
    """Whether ``host`` (``[v6]`` brackets allowed) is an IP address in its standard
    form, connected to as it is: the one rule for "an IP literal, not a name" (the
    legacy forms :func:`parse_ip` reads are not). Remembered per host: every request
    and every new connection asks it."""
    text = host.strip("[]")
    if not text or not (text[-1].isdigit() or ":" in text):
        return False  # a name: an IPv4 address ends in a digit, an IPv6 one holds ":"
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class Guard:
    """The address policy of one run."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Mapping[str, str],
        trusted_hosts: Iterable[str] = (),
    ) -> None:
        self.allow_private = allow_private
        self.resolve: dict[str, tuple[str, int | None]] = {
            name.lower().rstrip("."): parse_resolve_target(name, target)
            for name, target in resolve.items()
        }
        self.trusted_hosts = {h.lower() for h in trusted_hosts}
        self.trusted_addresses: set[IPAddress] = set()
        for addr, _ in self.resolve.values():
            self.trusted_addresses.add(ipaddress.ip_address(addr))
        for host in self.trusted_hosts:  # a proxy given by address
            ip = parse_ip(host)
            if ip is not None:
                self.trusted_addresses.add(ip)

    def allows(self, ip: IPAddress) -> bool:
        return self.allow_private or ip in self.trusted_addresses or not is_blocked(ip)

    def check_literal_host(self, host: str) -> None:
        """Raise :class:`AddressBlocked` for an IP-literal or ``localhost`` ``host``
        the policy refuses (names are otherwise checked when resolved)."""
        key = host.lower().rstrip(".")
        if key in self.resolve or self.allow_private:
            return
        if is_localhost_name(key):
            raise AddressBlocked(host, ["loopback by name"])
        ip = parse_ip(host)
        if ip is None or self.allow_private or not is_blocked(ip):
            return
        raise AddressBlocked(host, [str(ip)])


def is_localhost_name(host: str) -> bool:
    """``localhost`` and every name under it (RFC 6761 §6.3), any case, trailing dot."""
    key = host.lower().rstrip(".")
    return key == "localhost" or key.endswith(".localhost")


def parse_resolve_target(name: str, target: str) -> tuple[str, int | None]:
    """``"127.0.0.2"``, ``"127.0.0.2:8080"``, ``"[::1]:8080"`` → (address, port)."""
    text = target.strip()
    port: int | None = None
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        if rest:
            port = _port(name, rest.removeprefix(":"))
    elif text.count(":") == 1:
        addr, _, p = text.partition(":")
        port = _port(name, p)
    else:
        addr = text
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        raise ConfigError(f"resolve {name}={target}: {addr!r} is not an IP address") from None
    return addr, port


def _port(name: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"resolve {name}: invalid port {text!r}")
    return int(text)


def env_proxy_hosts() -> set[str]:
    """Host names of the proxies configured in the environment (trusted when used)."""
    from yarl import URL

    hosts = set()
    for key, value in getproxies().items():
        if key == "no":
            continue
        try:
            host = URL(value).host
        except ValueError:
            continue
        if host:
            hosts.add(host.lower())
    return hosts


class GuardResolver:
    """A resolver (aiohttp's interface) applying ``--resolve`` and refusing blocked
    addresses, around ``inner`` (the look-ups)."""

    def __init__(self, guard: Guard, inner: Resolver | None = None) -> None:
        self._guard = guard
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        key = host.lower().rstrip(".")
        mapped = self._guard.resolve.get(key)
        if mapped is not None:
            addr, mapped_port = mapped
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            return [
                {
                    "hostname": host,
                    "host": addr,
                    "port": mapped_port or port,
                    "family": fam,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]
        guard = self._guard
        trusted = guard.allow_private or key in guard.trusted_hosts
        if not trusted and is_localhost_name(key):
            raise AddressBlocked(host, ["loopback by name"])
        infos = await self._inner.resolve(host, port, family)
        if trusted:
            if key in guard.trusted_hosts:  # a proxy by name: its addresses are trusted too
                guard.trusted_addresses.update(_address(i["host"]) for i in infos)
            return infos
        # Any blocked record blocks the name: the attacker picks which one is used.
        refused = [i["host"] for i in infos if not guard.allows(_address(i["host"]))]
        if refused or not infos:
            raise AddressBlocked(host, refused)
        return infos

    async def close(self) -> None:
        await self._inner.close()


def _address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])


#: Makes the socket for one (family, type, proto, canonname, address) before its connect.
SocketFactory = Callable[[tuple[int, int, int, str, tuple[Any, ...]]], socket.socket]


def make_socket_factory(guard: Guard) -> SocketFactory:
    """A socket factory (aiohttp's interface, both transports use it) that re-checks the
    address right before connecting."""

    def factory(addr_info: tuple[int, int, int, str, tuple[Any, ...]]) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        if not guard.allow_private:
            ip = _address(str(sockaddr[0]))
            if not guard.allows(ip):
                raise AddressBlocked(str(sockaddr[0]), [str(ip)])
        return socket.socket(family=family, type=type_, proto=proto)

    return factory
