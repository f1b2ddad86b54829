"""Camera decoding: our engine chain beside zxing-cpp alone and pyzbar alone, same frames.

Inputs: --frames generated 640x480 grayscale camera frames (tests/frames.py), half QR
codes (WeChat Pay and Alipay payment codes, member codes; random payloads) and half
EAN-13 product codes (random, valid check digits), cycling through the distortions
clean, rotated 15/45/90 degrees, blurred, perspective, noisy, small (15% of the frame)
and low contrast, each with seeded random strength; the same seed gives the same
frames. Then a ninth as many frames with no code at all: the counter, which is what a
till's camera sees most of the time.

"Ours" is the camera's decoder, `make_decoder()`: zxing-cpp, then pyzbar only when
zxing-cpp found nothing. The single engines are the same two decoders on their own.
Each frame goes to the three in turn, --repeats times, in an order that rotates each
time so that none always runs first, warm or cold; only `decode()` is timed and each
decoder's fastest time for the frame is kept, which leaves out the moments another
process had the CPU. A frame counts as read when the decoder returns its code, as
misread when it returns any other text. Figures: success rate, median and p90 ms a
frame, and two ratios (targets: our success at least the best single engine's; our
median at most 1.2 times zxing-cpp's).

    python bench/decode.py [--frames N] [--seed S] [--repeats R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from devices.decoders import (
    ZBAR,
    Decoded,
    Decoder,
    ZbarDecoder,
    ZxingDecoder,
    available_engines,
    make_decoder,
)
from pos.domain.barcodes import gtin_check_digit

# The frame generators are test helpers and stay out of the product's packages; the
# tests import them as `frames` from tests/ (pytest's pythonpath), and so does this.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import frames


class Tally:
    def __init__(self, decoder: Decoder, label: str) -> None:
        self.decoder = decoder
        self.label = label
        self.times: list[float] = []
        self.empty_times: list[float] = []
        self.read: dict[str, int] = {}
        self.misread = 0

    def score(self, code: str, kind: str, seconds: float, found: list[Decoded]) -> None:
        self.times.append(seconds)
        texts = {decoded.text for decoded in found}
        self.read[kind] = self.read.get(kind, 0) + (code in texts)
        self.misread += bool(texts - {code})

    @property
    def success(self) -> float:
        return sum(self.read.values()) / len(self.times)

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def fastest(
    tallies: list[Tally], frame: frames.Image, repeats: int, turn: int
) -> list[tuple[float, list[Decoded]]]:
    """Each decoder's fastest of `repeats` timed decodes of `frame`, and what it found."""
    best: list[tuple[float, list[Decoded]]] = [(float("inf"), [])] * len(tallies)
    for repeat in range(repeats):
        first = (turn + repeat) % len(tallies)
        for place in [*range(first, len(tallies)), *range(first)]:
            start = time.perf_counter()
            found = tallies[place].decoder.decode(frame)
            seconds = time.perf_counter() - start
            if seconds < best[place][0]:
                best[place] = (seconds, found)
    return best


def payload(rng: random.Random, index: int) -> tuple[str, frames.Image]:
    """A code to show and its symbol: every other frame an EAN-13, else a QR code."""
    if index % 2:
        body = "69" + "".join(rng.choice("0123456789") for _ in range(10))
        code = body + str(gtin_check_digit(body))
        return code, frames.ean13_symbol(code)
    digits = "".join(rng.choice("0123456789") for _ in range(16))
    code = rng.choice([f"13{digits}", f"28{digits}", f"M1:{rng.getrandbits(64):016x}"])
    return code, frames.qr_symbol(code)


def run(count: int, seed: int, repeats: int) -> list[Tally]:
    rng = random.Random(seed)
    tallies = [
        Tally(make_decoder(), "ours"),
        Tally(ZxingDecoder(), "zxing-cpp alone"),
        Tally(ZbarDecoder(), "pyzbar alone"),
    ]
    # Warm-up, untimed: first calls load code and allocate buffers.
    warm = frames.camera_frame(frames.qr_symbol(frames.WECHAT_CODE))
    for tally in tallies:
        tally.decoder.decode(warm)
    kinds = frames.DISTORTIONS
    for index in range(count):
        # Distortions cycle over pairs of frames, so each meets both QR and EAN-13.
        kind = kinds[(index // 2) % len(kinds)]
        code, symbol = payload(rng, index)
        frame = frames.camera_frame(symbol, kind, rng.getrandbits(32))
        for tally, (seconds, found) in zip(
            tallies, fastest(tallies, frame, repeats, index), strict=True
        ):
            tally.score(code, kind, seconds, found)
    for index in range(count // len(kinds)):
        empty = frames.empty_frame(rng.getrandbits(32))
        for tally, (seconds, _) in zip(
            tallies, fastest(tallies, empty, repeats, index), strict=True
        ):
            tally.empty_times.append(seconds)
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--frames", type=int, default=360)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if ZBAR not in available_engines():
        sys.exit("bench/decode.py compares with pyzbar, which needs libzbar (libzbar0)")
    ours, zxing, zbar = tallies = run(args.frames, args.seed, args.repeats)

    print(
        f"{args.frames} frames 640x480, half QR half EAN-13, seed {args.seed}, fastest of "
        f"{args.repeats}; then {args.frames // len(frames.DISTORTIONS)} frames with no code"
    )
    print(f"{'':18}{'read':>8}{'misread':>9}{'p50 ms':>9}{'p90 ms':>9}{'no code p50 ms':>16}")
    for tally in tallies:
        print(
            f"{tally.label:18}{tally.success:8.1%}{tally.misread:9d}"
            f"{tally.percentile_ms(0.5):9.2f}{tally.percentile_ms(0.9):9.2f}"
            f"{statistics.median(tally.empty_times) * 1000:16.2f}"
        )
    per_kind = args.frames / len(frames.DISTORTIONS)
    print(f"\nframes read, by distortion (about {per_kind:.0f} frames each)")
    print(f"{'':14}" + "".join(f"{tally.label:>17}" for tally in tallies))
    for kind in frames.DISTORTIONS:
        print(f"{kind:14}" + "".join(f"{tally.read.get(kind, 0):17d}" for tally in tallies))
    best = max(zxing.success, zbar.success)
    speed = ours.percentile_ms(0.5) / zxing.percentile_ms(0.5)
    print(
        f"\nsuccess, ours / best single engine: {ours.success / best:.3f}   (target: >= 1.0)"
        f"\nmedian, ours / zxing-cpp alone:     {speed:.3f}   (target: <= 1.2)"
    )


if __name__ == "__main__":
    main()
