"""CURVE encryption and authentication for links that leave the machine, with keys from files.

Key files are ZeroMQ's certificate format (``zmq.auth``): ``NAME.key`` holds the public key and
``NAME.key_secret`` the public and secret keys. ``dil keys NAME --dir DIR`` makes a pair. A bus
with CURVE binds its sockets as CURVE servers (its own key pair) and connects as a client (its own
key pair plus the server's public key; ``server_keys`` names a different server key for particular
topics or services, for a process that connects to servers holding different keys: the runtime to
the rig's ``rig/feedback``, the rig to the runtime's ``rig/command``). With ``authorized_dir`` a
server accepts only clients whose public key file is in that directory; without it any client
with the server's public key may connect, and the link is still encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator


class KeyFileError(ValueError):
    """A key file is missing or not a ZeroMQ certificate."""


def _load(path: Path, secret: bool) -> tuple[bytes, bytes | None]:
    if not path.is_file():
        raise KeyFileError(f"{path}: no such key file")
    try:
        public, secret_key = zmq.auth.load_certificate(path)
    except (ValueError, OSError) as e:
        raise KeyFileError(f"{path}: not a ZeroMQ certificate ({e})") from None
    if secret and secret_key is None:
        raise KeyFileError(f"{path}: holds no secret key (use the .key_secret file)")
    return public, secret_key


def generate(directory: str | Path, name: str) -> tuple[Path, Path]:
    """Write ``NAME.key`` and ``NAME.key_secret`` in ``directory``; returns both paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    public, secret = zmq.auth.create_certificates(d, name)
    Path(secret).chmod(0o600)
    return Path(public), Path(secret)


@dataclass(frozen=True)
class Curve:
    """This process's key pair, the server key it trusts, and optionally who may connect to it."""

    secret_file: Path
    """Our ``.key_secret`` file."""
    server_key_file: Path | None = None
    """The public key of the servers we connect to (needed to connect)."""
    authorized_dir: Path | None = None
    """Public keys of the clients allowed to connect to us; None allows any key."""
    server_keys: tuple[tuple[str, Path], ...] = ()
    """``(topic or service, public key file)``: the server key for that address instead."""

    def __post_init__(self) -> None:
        public, secret = _load(Path(self.secret_file), secret=True)
        object.__setattr__(self, "_public", public)
        object.__setattr__(self, "_secret", secret)
        server = _load(Path(self.server_key_file), secret=False)[0] if self.server_key_file else None
        object.__setattr__(self, "_server", server)
        per_topic = {name: _load(Path(path), secret=False)[0] for name, path in self.server_keys}
        object.__setattr__(self, "_per_topic", per_topic)
        if self.authorized_dir is not None and not Path(self.authorized_dir).is_dir():
            raise KeyFileError(f"{self.authorized_dir}: no such directory of authorised public keys")

    def server(self, sock: zmq.Socket) -> None:
        """Make ``sock`` a CURVE server (before bind)."""
        sock.curve_secretkey = self._secret  # type: ignore[attr-defined]
        sock.curve_publickey = self._public  # type: ignore[attr-defined]
        sock.curve_server = True

    def client(self, sock: zmq.Socket, name: str = "") -> None:
        """Make ``sock``, about to connect to topic or service ``name``, a CURVE client."""
        server = self._per_topic.get(name, self._server)  # type: ignore[attr-defined]
        if server is None:
            raise KeyFileError(
                f"connecting to {name or 'a server'} with CURVE needs the server's public key file "
                "(server_key_file, or server_keys for that topic)"
            )
        sock.curve_secretkey = self._secret  # type: ignore[attr-defined]
        sock.curve_publickey = self._public  # type: ignore[attr-defined]
        sock.curve_serverkey = server  # type: ignore[attr-defined]

    def start_authenticator(self, context: zmq.Context) -> ThreadAuthenticator:
        """The ZAP handler of ``context``: checks client keys against ``authorized_dir``."""
        auth = ThreadAuthenticator(context)
        auth.start()
        if self.authorized_dir is None:
            auth.configure_curve(domain="*", location=zmq.auth.CURVE_ALLOW_ANY)
        else:
            auth.configure_curve(domain="*", location=str(self.authorized_dir))
        return auth
