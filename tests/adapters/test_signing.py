"""Till signing keys on a real file system, key rings, and the demo chain's member codes.

Each till's private key is made once, kept in a 0600 file and never replaced; a code
is trusted only when a ring holds the key it names and the signature matches.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from cloud.member_codes import (
    DEMO_CHAIN_KEY,
    DEMO_CHAIN_KID,
    DEMO_CHAIN_PUBLIC_KEY,
    dynamic_member_code,
)
from pos.domain.codes import (
    CodeError,
    MemberClaims,
    check_window,
    encode_code,
    member_claims,
    member_payload,
    parse_code,
)
from pos.domain.scan import MemberCode, classify
from pos.errors import ConfigError
from pos.signing import KeyRing, SigningKey, public_key_from_text, public_key_text

NOW = 1_760_000_000


def card(key: SigningKey, member_no: str = "M000123") -> str:
    return encode_code("member", key.kid, member_payload(MemberClaims(member_no, None)), key.sign)


def refusal(ring: KeyRing, text: str) -> CodeError:
    with pytest.raises(CodeError) as caught:
        ring.verify(parse_code(text))
    return caught.value


@pytest.fixture
def umask() -> Iterator[None]:
    """A umask that would leave a new file unreadable by its owner, restored after."""
    previous = os.umask(0o377)
    try:
        yield
    finally:
        os.umask(previous)


# The till's key file


def test_a_new_key_file_is_private_pkcs8_and_reloads_to_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "till.pem"
    key = SigningKey.load_or_create(path, "T01")
    info = path.stat()
    assert stat.S_ISREG(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert sorted(os.listdir(path.parent)) == ["till.pem"]

    assert key.kid == f"T01-{hashlib.sha256(key.public_key).hexdigest()[:8]}"
    again = SigningKey.load_or_create(path, "T01")
    assert (again.kid, again.public_key) == (key.kid, key.public_key)
    KeyRing({key.kid: key.public_key}).verify(parse_code(card(again)))


@pytest.mark.usefixtures("umask")
def test_the_key_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "till.pem"
    key = SigningKey.load_or_create(path, "T01")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.load_or_create(path, "T01").kid == key.kid


def test_tills_racing_to_make_the_key_all_get_the_one_that_was_kept(tmp_path: Path) -> None:
    path = tmp_path / "till.pem"
    barrier = threading.Barrier(8)
    kids: list[str] = []

    def make() -> None:
        barrier.wait()
        kids.append(SigningKey.load_or_create(path, "T01").kid)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8
    assert set(kids) == {SigningKey.load_or_create(path, "T01").kid}
    assert sorted(os.listdir(tmp_path)) == ["till.pem"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_key_file_other_users_may_read_or_change_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "till.pem"
    SigningKey.load_or_create(path, "T01")
    before = path.read_bytes()
    path.chmod(mode)
    with pytest.raises(ConfigError) as caught:
        SigningKey.load_or_create(path, "T01")
    assert caught.value.title == "Signing key file"
    assert str(path) in caught.value.message
    assert f"(mode 0{mode:o})" in caught.value.message
    assert "chmod 600" in caught.value.message
    assert path.read_bytes() == before


def private_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a key\n", id="text"),
        pytest.param(
            generate_private_key(SECP256R1()).private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            ),
            id="an EC key",
        ),
        pytest.param(
            Ed25519PrivateKey.generate().private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"secret")
            ),
            id="encrypted",
        ),
        pytest.param(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * 10_000, id="huge"),
    ],
)
def test_a_key_file_without_an_ed25519_key_is_refused(tmp_path: Path, data: bytes) -> None:
    path = private_file(tmp_path / "till.pem", data)
    with pytest.raises(ConfigError) as caught:
        SigningKey.load_or_create(path, "T01")
    assert caught.value.message == (
        f"The signing key file {path} does not hold an unencrypted Ed25519 private key (PKCS8 PEM)."
    )
    assert path.read_bytes() == data


def test_a_directory_where_the_key_file_should_be_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "till.pem"
    path.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="is not a regular file"):
        SigningKey.load_or_create(path, "T01")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_key_file_the_till_cannot_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "till.pem"
    SigningKey.load_or_create(path, "T01")
    path.chmod(0o000)
    with pytest.raises(ConfigError, match="cannot be opened"):
        SigningKey.load_or_create(path, "T01")


def test_a_key_path_through_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file, not a folder")
    with pytest.raises(ConfigError, match=r"cannot be opened \(Not a directory\)"):
        SigningKey.load_or_create(tmp_path / "data" / "till.pem", "T01")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes folders whatever their mode")
def test_a_key_file_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="cannot be created"):
            SigningKey.load_or_create(tmp_path / "till.pem", "T01")
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.parametrize("prefix", ["", "T" * 32, "T 01", "T.01"])
def test_a_key_id_prefix_codes_cannot_carry_is_refused(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match="kid_prefix"):
        SigningKey.load_or_create(tmp_path / "till.pem", prefix)
    assert not (tmp_path / "till.pem").exists()


def test_a_seeded_key_is_fixed_and_its_repr_shows_no_key_material() -> None:
    seed = bytes(range(32))
    key = SigningKey.from_seed(seed, "demo")
    assert key.public_key == SigningKey.from_seed(seed, "other").public_key
    assert len(key.sign(b"x")) == 64
    assert repr(key) == "SigningKey(kid='demo')"
    with pytest.raises(ValueError, match="32 bytes"):
        SigningKey.from_seed(seed[:31], "demo")
    with pytest.raises(ValueError, match="key id"):
        SigningKey.from_seed(seed, "de mo")


# Key rings


TILL_A = SigningKey.from_seed(b"A" * 32, "T01-aaaaaaaa")
TILL_B = SigningKey.from_seed(b"B" * 32, "T02-bbbbbbbb")


def test_a_code_is_verified_by_a_ring_holding_its_key() -> None:
    KeyRing({TILL_A.kid: TILL_A.public_key, TILL_B.kid: TILL_B.public_key}).verify(
        parse_code(card(TILL_A))
    )


def test_a_code_from_a_key_the_ring_lacks_is_unknown_and_says_to_sync() -> None:
    error = refusal(KeyRing({TILL_B.kid: TILL_B.public_key}), card(TILL_A))
    assert error.reason == "unknown_key"
    assert error.title == "Unknown signing key"
    assert "the till may need to sync its keys" in error.message
    assert TILL_A.kid not in error.message


def test_till_b_cannot_sign_codes_that_pass_as_till_a() -> None:
    impostor = SigningKey(Ed25519PrivateKey.from_private_bytes(b"B" * 32), TILL_A.kid)
    error = refusal(KeyRing({TILL_A.kid: TILL_A.public_key}), card(impostor))
    assert error.reason == "forged"
    assert error.message == (
        "This member code does not carry a valid signature: it was altered or forged. "
        "Do not accept it."
    )


def test_a_signature_moved_to_other_claims_is_forged() -> None:
    head, _, signature = card(TILL_A, "M000123").rpartition(".")
    other_head = card(TILL_A, "M999999").rpartition(".")[0]
    error = refusal(KeyRing({TILL_A.kid: TILL_A.public_key}), f"{other_head}.{signature}")
    assert error.reason == "forged"
    assert head != other_head


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ({"bad kid": TILL_A.public_key}, "key id"),
        ({TILL_A.kid: TILL_A.public_key[:31]}, "32 bytes"),
    ],
)
def test_a_ring_refuses_keys_codes_cannot_name_or_use(keys: dict[str, bytes], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        KeyRing(keys)


def test_public_keys_travel_as_43_characters_of_base64url() -> None:
    text = public_key_text(TILL_A.public_key)
    assert len(text) == 43
    assert public_key_from_text(text) == TILL_A.public_key
    with pytest.raises(ValueError, match="32 bytes"):
        public_key_text(b"short")


@pytest.mark.parametrize(
    "text",
    ["", "abc", "A" * 42, "A" * 44, "A" * 42 + "B", "A" * 42 + "=", "A" * 41 + "+/", " " * 43],
)
def test_bad_public_key_text_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="43 characters of unpadded base64url"):
        public_key_from_text(text)


# The demo chain's member codes


DEMO_RING = KeyRing({DEMO_CHAIN_KID: public_key_from_text(DEMO_CHAIN_PUBLIC_KEY)})


def test_the_published_demo_public_key_is_the_demo_chain_keys() -> None:
    assert DEMO_CHAIN_KEY.kid == "chain-demo"
    assert public_key_text(DEMO_CHAIN_KEY.public_key) == DEMO_CHAIN_PUBLIC_KEY


def test_a_dynamic_member_code_verifies_at_any_till_and_then_expires() -> None:
    text = dynamic_member_code(DEMO_CHAIN_KEY, "M000123", now=NOW)
    assert len(text) < 160
    scan = classify(text)
    assert isinstance(scan, MemberCode)
    DEMO_RING.verify(scan.signed)
    claims = member_claims(scan.signed)
    assert claims == MemberClaims("M000123", expires=NOW + 60)
    check_window(claims, NOW + 60)
    with pytest.raises(CodeError) as caught:
        check_window(claims, NOW + 90)
    assert caught.value.reason == "expired"


def test_a_dynamic_member_code_window_is_configurable_and_positive() -> None:
    text = dynamic_member_code(DEMO_CHAIN_KEY, "M000123", now=NOW, window_s=300)
    assert member_claims(parse_code(text)).expires == NOW + 300
    with pytest.raises(ValueError, match="window_s must be positive"):
        dynamic_member_code(DEMO_CHAIN_KEY, "M000123", now=NOW, window_s=0)


def test_a_dynamic_code_from_the_demo_key_is_not_trusted_by_a_real_chains_ring() -> None:
    text = dynamic_member_code(DEMO_CHAIN_KEY, "M000123", now=NOW)
    assert refusal(KeyRing({TILL_A.kid: TILL_A.public_key}), text).reason == "unknown_key"
