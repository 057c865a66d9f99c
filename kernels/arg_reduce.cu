// Index (int64) of the largest / smallest entry along one dimension, one warp per output.
// Exactly the CPU's answer: the first index of the extreme value on ties, and the first NaN if
// there is one (NaN wins, as in PyTorch). Each lane scans indices lane, lane+32, ... keeping
// the first best it sees; the lanes' (value, index) pairs are then merged by a shuffle tree
// whose rule (NaN first, then the better value, then the smaller index) gives the same pair as
// the sequential scan.

// Op codes: the order of `arg_reduce_code` in src/backend/cuda/reduce.rs.
#define LL_ARGMAX 0
#define LL_ARGMIN 1

// Whether candidate (vb, ib) replaces (va, ia); an index < 0 marks a lane that saw nothing.
template <class T>
__device__ __forceinline__ bool arg_better(int op, T va, ll_i64 ia, T vb, ll_i64 ib) {
    if (ib < 0) return false;
    if (ia < 0) return true;
    const bool an = ll_is_nan(va);
    const bool bn = ll_is_nan(vb);
    if (an || bn) return an && bn ? ib < ia : bn;
    if (op == LL_ARGMAX) {
        if (vb > va) return true;
        if (vb < va) return false;
    } else {
        if (vb < va) return true;
        if (vb > va) return false;
    }
    return ib < ia;
}

// `outer` walks the kept dimensions of the input (offset included); the reduced dimension has
// `len` entries `stride` apart. Output o (row-major over the kept dimensions) gets its index.
template <class T>
__device__ void arg_reduce_body(ll_i64* out, const T* x, Strided outer, ll_i64 len, ll_i64 stride, ll_i64 n_out,
                                int op) {
    const int lane = threadIdx.x & 31;
    LL_FOR_EACH_WARP(o, n_out) {
        const ll_i64 base = ll_offset(outer, o);
        T best = (T)0;
        ll_i64 best_i = -1;
        for (ll_i64 r = lane; r < len; r += 32) {
            const T v = x[base + r * stride];
            if (best_i >= 0 && ll_is_nan(best)) break;  // this lane's first NaN stands
            if (best_i < 0 || ll_is_nan(v) || (op == LL_ARGMAX ? v > best : v < best)) {
                best = v;
                best_i = r;
            }
        }
#pragma unroll
        for (int d = 16; d > 0; d >>= 1) {
            const T v = ll_shfl_down(best, d);
            const ll_i64 i = ll_shfl_down(best_i, d);
            if (arg_better<T>(op, best, best_i, v, i)) {
                best = v;
                best_i = i;
            }
        }
        if (lane == 0) out[o] = best_i;
    }
}

#define LL_ARG_REDUCE(T, S)                                                                               \
    extern "C" __global__ void arg_reduce_##S(ll_i64* out, const T* x, Strided outer, ll_i64 len,        \
                                              ll_i64 stride, ll_i64 n_out, int op) {                     \
        arg_reduce_body<T>(out, x, outer, len, stride, n_out, op);                                       \
    }
LL_FOR_ALL(LL_ARG_REDUCE)
