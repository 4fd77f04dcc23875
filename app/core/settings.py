"""Settings, global and per model, as JSON in the platformdirs config folder.

Whatever the file holds, loading it never raises: a file that cannot be read as settings, or
holds one value of the wrong type or range, is moved aside (never deleted) and defaults are used;
`Settings.recovered_from` tells the UI so it can say so.
"""

from __future__ import annotations

import errno
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from app.core.record_fields import short_repr, text_problem
from app.engine.config import DEFAULT_N_CTX, FLASH_ATTN_MODES, LoadConfig
from app.engine.cpu_cores import MAX_THREADS
from app.engine.devices.gpu_layers import GPU_LAYER_CHOICES
from app.engine.devices.placement import SPLIT_MODES
from app.engine.gguf.limits import LLAMA_MAX_LAYERS
from app.engine.history_fit import DROP_OLDEST, OVERFLOW_POLICIES
from app.engine.kept.caches import DEFAULT_DISK_BUDGET, DEFAULT_RAM_BUDGET
from app.engine.kvtypes import cache_type_names
from app.engine.memory import MAX_CTX, MIB
from app.i18n import translate

MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a conversation number beyond it names none

MAX_RECENT_MODELS = 8
MAX_LAYERS = LLAMA_MAX_LAYERS + 1  # every layer and the output layer
MAX_GPUS = 16  # llama.cpp's LLAMA_MAX_DEVICES
THEMES = ("system", "light", "dark")
LANGUAGE_SETTINGS = ("system", "en", "zh_CN")
MAX_KEPT_MIB = 1024 * 1024  # a kept-cache budget of up to 1 TiB; 0 keeps none
MAX_LAST_FOLDERS = 32  # one per kind of file dialog; a few are used


@dataclass
class ModelSettings:
    n_ctx: int = DEFAULT_N_CTX
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: str = "auto"
    compact_window: bool = False
    gpu_layers: str = "auto"  # "auto", "all", "none", or a layer count written as digits
    kv_offload: bool = True
    split_mode: str = "layer"
    main_gpu: int = 0

    def load_config(self, model_path: str) -> LoadConfig:
        gpu_layers = int(self.gpu_layers) if self.gpu_layers.isdigit() else self.gpu_layers
        return LoadConfig(model_path, self.n_ctx, self.type_k, self.type_v, self.flash_attn, self.compact_window,
                          gpu_layers=gpu_layers, kv_offload=self.kv_offload, split_mode=self.split_mode,
                          main_gpu=self.main_gpu)

    @classmethod
    def from_config(cls, config: LoadConfig) -> ModelSettings:
        return cls(config.n_ctx, config.type_k, config.type_v, config.flash_attn, config.compact_window,
                   str(config.gpu_layers), config.kv_offload, config.split_mode, config.main_gpu)


@dataclass
class Settings:
    last_model: str = ""
    recent_models: list[str] = field(default_factory=list)
    models: dict[str, ModelSettings] = field(default_factory=dict)
    last_conversation: int | None = None
    window_geometry: str = ""  # hex of QMainWindow.saveGeometry()
    overflow_policy: str = DROP_OLDEST  # what a conversation longer than the context does
    theme: str = "system"  # "system", "light" or "dark"
    language: str = "system"  # "system", "en" or "zh_CN"
    remote_url: str = ""  # the server last connected to
    kept_ram_mib: int = DEFAULT_RAM_BUDGET // MIB  # conversations' kept KV caches in RAM (0: none)
    kept_disk_mib: int = DEFAULT_DISK_BUDGET // MIB  # and on disk (0: none)
    last_folders: dict[str, str] = field(default_factory=dict)  # per file dialog's purpose: the folder last used
    n_threads: int = 0  # CPU threads generating a reply, for every model (0: the default for this computer)
    n_threads_batch: int = 0  # and reading a prompt (0: the default)
    recovered_from: str | None = field(default=None, compare=False)

    def for_model(self, path: str) -> ModelSettings:
        return self.models.get(path) or ModelSettings()

    def load_config(self, path: str) -> LoadConfig:
        """The model's own settings with the computer's thread counts."""
        return replace(self.for_model(path).load_config(path), n_threads=self.n_threads or None,
                       n_threads_batch=self.n_threads_batch or None)

    def model_choices(self, starter: Path | None) -> list[str]:
        """The models to offer: the recent ones, and the starter model if it is not among them."""
        paths = list(self.recent_models)
        if starter is not None and str(starter) not in paths:
            paths.append(str(starter))
        return paths

    def kept_budgets(self) -> tuple[int, int]:
        """The kept caches' RAM and disk budgets in bytes."""
        return self.kept_ram_mib * MIB, self.kept_disk_mib * MIB

    def remember_load(self, config: LoadConfig) -> None:
        self.last_model = config.model_path
        self.models[config.model_path] = ModelSettings.from_config(config)
        self.n_threads, self.n_threads_batch = config.n_threads or 0, config.n_threads_batch or 0
        self.recent_models = [config.model_path] + [p for p in self.recent_models if p != config.model_path]
        del self.recent_models[MAX_RECENT_MODELS:]


