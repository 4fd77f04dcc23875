"""How many layers go to the GPU: the user's "auto", "all", "none" or a count, made a number."""

from __future__ import annotations

from collections.abc import Callable

from app.engine.errors import KvConfigError
from app.i18n import translate

GPU_LAYER_CHOICES = ("auto", "all", "none")


def resolve_gpu_layers(value, n_layer: int, has_gpu: bool, fits: Callable[[int], bool]) -> tuple[int, list[str]]:
    """llama.cpp's n_gpu_layers for `value`, and what the user should know about it.

    `fits(n)` says whether n layers on the GPUs fit everywhere; "auto" takes the most that do.
    A count includes the output layer, as llama.cpp's does: n_layer + 1 puts everything there.
    """
    everything = n_layer + 1
    if value in ("auto", "all", "none"):
        asked = value
    elif isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= everything:
            raise KvConfigError(translate(
                "LoadConfig", "GPU layers must be between 0 and {max} for this model ({layers} layers and the "
                "output layer); {asked} was asked for.").format(max=everything, layers=n_layer, asked=value))
        asked = value
    else:
        raise KvConfigError(translate(
            "LoadConfig", "GPU layers must be auto, all, none or a number of layers, not {value}.").format(
            value=repr(value)))
    if asked == "none" or asked == 0:
        return 0, []
    if not has_gpu:
        if asked == "auto":
            return 0, []
        return 0, [translate("LoadConfig", "This build of llama.cpp has no GPU, or found none: "
                                           "every layer runs on the CPU.")]
    if asked == "all":
        return everything, []
    if asked != "auto":
        return asked, []
    for n in range(everything, 0, -1):
        if fits(n):
            if n < everything:
                return n, [translate(
                    "LoadConfig", "Auto puts {n} of {total} layers on the GPU: that is what fits in its free "
                    "memory with a margin. The rest run on the CPU, which is slower.").format(
                    n=n - 1, total=n_layer)]
            return n, []
    return 0, [translate("LoadConfig", "Not even one layer fits in the GPU's free memory: every layer runs "
                                       "on the CPU.")]
