"""The per-item cap on streamed command output: what fits goes out as deltas, then one
truncation notice, then nothing; characters are never split."""

from __future__ import annotations

from codex_lsp.core import events as ev


def _stream(cap: int) -> tuple[ev.CommandOutputStream, list[str]]:
    sent: list[str] = []

    def emit(event: ev.CoreEvent) -> None:
        assert isinstance(event, ev.CommandOutputDelta)
        assert (event.thread_id, event.turn_id, event.item_id) == ("t", "u", "i")
        sent.append(event.delta)

    return ev.CommandOutputStream(emit, "t", "u", "i", cap=cap), sent


def _notice(n: int) -> str:
    return ev.OUTPUT_TRUNCATED_NOTICE.format(n=n)


def test_output_under_the_cap_is_streamed_as_is() -> None:
    stream, sent = _stream(10)
    for piece in ("abc", "", "defghij"):
        stream.write(piece)
    assert sent == ["abc", "defghij"]
    assert not stream.truncated and stream.streamed_bytes == 10


def test_past_the_cap_one_notice_then_silence() -> None:
    stream, sent = _stream(10)
    stream.write("12345678")
    stream.write("abcdef")
    stream.write("more")
    stream.write("and more")
    assert sent == ["12345678", "ab", _notice(14)]
    assert stream.truncated and stream.streamed_bytes == 10 and stream.seen_bytes == 26


def test_a_character_cut_by_the_cap_is_left_out_whole() -> None:
    stream, sent = _stream(5)
    stream.write("ab€€")  # 2 + 3 + 3 bytes: the first euro fits, the second does not
    assert sent == ["ab€", _notice(8)]
    stream, sent = _stream(4)
    stream.write("ab€")
    assert sent == ["ab", _notice(5)]
    assert all("\ufffd" not in s for s in sent)


def test_exactly_the_cap_is_not_truncated() -> None:
    stream, sent = _stream(4)
    stream.write("abcd")
    assert sent == ["abcd"] and not stream.truncated
    stream.write("e")
    assert sent == ["abcd", _notice(5)]


def test_the_default_cap_is_one_mebibyte() -> None:
    stream, sent = _stream(ev.OUTPUT_DELTA_CAP_BYTES)
    chunk = "x" * 65536
    for _ in range(40):
        stream.write(chunk)
    assert sum(len(s.encode()) for s in sent[:-1]) == 1024 * 1024
    assert sent[-1] == _notice(17 * 65536)
    assert stream.seen_bytes == 40 * 65536