MAX_SETTINGS_BYTES = 4 * 1024 * 1024  # a real settings file is a few kB
MAX_SETTING_CHARS = 64 * 1024  # a path, a URL, a window geometry in hex


def _text(name: str, value) -> str:
    """A string the app can use as a path or a label: storable text, no NUL, not absurdly long."""
    problem = text_problem(name, value, MAX_SETTING_CHARS)
    if problem is None and "\x00" in value:
        problem = translate("Settings", "'{name}' holds a NUL character").format(name=name)
    if problem is not None:
        raise ValueError(problem)
    return value


def _model_settings(path: str, raw) -> ModelSettings:
    """Known fields only, each of its declared type and range (a hand-edited file may hold anything)."""
    if not isinstance(raw, dict):
        raise ValueError(translate("Settings", "'{name}' should be an object, not {value}").format(
            name=f"models/{path}", value=short_repr(raw)))
    defaults = ModelSettings()
    values = {}
    for f in fields(ModelSettings):
        if f.name in raw:
            value, expected = raw[f.name], type(getattr(defaults, f.name))
            if type(value) is not expected:
                raise ValueError(translate("Settings", "'{name}' should be {type}, not {value}").format(
                    name=f.name, type=expected.__name__, value=short_repr(value)))
            values[f.name] = value
    settings = ModelSettings(**values)
    if not 1 <= settings.n_ctx <= MAX_CTX:
        raise ValueError(translate("Settings", "n_ctx is not between 1 and {max}").format(max=MAX_CTX))
    for name in ("type_k", "type_v"):
        if getattr(settings, name) not in cache_type_names():
            raise ValueError(translate("Settings", "{name} is not one of {values}").format(
                name=name, values=", ".join(cache_type_names())))
    if settings.flash_attn not in FLASH_ATTN_MODES:
        raise ValueError(translate("Settings", "flash_attn is not one of {values}").format(
            values=", ".join(FLASH_ATTN_MODES)))
    layers = settings.gpu_layers
    if layers not in GPU_LAYER_CHOICES and not (layers.isascii() and layers.isdigit() and int(layers) <= MAX_LAYERS):
        raise ValueError(translate("Settings", "gpu_layers is not auto, all, none or a number of layers"))
    if settings.split_mode not in SPLIT_MODES:
        raise ValueError(translate("Settings", "split_mode is not one of {values}").format(
            values=", ".join(SPLIT_MODES)))
    if not 0 <= settings.main_gpu <= MAX_GPUS:
        raise ValueError(translate("Settings", "main_gpu is not between 0 and {max}").format(max=MAX_GPUS))
    return settings


