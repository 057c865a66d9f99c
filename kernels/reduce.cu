// Sum / max / min over any set of dimensions, deterministic (a fixed reduction tree for given
// shapes, no atomics). The host splits the input into two descriptors: `outer` walks the kept
// dimensions (one entry per output element, its offset includes the input's offset) and
// `inner` walks the reduced dimensions (offset 0); element r of output o sits at
// ll_offset(outer, o) + ll_offset(inner, r). Three shapes of work, chosen by the host from the
// reduced length (src/backend/cuda/reduce.rs): a thread, a warp or a block per output, the last
// optionally split in `chunks` partial sums that a second launch reduces (two-pass).
// Max and min propagate NaN (NaN wins), as the CPU backend and PyTorch.

// Op codes: the order of `reduce_code` in src/backend/cuda/reduce.rs.
#define LL_SUM 0
#define LL_MAX 1
#define LL_MIN 2

template <class T>
__device__ __forceinline__ T reduce_identity(int op) {
    if (op == LL_SUM) return (T)0;
    if (op == LL_MAX) return LlLimits<T>::lowest();
    return LlLimits<T>::highest();
}

template <class T>
__device__ __forceinline__ T reduce_combine(int op, T a, T b) {
    if (op == LL_SUM) return ll_plus(a, b);
    if (ll_is_nan(a)) return a;
    if (ll_is_nan(b)) return b;
    if (op == LL_MAX) return b > a ? b : a;
    return b < a ? b : a;
}

// Combines the 32 lanes' values; lane 0 ends with the result. Every lane must call it.
template <class T>
__device__ __forceinline__ T reduce_warp_tree(int op, T v) {
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) v = reduce_combine<T>(op, v, ll_shfl_down(v, d));
    return v;
}

// One thread per output: for short reductions (fewer elements than a warp).
template <class T>
__device__ void reduce_thread_body(T* out, const T* x, Strided outer, Strided inner, ll_i64 n_out, ll_i64 n_inner,
                                   int op) {
    LL_FOR_EACH(o, n_out) {
        const ll_i64 base = ll_offset(outer, o);
        T acc = reduce_identity<T>(op);
        for (ll_i64 r = 0; r < n_inner; ++r) acc = reduce_combine<T>(op, acc, x[base + ll_offset(inner, r)]);
        out[o] = acc;
    }
}

// One warp per output: lanes stride over the reduced elements, then a shuffle tree.
// blockDim.x is a multiple of 32 (the host launches 256).
template <class T>
__device__ void reduce_warp_body(T* out, const T* x, Strided outer, Strided inner, ll_i64 n_out, ll_i64 n_inner,
                                 int op) {
    const int lane = threadIdx.x & 31;
    LL_FOR_EACH_WARP(o, n_out) {
        const ll_i64 base = ll_offset(outer, o);
        T acc = reduce_identity<T>(op);
        for (ll_i64 r = lane; r < n_inner; r += 32) acc = reduce_combine<T>(op, acc, x[base + ll_offset(inner, r)]);
        acc = reduce_warp_tree<T>(op, acc);
        if (lane == 0) out[o] = acc;
    }
}

// One block per (output, chunk): the block reduces elements [c*chunk_len, (c+1)*chunk_len) of
// output o into out[o*chunks + c]. With chunks = 1 it is one block per output; with more, `out`
// holds partials that a second launch reduces along its last dimension.
template <class T>
__device__ void reduce_block_body(T* out, const T* x, Strided outer, Strided inner, ll_i64 n_out, ll_i64 n_inner,
                                  ll_i64 chunks, ll_i64 chunk_len, int op) {
    // Raw doubles: one shared array for every T (none is wider than 8 bytes).
    __shared__ double smem_raw[32];
    T* partial = reinterpret_cast<T*>(smem_raw);
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int n_warps = (blockDim.x + 31) >> 5;
    const ll_i64 n_tasks = n_out * chunks;
    // `task` is uniform across the block, so every thread reaches each __syncthreads.
    for (ll_i64 task = blockIdx.x; task < n_tasks; task += gridDim.x) {
        const ll_i64 o = task / chunks;
        const ll_i64 c = task % chunks;
        const ll_i64 begin = c * chunk_len;
        const ll_i64 end = min(n_inner, begin + chunk_len);
        const ll_i64 base = ll_offset(outer, o);
        T acc = reduce_identity<T>(op);
        for (ll_i64 r = begin + threadIdx.x; r < end; r += blockDim.x)
            acc = reduce_combine<T>(op, acc, x[base + ll_offset(inner, r)]);
        acc = reduce_warp_tree<T>(op, acc);
        if (lane == 0) partial[warp] = acc;
        __syncthreads();
        if (warp == 0) {
            T v = lane < n_warps ? partial[lane] : reduce_identity<T>(op);
            v = reduce_warp_tree<T>(op, v);
            if (lane == 0) out[task] = v;
        }
        // `partial` is reused by the next task.
        __syncthreads();
    }
}

#define LL_REDUCE(T, S)                                                                                      \
    extern "C" __global__ void reduce_thread_##S(T* out, const T* x, Strided outer, Strided inner,          \
                                                 ll_i64 n_out, ll_i64 n_inner, int op) {                    \
        reduce_thread_body<T>(out, x, outer, inner, n_out, n_inner, op);                                    \
    }                                                                                                        \
    extern "C" __global__ void reduce_warp_##S(T* out, const T* x, Strided outer, Strided inner,            \
                                               ll_i64 n_out, ll_i64 n_inner, int op) {                      \
        reduce_warp_body<T>(out, x, outer, inner, n_out, n_inner, op);                                      \
    }                                                                                                        \
    extern "C" __global__ void reduce_block_##S(T* out, const T* x, Strided outer, Strided inner,           \
                                                ll_i64 n_out, ll_i64 n_inner, ll_i64 chunks,                \
                                                ll_i64 chunk_len, int op) {                                 \
        reduce_block_body<T>(out, x, outer, inner, n_out, n_inner, chunks, chunk_len, op);                  \
    }
LL_FOR_NUMBERS(LL_REDUCE)
