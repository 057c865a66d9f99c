// Indexed reads and the deterministic scatter-add. Indices are int64; one out of range is
// recorded in the fault record (see the prelude) and reads as / adds nothing, so the op reports
// the error at the next read-back instead of touching memory it does not own.

// out[i] = src[base(i) + j*dim_stride], j = index[i]: `base` is the source laid over the
// index's shape with the gathered dimension's stride zeroed (the index supplies that
// coordinate). Output contiguous with the index's shape.
template <class T>
__device__ void gather_body(T* out, const T* src, Strided base, ll_i64 dim_size, ll_i64 dim_stride,
                            const ll_i64* index, Strided is, ll_i64 n, int dim, ll_u64* fault) {
    LL_FOR_EACH(i, n) {
        const ll_i64 j = index[ll_offset(is, i)];
        if (j < 0 || j >= dim_size) {
            ll_report_index_fault(fault, LL_FAULT_GATHER, j, dim_size, dim);
            out[i] = (T)0;
            continue;
        }
        out[i] = src[ll_offset(base, i) + j * dim_stride];
    }
}

// Entries index[k] of dimension `dim`: output element i has coordinate k = (i / inner) % count
// along `dim` (`inner` = product of the output's later dimensions, `count` = index length);
// `base` is the source laid over the output's shape with that dimension's stride zeroed.
template <class T>
__device__ void index_select_body(T* out, const T* src, Strided base, ll_i64 dim_size, ll_i64 dim_stride,
                                  const ll_i64* index, ll_i64 index_offset, ll_i64 index_stride, ll_i64 inner,
                                  ll_i64 count, ll_i64 n, int dim, ll_u64* fault) {
    LL_FOR_EACH(i, n) {
        const ll_i64 k = (i / inner) % count;
        const ll_i64 j = index[index_offset + k * index_stride];
        if (j < 0 || j >= dim_size) {
            ll_report_index_fault(fault, LL_FAULT_INDEX_SELECT, j, dim_size, dim);
            out[i] = (T)0;
            continue;
        }
        out[i] = src[ll_offset(base, i) + j * dim_stride];
    }
}

// out = base with src[p] added at p with `dim` replaced by index[p], computed owner-side and
// without atomics: output element q (contiguous over base's shape) starts from base[q] and adds,
// in increasing k, every src at index position (q with dim = k) whose index equals q[dim] — the
// CPU's sequential order, so the sums are bit-identical to it. The three descriptors are
// unmerged (rank = base rank; index and src share their shape, which may be smaller than base's
// outside `dim`). `count` = index.shape[dim]; `index_dim_stride`, `src_dim_stride` their strides
// along dim; `dim_size` = base.shape[dim].
template <class T>
__device__ void scatter_add_body(T* out, const T* base, Strided bs, const ll_i64* index, Strided is, const T* src,
                                 Strided ss, int dim, ll_i64 count, ll_i64 index_dim_stride, ll_i64 src_dim_stride,
                                 ll_i64 dim_size, ll_i64 n, ll_u64* fault) {
    LL_FOR_EACH(q, n) {
        ll_u64 rem = (ll_u64)q;
        ll_i64 boff = bs.offset, ioff = is.offset, soff = ss.offset, at = 0;
        bool inside = true;
#pragma unroll
        for (int k = LL_MAX_RANK - 1; k >= 0; --k) {
            if (k < bs.rank) {
                const ll_i64 c = (ll_i64)(rem % (ll_u64)bs.shape[k]);
                rem /= (ll_u64)bs.shape[k];
                boff += c * bs.strides[k];
                if (k == dim) {
                    at = c;
                } else {
                    inside = inside && c < is.shape[k];
                    ioff += c * is.strides[k];
                    soff += c * ss.strides[k];
                }
            }
        }
        T acc = base[boff];
        if (inside) {
            for (ll_i64 k = 0; k < count; ++k) {
                const ll_i64 j = index[ioff + k * index_dim_stride];
                if (j < 0 || j >= dim_size) {
                    ll_report_index_fault(fault, LL_FAULT_SCATTER_ADD, j, dim_size, dim);
                    continue;
                }
                if (j == at) acc = ll_plus(acc, src[soff + k * src_dim_stride]);
            }
        }
        out[q] = acc;
    }
}

#define LL_INDEX_READS(T, S)                                                                                  \
    extern "C" __global__ void gather_##S(T* out, const T* src, Strided base, ll_i64 dim_size,               \
                                          ll_i64 dim_stride, const ll_i64* index, Strided is, ll_i64 n,      \
                                          int dim, ll_u64* fault) {                                          \
        gather_body<T>(out, src, base, dim_size, dim_stride, index, is, n, dim, fault);                      \
    }                                                                                                         \
    extern "C" __global__ void index_select_##S(T* out, const T* src, Strided base, ll_i64 dim_size,         \
                                                ll_i64 dim_stride, const ll_i64* index, ll_i64 index_offset, \
                                                ll_i64 index_stride, ll_i64 inner, ll_i64 count, ll_i64 n,   \
                                                int dim, ll_u64* fault) {                                    \
        index_select_body<T>(out, src, base, dim_size, dim_stride, index, index_offset, index_stride, inner, \
                             count, n, dim, fault);                                                          \
    }
LL_FOR_ALL(LL_INDEX_READS)

#define LL_SCATTER_ADD(T, S)                                                                                  \
    extern "C" __global__ void scatter_add_##S(T* out, const T* base, Strided bs, const ll_i64* index,       \
                                               Strided is, const T* src, Strided ss, int dim, ll_i64 count,  \
                                               ll_i64 index_dim_stride, ll_i64 src_dim_stride,               \
                                               ll_i64 dim_size, ll_i64 n, ll_u64* fault) {                   \
        scatter_add_body<T>(out, base, bs, index, is, src, ss, dim, count, index_dim_stride, src_dim_stride, \
                            dim_size, n, fault);                                                             \
    }
LL_FOR_NUMBERS(LL_SCATTER_ADD)