def _choice(data: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(translate("Settings", "{name} is not one of {values}").format(
            name=name, values=", ".join(choices)))
    return value


def _mib(data: dict, name: str, default: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_KEPT_MIB:
        raise ValueError(translate("Settings", "{name} is not a number of MiB between 0 and {max:,}").format(
            name=name, max=MAX_KEPT_MIB))
    return value


def _threads(data: dict, name: str) -> int:
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THREADS:
        raise ValueError(translate("Settings", "{name} is not a number of threads between 0 and {max}").format(
            name=name, max=MAX_THREADS))
    return value


def _last_folders(data: dict) -> dict[str, str]:
    folders = data.get("last_folders", {})
    if not isinstance(folders, dict) or len(folders) > MAX_LAST_FOLDERS:
        raise ValueError(translate("Settings", "'{name}' should be an object, not {value}").format(
            name="last_folders", value=short_repr(folders)))
    return {_text("last_folders", k): _text("last_folders", v) for k, v in folders.items()}


def _parse(data) -> Settings:
    """Every field checked for type and range: a value the app could trip over later is refused here."""
    if not isinstance(data, dict):
        raise ValueError(translate("Settings", "the top level is not an object"))
    recent = data.get("recent_models", [])
    if not isinstance(recent, list):
        raise ValueError(translate("Settings", "'{name}' should be a list, not {value}").format(
            name="recent_models", value=short_repr(recent)))
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise ValueError(translate("Settings", "'{name}' should be an object, not {value}").format(
            name="models", value=short_repr(models)))
    last_conversation = data.get("last_conversation")
    if last_conversation is not None and (isinstance(last_conversation, bool)
                                          or not isinstance(last_conversation, int)):
        raise ValueError(translate("Settings", "last_conversation is not a number"))
    if last_conversation is not None and not 1 <= last_conversation <= MAX_ROW_ID:
        raise ValueError(translate("Settings", "last_conversation is not a conversation's number"))
    return Settings(
        last_model=_text("last_model", data.get("last_model", "")),
        recent_models=[_text("recent_models", p) for p in recent][:MAX_RECENT_MODELS],
        models={_text("models", k): _model_settings(k, v) for k, v in models.items()},
        last_conversation=last_conversation,
        window_geometry=_text("window_geometry", data.get("window_geometry", "")),
        overflow_policy=_choice(data, "overflow_policy", OVERFLOW_POLICIES, DROP_OLDEST),
        theme=_choice(data, "theme", THEMES, "system"),
        language=_choice(data, "language", LANGUAGE_SETTINGS, "system"),
        remote_url=_text("remote_url", data.get("remote_url", "")),
        kept_ram_mib=_mib(data, "kept_ram_mib", DEFAULT_RAM_BUDGET // MIB),
        kept_disk_mib=_mib(data, "kept_disk_mib", DEFAULT_DISK_BUDGET // MIB),
        last_folders=_last_folders(data),
        n_threads=_threads(data, "n_threads"),
        n_threads_batch=_threads(data, "n_threads_batch"),
    )


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        raise ValueError(translate("Settings", "it is larger than {limit:,} bytes").format(limit=MAX_SETTINGS_BYTES))
    return data


def load_settings(path: Path) -> Settings:
    """The settings in `path`; whatever the file holds, never an exception: defaults and a notice."""
    try:
        if os.path.exists(path) and not os.path.isfile(path):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        data = _read(path)
    except FileNotFoundError:
        return Settings()
    except ValueError as exc:  # too big: kept aside like any other unreadable file
        return _kept_aside(path, exc)
    except OSError as exc:
        settings = Settings()
        settings.recovered_from = translate(
            "Settings", "{path} could not be read ({reason}); defaults are used.").format(
            path=path, reason=exc.strerror)
        return settings
    try:
        return _parse(json.loads(data.decode("utf-8")))
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # ValueError: JSON, UTF-8, a field
        return _kept_aside(path, exc)


def _kept_aside(path: Path, exc: BaseException) -> Settings:
    reason = translate("Settings", "it nests too deeply") if isinstance(exc, RecursionError) else str(exc)
    aside = path.with_name(f"{path.stem}.broken-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
    try:
        os.replace(path, aside)
        notice = translate(
            "Settings",
            "The settings file was unreadable ({reason}); defaults are used and it was kept as {name}.")
    except OSError:
        notice = translate(
            "Settings",
            "The settings file was unreadable ({reason}); defaults are used and it could not be moved aside.")
    settings = Settings()
    settings.recovered_from = notice.format(reason=reason or type(exc).__name__, name=aside.name)
    return settings


def save_settings(settings: Settings, path: Path) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact."""
    data = asdict(settings)
    data.pop("recovered_from", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)
