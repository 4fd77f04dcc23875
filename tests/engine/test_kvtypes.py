"""The cache-type catalogue against ggml's own arithmetic (libggml-base from llama-cpp-python)."""

import ctypes
import os

import llama_cpp
import pytest

from app.engine.errors import KvConfigError
from app.engine.kvtypes import CACHE_TYPES, cache_type, cache_type_by_id


@pytest.fixture(scope="module")
def ggml():
    lib_dir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    name = next(n for n in os.listdir(lib_dir) if n.startswith("libggml-base"))
    lib = ctypes.CDLL(os.path.join(lib_dir, name))
    lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    lib.ggml_row_size.restype = ctypes.c_size_t
    lib.ggml_type_name.argtypes = [ctypes.c_int]
    lib.ggml_type_name.restype = ctypes.c_char_p
    lib.ggml_blck_size.argtypes = [ctypes.c_int]
    lib.ggml_blck_size.restype = ctypes.c_int64
    lib.ggml_is_quantized.argtypes = [ctypes.c_int]
    lib.ggml_is_quantized.restype = ctypes.c_bool
    return lib


def test_exactly_the_nine_types_llama_cpp_accepts():
    assert [t.name for t in CACHE_TYPES] == ["f32", "f16", "bf16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"]


@pytest.mark.parametrize("t", CACHE_TYPES, ids=lambda t: t.name)
def test_catalogue_matches_ggml(ggml, t):
    assert ggml.ggml_type_name(t.ggml_id).decode() == t.name
    assert ggml.ggml_blck_size(t.ggml_id) == t.block_elements
    assert ggml.ggml_is_quantized(t.ggml_id) == t.quantized
    for width in (64, 192, 256, 4096):
        assert ggml.ggml_row_size(t.ggml_id, width) == t.row_bytes(width)


def test_storage_per_32_elements_and_bits():
    table = {t.name: (t.bytes_per_32, t.bits_per_element) for t in CACHE_TYPES}
    assert table == {
        "f32": (128, 32.0), "f16": (64, 16.0), "bf16": (64, 16.0), "q8_0": (34, 8.5), "q5_1": (24, 6.0),
        "q5_0": (22, 5.5), "q4_1": (20, 5.0), "q4_0": (18, 4.5), "iq4_nl": (18, 4.5),
    }


def test_only_quantized_v_needs_flash_attention():
    assert {t.name for t in CACHE_TYPES if t.v_needs_flash_attn} == {"q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"}


def test_every_type_has_a_one_line_description():
    for t in CACHE_TYPES:
        assert t.description and "\n" not in t.description and len(t.description) < 100


@pytest.mark.parametrize("bad", ["q2_K", "i8", "q4_k", "", "f64"])
def test_anything_else_is_refused(bad):
    with pytest.raises(KvConfigError, match="Choose one of"):
        cache_type(bad)


def test_lookup_by_name_and_id():
    assert cache_type("Q8_0").ggml_id == 8
    assert cache_type_by_id(30).name == "bf16"
    with pytest.raises(KvConfigError):
        cache_type_by_id(99)


def test_row_that_blocks_do_not_divide_is_refused():
    with pytest.raises(KvConfigError, match="do not divide"):
        cache_type("q4_0").row_bytes(80)
