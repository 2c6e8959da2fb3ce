"""Bounded text: keep the head and the tail, elide the middle, never split a UTF-8
character. Shared by command output capture and every tool result."""

from __future__ import annotations

from collections import deque

ELISION_TEMPLATE = "\n[... {n} bytes elided ...]\n"


def _char_start_at_or_before(data: bytes | bytearray, index: int) -> int:
    """The largest index <= `index` where a UTF-8 character starts (continuation bytes
    are `10xxxxxx`); cutting there keeps whole characters on the left."""
    index = max(0, min(index, len(data)))
    # A character is at most 4 bytes: look back at most 3 continuation bytes.
    for _ in range(3):
        if index < len(data) and index > 0 and (data[index] & 0xC0) == 0x80:
            index -= 1
        else:
            break
    return index


def _char_start_at_or_after(data: bytes | bytearray, index: int) -> int:
    """The smallest index >= `index` where a UTF-8 character starts."""
    index = max(0, min(index, len(data)))
    for _ in range(3):
        if index < len(data) and (data[index] & 0xC0) == 0x80:
            index += 1
        else:
            break
    return index


def _marker(elided: int) -> str:
    return ELISION_TEMPLATE.format(n=elided)


def bounded_text(data: bytes | str, max_bytes: int) -> str:
    """`data` as text of at most `max_bytes` UTF-8 bytes.

    Short input comes back whole (bytes decoded with `errors="replace"`). Longer input
    keeps its first and last bytes (about half of the budget each) with a
    `[... N bytes elided ...]` line in between, where N counts the dropped bytes of the
    UTF-8 input. Cuts fall on character boundaries, so no multibyte character is split;
    the marker is counted in the budget.
    """
    raw = data.encode("utf-8", errors="replace") if isinstance(data, str) else bytes(data)
    if len(raw) <= max_bytes:
        return raw.decode("utf-8", errors="replace")
    # The marker's length with the largest possible count is an upper bound.
    budget = max(0, max_bytes - len(_marker(len(raw)).encode("utf-8")))
    head_end = _char_start_at_or_before(raw, budget // 2)
    tail_start = _char_start_at_or_after(raw, len(raw) - (budget - head_end))
    tail_start = max(tail_start, head_end)
    elided = tail_start - head_end
    head = raw[:head_end].decode("utf-8", errors="replace")
    tail = raw[tail_start:].decode("utf-8", errors="replace")
    return f"{head}{_marker(elided)}{tail}"


class BoundedBuffer:
    """Collects a stream of bytes in bounded memory: the first `max_bytes // 2` bytes and
    the last `max_bytes // 2` (plus a few for character boundaries) are kept, and `text()`
    renders them with `bounded_text`'s elision marker."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._head = bytearray()
        self._head_cap = self.max_bytes // 2
        self._tail: deque[bytes] = deque()
        self._tail_len = 0
        self._tail_cap = self.max_bytes - self._head_cap + 4
        self.total_bytes = 0

    def append(self, chunk: bytes) -> None:
        """Add `chunk` to the stream."""
        if not chunk:
            return
        self.total_bytes += len(chunk)
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
            if not chunk:
                return
        self._tail.append(chunk)
        self._tail_len += len(chunk)
        while self._tail_len - len(self._tail[0]) >= self._tail_cap:
            self._tail_len -= len(self._tail.popleft())
        if self._tail_len > self._tail_cap and len(self._tail) == 1:
            only = self._tail[0][-self._tail_cap :]
            self._tail[0] = only
            self._tail_len = len(only)

    def drain(self) -> tuple[bytes, bytes, int]:
        """Take what is kept, as (head, tail, bytes dropped between them), and start over.
        The tail starts at a character boundary (a cut character counts as dropped)."""
        head, tail = bytes(self._head), b"".join(self._tail)
        if self.total_bytes > len(head) + len(tail):
            start = _char_start_at_or_after(tail, 0)
            tail = tail[start:]
        dropped = self.total_bytes - len(head) - len(tail)
        self._head = bytearray()
        self._tail.clear()
        self._tail_len = 0
        self.total_bytes = 0
        return head, tail, dropped

    @property
    def truncated(self) -> bool:
        """True once more bytes came in than `text()` can show."""
        return self.total_bytes > self.max_bytes

    def text(self) -> str:
        """Everything seen, as `bounded_text(all_bytes, max_bytes)` would render it."""
        tail = b"".join(self._tail)
        if not self.truncated:
            return bounded_text(bytes(self._head) + tail, self.max_bytes)
        dropped = self.total_bytes - len(self._head) - len(tail)
        budget = max(0, self.max_bytes - len(_marker(self.total_bytes).encode("utf-8")))
        head_end = _char_start_at_or_before(self._head, budget // 2)
        keep_tail = max(0, budget - head_end)
        tail_start = _char_start_at_or_after(tail, max(0, len(tail) - keep_tail))
        elided = dropped + (len(self._head) - head_end) + tail_start
        head_text = bytes(self._head[:head_end]).decode("utf-8", errors="replace")
        tail_text = tail[tail_start:].decode("utf-8", errors="replace")
        return f"{head_text}{_marker(elided)}{tail_text}"
