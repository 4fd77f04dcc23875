"""Kept caches in the window: each conversation's KV cache that the engine keeps across switches and
restarts (in RAM and on disk, within budgets), shown beside the conversation in the list, summed up
in the memory gauge, and listed in a dialog where the budgets are set and caches are forgotten.

The window wires it: `sig_marks` goes to the conversation list, deletions and the list's "forget"
come back here. While the chat talks to a server the kept caches do not apply and are not shown.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from app.core.conversation import kept_cache_name, shown_title
from app.core.store import ConversationStore
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCache, KeptCaches
from app.engine.memory import MIB
from app.ui.banner import Banner
from app.ui.kv.kept_caches_dialog import KeptCachesDialog, KeptRow, cache_types
from app.ui.kv.memory_gauge import MemoryGauge
from app.ui.settings_keeper import SettingsKeeper
from app.ui.style import mib

_log = logging.getLogger(__name__)
BANNER_KEY = "kept-cache"


def kept_size(cache: KeptCache) -> int:
    """What one kept cache takes: its file, or its state in RAM before the file is written."""
    return cache.disk_bytes or cache.ram_bytes


class KeptCachesControl(QObject):
    sig_marks = Signal(object)
    """What the conversation list shows beside each conversation with a kept cache: {id: (size, tooltip)}."""
    sig_status = Signal(str)
    """A short confirmation for the status bar."""

    def __init__(self, host: EngineHost, store: ConversationStore, settings: SettingsKeeper, gauge: MemoryGauge,
                 banner: Banner, parent: QWidget):
        super().__init__(parent)
        self._host = host
        self._store = store
        self._settings = settings
        self._gauge = gauge
        self._banner = banner
        self._parent = parent
        self._remote = False
        self._started = False
        self._shown_problem: str | None = None
        self.rows: tuple[KeptRow, ...] = ()
        self.dialog: KeptCachesDialog | None = None
        gauge.sig_open_kept_caches.connect(self.open_dialog)
        gauge.set_kept(None)

    @property
    def kept(self) -> KeptCaches | None:
        return self._host.kept

    @property
    def available(self) -> bool:
        """Whether kept caches apply now (this computer's model has them, and no server is in use)."""
        return self.kept is not None and not self._remote

    def start(self) -> None:
        """Follow the kept caches from now on (call on the running event loop): the budgets come from the
        settings, and the caches of conversations that are no longer stored are forgotten."""
        kept = self.kept
        if kept is None or self._started:
            return
        self._started = True
        self._host.watch_kept(self.refresh)
        kept.set_budgets(*self._settings.values.kept_budgets())
        stored = self._stored()
        if stored is not None and not self._store.in_memory:  # in memory: the conversations on disk are unseen
            for cache in kept.listing():
                if cache.conversation not in stored:
                    kept.forget(cache.conversation)
        self.refresh()

    def _stored(self) -> dict[str, tuple[int, str]] | None:
        """Cache name -> (conversation id, title) of every stored conversation (None: the store cannot say)."""
        try:
            return {kept_cache_name(c.id): (c.id, shown_title(c.display_title)) for c in self._store.conversations()}
        except Exception:  # the list of conversations is the window's to report; here only titles are lost
            _log.warning("kept caches: the stored conversations could not be read", exc_info=True)
            return None

    @Slot()
    def refresh(self) -> None:
        """Show the kept caches as they are now (called after every change, on the event loop)."""
        kept = self.kept
        if kept is None or not shiboken6.isValid(self) or not shiboken6.isValid(self._gauge):
            return  # the window has gone; a last change was still on its way
        stored = self._stored() or {}
        unknown = self.tr("(a conversation no longer stored)")
        self.rows = tuple(KeptRow(c, *stored.get(c.conversation, (None, unknown))) for c in kept.listing())
        self._gauge.set_kept(tuple(r.cache for r in self.rows), kept.budgets)
        self.sig_marks.emit({} if self._remote else {
            r.conversation_id: (mib(kept_size(r.cache)), self.describe(r.cache))
            for r in self.rows if r.conversation_id is not None})
        self._show_problem(kept.problem)
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.set_state(self.rows, kept.budgets, self._remote, kept.problem)

    def describe(self, cache: KeptCache) -> str:
        """A kept cache in one line, for a tooltip."""
        disk = (self.tr("{size} on disk").format(size=mib(cache.disk_bytes)) if cache.disk_bytes
                else self.tr("not on disk yet"))
        ram = self.tr("{size} in RAM").format(size=mib(cache.ram_bytes)) if cache.ram_bytes else self.tr("not in RAM")
        return self.tr("Cache kept: {tokens:,} tokens, {types}; {disk}, {ram}; {f16} at f16").format(
            tokens=cache.tokens, types=cache_types(cache), disk=disk, ram=ram, f16=mib(cache.f16_bytes))

    def _show_problem(self, problem: str | None) -> None:
        """A disk problem is said once in the banner (again only if it changes), and withdrawn once it is gone."""
        if problem == self._shown_problem:
            return
        self._shown_problem = problem
        if problem is None:
            self._banner.clear(BANNER_KEY)
        else:
            self._banner.show_message(problem, error=False, key=BANNER_KEY)

    def has_kept(self, conversation_id: int | None) -> bool:
        return self.available and any(r.conversation_id == conversation_id for r in self.rows)

    # -- what the user does -----------------------------------------------------------------

    @Slot(int)
    def forget(self, conversation_id: int) -> None:
        """Forget a stored conversation's kept cache (Chat menu, the list's context menu)."""
        self.forget_names([kept_cache_name(conversation_id)])

    @Slot(int)
    def conversation_deleted(self, conversation_id: int) -> None:
        """A deleted conversation's kept cache goes with it."""
        if self.kept is not None:
            self.kept.forget(kept_cache_name(conversation_id))
            self.refresh()

    def forget_names(self, names: list[str]) -> None:
        kept = self.kept
        if kept is None:
            return
        names = set(names)
        gone = [r.cache for r in self.rows if r.cache.conversation in names]
        for name in names:
            kept.forget(name)
        self.refresh()
        if gone:
            self.sig_status.emit(self._forgotten(gone))

    @Slot()
    def forget_all(self) -> None:
        kept = self.kept
        if kept is None:
            return
        gone = [r.cache for r in self.rows]
        kept.forget_all()
        self.refresh()
        if gone:
            self.sig_status.emit(self._forgotten(gone))

    def _forgotten(self, caches: list[KeptCache]) -> str:
        size = mib(sum(c.disk_bytes for c in caches))
        if len(caches) == 1:
            return self.tr("One kept cache forgotten ({size} on disk freed).").format(size=size)
        return self.tr("{count} kept caches forgotten ({size} on disk freed).").format(count=len(caches), size=size)

    @Slot(int, int)
    def set_budgets(self, ram_mib: int, disk_mib: int) -> None:
        """New budgets, in MiB: saved, and applied at once (caches beyond them leave RAM or the disk)."""
        self._settings.change(kept_ram_mib=ram_mib, kept_disk_mib=disk_mib)
        if self.kept is not None:
            self.kept.set_budgets(ram_mib * MIB, disk_mib * MIB)
        self.refresh()

    def set_remote(self, active: bool) -> None:
        """While the chat talks to a server, this computer's kept caches do not apply."""
        self._remote = active
        self.refresh()

    @Slot()
    def open_dialog(self) -> KeptCachesDialog | None:
        kept = self.kept
        if kept is None:
            return None
        if self.dialog is None or not shiboken6.isValid(self.dialog):
            self.dialog = KeptCachesDialog(kept.folder, self._parent)
            self.dialog.sig_forget.connect(self.forget_names)
            self.dialog.sig_forget_all.connect(self.forget_all)
            self.dialog.sig_budgets.connect(self.set_budgets)
        self.refresh()
        self.dialog.show()  # not modal: the chat goes on beside it
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog
