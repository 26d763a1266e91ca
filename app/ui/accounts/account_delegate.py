"""Paints one account row: avatar, issuer and name, the code, and the time-left ring.

Painting, not a widget per row: the list stays fast with 10,000 accounts and only the rows on
screen cost anything. Codes come from the CodeCache, so a repaint computes nothing new
unless a period has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.core.account import Account, OtpType
from app.core.otp import group_code
from app.ui.accounts.account_model import ACCOUNT_ROLE
from app.ui.accounts.code_cache import CodeCache, ShownCode
from app.ui.common.avatar import AvatarPainter
from app.ui.common.resources import icon
from app.ui.common.widgets import code_font

AVATAR = 40
RING = 28
RING_PEN = 3.0
MARGIN = 8  # around the rounded row background
PAD = 12  # inside it
URGENT_SECONDS = 5
CODE_GAP = 14  # between the code and the ring
NAME_GAP = 16  # between the names and the code
FAVOURITE_COLOUR = "#f5a623"
URGENT_COLOUR = "#e5484d"
HIDDEN_DOT = "•"

# Looked up once: a Qt enum member costs a Python attribute lookup each time, and the list
# repaints every second.
_TEXT = QPalette.ColorRole.Text
_MUTED = QPalette.ColorRole.PlaceholderText
_HIGHLIGHT = QPalette.ColorRole.Highlight
_MID = QPalette.ColorRole.Mid
_SELECTED = QStyle.StateFlag.State_Selected
_HOVERED = QStyle.StateFlag.State_MouseOver
_FOCUSED = QStyle.StateFlag.State_HasFocus
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_CENTRE = Qt.AlignmentFlag.AlignCenter
_ELIDE = Qt.TextElideMode.ElideRight
_HOTP = OtpType.HOTP


@dataclass
class DisplayOptions:
    hide_codes: bool = False
    next_code_seconds: int = 5


@dataclass(frozen=True)
class _Place:
    """Where a row's code goes: its card, the right edge, and how it is drawn."""

    card: QRect
    right: int
    fonts: _Fonts
    urgent: bool
    palette: QPalette


@dataclass(frozen=True)
class _Fonts:
    title: QFont
    detail: QFont
    code: QFont
    small: QFont
    title_metrics: QFontMetrics
    detail_metrics: QFontMetrics
    code_metrics: QFontMetrics
    small_metrics: QFontMetrics


def hidden_text(code: str) -> str:
    return group_code(HIDDEN_DOT * len(code))


