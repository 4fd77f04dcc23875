"""The packaging files agree with the app: one reverse-DNS id everywhere, a valid .desktop file,
and the GPU variants are built, bundled and named as the README says."""

import configparser
import os
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

from app.core.paths import APP_ID

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = ROOT / "resources" / f"{APP_ID}.desktop"


def test_the_desktop_entry_names_the_app_and_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Icon"] == APP_ID
    assert section["Exec"].split()[0] == "kvchat" and section["Type"] == "Application"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_the_desktop_entry_is_valid():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_one_app_id_everywhere():
    assert APP_ID in (ROOT / "packaging" / "windows" / "kvchat.iss").read_text()
    assert "APP_ID" in (ROOT / "packaging" / "kvchat.spec").read_text()  # the macOS bundle identifier
    assert "APP_ID" in (ROOT / "app" / "ui" / "application.py").read_text()  # setDesktopFileName
    assert "from app.core.paths import APP_ID" in (ROOT / "packaging" / "linux" / "build.sh").read_text()
    assert f"app_id={APP_ID}" in (ROOT / "packaging" / "linux" / "install.sh").read_text()


def test_the_icons_exist_in_every_format_the_installers_use():
    icons = ROOT / "resources" / "icons"
    for name in ("kvchat.svg", "kvchat-256.png", "kvchat-512.png", "kvchat.ico", "kvchat.icns"):
        assert (icons / name).stat().st_size > 1000, name


BUILD_SH = ROOT / "packaging" / "linux" / "build.sh"


def build_names(*args: str) -> list[str]:
    result = subprocess.run(["bash", str(BUILD_SH), "--names", *args], capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "PYTHON": sys.executable}, check=True)
    return result.stdout.split()


def test_the_cpu_build_keeps_its_output_names():  # .ci/run and the README use them
    from app import __version__

    deb, tarball = build_names()
    assert re.fullmatch(rf"build/kvchat_{re.escape(__version__)}_[a-z0-9]+\.deb", deb)
    assert re.fullmatch(rf"build/kvchat-{re.escape(__version__)}-linux-[a-z0-9_]+\.tar\.gz", tarball)
    assert build_names("cpu") == [deb, tarball]


def test_a_gpu_build_is_named_by_its_variant():
    deb, tarball = build_names()
    vk_deb, vk_tarball = build_names("vulkan")
    assert vk_deb == deb.replace("build/kvchat_", "build/kvchat-vulkan_")
    assert vk_tarball == tarball.replace(".tar.gz", "-vulkan.tar.gz")


def test_a_variant_name_that_is_not_a_word_is_refused():
    result = subprocess.run(["bash", str(BUILD_SH), "../x"], capture_output=True, text=True)
    assert result.returncode == 2 and "variant" in result.stderr


def test_the_workflow_builds_the_gpu_variants():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "build.yml").read_text())
    job = workflow["jobs"]["build"]
    variants = {(m["os"].split("-")[0], m["variant"]): m for m in job["strategy"]["matrix"]["include"]}
    assert set(variants) == {("ubuntu", "cpu"), ("ubuntu", "vulkan"), ("ubuntu", "cuda"),
                             ("windows", "cpu"), ("windows", "vulkan"), ("macos", "metal")}
    flags = {"cpu": "", "metal": "", "vulkan": "-DGGML_VULKAN=on", "cuda": "-DGGML_CUDA=on"}
    for (_, variant), m in variants.items():
        assert flags[variant] in m["cmake"]
        assert m["suffix"] == ("" if variant in ("cpu", "metal") else f"-{variant}")
    assert "${{ matrix.suffix }}" in job["steps"][-1]["with"]["name"]
    linux = next(s for s in job["steps"] if s.get("name", "").startswith("Linux bundle"))
    assert 'packaging/linux/build.sh "${{ matrix.variant }}"' in linux["run"]


def test_the_bundle_leaves_the_vulkan_loader_to_the_system():
    spec = (ROOT / "packaging" / "kvchat.spec").read_text()
    assert '"/libvulkan.so"' in spec and '"/vulkan-1.dll"' in spec


def test_the_hook_collects_every_backend_library(monkeypatch, tmp_path):
    """Whatever backend the wheel was built with, its library goes to llama_cpp/lib."""
    libs = ["libllama.so", "libggml.so", "libggml-base.so", "libggml-cpu.so", "libggml-vulkan.so",
            "libggml-cuda.so", "libggml-metal.dylib", "ggml-vulkan.dll"]
    logged = []
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_dynamic_libs = lambda package: [(f"/site/{package}/lib/{name}", f"{package}/lib") for name in libs]
    hooks.collect_data_files = lambda package, excludes=(): []
    hooks.logger = types.SimpleNamespace(info=lambda message, *args: logged.append(message % args))
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    hook: dict = {}
    exec((ROOT / "packaging" / "hooks" / "hook-llama_cpp.py").read_text(), hook)
    assert [dest for _, dest in hook["binaries"]] == ["llama_cpp/lib"] * len(libs)
    assert logged == ["llama_cpp: bundling the ggml backends cpu, cuda, metal, vulkan"]


@pytest.mark.slow
def test_a_plain_pip_install_carries_the_icons_and_translations(tmp_path):
    """Resources are package data: the wheel `pip install .` builds holds them as app/resources, where
    app.core.paths.resources_dir() looks first."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("kvchat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"app/resources/icons/kvchat.svg", "app/resources/translations/kvchat_zh_CN.qm",
            f"app/resources/{APP_ID}.desktop", "app/core/paths.py", "app/ui/chat/chat_session.py"} <= names
    assert not any(name.startswith(("tests/", "app/resources/screenshots/")) or name.endswith(".ts") for name in names)


def test_the_package_list_names_every_package_of_the_app():
    """pyproject.toml lists the packages (to map resources/ in as app.resources); a new one must be added there."""
    tomllib = pytest.importorskip("tomllib")
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    found = [".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "app").rglob("__init__.py")]
    assert sorted(listed) == sorted([*found, "app.resources"])
