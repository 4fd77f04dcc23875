"""The Qt binding underneath must not corrupt reference counts: the window emits a signal for
every streamed token, and PySide6 6.12.0 dropped a reference to True on each emit, which
aborts a Python 3.11 process after a few thousand tokens."""

import sys
import threading

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    sig_item = Signal(object, tuple)


def test_signal_emit_keeps_reference_counts(qapp):
    emitter = _Emitter()
    received = []
    emitter.sig_item.connect(lambda item, _args: received.append(item))
    before = sys.getrefcount(True), sys.getrefcount(False)

    worker = threading.Thread(target=lambda: [emitter.sig_item.emit(i, ()) for i in range(300)])
    worker.start()
    worker.join()
    for i in range(300):
        emitter.sig_item.emit(i, ())
    qapp.processEvents()

    assert len(received) == 600
    after = sys.getrefcount(True), sys.getrefcount(False)
    # A few references come and go with ordinary objects; a leak per emit would be hundreds.
    assert abs(after[0] - before[0]) < 50 and abs(after[1] - before[1]) < 50
