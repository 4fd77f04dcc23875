"""`kvchat plan` and `kvchat probe`: the engine's memory arithmetic for people and scripts."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict

from app.engine.config import LoadConfig
from app.engine.errors import EngineError
from app.engine.host import EngineHost
from app.engine.memory import MIB, KvBytes, MemoryEstimate
from app.engine.planner import LoadPlan, plan_load


def _mib(n: int) -> str:
    return f"{n / MIB:,.2f} MiB"


def _bytes_and_mib(n: int) -> str:
    return f"{n:>13,} B  ({_mib(n)})"


def _kv_json(kv: KvBytes) -> dict:
    return {
        "k_bytes": kv.k_bytes,
        "v_bytes": kv.v_bytes,
        "total_bytes": kv.total,
        "caches": [asdict(c) for c in kv.caches],
    }


def _estimate_json(e: MemoryEstimate) -> dict:
    return {
        "n_ctx": e.n_ctx,
        "type_k": e.type_k.name,
        "type_v": e.type_v.name,
        "flash_attn": e.flash_attn,
        "compact_window": e.compact_window,
        "kv": _kv_json(e.kv),
        "f16_kv_bytes": e.f16_kv_bytes,
        "saving_bytes": e.saving_bytes,
        "saving_percent": round(e.saving_percent, 3),
        "other_window_kv_bytes": e.other_window_kv.total if e.other_window_kv else None,
        "weights_bytes": e.weights_bytes,
        "compute_bytes_estimate": e.compute_bytes,
        "output_bytes": e.output_bytes,
        "total_bytes": e.total_bytes,
        "available_bytes": e.available_bytes,
        "fits": e.fits,
        "kv_exact": e.kv_exact,
    }


def _device_estimates_json(e: MemoryEstimate) -> list[dict]:
    return [
        {"device": d.name, "description": d.description, "gpu": d.is_gpu, "weights_bytes": d.weights_bytes,
         "k_bytes": d.k_bytes, "v_bytes": d.v_bytes, "f16_kv_bytes": d.f16_kv_bytes, "saving_bytes": d.saving_bytes,
         "compute_bytes_estimate": d.compute_bytes, "total_bytes": d.total_bytes, "free_bytes": d.free_bytes,
         "kept_free_bytes": d.margin_bytes, "fits": d.fits}
        for d in e.devices
    ]


def _gpus_json(plan: LoadPlan) -> list[dict]:
    return [{"device": d.name, "description": d.description, "backend": d.backend, "kind": d.kind,
             "free_bytes": d.free_bytes, "total_bytes": d.total_bytes} for d in plan.gpus]


def plan_json(plan: LoadPlan) -> dict:
    model = plan.model
    return {
        "model": None if model is None else {
            "path": model.path,
            "name": model.display_name,
            "architecture": model.architecture,
            "quantization": model.quantization,
            "file_bytes": model.file_bytes,
            "layers": model.n_layer,
            "kv_heads": list(model.n_head_kv),
            "head_dim_k": model.head_dim_k,
            "head_dim_v": model.head_dim_v,
            "trained_context": model.n_ctx_train,
            "sliding_window": model.sliding_window,
            "sliding_window_layers": model.n_swa_layers,
            "chat_template": model.has_chat_template,
        },
        "ok": plan.ok,
        "error": str(plan.error) if plan.error else None,
        "warnings": list(plan.warnings),
        "estimate": _estimate_json(plan.estimate) if plan.estimate else None,
        "gpus": _gpus_json(plan),
        "gpu_layers": plan.resolved.placement.n_gpu_layers if plan.resolved else None,
        "devices": _device_estimates_json(plan.estimate) if plan.estimate else [],
        "types": [
            {
                "type": row.cache_type.name,
                "bits_per_element": row.cache_type.bits_per_element,
                "flash_attn": row.flash_attn,
                "kv_bytes": row.kv_bytes,
                "largest_context": row.largest_ctx,
            }
            for row in plan.capacity
        ],
    }


def plan_text(plan: LoadPlan) -> str:
    lines = []
    m = plan.model
    if m is not None:
        window = f", sliding window {m.sliding_window} on {m.n_swa_layers} of {m.n_layer} layers" if m.has_sliding_window else ""
        lines += [
            f"{m.display_name}  ({m.architecture}, {m.quantization}, {_mib(m.file_bytes)})",
            f"  {m.n_layer} layers, {m.n_head_kv[0]} KV heads x {m.head_dim_k}/{m.head_dim_v} (K/V head size), "
            f"trained context {m.n_ctx_train:,}{window}",
            f"  chat template: {'yes' if m.has_chat_template else 'no (plain completion only)'}",
            "",
        ]
    e = plan.estimate
    if e is not None:
        fa = "on" if e.flash_attn else "off"
        window = ("compact" if e.compact_window else "full") if m.has_sliding_window else None
        lines += [
            f"Context {e.n_ctx:,} tokens, K {e.type_k.name} / V {e.type_v.name}, flash attention {fa}"
            + (f", window cache {window}" if window else ""),
            f"  K cache      {_bytes_and_mib(e.k_bytes)}",
            f"  V cache      {_bytes_and_mib(e.v_bytes)}",
            f"  KV total     {_bytes_and_mib(e.kv_bytes)}" + ("" if e.kv_exact else "  (approximate)"),
            f"  f16/f16      {_bytes_and_mib(e.f16_kv_bytes)}",
            f"  saving       {_bytes_and_mib(e.saving_bytes)}  {e.saving_percent:.1f} %",
        ]
        if e.other_window_kv is not None:
            other = "compact" if not e.compact_window else "full"
            lines.append(f"  {other} window {_bytes_and_mib(e.other_window_kv.total)}  (the other window choice)")
        lines += [
            f"  weights      {_bytes_and_mib(e.weights_bytes)}",
            f"  compute      {_bytes_and_mib(e.compute_bytes)}  (estimate)",
            f"  total        {_bytes_and_mib(e.total_bytes)}",
            f"  available    {_bytes_and_mib(e.available_bytes)}  -> {'fits' if e.fits else 'does NOT fit'}",
            "",
        ]
    lines += _devices_text(plan)
    for w in plan.warnings:
        lines.append(f"Note: {w}")
    if plan.error:
        lines.append(f"Refused: {plan.error}")
    if plan.capacity:
        at = f"{e.n_ctx:,} tokens" if e else "the chosen context"
        trained = f"; the model was trained on {m.n_ctx_train:,}" if m.n_ctx_train else ""
        lines += ["", f"All nine cache types (K = V) at {at}, and the longest context each fits in memory{trained}:",
                  f"  {'type':<7} {'bits':>5} {'FA':>4} {'KV bytes':>14} {'KV MiB':>10} {'largest context that fits':>27}"]
        for row in plan.capacity:
            lines.append(
                f"  {row.cache_type.name:<7} {row.cache_type.bits_per_element:>5.2f} {'on' if row.flash_attn else 'off':>4} "
                f"{row.kv_bytes:>14,} {row.kv_bytes / MIB:>10.2f} {row.largest_ctx:>27,}"
                + (" *" if m.n_ctx_train and row.largest_ctx > m.n_ctx_train else "")
            )
        if m.n_ctx_train and any(row.largest_ctx > m.n_ctx_train for row in plan.capacity):
            lines.append(f"  * past the {m.n_ctx_train:,} tokens the model was trained on: it fits, "
                         "but replies degrade beyond the trained context")
    return "\n".join(lines)


def _devices_text(plan: LoadPlan) -> list[str]:
    if not plan.gpus:
        return ["GPU: none in this build of llama.cpp (or none found): everything runs on the CPU", ""]
    lines = ["GPUs: " + "; ".join(f"{d.name} {d.description} ({d.backend}), {_mib(d.free_bytes)} free of "
                                   f"{_mib(d.total_bytes)}" for d in plan.gpus)]
    e = plan.estimate
    if e is None or not e.devices:
        return [*lines, ""]
    if plan.resolved:
        placement = plan.resolved.placement
        lines.append(f"  layers on the GPU: {placement.offloaded_layers} of {plan.model.n_layer}"
                     f" (llama.cpp n_gpu_layers = {placement.n_gpu_layers}), output layer on {placement.output_device}")
    lines.append(f"  {'device':<10} {'weights':>12} {'K':>12} {'V':>12} {'KV f16/f16':>12} {'compute~':>12} "
                 f"{'total':>12} {'free':>12}")
    for d in e.devices:
        lines.append(
            f"  {d.name:<10} {_mib(d.weights_bytes):>12} {_mib(d.k_bytes):>12} {_mib(d.v_bytes):>12} "
            f"{_mib(d.f16_kv_bytes):>12} {_mib(d.compute_bytes):>12} {_mib(d.total_bytes):>12} "
            f"{_mib(d.free_bytes):>12}  {'fits' if d.fits else 'does NOT fit'}")
    return [*lines, ""]


def dry_run_comparison(plan: LoadPlan) -> tuple[dict, bool]:
    """llama.cpp's dry run of the planned load against the plan, per device."""
    from app.engine.devices.dry_run import dry_run
    from app.engine.memory import kv_bytes_by_device

    resolved = plan.resolved
    report = dry_run(resolved)
    placement = resolved.placement
    kv_devices = tuple(d for cache in report.cache_layer_devices for d in cache)
    same_placement = (report.layer_devices == placement.layer_devices
                      and report.output_device == placement.output_device
                      and (kv_devices == placement.kv_devices or len(kv_devices) != len(placement.kv_devices)))
    kv = kv_bytes_by_device(resolved.model, resolved.n_ctx, resolved.type_k, resolved.type_v, placement.kv_devices,
                            flash_attn=resolved.flash_attn, compact_window=resolved.compact_window)
    devices = []
    for d in plan.estimate.devices:
        devices.append({
            "device": d.name,
            "kv_bytes_estimate": d.kv_bytes,
            "kv_bytes_placed": sum(kv.get(d.name, (0, 0))),
            "compute_bytes_estimate": d.compute_bytes,
            "compute_bytes_dry_run": round((report.mib("compute", d.name) + report.mib("output", d.name)) * MIB),
        })
    return {"same_placement": same_placement, "devices": devices}, same_placement


