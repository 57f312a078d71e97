"""Password hashing and the password policy.  Standard library only, no I/O.

Hashes are scrypt (memory-hard, salted) stored as a self-describing string::

    scrypt$n=16384,r=12,p=1$<salt, base64>$<hash, base64>

so that the parameters can be raised later: :func:`verify_password` reads them from the stored
string, and :func:`needs_rehash` tells a caller (the login) to store a fresh hash with the
current parameters once the password is known to be right.  The default costs about 80 ms and
24 MiB per hash on the 2-core reference machine.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

ALGORITHM = "scrypt"
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024  # long enough for any passphrase, short enough that nobody posts a megabyte


@dataclass(frozen=True)
class ScryptParameters:
    """The scrypt cost: ``n`` (CPU/memory, a power of two), ``r`` (block size), ``p`` (parallelism)."""

    n: int = 2**14
    r: int = 12
    p: int = 1

    def valid(self) -> bool:
        """Within the range this module will compute: a stored string cannot ask for a gigabyte."""
        return (2 <= self.n <= 2**20 and self.n & (self.n - 1) == 0
                and 1 <= self.r <= 32 and 1 <= self.p <= 16)

    @property
    def maxmem(self) -> int:
        return 128 * self.r * (self.n + self.p + 2) + 2**20

    def text(self) -> str:
        return f"n={self.n},r={self.r},p={self.p}"

    @classmethod
    def parse(cls, text: str) -> ScryptParameters:
        fields = dict(part.split("=", 1) for part in text.split(","))
        if set(fields) != {"n", "r", "p"}:
            raise ValueError(f"scrypt parameters {text!r}")
        params = cls(int(fields["n"]), int(fields["r"]), int(fields["p"]))
        if not params.valid():
            raise ValueError(f"scrypt parameters out of range: {text!r}")
        return params


DEFAULT_PARAMETERS = ScryptParameters()


class PasswordPolicyError(ValueError):
    """A password the policy refuses; the message is one line in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en


def check_password_policy(password: object, username: str | None = None) -> None:
    """Raise :class:`PasswordPolicyError` unless ``password`` may be used by ``username``:
    at least :data:`MIN_LENGTH` characters, at most :data:`MAX_LENGTH`, not the username itself
    (ignoring case and surrounding spaces)."""
    if not isinstance(password, str):
        raise PasswordPolicyError("type", "密码必须是文本", "The password must be text")
    length = len(_normalise(password))
    if length < MIN_LENGTH:
        raise PasswordPolicyError(
            "too_short", f"密码太短：至少需要 {MIN_LENGTH} 个字符（现为 {length} 个）",
            f"The password is too short: it needs at least {MIN_LENGTH} characters ({length} given)")
    if length > MAX_LENGTH:
        raise PasswordPolicyError(
            "too_long", f"密码太长：最多 {MAX_LENGTH} 个字符", f"The password is too long: at most {MAX_LENGTH} characters")
    if username and _normalise(password).strip().casefold() == _normalise(username).strip().casefold():
        raise PasswordPolicyError("is_username", "密码不能与用户名相同", "The password must not be the username")


def hash_password(password: str, *, params: ScryptParameters = DEFAULT_PARAMETERS) -> str:
    """A new salted scrypt hash of ``password`` in the self-describing format (no policy check:
    call :func:`check_password_policy` first)."""
    if not isinstance(password, str):
        raise TypeError("the password must be a str")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, params, KEY_BYTES)
    return "$".join((ALGORITHM, params.text(), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash, compared in constant time.  A stored
    value that is malformed or asks for parameters out of range never matches."""
    if not isinstance(password, str) or len(password) > 4 * MAX_LENGTH:
        return False
    parsed = _parse(stored)
    if parsed is None:
        return False
    params, salt, expected = parsed
    key = _scrypt(password, salt, params, len(expected))
    return hmac.compare_digest(key, expected)


def needs_rehash(stored: str, params: ScryptParameters = DEFAULT_PARAMETERS) -> bool:
    """Whether ``stored`` was made with other parameters than ``params`` (or is not ours)."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] != params or len(parsed[2]) != KEY_BYTES


def hash_parameters(stored: str) -> ScryptParameters | None:
    """The parameters a stored hash was made with, or None if it is not a valid hash."""
    parsed = _parse(stored)
    return None if parsed is None else parsed[0]


def _parse(stored: object) -> tuple[ScryptParameters, bytes, bytes] | None:
    if not isinstance(stored, str):
        return None
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        return None
    try:
        params = ScryptParameters.parse(parts[1])
        salt, key = _unb64(parts[2]), _unb64(parts[3])
    except (ValueError, binascii.Error):
        return None
    if len(salt) < 8 or not 16 <= len(key) <= 64:
        return None
    return params, salt, key


def _normalise(password: str) -> str:
    # The same password typed through different input methods must give the same bytes.
    return unicodedata.normalize("NFC", password)


def _scrypt(password: str, salt: bytes, params: ScryptParameters, length: int) -> bytes:
    return hashlib.scrypt(_normalise(password).encode("utf-8"), salt=salt, n=params.n, r=params.r, p=params.p,
                          maxmem=params.maxmem, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