class AccountDelegate(QStyledItemDelegate):
    def __init__(
        self,
        cache: CodeCache,
        now: Callable[[], float],
        options: DisplayOptions,
        revealed: Callable[[str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._now = now
        self.options = options
        self._revealed = revealed
        self._avatars = AvatarPainter()
        self._fonts: tuple[str, _Fonts] | None = None
        self._star = icon("star-filled", FAVOURITE_COLOUR)
        self._circles: dict[tuple[int, float, float, bool], QPixmap] = {}
        self._next_icon = icon("refresh")

    def clear_images(self) -> None:
        self._avatars.clear()

    def fonts(self, base: QFont) -> _Fonts:
        key = base.key()
        if self._fonts is None or self._fonts[0] != key:
            title = QFont(base)
            title.setPointSizeF(base.pointSizeF() * 1.05)
            title.setWeight(QFont.Weight.DemiBold)
            detail = QFont(base)
            detail.setPointSizeF(base.pointSizeF() * 0.92)
            code = code_font(base)
            small = QFont(base)
            small.setPointSizeF(base.pointSizeF() * 0.82)
            fonts = _Fonts(
                title,
                detail,
                code,
                small,
                QFontMetrics(title),
                QFontMetrics(detail),
                QFontMetrics(code),
                QFontMetrics(small),
            )
            self._fonts = (key, fonts)
        return self._fonts[1]

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        fonts = self.fonts(option.font)
        text = fonts.title_metrics.height() + 2 + fonts.detail_metrics.height()
        code = fonts.code_metrics.height() + fonts.small_metrics.height()
        height = max(AVATAR, text, code) + 2 * PAD + 2 * 3
        return QSize(320, height)

    # --- geometry shared with the view (clicks on the HOTP button) -------------------------

    @staticmethod
    def card_rect(row: QRect) -> QRect:
        return row.adjusted(MARGIN, 3, -MARGIN, -3)

    def action_rect(self, row: QRect) -> QRect:
        """Where the ring is drawn, or the "next code" button for HOTP rows."""
        card = self.card_rect(row)
        return QRect(
            card.right() - PAD - RING, card.center().y() - RING // 2 + 1, RING, RING
        ).adjusted(-2, -2, 2, 2)

    # --- painting --------------------------------------------------------------------------

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        account = index.data(ACCOUNT_ROLE)
        if not isinstance(account, Account):
            return
        palette: QPalette = option.palette
        fonts = self.fonts(option.font)
        widget = option.widget
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self.card_rect(option.rect)
        self._paint_background(painter, card, palette, option.state)
        action = self.action_rect(option.rect).adjusted(2, 2, -2, -2)
        now = self._now()
        shown = self._cache.code(account, now)
        urgent = False
        if account.type is _HOTP:
            self._paint_next_button(painter, QRectF(action), palette, ratio)
        else:
            left = shown.seconds_left or 0.0
            urgent = left <= URGENT_SECONDS
            self._paint_ring(
                painter,
                QRectF(action),
                left=left,
                period=shown.period,
                fonts=fonts,
                urgent=urgent,
                palette=palette,
                ratio=ratio,
            )
        code_left = self._paint_code(
            painter,
            account,
            shown,
            _Place(card, action.left() - CODE_GAP, fonts, urgent, palette),
            now,
        )
        # The once-a-second repaint exposes only the codes and rings (see live_rect): the
        # avatar and names, which have not changed, are not drawn again then.
        exposed: QRect | None = getattr(widget, "exposed", None)
        still = QRect(card.left(), card.top(), code_left - NAME_GAP - card.left(), card.height())
        if exposed is None or exposed.intersects(still):
            avatar = QRectF(card.left() + PAD, card.center().y() - AVATAR / 2 + 1, AVATAR, AVATAR)
            self._avatars.paint(painter, avatar, account, ratio)
            names = QRect(int(avatar.right()) + PAD, card.top(), 0, card.height())
            names.setRight(code_left - NAME_GAP)
            self._paint_names(painter, account, fonts, names, palette)
        painter.restore()

    def live_rect(self, row: QRect, account: Account, font: QFont) -> QRect:
        """The part of a row that changes with time: the code, the next code and the ring."""
        fonts = self.fonts(font)
        shown = self._cache.code(account, self._now())
        hidden = self.options.hide_codes and not self._revealed(account.uuid)
        text = hidden_text(shown.text) if hidden else group_code(shown.text)
        width = fonts.code_metrics.horizontalAdvance(text)
        if shown.seconds_left is not None:
            following = self.tr("next %1").replace("%1", group_code(shown.text))
            width = max(width, fonts.small_metrics.horizontalAdvance(following))
        card = self.card_rect(row)
        left = self.action_rect(row).left() + 2 - CODE_GAP - width - 2
        return QRect(left, card.top(), card.right() - left + 1, card.height())

    def _paint_code(
        self, painter: QPainter, account: Account, shown: ShownCode, place: _Place, now: float
    ) -> int:
        """The code right-aligned at `place.right`, the next one under it near the end.

        Returns the left edge of the code, where the names must stop.
        """
        fonts = place.fonts
        palette = place.palette
        hidden = self.options.hide_codes and not self._revealed(account.uuid)
        code_text = hidden_text(shown.text) if hidden else group_code(shown.text)
        code_width = fonts.code_metrics.horizontalAdvance(code_text)
        show_next = (
            not hidden
            and shown.seconds_left is not None
            and shown.seconds_left <= self.options.next_code_seconds
        )
        code_height = fonts.code_metrics.height()
        block = code_height + (fonts.small_metrics.height() if show_next else 0)
        top = place.card.center().y() - block // 2 + 1
        code_rect = QRect(place.right - code_width, top, code_width, code_height)
        painter.setFont(fonts.code)
        if hidden:
            painter.setPen(palette.color(_MUTED))
        elif place.urgent:
            painter.setPen(QColor(URGENT_COLOUR))
        else:
            painter.setPen(palette.color(_TEXT))
        painter.drawText(code_rect, _RIGHT, code_text)
        if show_next:
            following = group_code(self._cache.next_code(account, now))
            painter.setFont(fonts.small)
            painter.setPen(palette.color(_MUTED))
            height = fonts.small_metrics.height()
            next_rect = QRect(place.right - 200, code_rect.bottom(), 200, height)
            painter.drawText(next_rect, _RIGHT, self.tr("next %1").replace("%1", following))
        return code_rect.left()

    def _paint_names(
        self, painter: QPainter, account: Account, fonts: _Fonts, room: QRect, palette: QPalette
    ) -> None:
        """Issuer (with a star for favourites) over name and groups, elided to fit `room`."""
        left = room.left()
        width = max(0, room.width())
        card = room
        title_h = fonts.title_metrics.height()
        detail_h = fonts.detail_metrics.height()
        top = card.center().y() - (title_h + 2 + detail_h) // 2 + 1
        title = account.issuer or account.name or self.tr("(unnamed)")
        parts = [account.name] if account.issuer and account.name else []
        detail = "  ·  ".join([*parts, *account.groups])
        star_room = 20 if account.favourite else 0
        painter.setFont(fonts.title)
        painter.setPen(palette.color(_TEXT))
        elided = fonts.title_metrics.elidedText(title, _ELIDE, max(0, width - star_room))
        painter.drawText(QRect(left, top, width, title_h), _LEFT, elided)
        if account.favourite:
            star_left = left + fonts.title_metrics.horizontalAdvance(elided) + 6
            self._star.paint(painter, QRect(star_left, top + (title_h - 14) // 2, 14, 14))
        if detail:
            painter.setFont(fonts.detail)
            painter.setPen(palette.color(_MUTED))
            painter.drawText(
                QRect(left, top + title_h + 2, width, detail_h),
                _LEFT,
                fonts.detail_metrics.elidedText(detail, _ELIDE, width),
            )

    def _paint_background(
        self, painter: QPainter, card: QRect, palette: QPalette, state: QStyle.StateFlag
    ) -> None:
        selected = bool(state & _SELECTED)
        hovered = bool(state & _HOVERED)
        if not (selected or hovered):
            return
        colour = QColor(palette.color(_HIGHLIGHT))
        colour.setAlphaF(0.16 if selected else 0.07)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(card), 10, 10)
        if selected and state & _FOCUSED:
            edge = QColor(palette.color(_HIGHLIGHT))
            edge.setAlphaF(0.7)
            painter.setPen(QPen(edge, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(card).adjusted(0.75, 0.75, -0.75, -0.75), 10, 10)

    def _paint_ring(
        self,
        painter: QPainter,
        rect: QRectF,
        *,
        left: float,
        period: int,
        fonts: _Fonts,
        urgent: bool,
        palette: QPalette,
        ratio: float,
    ) -> None:
        pen_width = RING_PEN
        ring = rect.adjusted(pen_width / 2, pen_width / 2, -pen_width / 2, -pen_width / 2)
        track = QColor(palette.color(_MID))
        track.setAlphaF(0.35)
        painter.drawPixmap(rect.topLeft(), self._circle(track, rect.width(), ratio, filled=False))
        colour = QColor(URGENT_COLOUR) if urgent else palette.color(_HIGHLIGHT)
        pen = QPen(colour, pen_width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        fraction = max(0.0, min(1.0, left / period)) if period else 0.0
        painter.drawArc(ring, 90 * 16, round(fraction * 360 * 16))
        painter.setFont(fonts.small)
        painter.setPen(palette.color(_TEXT))
        painter.drawText(rect, _CENTRE, str(max(1, int(left + 0.999))))

    def _circle(self, colour: QColor, side: float, ratio: float, *, filled: bool) -> QPixmap:
        """A ring track or a button disc, drawn once: antialiased ellipses are slow."""
        key = (colour.rgba(), side, ratio, filled)
        pixmap = self._circles.get(key)
        if pixmap is None:
            pixels = max(1, round(side * ratio))
            pixmap = QPixmap(pixels, pixels)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            if filled:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawEllipse(QRectF(0, 0, pixels, pixels))
            else:
                pen = RING_PEN * ratio
                painter.setPen(QPen(colour, pen))
                painter.drawEllipse(QRectF(pen / 2, pen / 2, pixels - pen, pixels - pen))
            painter.end()
            pixmap.setDevicePixelRatio(ratio)
            if len(self._circles) > 16:
                self._circles.clear()
            self._circles[key] = pixmap
        return pixmap

    def _paint_next_button(
        self, painter: QPainter, rect: QRectF, palette: QPalette, ratio: float
    ) -> None:
        fill = QColor(palette.color(_HIGHLIGHT))
        fill.setAlphaF(0.14)
        painter.drawPixmap(rect.topLeft(), self._circle(fill, rect.width(), ratio, filled=True))
        inner = rect.adjusted(6, 6, -6, -6).toRect()
        self._next_icon.paint(painter, inner)
