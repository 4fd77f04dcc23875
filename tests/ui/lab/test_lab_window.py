"""The KV lab window on the real model, and the charts drawing what they are given."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from app.engine.lab.results import LabPair, memory_curves
from app.engine.lab.run import LabSpec
from app.engine.records import ChatMessage
from app.ui.lab.planner_chart import TRAINED_COLOR, PlannerChart
from app.ui.lab.tradeoff_chart import ChartPoint, TradeoffChart


def test_the_tradeoff_chart_draws_the_points_it_is_given(qtbot):
    chart = TradeoffChart()
    qtbot.addWidget(chart)
    chart.resize(600, 400)
    points = [ChartPoint("f16/f16", 0, 0.0, True), ChartPoint("q8_0/q8_0", 42, 0.004, True, picked=True),
              ChartPoint("q5_0/q5_0", 50, 0.03), ChartPoint("q4_0/q4_0", 65, 0.05, True)]
    chart.set_data(points, noise_kl=0.004, budget=0.01)
    image = chart.grab().toImage()
    for i, point in enumerate(points):
        centre = chart.point_position(i).toPoint()
        assert chart.plot_rect().contains(chart.point_position(i))
        assert image.pixelColor(centre).name() == point.color.name(), point.label
    xs = [chart.point_position(i).x() for i in range(4)]
    ys = [chart.point_position(i).y() for i in range(4)]
    assert xs == sorted(xs) and ys[0] > ys[1] > ys[2] > ys[3]  # more saved to the right, more lost higher up


def test_the_planner_marks_where_each_type_stops_fitting(qtbot, starter_model):
    from app.engine.gguf.info import read_model_info

    info = replace(read_model_info(starter_model), n_ctx_train=1 << 20)  # as if trained on a million tokens
    available = 2 * 1024**3
    curves = memory_curves(info, [LabPair("f16", "f16"), LabPair("q4_0", "q4_0")], available, 400_000)
    assert curves[0].largest_ctx < curves[1].largest_ctx
    assert all(a < b for a, b in zip(curves[0].total_bytes, curves[0].total_bytes[1:]))
    chart = PlannerChart()
    qtbot.addWidget(chart)
    chart.resize(700, 320)
    chart.set_data(curves, available)
    image = chart.grab().toImage()
    mark = chart.position(curves[0].largest_ctx, available).toPoint()
    assert image.pixelColor(mark).name() == "#9aa3ad"  # the f16 curve's colour, at its crossing


def test_the_planner_stops_at_the_trained_context_and_marks_it(qtbot, starter_model):
    from app.engine.gguf.info import read_model_info

    info = read_model_info(starter_model)
    assert info.n_ctx_train == 8192
    curves = memory_curves(info, [LabPair("f16", "f16"), LabPair("q4_0", "q4_0")], 64 * 1024**3, 5_000_000)
    assert all(c.contexts[-1] == 8192 and c.largest_ctx == 8192 and c.fits_trained_context for c in curves)
    chart = PlannerChart()
    qtbot.addWidget(chart)
    chart.resize(700, 320)
    chart.set_data(memory_curves(info, [LabPair("f16", "f16")], 64 * 1024**3, 10_000), 64 * 1024**3, 8192, 10_000)
    assert chart.axis_ends()[0] == 10_000 and chart.curves[0].contexts[-1] == 8192
    image = chart.grab().toImage()
    x, rect = round(chart.position(8192, 0).x()), chart.plot_rect()
    column = [image.pixelColor(x + dx, y) for dx in (-1, 0, 1) for y in range(int(rect.top()), int(rect.bottom()))]
    near = [c for c in column if max(abs(c.red() - TRAINED_COLOR.red()), abs(c.green() - TRAINED_COLOR.green()),
                                     abs(c.blue() - TRAINED_COLOR.blue())) < 48]
    assert len(near) > rect.height() / 3  # a dashed line from top to bottom at 8,192 tokens


def test_the_lab_window_measures_recommends_and_fills_the_panel(window, loop, qtbot):
    lab = window.open_lab()
    blocked = []
    lab.sig_running.connect(lambda running: blocked.append((running, window.composer.edit.isReadOnly())))
    report = loop.run_until_complete(lab.run(LabSpec(pairs=(LabPair("q8_0", "q8_0"), LabPair("q4_0", "q4_0")),
                                                     scored_tokens=96)))
    assert blocked == [(True, True), (False, False)]  # the chat waited, then was free again
    assert report is not None and lab.table.rowCount() == 4  # reference, noise floor, two pairs
    assert len(lab.chart.points) == 3 and lab.chart.noise_kl == report.noise_floor.kl_mean
    lab.budget_spin.setValue(1.0)  # anything goes: the smallest cache
    assert "K q4_0 / V q4_0" in lab.recommendation.text()
    q4 = next(r for r in report.results if r.pair.label == "q4_0/q4_0")
    words = f"the same next word as f16 {round(q4.top1_agreement * 100)} % of the time"
    assert words in lab.recommendation.text()  # the verdict line says what the KL means
    assert "fits <b>the whole trained context (8,192)</b>" in lab.recommendation.text()  # not "1.9M tokens"
    q4_row = next(i for i in range(lab.table.rowCount()) if lab.table.item(i, 0).text() == "q4_0/q4_0")
    assert lab.table.item(q4_row, 6).toolTip() == words
    assert words in next(p for p in lab.chart.points if p.label == "q4_0/q4_0").tooltip
    assert lab.planner.trained_ctx == 8192 and lab.planner.axis_ends()[0] == 10_000  # not 5M tokens
    assert [p.label for p in lab.chart.points if p.picked] == ["q4_0/q4_0"]
    assert lab.planner.curves and lab.planner.available_bytes > 0
    lab.budget_spin.setValue(0.0)  # no loss at all: f16/f16
    assert "K f16 / V f16" in lab.recommendation.text()
    lab.budget_spin.setValue(1.0)
    qtbot.mouseClick(lab.use_button, Qt.MouseButton.LeftButton)
    assert (window.kv_panel.k_combo.currentData(), window.kv_panel.v_combo.currentData()) == ("q4_0", "q4_0")


def test_the_lab_on_a_long_conversation_measures_with_one_rising_bar(window, loop):
    lab = window.open_lab()
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    paragraphs = [p for p in readme.split("\n\n") if len(p) > 200][:12]
    lab._conversation = lambda: tuple(ChatMessage("user" if i % 2 == 0 else "assistant", text)
                                      for i, text in enumerate(paragraphs))  # far past 512 tokens
    lab.source_combo.setCurrentIndex(lab.source_combo.findData("conversation"))
    lab.tokens_spin.setValue(255)
    lab.pairs_combo.setCurrentIndex(lab.pairs_combo.findData("presets"))
    values = []
    lab.progress.valueChanged.connect(values.append)
    report = loop.run_until_complete(lab.run())
    assert report is not None, lab.status.text()  # it ended in "llama_decode returned 1"
    assert report.reference_source == "conversation" and report.scored_tokens == 255  # one 512-token chunk
    assert values == sorted(values) and values[-1] == lab.progress.maximum()  # one bar, rising to the end
    assert lab.table.rowCount() == 5  # reference, noise floor and the three presets
