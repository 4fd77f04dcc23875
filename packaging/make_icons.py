"""Render resources/icons/kvchat.svg into the PNG, ICO and ICNS files the installers need.

    python packaging/make_icons.py      (the outputs are committed; run again after editing the SVG)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "kvchat.svg"))
    if not renderer.isValid():
        raise SystemExit("the SVG could not be read")
    for size in (256, 512):
        render(renderer, size).save(str(ICONS / f"kvchat-{size}.png"))
    # Qt's icon writers take the largest image and store it at the sizes each format wants.
    if not render(renderer, 256).save(str(ICONS / "kvchat.ico")):
        raise SystemExit("no ICO writer")
    if not render(renderer, 512).save(str(ICONS / "kvchat.icns")):
        raise SystemExit("no ICNS writer")
    print("\n".join(str(p) for p in sorted(ICONS.iterdir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
