"""Spec of `build_datasets`, seed step 3: C64 manuals → DAPT chunks and SFT chat examples."""

from typing import Literal, get_args

from pydantic import Field, field_validator

from core.pipeline.layout import ANSWER_CHARS, DAPT_FOLDER, EXCERPT_CHARS, SFT_FOLDER
from core.specs.base import SpecBase
from core.specs.paths import WorkspacePath

Stage = Literal["manifest", "extract", "normalize", "dedup", "build_dapt", "build_sft", "validate"]
STAGES: tuple[Stage, ...] = get_args(Stage)
DEFAULT_OUTPUT_DIR = "data/processed"


def dataset_dir(folder: str, output_dir: str = DEFAULT_OUTPUT_DIR) -> str:
    """Where build_dapt (DAPT_FOLDER) or build_sft (SFT_FOLDER) writes its splits."""
    return f"{output_dir}/{folder}"


class BuildDatasetsSpec(SpecBase):
    kind: Literal["build_datasets"] = Field(
        description="Build the DAPT and SFT datasets from the C64 manuals (seed step 3)."
    )
    source_dir: WorkspacePath = Field(
        "c64_docs", description="Folder of source manuals (PDF and HTML, searched recursively)."
    )
    model_path: WorkspacePath = Field(
        "models/Ministral-3-8B-Thinking",
        description="Model folder whose tokenizer (tokenizer.json) cuts the DAPT text into "
        "token windows; its SYSTEM_PROMPT.txt, when present, starts the SFT system turn.",
    )
    output_dir: WorkspacePath = Field(
        DEFAULT_OUTPUT_DIR,
        description="Where dapt/, sft/, duplicates.parquet and the validation reports go.",
    )
    interim_dir: WorkspacePath = Field(
        "data/interim",
        description="Where each stage saves its output for the next (manifest, pages, ...), "
        "and dedup/duplicates.parquet (the original workflow's location of the list).",
    )
    seed: int = Field(42, description="Seed of the train/validation/test split by document.")
    allow_ocr: bool = Field(True, description="OCR PDF pages whose text quality is low.")
    ocr_threshold: float = Field(
        0.15, ge=0, le=1, description="Pages whose text quality score is under this go to OCR."
    )
    ocr_language: str = Field(
        "eng", pattern=r"^[a-z_]{3,}(\+[a-z_]{3,})*$", description="Tesseract language(s)."
    )
    min_chars: int = Field(
        120, ge=0, description="Pages with fewer normalized characters are not used."
    )
    block_size: int = Field(2048, ge=16, le=131_072, description="DAPT window, in tokens.")
    stride: int = Field(256, ge=0, description="Tokens shared by consecutive DAPT windows.")
    min_chunk_tokens: int = Field(
        512,
        ge=1,
        description="A document's trailing window shorter than this is dropped; a document "
        "shorter than this still gives its one window.",
    )
    near_dup_threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Pages whose word-shingle Jaccard similarity reaches this are near "
        "duplicates (MinHash LSH finds candidates, exact Jaccard confirms them).",
    )
    max_examples_per_page: int = Field(
        3,
        ge=1,
        le=3,
        description="SFT examples made from one page (explain, address map, two-turn follow-up).",
    )
    answer_chars: int = Field(
        ANSWER_CHARS,
        ge=100,
        le=20_000,
        description="Longest SFT answer, in characters, cut at a sentence (or address) boundary. "
        "A small model learns the THINK shape faster from short answers.",
    )
    excerpt_chars: int = Field(
        EXCERPT_CHARS,
        ge=0,
        le=20_000,
        description="Characters of the page, cut at a word, that each SFT example's first user "
        "turn carries after the question (the manual's words it is answered from, as in the "
        "original workflow); extra `phrasings` ask the bare question. 0 leaves the excerpt "
        "out. Longer excerpts make longer examples.",
    )
    phrasings: int = Field(
        1,
        ge=1,
        le=12,
        description="Wordings of each SFT example (its question and trace picked anew, same "
        "answer): more THINK-shaped examples from a small corpus.",
    )
    strict_thinking_contract: bool = Field(
        True, description="Fail the job when the validation report has any warning."
    )
    min_dapt_chunks: int = Field(100, ge=0, description="Fewer DAPT chunks is a warning.")
    min_sft_examples: int = Field(50, ge=0, description="Fewer SFT examples is a warning.")
    stages: list[Stage] = Field(
        default_factory=lambda: list(STAGES),
        min_length=1,
        description="Stages to run, in pipeline order; each reads the previous stage's saved "
        "output, so a later stage can be re-run alone.",
    )
    workers: int = Field(
        0, ge=0, le=256, description="Processes for extraction and hashing; 0 = one per core."
    )

    @property
    def dapt_dir(self) -> str:
        """Where build_dapt writes its splits: what a train job's `dapt_dir` reads."""
        return dataset_dir(DAPT_FOLDER, self.output_dir)

    @property
    def sft_dir(self) -> str:
        """Where build_sft writes its splits: what a train job's `sft_dir` reads."""
        return dataset_dir(SFT_FOLDER, self.output_dir)

    def inputs(self) -> list[tuple[str, str]]:
        reads = [("source_dir", self.source_dir)] if "manifest" in self.stages else []
        return [*reads, ("model_path", self.model_path)]  # its tokenizer and SYSTEM_PROMPT.txt

    def outputs(self) -> list[tuple[str, str]]:
        return [("output_dir", self.output_dir), ("interim_dir", self.interim_dir)]

    @field_validator("stages")
    @classmethod
    def _stages_in_order(cls, stages: list[str]) -> list[str]:
        if len(set(stages)) != len(stages) or stages != sorted(stages, key=STAGES.index):
            raise ValueError(f"stages must be distinct and in pipeline order: {', '.join(STAGES)}")
        return stages

    @field_validator("stride")
    @classmethod
    def _stride_below_block(cls, stride: int, info) -> int:
        block = info.data.get("block_size")
        if block is not None and stride >= block:
            raise ValueError(f"stride ({stride}) must be smaller than block_size ({block})")
        return stride
