"""Bit-packed ±1 vectors: 64 neurons per ``uint64`` word, and a popcount usable inside Numba kernels.

A ±1 vector of N neurons becomes ``W = ceil(N / 64)`` words; bit ``j % 64`` of word ``j // 64`` is 1
where the entry is -1 (little-endian bit order).  Padding bits are 0 in every packed array, so the
Hamming distance of two packed vectors is ``sum_w popcount(a_w ^ b_w)`` and the full raw overlap is
``g = N - 2 * hamming``, an exact integer.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

WORD_BITS = 64


def n_words(n: int) -> int:
    """Words of one packed vector of ``n`` neurons."""
    return (n + WORD_BITS - 1) // WORD_BITS


def pack_pm1(x: np.ndarray) -> np.ndarray:
    """Pack int8 ±1 arrays ``(..., N)`` into uint64 words ``(..., W)`` (bit set where ``x < 0``)."""
    n = x.shape[-1]
    w = n_words(n)
    packed = np.packbits(x < 0, axis=-1, bitorder="little")  # (..., ceil(N/8)) uint8
    pad = 8 * w - packed.shape[-1]
    if pad:
        packed = np.concatenate([packed, np.zeros(packed.shape[:-1] + (pad,), np.uint8)], axis=-1)
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def unpack_pm1(words: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack_pm1`: int8 ±1 arrays ``(..., n)``."""
    as_bytes = np.ascontiguousarray(words.astype("<u8", copy=False)).view(np.uint8)
    bits = np.unpackbits(as_bytes, axis=-1, count=n, bitorder="little")
    return (1 - 2 * bits.astype(np.int8)).astype(np.int8)


@intrinsic
def popcount64(typingctx, x):
    """``popcount`` of a ``uint64`` inside a Numba kernel (LLVM ``ctpop``: one ``popcnt`` instruction,
    vectorised to ``vpopcntq`` where the CPU has AVX-512 VPOPCNTDQ)."""
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


def _make_add_bit_columns(n_cols: int):
    @intrinsic
    def add_bit_columns(typingctx, acc, offset, bits, order, k0, k1, col):
        ok = (isinstance(acc, types.Array) and acc.dtype == types.uint8 and acc.ndim == 1
              and acc.layout == "C" and isinstance(bits, types.Array) and bits.dtype == types.uint64
              and bits.ndim == 2 and isinstance(order, types.Array) and order.dtype == types.int64
              and order.ndim == 1 and order.layout == "C"
              and all(isinstance(v, types.Integer) for v in (offset, k0, k1, col)))
        if not ok:
            return None
        sig = types.void(acc, types.intp, bits, order, types.intp, types.intp, types.intp)

        def codegen(context, builder, signature, args):
            acc_arr = context.make_array(signature.args[0])(context, builder, args[0])
            bits_arr = context.make_array(signature.args[2])(context, builder, args[2])
            order_arr = context.make_array(signature.args[3])(context, builder, args[3])
            offset_v, start, stop, column = args[1], args[4], args[5], args[6]
            vec_t = ir.VectorType(ir.IntType(8), 64)
            mask_t = ir.VectorType(ir.IntType(1), 64)
            i64 = ir.IntType(64)
            row_stride, col_stride = cgutils.unpack_tuple(builder, bits_arr.strides, 2)
            base = builder.add(builder.ptrtoint(bits_arr.data, i64), builder.mul(column, col_stride))
            totals = [cgutils.alloca_once_value(builder, ir.Constant(vec_t, None)) for _ in range(n_cols)]
            with cgutils.for_range(builder, stop, start=start) as loop:
                row = builder.load(builder.gep(order_arr.data, [loop.index]))
                addr = builder.add(base, builder.mul(row, row_stride))
                for j, total in enumerate(totals):
                    at = builder.add(addr, builder.mul(ir.Constant(i64, j), col_stride))
                    word = builder.load(builder.inttoptr(at, i64.as_pointer()))
                    ones = builder.zext(builder.bitcast(word, mask_t), vec_t)
                    builder.store(builder.add(builder.load(total), ones), total)
            for j, total in enumerate(totals):
                at = builder.add(offset_v, ir.Constant(i64, 64 * j))
                ptr = builder.bitcast(builder.gep(acc_arr.data, [at]), vec_t.as_pointer())
                builder.store(builder.add(builder.load(ptr, align=1), builder.load(total)), ptr, align=1)
            return context.get_dummy_value()

        return sig, codegen

    add_bit_columns.__doc__ = (
        f"``acc[offset + 64 c + j] += sum_{{k0 <= k < k1}} (bits[order[k], col + c] >> j) & 1`` for "
        f"``c < {n_cols}``, ``j < 64``: the bit counts of {n_cols} consecutive 64-bit columns over the "
        "listed rows.\n\n    The counts are summed in vector registers (one per column) and added to "
        "``acc`` once, so each listed row costs one index load and, per column, a load, a mask "
        "expansion and a byte add.  Byte arithmetic wraps modulo 256: callers keep every counter, "
        "including what ``acc`` holds, at most 255.  ``acc`` uint8 1-D C-contiguous; ``bits`` uint64 "
        "2-D; ``order`` int64 1-D C-contiguous."
    )
    return add_bit_columns


add_bit_column = _make_add_bit_columns(1)
add_bit_columns4 = _make_add_bit_columns(4)
