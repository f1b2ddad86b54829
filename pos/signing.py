"""Ed25519 keys for signed member and coupon codes: the adapter over `cryptography`.

`pos.domain.codes` defines the format and stays pure; the keys live here. Each till
makes its own private key on first start and keeps it in a file only its user can
read, so no till holds a key that can forge another till's codes (DESIGN.md
section 5). Every till verifies every code offline with a `KeyRing` of the public
keys the cloud distributes, looked up by the key id the code carries.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from pos.domain.codes import (
    KID_PATTERN,
    NOUNS,
    CodeError,
    SignedCode,
    decode_b64url,
    encode_b64url,
)
from pos.errors import ConfigError

__all__ = ["KeyRing", "SigningKey", "public_key_from_text", "public_key_text"]

PUBLIC_KEY_BYTES = 32
_SEED_BYTES = 32
# Leaves room for "-" and 8 hex digits within a key id's 40 characters.
_KID_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,31}")
_KEY_FILE_TITLE = "Signing key file"
# A PKCS8 PEM Ed25519 key is about 120 bytes; anything much larger is not one.
_MAX_KEY_FILE = 4096


class SigningKey:
    """A private key with the id codes name it by; `public_key` is the raw 32 bytes."""

    __slots__ = ("_private", "kid", "public_key")

    def __init__(self, private: Ed25519PrivateKey, kid: str) -> None:
        if not KID_PATTERN.fullmatch(kid):
            raise ValueError("a key id is 1 to 40 letters, digits, '-' or '_'")
        self._private = private
        self.kid = kid
        self.public_key = private.public_key().public_bytes_raw()

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `message`."""
        return self._private.sign(message)

    @classmethod
    def from_seed(cls, seed: bytes, kid: str) -> SigningKey:
        """The key a fixed 32-byte seed gives: for demos and tests only, since anyone
        who knows the seed can sign with it."""
        if len(seed) != _SEED_BYTES:
            raise ValueError(f"an Ed25519 seed is {_SEED_BYTES} bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed), kid)

    @classmethod
    def load_or_create(cls, path: Path, kid_prefix: str) -> SigningKey:
        """This till's key from `path` (PKCS8 PEM), made there on first use.

        The key id is `{kid_prefix}-{first 8 hex digits of sha256(public key)}`, so
        a replaced key gets a new id and codes signed by the old one are not
        checked against the wrong key. ConfigError when the file cannot be read or
        made, does not hold an Ed25519 key, or other users may read or change it.
        """
        if not _KID_PREFIX.fullmatch(kid_prefix):
            raise ValueError("kid_prefix must be 1 to 31 letters, digits, '-' or '_'")
        private = _read_key(path)
        if private is None:
            private = _create_key(path)
        public = private.public_key().public_bytes_raw()
        return cls(private, f"{kid_prefix}-{hashlib.sha256(public).hexdigest()[:8]}")


class KeyRing:
    """The public keys this till trusts, by key id: the chain's and every till's."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        """ValueError for a key id codes cannot carry or a key that is not 32 bytes."""
        for kid, raw in keys.items():
            if not KID_PATTERN.fullmatch(kid):
                raise ValueError("a key id is 1 to 40 letters, digits, '-' or '_'")
            if len(raw) != PUBLIC_KEY_BYTES:
                raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes")
        self._keys = {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in keys.items()}

    def verify(self, code: SignedCode) -> None:
        """Return if `code` was signed by the key it names; CodeError otherwise.

        "unknown_key" when the ring does not hold that key (a till that has not
        synced since the key was issued), "forged" when the signature does not match.
        """
        noun = NOUNS[code.kind]
        key = self._keys.get(code.kid)
        if key is None:
            raise CodeError(
                "unknown_key",
                f"This {noun} was signed by a key this till does not know yet; "
                "the till may need to sync its keys with the cloud.",
            )
        try:
            key.verify(code.signature, code.signed)
        except InvalidSignature:
            raise CodeError(
                "forged",
                f"This {noun} does not carry a valid signature: it was altered or forged. "
                "Do not accept it.",
            ) from None


def public_key_text(raw: bytes) -> str:
    """How a public key is written in configuration and feeds: unpadded base64url."""
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes, got {len(raw)}")
    return encode_b64url(raw)


def public_key_from_text(text: str) -> bytes:
    """The raw key `public_key_text` wrote; ValueError, saying what is expected, otherwise."""
    try:
        raw = decode_b64url(text)
    except ValueError:
        raw = b""
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(
            "a public key is 43 characters of unpadded base64url "
            f"(A-Z, a-z, 0-9, '-', '_') encoding {PUBLIC_KEY_BYTES} bytes"
        )
    return raw


def _read_key(path: Path) -> Ed25519PrivateKey | None:
    """The key in `path`, or None when there is no file yet."""
    try:
        # O_NONBLOCK so a FIFO at the path cannot hang start-up; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _key_file_error(path, f"cannot be opened ({error.strerror})") from None
    try:
        # fstat of the open file, so the checks apply to what is read.
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _key_file_error(path, "is not a regular file")
        if mode & 0o077:
            raise _key_file_error(
                path,
                f"may be read or changed by other users (mode {stat.S_IMODE(mode):04o}); "
                "it holds this till's private signing key: make it private with chmod 600",
            )
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(_MAX_KEY_FILE + 1)
    except OSError as error:
        raise _key_file_error(path, f"cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise _key_file_error(path, "does not hold an unencrypted Ed25519 private key (PKCS8 PEM)")
    return key


def _create_key(path: Path) -> Ed25519PrivateKey:
    """A new key written to `path` whole or not at all, never replacing another's."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                # mkstemp's 0600 is narrowed by the umask; a key its owner cannot read is no use.
                os.fchmod(file.fileno(), 0o600)
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
            # A hard link appears complete at once and fails if the name exists, so a
            # crash leaves no half-written key and a racing process is never overwritten.
            os.link(temp, path)
        except FileExistsError:
            existing = _read_key(path)
            if existing is None:
                raise _key_file_error(path, "was removed while it was being created") from None
            return existing
        finally:
            os.unlink(temp)
        _fsync_directory(path.parent)
    except OSError as error:
        raise _key_file_error(path, f"cannot be created ({error.strerror})") from None
    return key


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _key_file_error(path: Path, problem: str) -> ConfigError:
    return ConfigError(_KEY_FILE_TITLE, f"The signing key file {path} {problem}.")
