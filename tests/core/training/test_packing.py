"""Padding-free packing on the tiny model: the same supervised tokens and loss as without it, and
no attention across the examples packed into one row."""

import pytest
import torch
from datasets import Dataset
from trl.data_utils import pack_dataset

from core.chat_template import DEFAULT_TEMPLATE, load_template
from core.kinds.train.plan import packed_sequences, plan
from core.kinds.train.runner import run
from core.kinds.train.spec import TrainSpec
from core.training.callbacks import JobCallback
from core.training.data import load_splits
from core.training.device import Device
from core.training.model import load_model, load_pretrained_tokenizer
from core.training.phases import Phase, dapt_collator, sft_trainer
from tests.conftest import copy_workspace
from tests.core.training.test_train import TINY
from tests.recording import RecordingContext

EXAMPLES = 6  # SFT rows of the sample dataset, 500 to 900 tokens each: 2 or 3 to a packed row
CPU = Device("cpu", "fp32")
PIECE = 160  # tokens of each example the attention tests keep


def spec_of(**fields) -> TrainSpec:
    base = {"kind": "train", "model_path": "models/tiny-ministral3", "allow_cpu": True}
    base |= {"max_length": 2048, "lora_dropout": 0.0, "eval_strategy": "no", "phase": "sft"}
    return TrainSpec.model_validate(base | fields)


def trainer_of(workspace, tmp_path, **fields):
    """Our SFT trainer (TRL's SFTTrainer as the job builds it) on the first EXAMPLES rows, with a
    batch large enough to hold them all: one batch is the whole set, packed or not."""
    spec = spec_of(**fields)
    splits = load_splits(workspace / "data/processed/sft", ".jsonl", "messages", spec.seed, False)
    splits.train = splits.train.select(range(EXAMPLES))
    tokenizer = load_pretrained_tokenizer(workspace / "models/tiny-ministral3")
    tokenizer.chat_template = load_template(DEFAULT_TEMPLATE)
    model = load_model(workspace / "models/tiny-ministral3", CPU, spec, None)
    phase = Phase("sft", tmp_path / ("packed" if spec.packing else "padded"), splits, (0, 1), None)
    ctx = RecordingContext(workspace)
    return sft_trainer(model, tokenizer, spec, CPU, phase, JobCallback(ctx, "sft", (0, 1)), True)


def one_batch(trainer) -> dict[str, torch.Tensor]:
    batches = list(trainer.get_train_dataloader())
    assert len(batches) == 1
    return batches[0]


def segments(batch) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Each example of a batch as (input ids, labels): the rows of a padded batch without their
    padding, or the pieces of a padding-free row, cut where the position ids restart."""
    if "position_ids" not in batch:
        return [
            (tuple(ids[mask.bool()].tolist()), tuple(labels[mask.bool()].tolist()))
            for ids, labels, mask in zip(
                batch["input_ids"], batch["labels"], batch["attention_mask"], strict=True
            )
        ]
    assert batch["input_ids"].shape[0] == 1 and "attention_mask" not in batch
    starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist()
    ends = starts[1:] + [batch["input_ids"].shape[1]]
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    return [(tuple(ids[a:b]), tuple(labels[a:b])) for a, b in zip(starts, ends, strict=True)]


def pair_of(workspace, tmp, max_length: int = 2048):
    """The same examples through the job's SFT trainer, unpacked and packed: (trainer, batch)."""
    fields = {"batch_size": EXAMPLES, "max_length": max_length}
    padded = trainer_of(workspace, tmp, **fields)
    packed = trainer_of(workspace, tmp, **fields, packing=True)
    return (padded, one_batch(padded)), (packed, one_batch(packed))


@pytest.fixture(scope="module")
def pair(sample_workspace, tmp_path_factory):
    return pair_of(sample_workspace, tmp_path_factory.mktemp("packing"))


@pytest.mark.slow
def test_packing_keeps_the_supervised_tokens_of_each_example_exactly(pair):
    (padded, padded_batch), (packed, packed_batch) = pair
    assert len(packed.train_dataset) < len(padded.train_dataset) == EXAMPLES
    unpacked, packed_examples = segments(padded_batch), segments(packed_batch)
    assert len(unpacked) == len(packed_examples) == EXAMPLES
    assert sorted(packed_examples) == sorted(unpacked)  # ids and labels, token by token
    for _, labels in unpacked:  # assistant tokens only: some, never all
        assert 0 < sum(label != -100 for label in labels) < len(labels)


@pytest.mark.slow
def test_an_example_cut_at_max_length_is_cut_alike_under_packing(sample_workspace, tmp_path):
    (_, padded_batch), (_, packed_batch) = pair_of(sample_workspace, tmp_path, max_length=512)
    unpacked, packed_examples = segments(padded_batch), segments(packed_batch)
    assert {len(ids) for ids, _ in unpacked} == {512}  # every sample example is longer
    assert sorted(packed_examples) == sorted(unpacked)


@pytest.mark.slow
def test_packing_gives_the_loss_without_packing(pair):
    (padded, padded_batch), (packed, packed_batch) = pair
    losses = []
    for trainer, batch in ((padded, padded_batch), (packed, packed_batch)):
        trainer.model.eval()
        with torch.no_grad():
            losses.append(trainer.compute_loss(trainer.model, batch).item())
    assert losses[0] > 0
    assert losses[1] == pytest.approx(losses[0], rel=1e-4)


