"""The memory planner: total memory against context length for several cache types, with the
memory available now drawn across and the longest context each type fits marked on its line."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.engine.lab.results import MemoryCurve
from app.ui import style
from app.ui.lab.tradeoff_chart import begin_plot, nice_ceiling
from app.ui.style import short_tokens

GIB = 1024**3
CURVE_COLORS = [QColor(c) for c in (style.OTHER_COLOR, style.K_COLOR, style.V_COLOR, style.EXTRA_CURVE_COLOR,
                                     style.GOOD_COLOR)]
AVAILABLE_COLOR = QColor(style.ERROR_COLOR)
TRAINED_COLOR = QColor(style.USED_COLOR)
LEGEND_WIDTH = 150  # "q8_0/q4_0: 8,192 (all)"


class PlannerChart(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves: list[MemoryCurve] = []
        self.available_bytes = 0
        self.trained_ctx = 0
        self.x_end = 0
        self.setMinimumSize(360, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, curves: list[MemoryCurve], available_bytes: int, trained_ctx: int = 0,
                 x_end: int = 0) -> None:
        """`trained_ctx`: the model's trained context, marked across the chart (0: not known); `x_end`: where
        the axis ends, when past the curves' last context (they stop at the trained context)."""
        self.curves = list(curves)
        self.available_bytes = available_bytes
        self.trained_ctx = trained_ctx
        self.x_end = x_end
        self.update()

    def plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(58, 26, -LEGEND_WIDTH - 26, -44)

    def axis_ends(self) -> tuple[float, float]:
        x = max([c.contexts[-1] for c in self.curves if c.contexts] + [self.x_end], default=8192)
        highest = max((max(c.total_bytes) for c in self.curves if c.total_bytes), default=0)
        if self.curves and all(c.fits_trained_context for c in self.curves):
            y = highest / GIB  # every line ends at the trained context below the memory there is: show the lines
        else:
            y = max(highest, self.available_bytes) / GIB
            if self.available_bytes:  # what matters is where the lines cross the memory there is
                y = min(y, 2.5 * self.available_bytes / GIB)
        return float(x), nice_ceiling(y * 1.05)

    def position(self, n_ctx: float, total_bytes: float) -> QPointF:
        rect, (x_max, y_max) = self.plot_rect(), self.axis_ends()
        return QPointF(rect.left() + rect.width() * min(n_ctx, x_max) / x_max,
                       rect.bottom() - rect.height() * min(total_bytes / GIB, y_max) / y_max)

    def paintEvent(self, _event) -> None:
        rect = self.plot_rect()
        painter = begin_plot(self, rect)
        x_max, y_max = self.axis_ends()
        text = self.palette().text().color()
        for i in range(5):
            f = i / 4
            x, y = rect.left() + rect.width() * f, rect.bottom() - rect.height() * f
            painter.setPen(QPen(self.palette().midlight().color(), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(x - 30, rect.bottom() + 4, 60, 14), Qt.AlignmentFlag.AlignHCenter,
                             short_tokens(x_max * f))
            painter.drawText(QRectF(rect.left() - 56, y - 7, 52, 14), Qt.AlignmentFlag.AlignRight,
                             f"{y_max * f:g} GiB")
        painter.drawText(QRectF(rect.left(), rect.bottom() + 20, rect.width(), 16), Qt.AlignmentFlag.AlignHCenter,
                         self.tr("context length (tokens)"))
        if self.available_bytes and self.available_bytes / GIB <= y_max:
            y = self.position(0, self.available_bytes).y()
            painter.setPen(QPen(AVAILABLE_COLOR, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.drawText(QRectF(rect.left() + 4, y - 16, 220, 14), Qt.AlignmentFlag.AlignLeft,
                             self.tr("available now: {size:.1f} GiB").format(size=self.available_bytes / GIB))
        elif self.available_bytes:  # far above every line
            painter.setPen(AVAILABLE_COLOR)
            painter.drawText(QRectF(rect.left() + 4, rect.top() + 4, 320, 14), Qt.AlignmentFlag.AlignLeft,
                             self.tr("available now: {size:.1f} GiB, above the chart").format(
                                 size=self.available_bytes / GIB))
        if 0 < self.trained_ctx <= x_max:
            x = self.position(self.trained_ctx, 0).x()
            painter.setPen(QPen(TRAINED_COLOR, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            painter.drawText(QRectF(x - 224, rect.top() + 4, 220, 14), Qt.AlignmentFlag.AlignRight,
                             self.tr("trained context: {tokens:,}").format(tokens=self.trained_ctx))
        for i, curve in enumerate(self.curves):
            color = CURVE_COLORS[i % len(CURVE_COLORS)]
            path = QPainterPath()
            for j, (n, total) in enumerate(zip(curve.contexts, curve.total_bytes, strict=True)):
                point = self.position(n, total)
                path.moveTo(point) if j == 0 else path.lineTo(point)
            painter.setPen(QPen(color, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            if 0 < curve.largest_ctx <= x_max and not curve.fits_trained_context:  # where this type stops fitting
                mark = self.position(curve.largest_ctx, self.available_bytes)
                painter.setBrush(color)
                painter.drawEllipse(mark, 4, 4)
            legend_y = rect.top() + 4 + 16 * i
            painter.setPen(QPen(color, 3))
            painter.drawLine(QPointF(rect.right() + 8, legend_y + 7), QPointF(rect.right() + 22, legend_y + 7))
            painter.setPen(text)
            reach = short_tokens(curve.largest_ctx) if curve.largest_ctx else self.tr("none")
            if curve.fits_trained_context:
                reach = self.tr("{tokens} (all)").format(tokens=reach)
            painter.drawText(QRectF(rect.right() + 26, legend_y, LEGEND_WIDTH, 14), Qt.AlignmentFlag.AlignLeft,
                             f"{curve.label}: {reach}")
        painter.end()
