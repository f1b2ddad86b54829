"""Roles and PIN hashing: scrypt with stored parameters, constant-time verify, PIN rules."""

import hashlib

import pytest

from pos.domain.errors import DomainError
from pos.domain.staff import Role, hash_pin, validate_pin, verify_pin

SALT = bytes(range(32))


def test_role_values_are_what_config_and_the_ledger_store() -> None:
    assert [role.value for role in Role] == ["cashier", "manager", "technician"]
    assert Role("manager") is Role.MANAGER
    assert f"{Role.CASHIER}" == "cashier"


def test_hash_format_records_scheme_parameters_salt_and_hash() -> None:
    scheme, n, r, p, salt_hex, hash_hex = hash_pin("1234", salt=SALT).split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert bytes.fromhex(salt_hex) == SALT
    expected = hashlib.scrypt(b"1234", salt=SALT, n=2**14, r=8, p=1, dklen=32)
    assert bytes.fromhex(hash_hex) == expected


def test_a_fresh_salt_makes_each_hash_different() -> None:
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second
    assert len(first.split("$")[4]) == 64
    assert verify_pin("1234", first)
    assert verify_pin("1234", second)


def test_verify_accepts_the_right_pin_only() -> None:
    encoded = hash_pin("246810", salt=SALT)
    assert verify_pin("246810", encoded)
    assert not verify_pin("246811", encoded)
    assert not verify_pin("24681", encoded)
    assert not verify_pin("", encoded)


def test_verify_uses_the_parameters_stored_with_the_hash() -> None:
    digest = hashlib.scrypt(b"9876", salt=SALT, n=2**10, r=4, p=2, dklen=16)
    encoded = f"scrypt$1024$4$2${SALT.hex()}${digest.hex()}"
    assert verify_pin("9876", encoded)
    assert not verify_pin("9875", encoded)


GOOD = hash_pin("1234", salt=SALT)
_, _, _, _, GOOD_SALT, GOOD_HASH = GOOD.split("$")


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "scrypt",
        GOOD + "$extra",
        GOOD.replace("scrypt$", "bcrypt$", 1),
        f"scrypt$16384$8${GOOD_SALT}${GOOD_HASH}",  # a part missing
        f"scrypt$abc$8$1${GOOD_SALT}${GOOD_HASH}",
        f"scrypt$-16384$8$1${GOOD_SALT}${GOOD_HASH}",
        f"scrypt$１６３８４$8$1${GOOD_SALT}${GOOD_HASH}",  # full-width digits
        f"scrypt$1000$8$1${GOOD_SALT}${GOOD_HASH}",  # n not a power of two
        f"scrypt$1$8$1${GOOD_SALT}${GOOD_HASH}",
        f"scrypt${2**30}$8$1${GOOD_SALT}${GOOD_HASH}",  # would need gigabytes
        f"scrypt$16384$0$1${GOOD_SALT}${GOOD_HASH}",
        f"scrypt$16384$8$1000${GOOD_SALT}${GOOD_HASH}",  # would burn CPU
        f"scrypt$16384$8$1$zz{GOOD_SALT[2:]}${GOOD_HASH}",
        f"scrypt$16384$8$1${GOOD_SALT}$",
        f"scrypt$16384$8$1${GOOD_SALT}${GOOD_HASH[:-1]}",
        f"scrypt$16384$8$1${GOOD_SALT}${GOOD_HASH * 3}",
        GOOD[:-2] + ("00" if GOOD[-2:] != "00" else "11"),
    ],
)
def test_malformed_or_tampered_encodings_never_verify(encoded: str) -> None:
    assert not verify_pin("1234", encoded)


def test_a_pin_that_cannot_be_encoded_does_not_verify() -> None:
    assert not verify_pin("12\ud80034", GOOD)


@pytest.mark.parametrize("pin", ["1234", "00000000", "9876543"])
def test_valid_pins(pin: str) -> None:
    validate_pin(pin)


@pytest.mark.parametrize(
    "pin", ["", "123", "123456789", "12a4", "12 34", "١٢٣٤", "１２３４", " 1234"]
)
def test_invalid_pins_are_refused(pin: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_pin(pin)
    assert caught.value.message == "A PIN is 4 to 8 digits."
