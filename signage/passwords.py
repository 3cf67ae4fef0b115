"""Staff passwords: hashed with scrypt, a memory-hard function (64 MiB and about 0.2 s a try here), so that a
stolen store does not give passwords away cheaply. The encoded form carries its parameters, so they can be
raised later and old hashes still verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["MIN_LENGTH", "PasswordProblem", "hash_password", "verify_password"]

N, R, P = 2**16, 8, 1
MIN_LENGTH = 12


class PasswordProblem(ValueError):
    """A password that is refused, and why."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n + 2**20, dklen=32)


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise PasswordProblem(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > 1024:
        raise PasswordProblem("a password has at most 1,024 characters")
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt" or len(password) > 1024:
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(digest))
