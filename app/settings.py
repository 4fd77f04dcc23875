"""Settings, global and per model, as JSON in the platformdirs config folder.

A file that cannot be read as settings is moved aside (never deleted) and defaults are used;
`Settings.recovered_from` tells the UI so it can say so.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from app.engine.config import DEFAULT_N_CTX, LoadConfig
from app.engine.history_fit import DROP_OLDEST, OVERFLOW_POLICIES
from app.engine.i18n import translate

MAX_RECENT_MODELS = 8
THEMES = ("system", "light", "dark")
LANGUAGE_SETTINGS = ("system", "en", "zh_CN")


@dataclass
class ModelSettings:
    n_ctx: int = DEFAULT_N_CTX
    type_k: str = "f16"
    type_v: str = "f16"
    flash_attn: str = "auto"
    compact_window: bool = False

    def load_config(self, model_path: str) -> LoadConfig:
        return LoadConfig(model_path, self.n_ctx, self.type_k, self.type_v, self.flash_attn, self.compact_window)

    @classmethod
    def from_config(cls, config: LoadConfig) -> ModelSettings:
        return cls(config.n_ctx, config.type_k, config.type_v, config.flash_attn, config.compact_window)


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
    recovered_from: str | None = field(default=None, compare=False)

    def for_model(self, path: str) -> ModelSettings:
        return self.models.get(path) or ModelSettings()

    def remember_load(self, config: LoadConfig) -> None:
        self.last_model = config.model_path
        self.models[config.model_path] = ModelSettings.from_config(config)
        self.recent_models = [config.model_path] + [p for p in self.recent_models if p != config.model_path]
        del self.recent_models[MAX_RECENT_MODELS:]


def _model_settings(raw) -> ModelSettings:
    """Known fields only, each of its declared type (a hand-edited file may hold anything)."""
    defaults = ModelSettings()
    values = {}
    for f in fields(ModelSettings):
        if f.name in raw:
            value, expected = raw[f.name], type(getattr(defaults, f.name))
            if type(value) is not expected:
                raise ValueError(translate("Settings", "'{name}' should be {type}, not {value}").format(
                    name=f.name, type=expected.__name__, value=repr(value)))
            values[f.name] = value
    return ModelSettings(**values)


def _parse(data) -> Settings:
    if not isinstance(data, dict):
        raise ValueError(translate("Settings", "the top level is not an object"))
    settings = Settings(
        last_model=str(data.get("last_model", "")),
        recent_models=[str(p) for p in data.get("recent_models", [])][:MAX_RECENT_MODELS],
        models={str(k): _model_settings(v) for k, v in dict(data.get("models", {})).items()},
        last_conversation=data.get("last_conversation"),
        window_geometry=str(data.get("window_geometry", "")),
        overflow_policy=data.get("overflow_policy", DROP_OLDEST),
        theme=data.get("theme", "system"),
        language=data.get("language", "system"),
        remote_url=str(data.get("remote_url", "")),
    )
    if settings.overflow_policy not in OVERFLOW_POLICIES:
        raise ValueError(translate("Settings", "overflow_policy is not one of {values}").format(
            values=", ".join(OVERFLOW_POLICIES)))
    if settings.theme not in THEMES:
        raise ValueError(translate("Settings", "theme is not one of {values}").format(values=", ".join(THEMES)))
    if settings.language not in LANGUAGE_SETTINGS:
        raise ValueError(translate("Settings", "language is not one of {values}").format(
            values=", ".join(LANGUAGE_SETTINGS)))
    if settings.last_conversation is not None and not isinstance(settings.last_conversation, int):
        raise ValueError(translate("Settings", "last_conversation is not a number"))
    return settings


def load_settings(path: Path) -> Settings:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        settings = Settings()
        settings.recovered_from = translate(
            "Settings", "{path} could not be read ({reason}); defaults are used.").format(
            path=path, reason=exc.strerror)
        return settings
    try:
        return _parse(json.loads(text))
    except (ValueError, TypeError, AttributeError) as exc:
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
        settings.recovered_from = notice.format(reason=exc, name=aside.name)
        return settings


def save_settings(settings: Settings, path: Path) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact."""
    data = asdict(settings)
    data.pop("recovered_from", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)
