"""Reading llama.cpp's own account of a load: its allocation report (log lines) and its
sequence-state serialization, without loading a model.

The log text is what llama.cpp 0.3.36 (through llama-cpp-python) printed while loading the test
models on a CPU: SmolLM2-135M with a q8_0 K / q4_0 V cache, and Gemma 3 270M (a full cache and a
sliding-window one) with f16 K / q8_0 V, both at 300 tokens (padded to 512 cells). The exact
byte counts are the ones those loads measured."""

import struct

import pytest

from app.engine.devices.allocation import (
    AllocationMismatch,
    CacheRows,
    ReportedBuffer,
    ReportedCache,
    StateFormatError,
    buffer_device,
    kv_by_device,
    kv_from_report,
    measure_kv,
    parse_allocation_report,
    parse_device_report,
    parse_sequence_state,
)
from app.engine.memory import MIB

GGML_F16, GGML_Q4_0, GGML_Q8_0 = 1, 2, 8

SMOLLM2_LOG = """\
done_getting_tensors: tensor 'token_embd.weight' (q8_0) (and 272 others) cannot be used with preferred buffer type CPU_REPACK, using CPU instead
load_tensors:   CPU_Mapped model buffer size =    92.10 MiB
......................................................................
llama_context: constructing llama_context
llama_context: n_seq_max             = 1
llama_context: n_ctx                 = 512
llama_context: flash_attn            = enabled
llama_context: kv_unified            = false
llama_context: n_ctx_seq (512) < n_ctx_train (8192) -- the full capacity of the model will not be utilized
set_abort_callback: call
llama_context:        CPU  output buffer size =     0.19 MiB
llama_kv_cache: layer   0: dev = CPU
llama_kv_cache:        CPU KV buffer size =     4.57 MiB
llama_kv_cache: size =    4.57 MiB (   512 cells,  30 layers,  1/1 seqs), K (q8_0):    2.99 MiB, V (q4_0):    1.58 MiB
llama_kv_cache: attn_rot_k = 1, n_embd_head_k_all = 64
llama_kv_cache: attn_rot_v = 1, n_embd_head_k_all = 64
llama_context: enumerating backends
sched_reserve:        CPU compute buffer size =    98.25 MiB
sched_reserve: graph: nodes = 1296, splits = 1, input objects = 4, input tensors = 8
"""

