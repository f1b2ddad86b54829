"""`pos devices decode IMAGE...`: every file gets an answer, a bad one stops nothing."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import pytest
from frames import (
    ALIPAY_CODE,
    EAN13_CODE,
    WECHAT_CODE,
    Image,
    camera_frame,
    ean13_symbol,
    empty_frame,
    qr_symbol,
)

from devices.decode_files import decode_files, exit_status, format_results
from devices.decoders import Decoded
from devices.errors import DeviceError

UNDECODABLE = "not an image format OpenCV can decode, or damaged"


def write(path: Path, image: Image) -> Path:
    assert cv2.imwrite(str(path), image)
    return path


@pytest.fixture
def wechat(tmp_path: Path) -> Path:
    return write(tmp_path / "wechat.png", camera_frame(qr_symbol(WECHAT_CODE), "rotated15"))


@pytest.fixture
def product(tmp_path: Path) -> Path:
    return write(tmp_path / "product.jpg", camera_frame(ean13_symbol(EAN13_CODE), "perspective"))


def test_each_file_gives_its_codes(wechat: Path, product: Path) -> None:
    results = list(decode_files([wechat, str(product)]))

    assert results == [
        (wechat, [Decoded(WECHAT_CODE, "]Q1")]),
        (product, [Decoded(EAN13_CODE, "]E0")]),
    ]
    assert format_results(results) == [f"]Q1\t{WECHAT_CODE}", f"]E0\t{EAN13_CODE}"]
    assert exit_status(results) == 0


def test_a_large_photo_is_read_at_camera_size(tmp_path: Path) -> None:
    photo = cv2.resize(camera_frame(qr_symbol(ALIPAY_CODE), "noisy"), (2560, 1920))
    path = write(tmp_path / "photo.png", photo)

    assert list(decode_files([path])) == [(path, [Decoded(ALIPAY_CODE, "]Q1")])]


def test_a_picture_without_a_code_says_so(tmp_path: Path, wechat: Path) -> None:
    blank = write(tmp_path / "counter.png", empty_frame())

    results = list(decode_files([blank, wechat]))

    assert results[0] == (blank, [])
    assert format_results(results) == [f"{blank}: no code found", f"]Q1\t{WECHAT_CODE}"]
    assert exit_status(results) == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.png", "cannot read image (No such file or directory)"),
        ("folder.png", "cannot read image (Is a directory)"),
        ("corrupt.png", f"cannot read image ({UNDECODABLE})"),
        ("truncated.png", f"cannot read image ({UNDECODABLE})"),
        ("empty.png", "cannot read image (the file is empty)"),
    ],
)
def test_an_unreadable_file_is_named_and_the_others_still_decode(
    tmp_path: Path, wechat: Path, product: Path, name: str, reason: str
) -> None:
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "corrupt.png").write_bytes(os.urandom(4096))
    (tmp_path / "empty.png").write_bytes(b"")
    whole = wechat.read_bytes()
    (tmp_path / "truncated.png").write_bytes(whole[: len(whole) // 2])
    bad = tmp_path / name

    results = list(decode_files([wechat, bad, product]))

    assert results[1] == (bad, reason)
    assert format_results(results) == [
        f"]Q1\t{WECHAT_CODE}",
        f"{bad}: {reason}",
        f"]E0\t{EAN13_CODE}",
    ]
    assert exit_status(results) == 1


def test_decoded_text_cannot_reach_the_terminal_as_control_sequences(tmp_path: Path) -> None:
    payload = "M1:\x1b[2J\tx\\y\u200b中文"
    path = write(tmp_path / "hostile.png", camera_frame(qr_symbol(payload)))

    results = list(decode_files([path]))

    assert results == [(path, [Decoded(payload, "]Q1")])]
    assert format_results(results) == ["]Q1\tM1:\\x1b[2J\\tx\\\\y\\u200b中文"]


def test_the_engines_can_be_chosen_and_an_unknown_one_is_refused(wechat: Path) -> None:
    assert list(decode_files([wechat], ["zxing-cpp"])) == [(wechat, [Decoded(WECHAT_CODE, "]Q1")])]
    with pytest.raises(DeviceError):
        list(decode_files([wechat], ["zbarcam"]))
