"""Generated data for the attention experiments (spec attention-limits §8: no downloads).

Two generators, both pure numpy and deterministic functions of a ``numpy.random.Generator``:

``bars`` (vision-like, the default)
    8 x 8 grey images of one stroke of four orientations (class 0 horizontal, 1 vertical,
    2 diagonal ``\\``, 3 anti-diagonal ``/``), of random length 3..8 pixels and random position,
    random amplitude in [0.6, 1.4], plus Gaussian pixel noise (std ``noise``, default 0.5).  Each image
    is standardised (zero mean, unit variance over its 64 pixels) and cut into S = 16 tokens of 2 x 2
    pixels (token dimension 4, pixel order row then column inside a patch, patches row-major), the
    spec's "digits split into 16 tokens of 2 x 2 pixels" with generated images in place of digits.

``pairs`` (relational, attention needed)
    The same 8 x 8 canvas with two short strokes (2 pixels, one 2 x 2 patch each, at two distinct
    random patches) on a noisy background; the class says whether the two strokes have the same
    orientation (1) or not (0).  A per-token readout of mean-pooled token features cannot compute
    "same orientation" (the sum e_a + e_b of one-hot features is not linearly separable into
    a = b against a != b), so the model must mix tokens through attention.

Both return ``(x, y)`` with ``x`` of shape ``(B, 16, 4)`` (float64) and integer labels ``y`` of shape
``(B,)``.
"""

from __future__ import annotations

import numpy as np

#: image side, patch side, tokens per image and token dimension
SIDE = 8
PATCH = 2
S = (SIDE // PATCH) ** 2
D_IN = PATCH * PATCH

#: number of classes of each task
CLASSES = {"bars": 4, "pairs": 2}


def bars_images(rng: np.random.Generator, batch: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """``batch`` standardised 8 x 8 bar images ``(B, 8, 8)`` and their orientation labels."""
    y = rng.integers(0, 4, size=batch)
    lengths = rng.integers(3, SIDE + 1, size=batch)
    amps = rng.uniform(0.6, 1.4, size=batch)
    free = SIDE - lengths  # offset room along the stroke
    u = rng.random((batch, 2))
    along = np.floor(u[:, 0] * (free + 1)).astype(int)          # start along the stroke
    across = np.floor(u[:, 1] * SIDE).astype(int)               # row (horizontal) / column (vertical)
    across_diag = np.floor(u[:, 1] * (free + 1)).astype(int)    # second offset of a diagonal
    img = noise * rng.standard_normal((batch, SIDE, SIDE))
    k = np.arange(SIDE)[None, :]
    valid = k < lengths[:, None]
    a, c, d = along[:, None], across[:, None], across_diag[:, None]
    n = lengths[:, None]
    rows = np.select(
        [y[:, None] == 0, y[:, None] == 1, y[:, None] == 2],
        [np.broadcast_to(c, (batch, SIDE)), a + k, d + k], d + k,
    )
    cols = np.select(
        [y[:, None] == 0, y[:, None] == 1, y[:, None] == 2],
        [a + k, np.broadcast_to(c, (batch, SIDE)), a + k], a + n - 1 - k,
    )
    b_idx = np.broadcast_to(np.arange(batch)[:, None], (batch, SIDE))
    img[b_idx[valid], rows[valid], cols[valid]] += np.broadcast_to(amps[:, None], (batch, SIDE))[valid]
    return _standardise(img), y


def pairs_images(rng: np.random.Generator, batch: int, noise: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """``batch`` images with two 2-pixel strokes in two distinct patches; label 1 iff same orientation."""
    y = rng.integers(0, 2, size=batch)
    img = noise * rng.standard_normal((batch, SIDE, SIDE))
    grid = SIDE // PATCH
    for b in range(batch):
        o1 = int(rng.integers(0, 4))
        o2 = o1 if y[b] == 1 else int((o1 + rng.integers(1, 4)) % 4)
        p1, p2 = rng.choice(grid * grid, size=2, replace=False)
        for o, p in ((o1, p1), (o2, p2)):
            pr, pc = divmod(int(p), grid)
            # a 2-pixel stroke inside the 2 x 2 patch: which row/column is lit is random
            shift = int(rng.integers(0, 2))
            if o == 0:
                rows, cols = np.array([shift, shift]), np.array([0, 1])
            elif o == 1:
                rows, cols = np.array([0, 1]), np.array([shift, shift])
            elif o == 2:
                rows, cols = np.array([0, 1]), np.array([0, 1])
            else:
                rows, cols = np.array([0, 1]), np.array([1, 0])
            img[b, PATCH * pr + rows, PATCH * pc + cols] += 1.5
    return _standardise(img), y


def _standardise(img: np.ndarray) -> np.ndarray:
    flat = img.reshape(img.shape[0], -1)
    flat = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)
    return flat.reshape(img.shape)


def patchify(img: np.ndarray) -> np.ndarray:
    """``(B, 8, 8)`` images -> ``(B, 16, 4)`` tokens of 2 x 2 patches (row-major patches, row-major pixels)."""
    b = img.shape[0]
    g = SIDE // PATCH
    return img.reshape(b, g, PATCH, g, PATCH).transpose(0, 1, 3, 2, 4).reshape(b, g * g, PATCH * PATCH)


def make_batch(task: str, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Tokens ``(B, 16, 4)`` and labels ``(B,)`` of the generated ``task`` ('bars' or 'pairs')."""
    if task == "bars":
        img, y = bars_images(rng, batch)
    elif task == "pairs":
        img, y = pairs_images(rng, batch)
    else:
        raise ValueError(f"unknown data task {task!r}; expected one of {', '.join(CLASSES)}")
    return patchify(img), y.astype(np.int64)


def gaussian_tokens(rng: np.random.Generator, batch: int, s: int = S, d: int = D_IN) -> np.ndarray:
    """I.i.d. standard Gaussian tokens ``(B, s, d)``: the 'random inputs' of the initialisation study."""
    return rng.standard_normal((batch, s, d))