GEMMA3_LOG = """\
print_info: EOG token             = 212 '</s>'
print_info: max token length      = 48
load_tensors: loading model tensors, this can take a while... (load_mode = mmap)
load_tensors: layer   0 assigned to device CPU, is_swa = 1
load_tensors: layer   1 assigned to device CPU, is_swa = 1
load_tensors: layer   2 assigned to device CPU, is_swa = 1
load_tensors: layer   3 assigned to device CPU, is_swa = 1
load_tensors: layer   4 assigned to device CPU, is_swa = 1
load_tensors: layer   5 assigned to device CPU, is_swa = 0
load_tensors: layer   6 assigned to device CPU, is_swa = 1
load_tensors: layer   7 assigned to device CPU, is_swa = 1
load_tensors: layer   8 assigned to device CPU, is_swa = 1
load_tensors: layer   9 assigned to device CPU, is_swa = 1
load_tensors: layer  10 assigned to device CPU, is_swa = 1
load_tensors: layer  11 assigned to device CPU, is_swa = 0
load_tensors: layer  12 assigned to device CPU, is_swa = 1
load_tensors: layer  13 assigned to device CPU, is_swa = 1
load_tensors: layer  14 assigned to device CPU, is_swa = 1
load_tensors: layer  15 assigned to device CPU, is_swa = 1
load_tensors: layer  16 assigned to device CPU, is_swa = 1
load_tensors: layer  17 assigned to device CPU, is_swa = 0
load_tensors: layer  18 assigned to device CPU, is_swa = 0
create_tensor: loading tensor token_embd.weight
done_getting_tensors: tensor 'token_embd.weight' (q8_0) (and 209 others) cannot be used with preferred buffer type CPU_REPACK, using CPU instead
load_tensors:   CPU_Mapped model buffer size =   235.16 MiB
load_tensors:   CPU_REPACK model buffer size =    12.66 MiB
.......................repack: repack tensor blk.0.attn_output.weight with q4_K_8x8
llama_context: n_ubatch              = 512
llama_context: causal_attn           = 1
llama_context: flash_attn            = enabled
llama_context: kv_unified            = false
llama_context: freq_base             = 1000000.0
llama_context: freq_scale            = 1
llama_context: n_rs_seq              = 0
llama_context: n_outputs_max         = 512
llama_context: n_outputs_max_per_seq = 1
llama_context: n_ctx_seq (512) < n_ctx_train (32768) -- the full capacity of the model will not be utilized
set_abort_callback: call
llama_context:        CPU  output buffer size =     1.00 MiB
llama_kv_cache_iswa: creating non-SWA KV cache, size = 512 cells
llama_kv_cache: layer   0: filtered
llama_kv_cache: layer   1: filtered
llama_kv_cache: layer   2: filtered
llama_kv_cache: layer   3: filtered
llama_kv_cache: layer   4: filtered
llama_kv_cache: layer   5: dev = CPU
llama_kv_cache: layer   6: filtered
llama_kv_cache: layer   7: filtered
llama_kv_cache: layer   8: filtered
llama_kv_cache: layer   9: filtered
llama_kv_cache: layer  10: filtered
llama_kv_cache: layer  11: dev = CPU
llama_kv_cache: layer  12: filtered
llama_kv_cache: layer  13: filtered
llama_kv_cache: layer  14: filtered
llama_kv_cache: layer  15: filtered
llama_kv_cache: layer  16: filtered
llama_kv_cache: layer  17: dev = CPU
llama_kv_cache:        CPU KV buffer size =     1.15 MiB
llama_kv_cache: size =    1.15 MiB (   512 cells,   3 layers,  1/1 seqs), K (f16):    0.75 MiB, V (q8_0):    0.40 MiB
llama_kv_cache: attn_rot_k = 0, n_embd_head_k_all = 256
llama_kv_cache: attn_rot_v = 1, n_embd_head_k_all = 256
llama_kv_cache_iswa: creating     SWA KV cache, size = 512 cells
llama_kv_cache: layer   0: dev = CPU
llama_kv_cache: layer   1: dev = CPU
llama_kv_cache: layer   2: dev = CPU
llama_kv_cache: layer   3: dev = CPU
llama_kv_cache: layer   4: dev = CPU
llama_kv_cache: layer   5: filtered
llama_kv_cache: layer   6: dev = CPU
llama_kv_cache: layer   7: dev = CPU
llama_kv_cache: layer   8: dev = CPU
llama_kv_cache: layer   9: dev = CPU
llama_kv_cache: layer  10: dev = CPU
llama_kv_cache: layer  11: filtered
llama_kv_cache: layer  12: dev = CPU
llama_kv_cache: layer  13: dev = CPU
llama_kv_cache: layer  14: dev = CPU
llama_kv_cache: layer  15: dev = CPU
llama_kv_cache: layer  16: dev = CPU
llama_kv_cache: layer  17: filtered
llama_kv_cache:        CPU KV buffer size =     5.74 MiB
llama_kv_cache: size =    5.74 MiB (   512 cells,  15 layers,  1/1 seqs), K (f16):    3.75 MiB, V (q8_0):    1.99 MiB
llama_kv_cache: attn_rot_k = 0, n_embd_head_k_all = 256
llama_kv_cache: attn_rot_v = 1, n_embd_head_k_all = 256
llama_context: enumerating backends
llama_context: backend_ptrs.size() = 1
sched_reserve: reserving ...
sched_reserve:        CPU compute buffer size =   514.50 MiB
"""


def lines(text: str) -> list[tuple[int, str]]:
    """The log as the engine keeps it: (level, line) pairs; the level is not read."""
    return [(2, line) for line in text.splitlines()]


