"""Client addresses and the trusted-network rule (PERM-09)."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address; X-Forwarded-For is trusted only for TRADEPORT_PROXY_COUNT proxies."""
    proxies = settings.TRADEPORT_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def in_networks(ip: str | None, networks: list[str]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False
