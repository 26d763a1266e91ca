"""The few protobuf wire-format pieces Google Authenticator's migration payload needs.

Hand-written instead of the protobuf package: the payload is two flat messages, and a
reader this small can be made to refuse every malformed input with one error type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.core.errors import UriError

VARINT = 0
I64 = 1
LEN = 2
SGROUP = 3
EGROUP = 4
I32 = 5

MAX_VARINT_BYTES = 10
MAX_GROUP_DEPTH = 16
_U64 = (1 << 64) - 1
_WIRE_NAMES = {VARINT: "varint", I64: "64-bit", LEN: "length-delimited", I32: "32-bit"}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message: varints and fixed-width values as unsigned ints, LEN as bytes."""

    number: int
    wire_type: int
    value: int | bytes

    def expect(self, wire_type: int, what: str) -> None:
        if self.wire_type != wire_type:
            raise UriError(
                f"the migration data is damaged: {what} is not a {_WIRE_NAMES[wire_type]} field"
            )


def _damaged(why: str) -> UriError:
    return UriError(f"the migration data is damaged ({why}); scan or copy the QR code again")


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise _damaged("a number is cut off")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value & _U64, pos + i + 1
    raise _damaged("a number is longer than 10 bytes")


def _read_value(data: bytes, pos: int, number: int, wire_type: int) -> tuple[int | bytes, int]:
    if wire_type == VARINT:
        return _read_varint(data, pos)
    if wire_type in (I64, I32):
        width = 8 if wire_type == I64 else 4
        if pos + width > len(data):
            raise _damaged("a fixed-size value is cut off")
        return int.from_bytes(data[pos : pos + width], "little"), pos + width
    if wire_type == LEN:
        length, pos = _read_varint(data, pos)
        if length > len(data) - pos:
            raise _damaged("a field runs past the end")
        return data[pos : pos + length], pos + length
    raise _damaged(f"field {number} has the unknown wire type {wire_type}")


def _skip_group(data: bytes, pos: int, number: int, depth: int) -> int:
    """Skip a (deprecated) group up to its matching end tag; groups may nest."""
    if depth > MAX_GROUP_DEPTH:
        raise _damaged("groups are nested too deeply")
    while True:
        if pos >= len(data):
            raise _damaged("a group has no end")
        tag, pos = _read_varint(data, pos)
        inner, wire_type = tag >> 3, tag & 7
        if wire_type == EGROUP:
            if inner != number:
                raise _damaged("a group ends with the wrong field number")
            return pos
        if wire_type == SGROUP:
            pos = _skip_group(data, pos, inner, depth + 1)
        else:
            _, pos = _read_value(data, pos, inner, wire_type)


def iter_fields(data: bytes) -> Iterator[Field]:
    """The fields of one message in order; groups (unused since proto2) are skipped."""
    pos = 0
    while pos < len(data):
        tag, pos = _read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if number == 0 or number > 0x1FFFFFFF:
            raise _damaged("a field number is invalid")
        if wire_type == SGROUP:
            pos = _skip_group(data, pos, number, 1)
            continue
        if wire_type == EGROUP:
            raise _damaged("a group ends that never started")
        value, pos = _read_value(data, pos, number, wire_type)
        yield Field(number, wire_type, value)


def as_int64(value: int) -> int:
    """An unsigned 64-bit varint read as the signed int64 it encodes."""
    return value - (1 << 64) if value >= 1 << 63 else value


def as_int32(value: int) -> int:
    """A varint read as int32: protobuf keeps the low 32 bits, two's complement."""
    low = value & 0xFFFFFFFF
    return low - (1 << 32) if low >= 1 << 31 else low


def encode_varint(value: int) -> bytes:
    """A varint; negative numbers take the 10-byte two's complement form protobuf uses."""
    if value < 0:
        value &= _U64
    elif value > _U64:
        raise ValueError("a varint holds at most 64 bits")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_field(number: int, value: int) -> bytes:
    return encode_varint(number << 3 | VARINT) + encode_varint(value)


def bytes_field(number: int, value: bytes) -> bytes:
    return encode_varint(number << 3 | LEN) + encode_varint(len(value)) + value