def state(caches, v_trans: bool = False, cells: int = 1, trailing: bytes = b"") -> bytes:
    """A sequence state laid out as llama_state_seq_get_data writes it (llama-kv-cache.cpp,
    state_write): per cache one stream of `cells` cells at positions 0.., each in sequence 0,
    then per layer a K row header and the rows, then the V rows (transposed or not)."""
    blob = struct.pack("<Ii", 0x67676D6C, 0)  # io magic, seq id: skipped by the reader
    for k_rows, v_rows in caches:
        blob += struct.pack("<II", 1, cells)
        for pos in range(cells):
            blob += struct.pack("<iI", pos, 1) + struct.pack("<i", 0)
        blob += struct.pack("<II", int(v_trans), len(k_rows))
        for ggml_type, row in k_rows:
            blob += struct.pack("<iQ", ggml_type, row) + bytes(row * cells)
        for ggml_type, row in v_rows:
            if v_trans:
                element, width = 2, row // 2
                blob += struct.pack("<iII", ggml_type, element, width) + bytes(row * cells)
            else:
                blob += struct.pack("<iQ", ggml_type, row) + bytes(row * cells)
    return blob + trailing


SMOLLM2_ROWS = ([(GGML_Q8_0, 204)] * 30, [(GGML_Q4_0, 108)] * 30)  # 192 K/V values a layer: 6 and 6 blocks
GEMMA3_FULL_ROWS = ([(GGML_F16, 512)] * 3, [(GGML_Q8_0, 272)] * 3)  # one 256-wide head a layer
GEMMA3_WINDOW_ROWS = ([(GGML_F16, 512)] * 15, [(GGML_Q8_0, 272)] * 15)


# -- the allocation report ---------------------------------------------------------------------

def test_one_cache_and_every_buffer_are_read_from_a_smollm2_load():
    report = parse_allocation_report(SMOLLM2_LOG)
    assert report.caches == (ReportedCache("full", 512, 30, "q8_0", "q4_0", 4.57, 2.99, 1.58),)
    assert report.compute_mib == 98.25
    assert report.model_buffers_mib == {"CPU_Mapped": 92.10}
    assert report.output_mib == 0.19
    assert report.flash_attn == "enabled"


def test_gemma3s_full_cache_comes_first_and_its_sliding_window_cache_second():
    report = parse_allocation_report(GEMMA3_LOG)
    # "creating non-SWA KV cache" must not be taken for the window cache.
    assert report.caches == (
        ReportedCache("full", 512, 3, "f16", "q8_0", 1.15, 0.75, 0.40),
        ReportedCache("window", 512, 15, "f16", "q8_0", 5.74, 3.75, 1.99),
    )
    assert report.model_buffers_mib == {"CPU_Mapped": 235.16, "CPU_REPACK": 12.66}
    assert report.compute_mib == 514.50
    assert report.output_mib == 1.00


def test_a_log_without_the_report_gives_no_caches_and_zero_buffers():
    report = parse_allocation_report("llama_model_loader: loaded meta data\nsomething else entirely\n")
    assert report.caches == ()
    assert report.compute_mib == 0 and report.output_mib == 0
    assert report.model_buffers_mib == {}
    assert report.flash_attn == "unknown"


def test_compute_buffers_of_several_devices_are_summed():
    text = ("sched_reserve:    Vulkan0 compute buffer size =   100.50 MiB\n"
            "sched_reserve:        CPU compute buffer size =     8.01 MiB\n")
    assert parse_allocation_report(text).compute_mib == pytest.approx(108.51)


def test_flash_attention_as_llama_cpp_resolved_it():
    text = SMOLLM2_LOG.replace("flash_attn            = enabled", "flash_attn            = disabled")
    assert parse_allocation_report(text).flash_attn == "disabled"


def test_a_size_line_in_other_units_is_not_read_and_the_state_check_then_refuses_it():
    text = SMOLLM2_LOG.replace("K (q8_0):    2.99 MiB", "K (q8_0):    3060.00 KiB")
    report = parse_allocation_report(text)
    assert report.caches == ()
    with pytest.raises(AllocationMismatch, match="report names 0 caches, state holds 1"):
        measure_kv(report, parse_sequence_state(state([SMOLLM2_ROWS]), 1))


def test_a_window_marker_applies_only_to_the_cache_that_follows_it():
    full, window = [line for line in GEMMA3_LOG.splitlines() if line.startswith("llama_kv_cache: size =")]
    text = "\n".join(["llama_kv_cache_iswa: creating     SWA KV cache, size = 512 cells", window, full])
    assert [c.kind for c in parse_allocation_report(text).caches] == ["window", "full"]


