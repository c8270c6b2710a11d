"""Bit-packed ±1 vectors: 64 neurons per ``uint64`` word, and the bit operations of the Numba kernels.

A ±1 vector of N neurons becomes ``W = ceil(N / 64)`` words; bit ``j % 64`` of word ``j // 64`` is 1
where the entry is -1 (little-endian bit order).  Padding bits are 0 in every packed array, so the
Hamming distance of two packed vectors is ``sum_w popcount(a_w ^ b_w)`` and the full raw overlap is
``g = N - 2 * hamming``, an exact integer.

Intrinsics (LLVM IR, for use inside ``njit`` code): :func:`popcount64` of one word,
:func:`hamming_block` (the distances of a state to many patterns, a vector of patterns at a time) and
:func:`add_bit_columns4` and kin (per-neuron bit counts over a list of rows, bit-sliced).
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


#: patterns per vector of :func:`hamming_block` (8 uint64 words: one 512-bit register)
LANES = 8


@intrinsic
def hamming_block(typingctx, x, rows, n, fold, out):
    """``out[mu] = h`` with ``h = sum_w popcount(rows[w, mu] ^ x[w])`` (or ``min(h, n - h)`` with
    ``fold``) for ``mu < LANES * (P // LANES)``: the Hamming distances of a packed state ``x`` (uint64
    ``(W,)``) to packed patterns stored word-major, ``rows`` uint64 ``(W, P)`` C-contiguous; ``out``
    uint32 ``(P,)`` C-contiguous.  The last ``P % LANES`` patterns are left to the caller.

    :data:`LANES` patterns at a time: their W words are XORed, counted (``vpopcntq`` where the CPU has
    it) and summed in one vector of int64, which is narrowed to 32 bits (and folded) once, so no partial
    sum goes through memory.
    """
    ok = (isinstance(x, types.Array) and x.dtype == types.uint64 and x.ndim == 1
          and isinstance(rows, types.Array) and rows.dtype == types.uint64 and rows.ndim == 2
          and rows.layout == "C" and isinstance(out, types.Array) and out.dtype == types.uint32
          and out.ndim == 1 and out.layout == "C" and isinstance(n, types.Integer)
          and isinstance(fold, types.Boolean))
    if not ok:
        return None
    sig = types.void(x, rows, types.intp, fold, out)

    def codegen(context, builder, signature, args):
        x_arr = context.make_array(signature.args[0])(context, builder, args[0])
        rows_arr = context.make_array(signature.args[1])(context, builder, args[1])
        out_arr = context.make_array(signature.args[4])(context, builder, args[4])
        n_v = args[2]
        fold_v = context.cast(builder, args[3], signature.args[3], types.boolean)
        i32, i64 = ir.IntType(32), ir.IntType(64)
        wide_t = ir.VectorType(i64, LANES)
        narrow_t = ir.VectorType(i32, LANES)
        ctpop = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(wide_t, [wide_t]), f"llvm.ctpop.v{LANES}i64")
        n_words, n_patterns = cgutils.unpack_tuple(builder, rows_arr.shape, 2)
        row_stride = cgutils.unpack_tuple(builder, rows_arr.strides, 2)[0]
        x_stride = cgutils.unpack_tuple(builder, x_arr.strides, 1)[0]
        rows_base = builder.ptrtoint(rows_arr.data, i64)
        x_base = builder.ptrtoint(x_arr.data, i64)

        def splat(value, vec_t):
            vec = builder.insert_element(ir.Constant(vec_t, None), value, ir.Constant(i32, 0))
            return builder.shuffle_vector(vec, ir.Constant(vec_t, None), ir.Constant(narrow_t, None))

        n_splat = splat(builder.trunc(n_v, i32), narrow_t)
        total = cgutils.alloca_once(builder, wide_t)
        n_blocks = builder.sdiv(n_patterns, ir.Constant(i64, LANES))
        with cgutils.for_range(builder, n_blocks) as block:
            first = builder.mul(block.index, ir.Constant(i64, LANES))
            builder.store(ir.Constant(wide_t, None), total)
            with cgutils.for_range(builder, n_words) as word:
                at = builder.add(rows_base, builder.add(builder.mul(word.index, row_stride),
                                                        builder.mul(first, ir.Constant(i64, 8))))
                values = builder.load(builder.inttoptr(at, wide_t.as_pointer()), align=8)
                x_at = builder.add(x_base, builder.mul(word.index, x_stride))
                x_word = builder.load(builder.inttoptr(x_at, i64.as_pointer()))
                counts = builder.call(ctpop, [builder.xor(values, splat(x_word, wide_t))])
                builder.store(builder.add(builder.load(total), counts), total)
            h = builder.trunc(builder.load(total), narrow_t)
            other = builder.sub(n_splat, h)
            folded = builder.select(builder.icmp_signed("<", other, h), other, h)
            h = builder.select(fold_v, folded, h)
            ptr = builder.bitcast(builder.gep(out_arr.data, [first]), narrow_t.as_pointer())
            builder.store(h, ptr, align=4)
        return context.get_dummy_value()

    return sig, codegen


#: bit planes of the counters of :func:`add_bit_columns8` and kin: counts up to 2^8 - 1 = 255
PLANES = 8


def _make_add_bit_columns(n_cols: int):
    @intrinsic
    def add_bit_columns(typingctx, acc, offset, bits, order, k0, k1, col):
        ok = (isinstance(acc, types.Array) and acc.dtype == types.uint8 and acc.ndim == 1
              and acc.layout == "C" and isinstance(bits, types.Array) and bits.dtype == types.uint64
              and bits.ndim == 2 and bits.layout == "C" and isinstance(order, types.Array)
              and order.dtype == types.int32 and order.ndim == 1 and order.layout == "C"
              and all(isinstance(v, types.Integer) for v in (offset, k0, k1, col)))
        if not ok:
            return None
        sig = types.void(acc, types.intp, bits, order, types.intp, types.intp, types.intp)

        def codegen(context, builder, signature, args):
            acc_arr = context.make_array(signature.args[0])(context, builder, args[0])
            bits_arr = context.make_array(signature.args[2])(context, builder, args[2])
            order_arr = context.make_array(signature.args[3])(context, builder, args[3])
            offset_v, start, stop, column = args[1], args[4], args[5], args[6]
            i64 = ir.IntType(64)
            vec_t = ir.VectorType(i64, n_cols)
            byte_t = ir.VectorType(ir.IntType(8), 64)
            mask_t = ir.VectorType(ir.IntType(1), 64)
            row_stride = cgutils.unpack_tuple(builder, bits_arr.strides, 2)[0]
            base = builder.add(builder.ptrtoint(bits_arr.data, i64), builder.mul(column, ir.Constant(i64, 8)))
            planes = [cgutils.alloca_once_value(builder, ir.Constant(vec_t, None)) for _ in range(PLANES)]

            def row_bits(k):
                row = builder.sext(builder.load(builder.gep(order_arr.data, [k])), i64)
                at = builder.add(base, builder.mul(row, row_stride))
                return builder.load(builder.inttoptr(at, vec_t.as_pointer()), align=8)

            def csa(a, b, c):
                """Carry-save adder: the sum bits and the carry bits of a + b + c (one vpternlogq
                each where the CPU has AVX-512)."""
                partial = builder.xor(a, b)
                return builder.xor(partial, c), builder.or_(builder.and_(a, b), builder.and_(partial, c))

            def add_carry(first, carry):
                """Ripple ``carry`` (of weight 2^first) into the planes ``first..PLANES-1``."""
                for plane in planes[first:]:
                    value = builder.load(plane)
                    builder.store(builder.xor(value, carry), plane)
                    carry = builder.and_(value, carry)

            # Harley-Seal: eight rows per step through a tree of carry-save adders, on the planes of
            # weight 1, 2 and 4, with the carry of weight 8 rippled into the planes above
            n_rows = builder.sub(stop, start)
            n_steps = builder.sdiv(n_rows, ir.Constant(i64, 8))
            with cgutils.for_range(builder, n_steps) as step:
                first = builder.add(start, builder.mul(step.index, ir.Constant(i64, 8)))
                rows = [row_bits(builder.add(first, ir.Constant(i64, j))) for j in range(8)]
                ones, twos, fours = (builder.load(planes[k]) for k in range(3))
                ones, twos_a = csa(ones, rows[0], rows[1])
                ones, twos_b = csa(ones, rows[2], rows[3])
                twos, fours_a = csa(twos, twos_a, twos_b)
                ones, twos_a = csa(ones, rows[4], rows[5])
                ones, twos_b = csa(ones, rows[6], rows[7])
                twos, fours_b = csa(twos, twos_a, twos_b)
                fours, eights = csa(fours, fours_a, fours_b)
                for plane, value in zip(planes, (ones, twos, fours)):
                    builder.store(value, plane)
                add_carry(3, eights)
            with cgutils.for_range(builder, stop, start=builder.add(start, builder.mul(
                    n_steps, ir.Constant(i64, 8)))) as loop:
                add_carry(0, row_bits(loop.index))
            # decode: byte j of column c gains sum_k 2^k (bit j of plane k's word c)
            for c in range(n_cols):
                total = ir.Constant(byte_t, None)
                for k, plane in enumerate(planes):
                    word = builder.extract_element(builder.load(plane), ir.Constant(ir.IntType(32), c))
                    bit = builder.bitcast(word, mask_t)
                    total = builder.add(total, builder.select(bit, ir.Constant(byte_t, [1 << k] * 64),
                                                              ir.Constant(byte_t, None)))
                at = builder.add(offset_v, ir.Constant(i64, 64 * c))
                ptr = builder.bitcast(builder.gep(acc_arr.data, [at]), byte_t.as_pointer())
                builder.store(builder.add(builder.load(ptr, align=1), total), ptr, align=1)
            return context.get_dummy_value()

        return sig, codegen

    add_bit_columns.__doc__ = (
        f"``acc[offset + 64 c + j] += sum_{{k0 <= k < k1}} (bits[order[k], col + c] >> j) & 1`` for "
        f"``c < {n_cols}``, ``j < 64``: the bit counts of {n_cols} consecutive 64-bit columns over the "
        "listed rows.\n\n    The counts are kept bit-sliced, in :data:`PLANES` vectors of "
        f"{n_cols} words (plane k holds bit k of every count), in registers: each listed row costs one "
        "index load and one vector load, and eight rows go through a Harley-Seal tree of carry-save "
        "adders (about three vector logic operations per row); the planes are decoded into ``acc`` "
        "once.  Byte arithmetic wraps modulo 256: callers list at most 255 rows and keep every counter, "
        "including what ``acc`` holds, at most 255.  ``acc`` uint8 1-D C-contiguous; ``bits`` uint64 "
        "2-D C-contiguous; ``order`` int32 1-D C-contiguous."
    )
    return add_bit_columns


add_bit_column = _make_add_bit_columns(1)
add_bit_columns2 = _make_add_bit_columns(2)
add_bit_columns4 = _make_add_bit_columns(4)
add_bit_columns8 = _make_add_bit_columns(8)
