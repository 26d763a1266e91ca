"""Qt enum properties set by their names, for the first window and what draws it.

PySide6 makes the whole Qt namespace (about 120 enums, each a Python enum class) the first
time any one of its enums is used, from Python or as a value a Qt function returns: 14 ms,
a tenth of a start measured against a C++ app's (tests/bench/ui.py). The unlock window and
its first paint set the few they need through Qt's property system instead: QObject's
setProperty takes an enum or flags property as the names of its keys, and Qt turns them
into the value. Everything after the first paint uses the Qt namespace as usual;
tests/ui/shell/test_start_imports.py checks that the first window does not make it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject


def set_by_name(target: QObject, name: str, keys: str) -> None:
    """Set `target`'s enum or flags property `name` to `keys`: "AlignHCenter", "A|B"."""
    if not target.setProperty(name, keys):
        # A misspelt key or property: a bug, and one the window's tests meet at once.
        raise ValueError(f"{type(target).__name__}.{name} cannot be set to {keys!r}")