def test_the_reports_own_rounded_figures_are_the_fallback():
    kv = kv_from_report(parse_allocation_report(SMOLLM2_LOG))
    (cache,) = kv.caches
    assert (cache.kind, cache.cells, cache.layers) == ("full", 512, 30)
    assert cache.k_bytes == round(2.99 * MIB) and cache.v_bytes == round(1.58 * MIB)


# -- the sequence state ------------------------------------------------------------------------

def test_row_sizes_are_read_per_layer_and_give_the_exact_bytes_of_the_smollm2_load():
    rows = parse_sequence_state(state([SMOLLM2_ROWS]), 1)
    assert rows == (CacheRows(tuple(SMOLLM2_ROWS[0]), tuple(SMOLLM2_ROWS[1]), cells=1),)  # one token evaluated
    (cache,) = measure_kv(parse_allocation_report(SMOLLM2_LOG), rows).caches
    assert (cache.k_bytes, cache.v_bytes) == (3_133_440, 1_658_880)  # what that load measured


def test_both_gemma3_caches_give_the_exact_bytes_of_the_gemma3_load():
    rows = parse_sequence_state(state([GEMMA3_FULL_ROWS, GEMMA3_WINDOW_ROWS], cells=3), 2)
    full, window = measure_kv(parse_allocation_report(GEMMA3_LOG), rows).caches
    assert (full.kind, full.k_bytes, full.v_bytes) == ("full", 786_432, 417_792)
    assert (window.kind, window.k_bytes, window.v_bytes) == ("window", 3_932_160, 2_088_960)


def test_a_transposed_v_cache_gives_its_row_as_element_size_times_width():
    rows = parse_sequence_state(state([([(GGML_F16, 384)] * 2, [(GGML_F16, 384)] * 2)], v_trans=True, cells=2), 1)
    assert rows[0].v_rows == ((GGML_F16, 384), (GGML_F16, 384))


@pytest.mark.parametrize("keep", [0, 8, 12, 20, 30, 40, 300])
def test_a_state_that_ends_inside_a_header_is_a_format_error(keep):
    with pytest.raises(StateFormatError, match="state ends early"):
        parse_sequence_state(state([SMOLLM2_ROWS])[:keep], 1)


def test_a_state_that_ends_inside_the_last_row_is_a_format_error():
    with pytest.raises(StateFormatError, match="read .* of .* state bytes"):
        parse_sequence_state(state([SMOLLM2_ROWS])[:-1], 1)


def test_bytes_after_the_last_cache_are_a_format_error():
    with pytest.raises(StateFormatError, match="read .* of .* state bytes"):
        parse_sequence_state(state([SMOLLM2_ROWS], trailing=b"\0"), 1)


def test_more_caches_than_the_state_holds_is_a_format_error():
    with pytest.raises(StateFormatError):
        parse_sequence_state(state([SMOLLM2_ROWS]), 2)


def test_two_streams_are_refused():
    blob = bytearray(state([SMOLLM2_ROWS]))
    struct.pack_into("<I", blob, 8, 2)
    with pytest.raises(StateFormatError, match="expected one stream, found 2"):
        parse_sequence_state(bytes(blob), 1)


def test_an_empty_cache_has_no_rows_to_read():
    blob = struct.pack("<IiII", 0, 0, 1, 0)
    with pytest.raises(StateFormatError, match="no cells"):
        parse_sequence_state(blob, 1)


def test_an_impossible_cache_header_is_refused():
    blob = bytearray(state([SMOLLM2_ROWS]))
    header = 8 + 8 + 12  # magic and seq id, stream and cell count, one cell
    struct.pack_into("<I", blob, header, 2)  # v_trans is 0 or 1
    with pytest.raises(StateFormatError, match="unexpected cache header"):
        parse_sequence_state(bytes(blob), 1)


def test_rows_that_disagree_with_the_reported_mib_are_a_mismatch():
    k_rows, v_rows = SMOLLM2_ROWS
    rows = parse_sequence_state(state([([(GGML_Q8_0, 206)] * 30, v_rows)]), 1)
    with pytest.raises(AllocationMismatch, match="full K: .* bytes is not the reported 2.99 MiB"):
        measure_kv(parse_allocation_report(SMOLLM2_LOG), rows)