def run_plan(config: LoadConfig, as_json: bool, dry_run: bool = False) -> int:
    plan = plan_load(config)
    comparison = None
    if dry_run and plan.ok:
        try:
            comparison, _ = dry_run_comparison(plan)
        except EngineError as exc:
            print(f"Refused: {exc}", file=sys.stderr)
            return 2
    if as_json:
        data = plan_json(plan)
        if comparison is not None:
            data["dry_run"] = comparison
        print(json.dumps(data, indent=2))
    else:
        print(plan_text(plan))
        if comparison is not None:
            print("", "llama.cpp's dry run (its allocator, nothing allocated):",
                  f"  layer placement {'as planned' if comparison['same_placement'] else 'DIFFERENT from the plan'}",
                  f"  {'device':<10} {'compute~ planned':>17} {'compute dry run':>17}", sep="\n")
            for d in comparison["devices"]:
                planned, simulated = _mib(d["compute_bytes_estimate"]), _mib(d["compute_bytes_dry_run"])
                print(f"  {d['device']:<10} {planned:>17} {simulated:>17}")
    if comparison is not None and not comparison["same_placement"]:
        return 1
    return 0 if plan.ok else 2


async def _probe(config: LoadConfig):
    host = EngineHost()
    try:
        return await host.load(config)
    finally:
        await host.close()


