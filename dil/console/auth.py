"""Who may look and who may act.

The console binds to 127.0.0.1 by default, where anyone on the machine may watch. Bound to any
other address it needs a token for everything but the page itself. Control actions need the token
always. The token is given at start (``--token``, or ``--token-file``) or, on loopback without one,
made up and printed with the page's address. Browsers send it as the websocket subprotocol
``token.<TOKEN>`` (so that it never appears in an address or an access log) and as
``Authorization: Bearer <TOKEN>`` on HTTP requests.

The e-stop needs nothing: it is honoured from anyone who can reach the console (stopping is
always safe); :meth:`Access.token_state` only records in the audit whether a valid token came with it.

A websocket whose ``Origin`` is present and is not the console's own (the address it is served on,
with ``localhost``, ``127.0.0.1`` and ``[::1]`` equivalent on loopback) nor one given with
``--allow-origin`` is refused: another site open in the operator's browser cannot read the feed.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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

    def token_state(self, given: str | None) -> str:
        """``valid``, ``refused`` (a token that is not this console's) or ``none``."""
        return "none" if given is None else "valid" if self.valid(given) else "refused"

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


def normal_origin(origin: str) -> tuple[str, str, int] | None:
    """``scheme://host[:port]`` -> (scheme, host, port) with the scheme's default port filled in
    and loopback names made one; None if it is not such an address (e.g. ``null``)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    host = parts.hostname.lower()
    if is_loopback(host):
        host = "loopback"
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def origin_allowed(
    origin: str | None, host_header: str | None, bind: str, port: int, allow: tuple[str, ...]
) -> bool:
    """Whether a websocket from ``origin`` may connect to a console bound to ``bind``:``port``.

    No Origin (not a browser): allowed (the token rules still apply). Otherwise it must be the
    console's own origin: the bound address, a loopback address when bound to loopback or to every
    interface, the ``Host`` the browser asked for when bound beyond loopback (viewing there needs
    the token anyway), or one of ``allow`` (``--allow-origin``, e.g. a proxy's ``https://rig.lab``)."""
    if origin is None:
        return True
    got = normal_origin(origin)
    if got is None:
        return False
    if any(normal_origin(a) == got for a in allow):
        return True
    scheme, host, got_port = got
    if host == "loopback":
        return got_port == port and (is_loopback(bind) or bind in ("0.0.0.0", "::", ""))
    if is_loopback(bind):
        return False  # a page of another name on this machine (e.g. DNS rebinding) gets nothing
    if host_header and normal_origin(f"{scheme}://{host_header}") == got:
        return True
    own = normal_origin(f"http://{bind if ':' not in bind else f'[{bind}]'}:{port}")
    return own is not None and own[1:] == got[1:]