def logits(model, ids: list[int], positions: list[int] | None = None) -> torch.Tensor:
    """What the LM head turns into logits: the language tower's last hidden states (the logits
    themselves, 131k wide, would make each forward slow). The forward the plain Trainer makes
    (DAPT): no use_cache argument, the model's default."""
    extra = {"position_ids": torch.tensor([positions])} if positions is not None else {}
    with torch.no_grad():
        return model.get_base_model().model(input_ids=torch.tensor([ids]), **extra)[0][0]


@pytest.mark.slow
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_no_example_attends_to_another_in_a_packed_row(sample_workspace, pair, attn):
    """Each example's logits in a packed row are its logits alone, in training and evaluation;
    naive concatenation (one run of position ids over the row) changes each after the first."""
    trainer = pair[1][0]
    row = trainer.data_collator([trainer.train_dataset[0]])  # TRL's row of 2 or 3 examples
    model = load_model(
        sample_workspace / "models/tiny-ministral3",
        CPU,
        spec_of(attn_implementation=attn, packing=True),
        None,
    )
    examples = [list(example)[:PIECE] for example, _ in segments(row)]  # shorter: faster
    assert len(examples) > 1
    ids = [token for example in examples for token in example]
    positions = [at for example in examples for at in range(len(example))]
    for training in (True, False):
        model.train(training)
        packed, naive = logits(model, ids, positions), logits(model, ids, list(range(len(ids))))
        at = 0
        for index, example in enumerate(examples):
            alone, span = logits(model, example), slice(at, at + len(example))
            torch.testing.assert_close(packed[span], alone, atol=1e-4, rtol=1e-4)
            if index:  # the negative control: attention reaches the examples before it
                assert (naive[span] - alone).abs().max() > 1e-2
            at += len(example)
        assert at == len(ids)


@pytest.mark.slow
def test_a_model_with_its_cache_on_would_attend_across_examples(sample_workspace, pair):
    """Why load_model turns the language tower's use_cache off under packing: with a cache,
    transformers' masking skips the position ids and the second example sees the first."""
    trainer = pair[1][0]
    row = trainer.data_collator([trainer.train_dataset[0]])
    model = load_model(sample_workspace / "models/tiny-ministral3", CPU, spec_of(), None)
    assert model.config.get_text_config().use_cache  # the model's own default
    first, second = [list(example)[:PIECE] for example, _ in segments(row)][:2]
    positions = list(range(len(first))) + list(range(len(second)))
    packed = logits(model, first + second, positions)[len(first) :]
    assert (packed - logits(model, second)).abs().max() > 1e-2


def test_dapt_packing_flattens_a_batch_with_position_ids_restarting(tiny_model):
    tokenizer = load_pretrained_tokenizer(tiny_model)
    features = [{"input_ids": [5, 6, 7]}, {"input_ids": [8, 9]}]
    flat = dapt_collator(tokenizer, spec_of(packing=True))(features)
    assert flat["input_ids"].tolist() == [[5, 6, 7, 8, 9]] and "attention_mask" not in flat
    assert flat["position_ids"].tolist() == [[0, 1, 2, 0, 1]]
    assert flat["labels"].tolist() == [[-100, 6, 7, -100, 9]]  # no label across the boundary
    padded = dapt_collator(tokenizer, spec_of())(features)
    assert padded["input_ids"].shape == (2, 3) and "position_ids" not in padded


@pytest.mark.parametrize("seed", range(5))
def test_the_plan_counts_packed_sequences_as_trl_packs_them(seed):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 200, (300,), generator=generator).tolist()
    rows = Dataset.from_dict({"input_ids": [[1] * n for n in lengths]})
    packed = pack_dataset(rows, seq_length=256, strategy="bfd")
    assert packed_sequences(lengths, 256) == len(packed)
    assert packed_sequences([5, 4, 3, 3, 1], 8) == 2


@pytest.mark.slow
def test_a_train_job_with_packing_trains_both_phases(sample_workspace, tmp_path):
    workspace = copy_workspace(sample_workspace, tmp_path / "ws")
    fields = {**TINY, "max_steps": 2, "save_steps": 2, "logging_steps": 1, "batch_size": 1}
    fields |= {"max_length": 2048, "eval_strategy": "no"}  # SFT rows of 2 or 3 examples
    spec = TrainSpec.model_validate({**fields, "packing": True, "merge_adapter": False})
    result = run(spec, RecordingContext(workspace))
    for phase in ("dapt", "sft"):
        figures = result["phases"][phase]
        assert figures["steps"] == 2 and figures["final_train_loss"] > 0
    assert (workspace / "models/ft/adapter_model.safetensors").is_file()


def test_the_dry_run_plan_says_the_packing_mode_and_counts_packed_steps(sample_workspace):
    fields = {"phase": "both", "batch_size": 2, "grad_accum": 1, "epochs": 1}
    off = plan(spec_of(**fields), sample_workspace)
    on = plan(spec_of(**fields, packing=True), sample_workspace)
    assert off["packing"].startswith("off") and "packed_sequences" not in off["phases"]["sft"]
    assert on["packing"].startswith("padding-free") and "sdpa" in on["packing"]
    sft = on["phases"]["sft"]
    rows = off["phases"]["sft"]["optimizer_steps"] * 2  # batch 2: the unpacked rows, rounded up
    assert 0 < sft["packed_sequences"] < rows / 1.5  # 2 or 3 sample examples fit in 2048 tokens
    assert sft["optimizer_steps"] == -(-sft["packed_sequences"] // 2)
    assert on["phases"]["dapt"] == off["phases"]["dapt"]  # flattening keeps the rows