def run_probe(config: LoadConfig, as_json: bool) -> int:
    try:
        report = asyncio.run(_probe(config))
    except EngineError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
    est = report.estimate
    rows = [
        ("K cache", est.k_bytes, report.kv.k_bytes),
        ("V cache", est.v_bytes, report.kv.v_bytes),
        ("KV total", est.kv_bytes, report.kv.total),
        ("compute buffer", est.compute_bytes, report.compute_bytes),
        ("weights", est.weights_bytes, report.weights_bytes),
    ]
    per_device = _device_rows(report)
    devices_match = all(row["kv_matches"] for row in per_device)
    if as_json:
        print(json.dumps({
            "devices": per_device,
            "devices_kv_match": devices_match,
            "offloaded_layers": report.offloaded_layers,
            "estimate": _estimate_json(est),
            "measured": {
                "kv": _kv_json(report.kv),
                "kv_exact": report.kv_exact,
                "compute_bytes": report.compute_bytes,
                "weights_bytes": report.weights_bytes,
                "output_bytes": report.output_bytes,
                "n_ctx": report.n_ctx,
                "flash_attn": report.flash_attn,
                "load_seconds": round(report.load_seconds, 3),
            },
            "kv_matches": est.kv == report.kv,
        }, indent=2))
    else:
        print(f"{report.model.display_name}: n_ctx {report.n_ctx:,}, K {report.type_k} / V {report.type_v}, "
              f"flash attention {'on' if report.flash_attn else 'off'}, loaded in {report.load_seconds:.2f} s")
        print(f"  {'':<15} {'estimated':>15} {'measured':>15}  {'difference':>11}")
        for label, estimated, measured in rows:
            print(f"  {label:<15} {estimated:>15,} {measured:>15,}  {measured - estimated:>+11,}")
        for cache in report.kv.caches:
            print(f"  {cache.kind} cache: {cache.cells:,} cells x {cache.layers} layers, "
                  f"K {cache.k_bytes:,} B, V {cache.v_bytes:,} B")
        if report.gpu_devices:
            print(f"  {report.offloaded_layers} of {report.model.n_layer} layers on the GPU; per device "
                  "(estimated / measured):")
            for row in per_device:
                print(f"  {row['device']:<10} K {row['k_bytes_estimate']:>13,} / {row['k_bytes']:>13,}   "
                      f"V {row['v_bytes_estimate']:>13,} / {row['v_bytes']:>13,}   "
                      f"weights {_mib(row['weights_bytes_estimate'])} / {_mib(row['weights_bytes'])}   "
                      f"compute {_mib(row['compute_bytes_estimate'])} / {_mib(row['compute_bytes'])}")
        verdict = "equal to the byte" if est.kv == report.kv and devices_match else "DIFFERENT"
        print(f"KV estimate and llama.cpp's allocation are {verdict}"
              + ("" if report.kv_exact else " (llama.cpp's state was unreadable; its rounded report was used)"))
        print("(compute and weights are read from llama.cpp's report at 0.01 MiB resolution)")
    return 0 if est.kv == report.kv and devices_match else 1


def _device_rows(report) -> list[dict]:
    """Each device's estimate beside what llama.cpp allocated there."""
    estimated = {d.name: d for d in report.estimate.devices}
    rows = []
    for measured in report.devices:
        e = estimated.get(measured.name)
        rows.append({
            "device": measured.name,
            "description": measured.description,
            "k_bytes_estimate": e.k_bytes if e else 0,
            "k_bytes": measured.k_bytes,
            "v_bytes_estimate": e.v_bytes if e else 0,
            "v_bytes": measured.v_bytes,
            "weights_bytes_estimate": e.weights_bytes if e else 0,
            "weights_bytes": measured.weights_bytes,
            "compute_bytes_estimate": e.compute_bytes if e else 0,
            "compute_bytes": measured.compute_bytes,
            "kv_matches": e is not None and (e.k_bytes, e.v_bytes) == (measured.k_bytes, measured.v_bytes),
        })
    return rows