def test_a_layer_count_that_disagrees_with_the_report_is_a_mismatch():
    k_rows, v_rows = SMOLLM2_ROWS
    rows = parse_sequence_state(state([(k_rows[:29], v_rows[:29])]), 1)
    with pytest.raises(AllocationMismatch, match="report says 30 layers, state holds 29"):
        measure_kv(parse_allocation_report(SMOLLM2_LOG), rows)


# -- where each layer and buffer went ----------------------------------------------------------

def test_gemma3s_layers_cache_layers_and_buffers_are_placed_on_the_cpu():
    devices = parse_device_report(lines(GEMMA3_LOG))
    assert devices.layer_devices == ("CPU",) * 18  # layer 18 is the output layer
    assert devices.output_device == "CPU"
    assert devices.cache_layer_devices == (("CPU",) * 3, ("CPU",) * 15)  # "filtered" layers are another cache's
    assert devices.buffers == (
        ReportedBuffer("model", "CPU_Mapped", 235.16),
        ReportedBuffer("model", "CPU_REPACK", 12.66),
        ReportedBuffer("output", "CPU", 1.00),
        ReportedBuffer("KV", "CPU", 1.15),
        ReportedBuffer("KV", "CPU", 5.74),
        ReportedBuffer("compute", "CPU", 514.50),
    )
    assert devices.devices == ("CPU",)
    assert devices.mib("KV", "CPU") == pytest.approx(6.89)


def test_the_kv_split_per_device_agrees_with_its_buffer_line():
    rows = parse_sequence_state(state([GEMMA3_FULL_ROWS, GEMMA3_WINDOW_ROWS]), 2)
    split = kv_by_device(parse_allocation_report(GEMMA3_LOG), rows, parse_device_report(lines(GEMMA3_LOG)))
    assert split == {"CPU": (786_432 + 3_932_160, 417_792 + 2_088_960)}


def test_a_gpu_load_places_layers_and_buffers_by_device():
    text = """\
load_tensors: layer   0 assigned to device CPU, is_swa = 0
load_tensors: layer   1 assigned to device Vulkan0, is_swa = 0
load_tensors: layer   2 assigned to device Vulkan0, is_swa = 0
load_tensors:   CPU_Mapped model buffer size =    20.00 MiB
load_tensors:      Vulkan0 model buffer size =    40.00 MiB
llama_kv_cache: layer   0: dev = CPU
llama_kv_cache: layer   1: dev = Vulkan0
llama_kv_cache:        CPU KV buffer size =     1.00 MiB
llama_kv_cache:    Vulkan0 KV buffer size =     1.00 MiB
llama_kv_cache: size =    2.00 MiB (   512 cells,   2 layers,  1/1 seqs), K (f16):    1.00 MiB, V (f16):    1.00 MiB
sched_reserve: Vulkan_Host compute buffer size =     3.00 MiB
"""
    devices = parse_device_report(lines(text))
    assert devices.layer_devices == ("CPU", "Vulkan0")
    assert devices.output_device == "Vulkan0"
    assert devices.cache_layer_devices == (("CPU", "Vulkan0"),)
    assert devices.devices == ("CPU", "Vulkan0")
    assert devices.mib("model", "Vulkan0") == 40.0 and devices.mib("compute", "CPU") == 3.0


def test_a_log_without_layer_lines_places_nothing():
    devices = parse_device_report([])
    assert devices.layer_devices == () and devices.output_device == "CPU"
    assert devices.cache_layer_devices == () and devices.buffers == ()


@pytest.mark.parametrize("name,device", [
    ("CPU", "CPU"), ("CPU_Mapped", "CPU"), ("CPU_REPACK", "CPU"), ("Vulkan_Host", "CPU"), ("CUDA_Host", "CPU"),
    ("Vulkan0", "Vulkan0"), ("CUDA1", "CUDA1"), ("Metal_Mapped", "Metal"), ("CUDA0_REPACK", "CUDA0"),
])
def test_a_buffers_device_comes_from_its_name(name, device):
    assert buffer_device(name) == device
