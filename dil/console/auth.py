"""Who may look and who may act.

The console binds to 127.0.0.1 by default, where anyone on the machine may watch. Bound to any
other address it needs a token for everything but the page itself. Control actions need the token
always. The token is given at start (``--token``, or ``--token-file``) or, on loopback without one,
made up and printed with the page's address. Browsers send it as the websocket subprotocol
``token.<TOKEN>`` (so that it never appears in an address or an access log) and as
``Authorization: Bearer <TOKEN>`` on HTTP requests.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

TOKEN_PREFIX = "token."
SUBPROTOCOL = "dil-console"
MIN_TOKEN = 16


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_token(token: str | None, token_file: Path | None) -> str | None:
    """The token from the command line or its file (first line); ValueError if unusable."""
    if token and token_file:
        raise ValueError("give --token or --token-file, not both")
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except OSError as e:
            raise ValueError(f"--token-file {token_file}: cannot read ({e.strerror})") from None
    if token is None:
        return None
    if len(token) < MIN_TOKEN or not all(c.isalnum() or c in "-_" for c in token):
        raise ValueError(
            f"the token must be at least {MIN_TOKEN} letters, digits, '-' or '_' "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    return token


@dataclass(frozen=True)
class Access:
    token: str
    view_needs_token: bool
    """True when bound beyond loopback."""

    @staticmethod
    def for_host(host: str, token: str | None) -> Access:
        if token is None and not is_loopback(host):
            raise ValueError(f"binding the console to {host} needs a token (--token or --token-file)")
        return Access(token or secrets.token_urlsafe(24), not is_loopback(host))

    def valid(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def from_header(self, authorization: str | None) -> str | None:
        if authorization and authorization.startswith("Bearer "):
            return authorization[len("Bearer ") :].strip()
        return None

    @staticmethod
    def from_subprotocols(header: str | None) -> tuple[str | None, bool]:
        """(token, whether the page speaks ``dil-console``) from ``Sec-WebSocket-Protocol``."""
        names = [p.strip() for p in (header or "").split(",") if p.strip()]
        token = next((p[len(TOKEN_PREFIX) :] for p in names if p.startswith(TOKEN_PREFIX)), None)
        return token, SUBPROTOCOL in names
