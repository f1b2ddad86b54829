"""The decode engines and their chain on generated camera frames of every kind."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import zxingcpp
from frames import (
    ALIPAY_CODE,
    DISTORTIONS,
    EAN13_CODE,
    MEMBER_CODE,
    WECHAT_CODE,
    Distortion,
    Image,
    camera_frame,
    ean13_symbol,
    empty_frame,
    qr_symbol,
)

from devices.decoders import (
    ChainDecoder,
    Decoded,
    Decoder,
    GrayImage,
    ZbarDecoder,
    ZxingDecoder,
    available_engines,
    make_decoder,
    prepare,
)
from devices.errors import DeviceError

needs_zbar = pytest.mark.skipif(
    "pyzbar" not in available_engines(), reason="libzbar is not installed (apt install libzbar0)"
)

EACH_ENGINE = [pytest.param("zxing-cpp"), pytest.param("pyzbar", marks=needs_zbar)]
QR = "]Q1"
EAN = "]E0"
QR_CODES = (WECHAT_CODE, ALIPAY_CODE, MEMBER_CODE)
EVERY_CODE = (*QR_CODES, EAN13_CODE)


@functools.cache
def frame_of(code: str, distortion: Distortion) -> Image:
    symbol = ean13_symbol(code) if code == EAN13_CODE else qr_symbol(code)
    return camera_frame(symbol, distortion)


def expected(code: str) -> list[Decoded]:
    return [Decoded(code, EAN if code == EAN13_CODE else QR)]


class Counting:
    """A real engine, counting the frames it was asked to decode."""

    def __init__(self, engine: Decoder) -> None:
        self.engine = engine
        self.name = engine.name
        self.calls = 0

    def decode(self, gray: GrayImage) -> list[Decoded]:
        self.calls += 1
        return self.engine.decode(gray)


@needs_zbar  # the chain is both engines: zxing-cpp alone misses a few of these frames
@pytest.mark.parametrize("distortion", DISTORTIONS)
@pytest.mark.parametrize("code", EVERY_CODE)
def test_the_chain_reads_every_code_in_every_kind_of_frame(
    code: str, distortion: Distortion
) -> None:
    assert make_decoder().decode(frame_of(code, distortion)) == expected(code)


@pytest.mark.parametrize("distortion", DISTORTIONS)
@pytest.mark.parametrize("code", QR_CODES)
def test_zxing_reads_qr_codes_in_every_kind_of_frame(code: str, distortion: Distortion) -> None:
    assert ZxingDecoder().decode(frame_of(code, distortion)) == expected(code)


@pytest.mark.parametrize(
    "distortion", [kind for kind in DISTORTIONS if kind not in ("rotated45", "noisy")]
)
def test_zxing_reads_ean13_upright_tilted_and_at_right_angles(distortion: Distortion) -> None:
    assert ZxingDecoder().decode(frame_of(EAN13_CODE, distortion)) == expected(EAN13_CODE)


@needs_zbar
@pytest.mark.parametrize("distortion", DISTORTIONS)
def test_zbar_reads_ean13_in_every_kind_of_frame(distortion: Distortion) -> None:
    assert ZbarDecoder().decode(frame_of(EAN13_CODE, distortion)) == expected(EAN13_CODE)


@needs_zbar
@pytest.mark.parametrize("distortion", DISTORTIONS)
@pytest.mark.parametrize("code", QR_CODES)
def test_zbar_reads_qr_codes_in_every_kind_of_frame(code: str, distortion: Distortion) -> None:
    assert ZbarDecoder().decode(frame_of(code, distortion)) == expected(code)


@needs_zbar
def test_the_chain_asks_zbar_only_when_zxing_found_nothing() -> None:
    zxing, second = Counting(ZxingDecoder()), Counting(ZbarDecoder())
    decoder = ChainDecoder([zxing, second])

    assert decoder.decode(frame_of(WECHAT_CODE, "clean")) == expected(WECHAT_CODE)
    assert (zxing.calls, second.calls) == (1, 0)

    # zxing-cpp's linear readers scan rows and columns only; this is why pyzbar stays.
    assert decoder.decode(frame_of(EAN13_CODE, "rotated45")) == expected(EAN13_CODE)
    assert (zxing.calls, second.calls) == (2, 1)


@pytest.mark.parametrize("engine", EACH_ENGINE)
def test_an_empty_frame_has_no_codes(engine: str) -> None:
    assert make_decoder([engine]).decode(empty_frame()) == []


@pytest.mark.parametrize("engine", EACH_ENGINE)
def test_the_same_code_twice_in_a_frame_is_one_code_and_two_codes_are_two(engine: str) -> None:
    decoder = make_decoder([engine])
    twice = camera_frame(np.hstack([qr_symbol(WECHAT_CODE), qr_symbol(WECHAT_CODE)]))
    pair = camera_frame(np.hstack([qr_symbol(WECHAT_CODE), qr_symbol(ALIPAY_CODE)]))

    assert decoder.decode(twice) == expected(WECHAT_CODE)
    assert sorted(decoder.decode(pair), key=lambda code: code.text) == [
        *expected(WECHAT_CODE),
        *expected(ALIPAY_CODE),
    ]


@pytest.mark.parametrize("engine", EACH_ENGINE)
def test_control_characters_are_kept_as_decoded(engine: str) -> None:
    payload = "M1:\x1b[2J\x07\x00end"

    assert make_decoder([engine]).decode(camera_frame(qr_symbol(payload))) == [Decoded(payload, QR)]


@pytest.mark.parametrize("engine", EACH_ENGINE)
def test_bytes_that_are_not_utf8_still_give_text(engine: str) -> None:
    symbol = qr_symbol(b"\xff\xfe\x00\xc3(")

    (code,) = make_decoder([engine]).decode(camera_frame(symbol))

    assert code.symbology == QR
    assert code.text.endswith("(")


@needs_zbar
@pytest.mark.parametrize(
    ("content", "symbology", "aim"),
    [
        ("96385074", zxingcpp.BarcodeFormat.EAN8, "]E4"),
        ("R1:T01-000123", zxingcpp.BarcodeFormat.Code128, "]C0"),
    ],
)
def test_both_engines_give_the_same_aim_identifier(
    content: str, symbology: zxingcpp.BarcodeFormat, aim: str
) -> None:
    symbol = np.asarray(zxingcpp.create_barcode(content, symbology).to_image(scale=1))
    frame = camera_frame(symbol)

    assert ZxingDecoder().decode(frame) == [Decoded(content, aim)]
    assert ZbarDecoder().decode(frame) == [Decoded(content, aim)]


@needs_zbar
def test_a_upc_a_code_reads_as_its_13_digit_ean_in_both_engines() -> None:
    frame = camera_frame(ean13_symbol("0036000291452"))

    assert (
        ZxingDecoder().decode(frame)
        == ZbarDecoder().decode(frame)
        == [Decoded("0036000291452", EAN)]
    )


def test_make_decoder_takes_the_engines_in_the_order_given() -> None:
    assert make_decoder().name == "+".join(available_engines())
    assert available_engines()[0] == "zxing-cpp"
    assert make_decoder(["zxing-cpp"]).name == "zxing-cpp"


def test_an_unknown_engine_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(DeviceError) as raised:
        make_decoder(["opencv"])

    assert "zxing-cpp or pyzbar" in raised.value.message


def test_prepare_shrinks_to_fit_keeping_the_aspect_and_never_enlarges() -> None:
    colour = np.zeros((720, 1280, 3), np.uint8)
    small = np.zeros((240, 320), np.uint8)

    assert prepare(colour).shape == (360, 640)
    assert prepare(small).shape == (240, 320)
    assert prepare(np.zeros((960, 480), np.uint8)).shape == (480, 240)
