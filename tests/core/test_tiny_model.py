"""The tiny model: real architecture, control tokens whole, reloadable, reproducible, offline."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer, Mistral3ForConditionalGeneration
from typer.testing import CliRunner

from c64ft.cli import app
from core.sample_corpus import sample_corpus_dir
from core.tiny_model import (
    CONTROL_TOKENS,
    CorpusError,
    corpus_texts,
    make_tiny_model,
)

PAGES = {
    "vic.html": "<html><head><style>p {color: red}</style></head><body><h1>The VIC-II</h1>"
    "<p>POKE 53280,0 sets the border colour; POKE 53281,0 the background.</p>"
    "<pre>LDA #$FF\nSTA $D020\nRTS</pre><script>var x = 1;</script></body></html>",
    "sound/sid.html": "<html><body><h2>SID</h2><p>The SID at $D400 has three voices; "
    'register 24 ($D418) sets the volume.</p><p>10 PRINT "HELLO" : GOTO 10</p></body></html>',
}
# A one-page PDF with a text layer, no xref table: pdfium rebuilds it, as it does for real scans.
PDF = b"""%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 100]/Contents 4 0 R
/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 44>>stream
BT /F1 12 Tf 10 50 Td (SYS 64738 resets) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""
C64_TEXT = "POKE 53280,0 ; LDA #$FF ; STA $D020"
LM_HEAD = "language_model.lm_head.weight"  # transformers 5 saves the checkpoint's own key names


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for name, html in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(html)
    (root / "manual.pdf").write_bytes(PDF)
    return root


@pytest.fixture(scope="module")
def tiny(corpus, tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny", corpus_dir=corpus)


@pytest.fixture(scope="module")
def tokenizer(tiny):
    return AutoTokenizer.from_pretrained(tiny)


@pytest.fixture(scope="module")
def model(tiny):
    return Mistral3ForConditionalGeneration.from_pretrained(tiny).eval()


def test_corpus_text_is_the_files_text_in_path_order(corpus):
    pdf, sid, vic = corpus_texts(corpus)  # manual.pdf < sound/sid.html < vic.html
    assert pdf.strip() == "SYS 64738 resets"
    assert sid.split()[0] == "SID" and "STA $D020" in vic
    assert "color" not in vic and "var x" not in vic  # no style, no script


def test_the_folder_holds_the_real_architecture(model, tiny):
    assert model.config.architectures == ["Mistral3ForConditionalGeneration"]
    assert model.config.text_config.model_type == "ministral3"
    assert model.config.vision_config.model_type == "pixtral"
    assert (tiny / "SYSTEM_PROMPT.txt").read_text().strip()
    assert (tiny / "generation_config.json").is_file()


def test_each_control_token_is_one_id_alone_and_glued_to_text(tokenizer):
    for token in CONTROL_TOKENS:
        (token_id,) = tokenizer.encode(token, add_special_tokens=False)
        assert tokenizer.convert_ids_to_tokens(token_id) == token
        glued = tokenizer.encode(f"x{token}abc{token}def", add_special_tokens=False)
        assert glued.count(token_id) == 2
    ids = tokenizer.encode("[THINK]abc[/THINK]def", add_special_tokens=False)
    assert ids[0] == tokenizer.convert_tokens_to_ids("[THINK]")
    assert tokenizer.convert_tokens_to_ids("[/THINK]") in ids
    assert (tokenizer.bos_token, tokenizer.eos_token) == ("<s>", "</s>")
    assert (tokenizer.pad_token, tokenizer.unk_token) == ("<pad>", "<unk>")


def test_c64_text_round_trips(tokenizer):
    ids = tokenizer.encode(C64_TEXT, add_special_tokens=False)
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == C64_TEXT
    assert tokenizer.decode(tokenizer.encode("[INST]" + C64_TEXT + "[/INST]")) == (
        "[INST]" + C64_TEXT + "[/INST]"
    )


def test_forward_gives_logits_over_the_vocabulary(model, tokenizer):
    ids = torch.tensor([tokenizer.encode(C64_TEXT, add_special_tokens=False)])
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert logits.shape == (1, ids.shape[1], len(tokenizer))
    assert torch.isfinite(logits).all()


def test_generate_adds_up_to_five_tokens(model, tokenizer):
    ids = torch.tensor([tokenizer.encode("[INST]POKE[/INST]", add_special_tokens=False)])
    out = model.generate(ids, max_new_tokens=5, do_sample=False)
    assert ids.shape[1] < out.shape[1] <= ids.shape[1] + 5
    assert torch.equal(out[:, : ids.shape[1]], ids)


def test_the_same_seed_builds_the_same_files(tiny, corpus, tmp_path):
    again = make_tiny_model(tmp_path / "again", corpus_dir=corpus, seed=0)
    assert (again / "tokenizer.json").read_bytes() == (tiny / "tokenizer.json").read_bytes()
    first, second = load_file(tiny / "model.safetensors"), load_file(again / "model.safetensors")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_an_existing_folder_is_replaced_only_with_force(tiny, corpus, tmp_path):
    target = tmp_path / "tiny"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="--force"):
        make_tiny_model(target, corpus_dir=corpus)
    assert (target / "keep.txt").read_text() == "mine"
    make_tiny_model(target, corpus_dir=corpus, seed=1, force=True)
    assert not (target / "keep.txt").exists() and (target / "config.json").is_file()
    other_seed = load_file(target / "model.safetensors")
    assert not torch.equal(other_seed[LM_HEAD], load_file(tiny / "model.safetensors")[LM_HEAD])
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]  # no staging folder left behind


def test_a_corpus_without_text_is_refused(tmp_path):
    (tmp_path / "empty.html").write_text("<html><body>  </body></html>")
    with pytest.raises(CorpusError, match="no text"):
        make_tiny_model(tmp_path / "tiny", corpus_dir=tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        make_tiny_model(tmp_path / "tiny", corpus_dir=tmp_path / "missing")


def test_cli_builds_then_refuses_to_overwrite(corpus, tmp_path):
    args = ["make-tiny-model", str(tmp_path / "cli"), "--corpus", str(corpus), "--seed", "3"]
    built = CliRunner().invoke(app, args)
    assert built.exit_code == 0, built.output
    assert str(tmp_path / "cli") in built.output and "MB" in built.output
    assert (tmp_path / "cli" / "model.safetensors").is_file()
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2
    assert "--force" in refused.output


@pytest.mark.skipif(not sample_corpus_dir().is_dir(), reason="no bundled sample corpus yet")
def test_the_bundled_sample_corpus_is_the_default(tmp_path):
    built = make_tiny_model(tmp_path / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(built)
    assert tokenizer.decode(tokenizer.encode(C64_TEXT, add_special_tokens=False)) == C64_TEXT
