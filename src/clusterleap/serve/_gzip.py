"""A page compressed once and sent gzipped to every caller, although each caller's copy differs in a few places.

A cached page holds placeholders for the caller's user name and CSRF token (see :mod:`.pagecache`). Compressing the
filled page on every request would cost more CPU than everything else the request does, so the page is split at
its placeholders and each static part is compressed once, on its own, as raw DEFLATE blocks that end on a byte
boundary (``Z_SYNC_FLUSH``; the last part ends the stream with ``Z_FINISH``). A DEFLATE stream is a sequence of
blocks, and a block that refers to no earlier data may follow any byte-aligned block (RFC 1951, 3.2.3), so a
caller's response is the gzip header, the parts' blocks with the caller's values compressed in between, and the
CRC-32 and length of the whole filled page (RFC 1952, 2.3).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["SplitPage", "accepts_gzip"]

#: gzip member header: magic, DEFLATE, no flags, no modification time, no extra flags, unknown OS (RFC 1952, 2.3)
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LEVEL = 6


def _deflate(data: bytes, last: bool) -> bytes:
    """``data`` as raw DEFLATE blocks that refer to nothing before them, byte-aligned (or final when ``last``)."""
    c = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True)
class SplitPage:
    """A page with named placeholders: its static parts, plain and compressed, and the placeholder between each
    two parts (``slots[i]`` sits between ``parts[i]`` and ``parts[i + 1]``)."""

    parts: tuple[bytes, ...]
    slots: tuple[str, ...]
    deflated: tuple[bytes, ...]

    @classmethod
    def split(cls, body: bytes, placeholders: Mapping[str, bytes]) -> SplitPage:
        """Split ``body`` at every occurrence of the placeholders (name -> bytes) and compress its parts."""
        by_bytes = {v: k for k, v in placeholders.items()}
        pattern = re.compile(b"|".join(re.escape(v) for v in sorted(by_bytes, key=len, reverse=True)))
        pieces = pattern.split(body)
        slots = tuple(by_bytes[m.group(0)] for m in pattern.finditer(body))
        deflated = tuple(_deflate(p, i == len(pieces) - 1) for i, p in enumerate(pieces))
        return cls(tuple(pieces), slots, deflated)

    @property
    def size(self) -> int:
        """Bytes kept in memory."""
        return sum(map(len, self.parts)) + sum(map(len, self.deflated))

    def plain(self, values: Mapping[str, bytes]) -> bytes:
        """The page with every placeholder replaced by its value."""
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out += (values[slot], part)
        return b"".join(out)

    def gzip(self, values: Mapping[str, bytes]) -> bytes:
        """``gzip.compress(self.plain(values))`` in effect, compressing only the values."""
        out = [_HEADER, self.deflated[0]]
        crc = zlib.crc32(self.parts[0])
        length = len(self.parts[0])
        for slot, part, deflated in zip(self.slots, self.parts[1:], self.deflated[1:], strict=True):
            value = values[slot]
            out += (_deflate(value, False), deflated)
            crc = zlib.crc32(part, zlib.crc32(value, crc))
            length += len(value) + len(part)
        out.append(struct.pack("<II", crc, length & 0xFFFFFFFF))
        return b"".join(out)


def accepts_gzip(accept_encoding: str) -> bool:
    """True when an ``Accept-Encoding`` header accepts gzip (RFC 9110, 12.5.3: ``gzip`` or ``*`` without q=0)."""
    found: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        found[name.strip().lower()] = q
    return found.get("gzip", found.get("x-gzip", found.get("*", 0.0))) > 0
