"""Just enough of Java object serialization to read a `HashMap<String, String>`.

FreeOTP 2 writes its backup this way (java.io.ObjectOutputStream). Only the shapes such a map
can take are accepted: the HashMap class descriptor, then the map's block data, then string
keys and values (TC_STRING, TC_LONGSTRING, or a back reference to an earlier string).
"""

from __future__ import annotations

import struct

from app.formats.errors import ImportFormatError

MAGIC = b"\xac\xed\x00\x05"
TC_NULL = 0x70
TC_REFERENCE = 0x71
TC_CLASSDESC = 0x72
TC_OBJECT = 0x73
TC_STRING = 0x74
TC_BLOCKDATA = 0x77
TC_ENDBLOCKDATA = 0x78
TC_LONGSTRING = 0x7C
BASE_HANDLE = 0x7E0000
MAX_ENTRIES = 100_000
_PRIMITIVE_SIZES = {"B": 1, "C": 2, "D": 8, "F": 4, "I": 4, "J": 8, "S": 2, "Z": 1}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.handles: list[object] = []

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise ImportFormatError("the file is damaged: the Java data is cut short")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def i32(self) -> int:
        value: int = struct.unpack(">i", self.take(4))[0]
        return value

    def utf(self, length: int) -> str:
        raw = self.take(length)
        try:
            # Java's "modified UTF-8" differs from UTF-8 only for NUL and astral characters,
            # which the JSON and UUIDs FreeOTP stores do not contain.
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFormatError("the file is damaged: a Java string is not UTF-8") from None

    def string(self) -> str:
        tag = self.byte()
        if tag == TC_STRING:
            value = self.utf(self.u16())
        elif tag == TC_LONGSTRING:
            value = self.utf(struct.unpack(">q", self.take(8))[0])
        elif tag == TC_REFERENCE:
            index = self.i32() - BASE_HANDLE
            if not 0 <= index < len(self.handles) or not isinstance(self.handles[index], str):
                raise ImportFormatError("the file is damaged: a Java reference is invalid")
            return str(self.handles[index])
        else:
            raise ImportFormatError("the file is damaged: expected a Java string")
        self.handles.append(value)
        return value

    def hashmap_class(self) -> None:
        if self.byte() != TC_CLASSDESC:
            raise ImportFormatError("not a FreeOTP backup: no Java class description")
        name = self.utf(self.u16())
        if name != "java.util.HashMap":
            raise ImportFormatError("not a FreeOTP backup: the Java object is not a HashMap")
        self.take(8)  # serialVersionUID
        self.handles.append(name)
        self.byte()  # flags
        field_sizes = 0
        for _ in range(self.u16()):
            kind = chr(self.byte())
            self.utf(self.u16())
            if kind not in _PRIMITIVE_SIZES:
                raise ImportFormatError("the file is damaged: unexpected HashMap field")
            field_sizes += _PRIMITIVE_SIZES[kind]
        if self.byte() != TC_ENDBLOCKDATA or self.byte() != TC_NULL:
            raise ImportFormatError("the file is damaged: unexpected HashMap class data")
        self.handles.append("<object>")
        self.take(field_sizes)  # loadFactor, threshold


def parse_string_map(data: bytes) -> dict[str, str]:
    """The entries of a serialized HashMap<String, String>."""
    if not data.startswith(MAGIC):
        raise ImportFormatError("not a FreeOTP backup: not serialized Java data")
    reader = _Reader(data)
    reader.take(len(MAGIC))
    if reader.byte() != TC_OBJECT:
        raise ImportFormatError("not a FreeOTP backup: the Java data is not an object")
    reader.hashmap_class()
    if reader.byte() != TC_BLOCKDATA:
        raise ImportFormatError("the file is damaged: the HashMap has no size")
    block = reader.byte()
    if block < 8:
        raise ImportFormatError("the file is damaged: the HashMap has no size")
    reader.i32()  # capacity
    size = reader.i32()
    reader.take(block - 8)
    if not 0 <= size <= MAX_ENTRIES:
        raise ImportFormatError("the file is damaged: the HashMap size is impossible")
    entries: dict[str, str] = {}
    for _ in range(size):
        key = reader.string()
        entries[key] = reader.string()
    if reader.byte() != TC_ENDBLOCKDATA:
        raise ImportFormatError("the file is damaged: the Java data does not end where it should")
    return entries
