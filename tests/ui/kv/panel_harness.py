"""A real KvPanel in a real scroll area, planning with the real planner from the starter model's
header -- no model loaded, so the tests using it stay in the fast tier."""

from __future__ import annotations

from PySide6.QtTest import QTest

from app.core.settings import Settings
from app.engine.planner import plan_load
from app.ui.kv.kv_panel import KvPanel
from app.ui.side_column import scrolling


def open_panel(loop, model, width: int = 400, height: int = 320, available_bytes: int | None = None):
    """(panel, scroll area), shown, activated and planned for `model`."""

    async def planner(config):
        return plan_load(config, available_bytes=available_bytes)

    panel = KvPanel(planner, Settings())
    area = scrolling(panel)
    area.resize(width, height)
    area.show()
    area.activateWindow()
    QTest.qWaitForWindowActive(area, 5000)
    panel.set_models([str(model)], None)
    loop.run_until_complete(panel.refresh_plan())
    return panel, area
