"""`bounded_text` and `BoundedBuffer`: head and tail kept, UTF-8 safe, elision marked."""

from __future__ import annotations

import random

from codex_lsp.core.sandbox import BoundedBuffer, bounded_text


def test_short_text_is_untouched() -> None:
    assert bounded_text("hello", 100) == "hello"
    assert bounded_text(b"caf\xc3\xa9", 5) == "café"
    assert bounded_text(b"bad \xff byte", 100) == "bad \ufffd byte"


def test_keeps_head_and_tail_and_marks_the_elision() -> None:
    data = "HEAD-" + "x" * 10_000 + "-TAIL"
    out = bounded_text(data, 200)
    assert out.startswith("HEAD-")
    assert out.endswith("-TAIL")
    assert "bytes elided" in out
    assert len(out.encode("utf-8")) <= 200
    elided = int(out.split("[... ")[1].split(" bytes")[0])
    marker_len = len(out) - len(out.replace(out[out.index("\n[...") : out.index("...]\n") + 5], ""))
    assert elided == len(data) - (len(out) - marker_len)


def test_never_splits_a_multibyte_character() -> None:
    samples = ["é" * 500, "€" * 500, "😀" * 500, "aé€😀" * 200]
    for text in samples:
        for max_bytes in range(40, 140):
            out = bounded_text(text.encode("utf-8"), max_bytes)
            assert "\ufffd" not in out, (text[:4], max_bytes)
            assert len(out.encode("utf-8")) <= max_bytes
            head, _, tail = out.partition("\n[... ")
            assert text.startswith(head)
            assert text.endswith(tail.split(" ...]\n", 1)[1])


def test_bounded_buffer_matches_bounded_text() -> None:
    rng = random.Random(7)
    alphabet = "ab\n" + "é€😀"
    for _ in range(50):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3000)))
        data = text.encode("utf-8")
        cap = rng.randint(60, 2000)
        buffer = BoundedBuffer(cap)
        position = 0
        while position < len(data):
            step = rng.randint(1, 300)
            buffer.append(data[position : position + step])
            position += step
        assert buffer.total_bytes == len(data)
        assert buffer.truncated == (len(data) > cap)
        out = buffer.text()
        assert "\ufffd" not in out
        assert len(out.encode("utf-8")) <= max(cap, len(data) if len(data) <= cap else cap)
        if not buffer.truncated:
            assert out == text
        else:
            head, _, rest = out.partition("\n[... ")
            elided, _, tail = rest.partition(" bytes elided ...]\n")
            assert text.startswith(head) and text.endswith(tail)
            assert int(elided) == len(data) - len(head.encode()) - len(tail.encode())
