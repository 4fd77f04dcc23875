"""The trade-off as a picture: memory saved (x) against quality lost (y, mean KL divergence),
one point per K/V pair, the Pareto front joined, the noise floor and the budget drawn across."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.ui import style

FRONT_COLOR = QColor(style.K_COLOR)
OTHER_COLOR = QColor(style.OTHER_COLOR)
PICKED_COLOR = QColor(style.GOOD_COLOR)
NOISE_COLOR = QColor(style.USED_COLOR)
BUDGET_COLOR = QColor(style.ERROR_COLOR)
POINT_RADIUS = 5


@dataclass(frozen=True)
class ChartPoint:
    label: str
    saved_mib: float
    kl: float
    on_front: bool = False
    picked: bool = False
    tooltip: str = ""  # what the point means, in words

    @property
    def color(self) -> QColor:
        return PICKED_COLOR if self.picked else FRONT_COLOR if self.on_front else OTHER_COLOR


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 x 10^n at or above `value` (an axis end a person reads at a glance)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def begin_plot(widget: QWidget, rect: QRectF) -> QPainter:
    """A painter on `widget` with the plot area framed on the base colour and a small font for ticks."""
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(rect, widget.palette().base())
    painter.setPen(QPen(widget.palette().mid().color(), 1))
    painter.drawRect(rect)
    small = QFont(widget.font())
    small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
    painter.setFont(small)
    return painter


class TradeoffChart(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.points: list[ChartPoint] = []
        self.noise_kl: float | None = None
        self.budget: float | None = None
        self.setMinimumSize(360, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, points: list[ChartPoint], noise_kl: float | None, budget: float | None) -> None:
        self.points = list(points)
        self.noise_kl = noise_kl
        self.budget = budget
        self.update()

    # -- geometry (public so tests can find the points) -----------------------------------------

    def plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(62, 28, -18, -46)

    def axis_ends(self) -> tuple[float, float]:
        x_max = nice_ceiling(max([p.saved_mib for p in self.points] + [1.0]) * 1.08)
        ys = [p.kl for p in self.points] + [self.noise_kl or 0.0, self.budget or 0.0]
        return x_max, nice_ceiling(max(ys + [1e-3]) * 1.1)

    def position(self, saved_mib: float, kl: float) -> QPointF:
        rect, (x_max, y_max) = self.plot_rect(), self.axis_ends()
        return QPointF(rect.left() + rect.width() * max(saved_mib, 0.0) / x_max,
                       rect.bottom() - rect.height() * min(kl, y_max) / y_max)

    def point_position(self, index: int) -> QPointF:
        p = self.points[index]
        return self.position(p.saved_mib, p.kl)

    def point_at(self, where: QPointF) -> ChartPoint | None:
        """The point drawn under `where` (the nearest, within a few pixels), if any."""
        near = [(QLineF(self.point_position(i), where).length(), i) for i in range(len(self.points))]
        distance, index = min(near, default=(math.inf, -1))
        return self.points[index] if distance <= POINT_RADIUS + 4 else None

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            point = self.point_at(QPointF(event.pos()))
            if point is not None and point.tooltip:
                QToolTip.showText(event.globalPos(), point.tooltip, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    # -- drawing ------------------------------------------------------------------------------

    def paintEvent(self, _event) -> None:
        rect = self.plot_rect()
        painter = begin_plot(self, rect)
        x_max, y_max = self.axis_ends()
        text = self.palette().text().color()
        for i in range(5):  # grid and tick labels
            fx, fy = i / 4, i / 4
            x = rect.left() + rect.width() * fx
            y = rect.bottom() - rect.height() * fy
            painter.setPen(QPen(self.palette().midlight().color(), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(x - 30, rect.bottom() + 4, 60, 14), Qt.AlignmentFlag.AlignHCenter,
                             f"{x_max * fx:g}")
            painter.drawText(QRectF(rect.left() - 60, y - 7, 56, 14), Qt.AlignmentFlag.AlignRight, f"{y_max * fy:.3g}")
        painter.drawText(QRectF(rect.left(), rect.bottom() + 22, rect.width(), 16), Qt.AlignmentFlag.AlignHCenter,
                         self.tr("memory saved against f16/f16 (MiB)"))
        painter.save()
        painter.translate(14, rect.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-rect.height() / 2, -8, rect.height(), 16), Qt.AlignmentFlag.AlignHCenter,
                         self.tr("quality lost: mean KL divergence"))
        painter.restore()
        for value, color, label in ((self.noise_kl, NOISE_COLOR, self.tr("noise floor")),
                                    (self.budget, BUDGET_COLOR, self.tr("budget"))):
            if value is not None and value <= y_max:
                y = self.position(0, value).y()
                painter.setPen(QPen(color, 1.5, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
                painter.drawText(QRectF(rect.right() - 120, y - 16, 116, 14), Qt.AlignmentFlag.AlignRight, label)
        front = sorted((p for p in self.points if p.on_front), key=lambda p: p.saved_mib)
        painter.setPen(QPen(FRONT_COLOR, 2))
        for a, b in zip(front, front[1:], strict=False):
            painter.drawLine(self.position(a.saved_mib, a.kl), self.position(b.saved_mib, b.kl))
        for i, p in enumerate(self.points):
            centre = self.point_position(i)
            painter.setPen(QPen(p.color.darker(130), 1))
            painter.setBrush(p.color)
            painter.drawEllipse(centre, POINT_RADIUS, POINT_RADIUS)
            painter.setPen(text)
            painter.drawText(QRectF(centre.x() + 7, centre.y() - 16, 140, 14), Qt.AlignmentFlag.AlignLeft, p.label)
        painter.end()
