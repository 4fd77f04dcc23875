"""The f16 reference's next-token distributions, kept for the scored positions, and how far a
cache pair's distributions are from them (KL divergence, top-1 agreement), computed from raw
logits in float32 a few rows at a time."""

from __future__ import annotations

import os
import tempfile

import numpy as np

ROWS_PER_BLOCK = 32  # distributions handled at once: bounds the scratch memory of big vocabularies
IN_MEMORY_BYTES = 256 * 1024 * 1024  # a reference bigger than this goes to a memory-mapped file


def log_sum_exp(logits: np.ndarray) -> np.ndarray:
    """Per row, log(sum(exp(logits))), float32; float64 for the sum, which runs over the vocabulary."""
    top = logits.max(axis=1, keepdims=True)
    total = np.exp(logits - top).sum(axis=1, dtype=np.float64, keepdims=True)
    return (np.log(total) + top).astype(np.float32)[:, 0]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    return logits - log_sum_exp(logits)[:, None]


def kl_divergence(lp_ref: np.ndarray, lp_x: np.ndarray) -> np.ndarray:
    """KL(ref || x) per row, in nats, from log-probabilities; never below 0 (rounding)."""
    kl = np.einsum("ij,ij->i", np.exp(lp_ref), lp_ref - lp_x, dtype=np.float64)
    return np.maximum(kl, 0.0)


class ReferenceStore:
    """The f16/f16 log-probabilities and most likely token at every scored position (512 positions
    of a 262k vocabulary are 512 MiB: kept in a temporary memory-mapped file past IN_MEMORY_BYTES)."""

    def __init__(self, rows: int, n_vocab: int):
        shape = (max(rows, 1), n_vocab)
        self._path = None
        if shape[0] * n_vocab * 4 <= IN_MEMORY_BYTES:
            self.log_probs = np.empty(shape, dtype=np.float32)
        else:
            handle = tempfile.NamedTemporaryFile(prefix="kvchat-lab-", suffix=".f32", delete=False)
            handle.close()
            self._path = handle.name
            self.log_probs = np.memmap(self._path, dtype=np.float32, mode="w+", shape=shape)
        self.top = np.zeros(shape[0], dtype=np.int64)

    @property
    def rows(self) -> int:
        return self.log_probs.shape[0]

    def put(self, row: int, logits: np.ndarray) -> np.ndarray:
        """Keep the reference at rows row.. from its raw logits; returns their log-sum-exp."""
        lse = np.empty(len(logits), dtype=np.float32)
        for start in range(0, len(logits), ROWS_PER_BLOCK):
            block = logits[start : start + ROWS_PER_BLOCK]
            lse[start : start + len(block)] = log_sum_exp(block)
            self.log_probs[row + start : row + start + len(block)] = block - lse[start : start + len(block), None]
        self.top[row : row + len(logits)] = logits.argmax(axis=1)
        return lse

    def compare(self, row: int, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a pair's raw logits at rows row..: KL(f16 || pair) per row, whether the most likely
        token is f16's, and the log-sum-exp of each row."""
        kl = np.empty(len(logits), dtype=np.float64)
        lse = np.empty(len(logits), dtype=np.float32)
        for start in range(0, len(logits), ROWS_PER_BLOCK):
            block = logits[start : start + ROWS_PER_BLOCK]
            rows = slice(start, start + len(block))
            lse[rows] = log_sum_exp(block)
            kl[rows] = kl_divergence(self.log_probs[row + start : row + start + len(block)], block - lse[rows, None])
        same_top = logits.argmax(axis=1) == self.top[row : row + len(logits)]
        return kl, same_top, lse

    def close(self) -> None:
        del self.log_probs
        if self._path:
            try:
                os.unlink(self._path)
            except OSError:
                pass
