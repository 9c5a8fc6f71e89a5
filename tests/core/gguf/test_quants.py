"""Every file type a spec may name is one the installed llama.cpp can write."""

import llama_cpp

from core.gguf.quants import QUANTS, gguf_name


def test_each_quant_is_a_llama_cpp_file_type():
    missing = [q for q in QUANTS if not hasattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{q}")]
    assert missing == []


def test_file_names():
    assert gguf_name("fine-tuned", "Q4_K_M") == "fine-tuned-Q4_K_M.gguf"
