"""What a window says back about a password being typed: that one is needed, how strong a new
one is, whether its repeat matches.

The same rules wherever a password is typed (the vault's, an export file's, an import's),
so the meter and its words mean the same everywhere.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit

from app.ui.common import strength
from app.ui.common.widgets import ErrorLabel, StrengthMeter


def typed_password(field: QLineEdit, error: ErrorLabel, ask: str) -> str | None:
    """The password in `field`; None, with `ask` shown in `error`, when nothing is typed."""
    password = field.text()
    if not password:
        error.show_error(ask)
        return None
    error.clear_error()
    return password


def show_strength(meter: StrengthMeter, words: QLabel, password: str) -> None:
    """Fill `meter` and say in `words` how strong `password` is; advice while it is empty."""
    if password:
        score = strength.estimate(password).score
        meter.set_score(score)
        words.setText(meter.describe(score))
    else:
        meter.set_score(-1)
        words.setText(meter.tr("Use a long passphrase: four or more unrelated words work well."))


def repeat_differs(password: str, repeated: str) -> bool:
    """Whether the repeated password is wrong already, not merely unfinished: a repeat that
    is the start of the password is still being typed."""
    return bool(repeated) and repeated != password and not password.startswith(repeated)
