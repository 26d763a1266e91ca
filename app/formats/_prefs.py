"""Android shared_prefs XML files (`<map><string name="...">...</string>...</map>`).

Several apps keep their accounts in one: FreeOTP, FreeOTP+, Authy, Battle.net, TOTP
Authenticator. Parsed with expat directly so that a document type declaration (the door to
entity expansion and external entities) is refused outright; Android never writes one.
"""

from __future__ import annotations

from xml.parsers import expat

MAX_DEPTH = 32
_SCALARS = frozenset({"int", "long", "boolean", "float"})


class _NotPrefs(Exception):
    pass


def parse_prefs(data: bytes) -> dict[str, str] | None:
    """The preferences as name -> text (strings, and the value of int/long/boolean/float).

    None when the bytes are not a well-formed shared_prefs file.
    """
    if b"<map" not in data[:4096]:
        return None
    values: dict[str, str] = {}
    stack: list[str] = []
    current: dict[str, object] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        stack.append(tag)
        depth = len(stack)
        if depth > MAX_DEPTH:
            raise _NotPrefs
        if depth == 1 and tag != "map":
            raise _NotPrefs
        if depth == 2:
            current.clear()
            current["name"] = attrs.get("name")
            current["text"] = []
            if tag in _SCALARS and attrs.get("name") is not None and "value" in attrs:
                values[attrs["name"]] = attrs["value"]

    def end(tag: str) -> None:
        if len(stack) == 2 and tag == "string":
            name = current.get("name")
            text = current.get("text")
            if isinstance(name, str) and isinstance(text, list):
                values[name] = "".join(text)
        stack.pop()

    def chars(text: str) -> None:
        if len(stack) == 2:
            parts = current.get("text")
            if isinstance(parts, list):
                parts.append(text)

    def refuse(*_args: object) -> int:
        raise _NotPrefs

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except (_NotPrefs, expat.ExpatError, ValueError, LookupError, UnicodeError):
        return None
    return values
