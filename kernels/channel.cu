// Per-channel kernels of contiguous [N, C, inner] tensors: batch normalisation's passes
// (src/backend/cpu/channel.rs is the reference).
//
// Both walk their elements with a fixed stride and carry the (channel, position) coordinates
// along by addition, so the loops divide only once per thread, not once per element.

// Rounded IEEE operations the compiler may not fuse into an FMA: channel_affine then gives the
// CPU's results bit for bit (Rust never contracts a*b + c), and two nearly cancelling terms
// keep the CPU's exact rounding.
__device__ __forceinline__ float ch_sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double ch_sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float ch_mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double ch_mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float ch_add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double ch_add(double a, double b) { return __dadd_rn(a, b); }

// out[i] = (xa[i] - ca[c])·sa[c] [+ (xb[i] - cb[c])·sb[c]] + shift[c], c = (i / inner) % C,
// evaluated left to right as the CPU does. `xb` null: one term (cb, sb unread); `shift` null:
// + 0. Every per-channel vector is contiguous [C]. One thread per element, grid-stride.
template <class T>
__device__ void channel_affine_body(T* out, const T* xa, const T* ca, const T* sa, const T* xb, const T* cb,
                                    const T* sb, const T* shift, ll_i64 n, int c, ll_i64 inner) {
    const ll_i64 total = n * c * inner;
    const ll_i64 first = (ll_i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (first >= total) return;
    const ll_i64 step = (ll_i64)gridDim.x * blockDim.x;
    // i = plane·inner + s and ch = plane % C; a step of `step` elements moves s by step_s and
    // the plane by step / inner, plus one when s wraps.
    const ll_i64 step_s = step % inner, step_c = (step / inner) % c;
    ll_i64 s = first % inner, ch = (first / inner) % c;
    for (ll_i64 i = first; i < total; i += step) {
        const T t = shift ? shift[ch] : T(0);
        T v = ch_mul(ch_sub(xa[i], ca[ch]), sa[ch]);
        if (xb) v = ch_add(v, ch_mul(ch_sub(xb[i], cb[ch]), sb[ch]));
        out[i] = ch_add(v, t);
        s += step_s;
        ch += step_c;
        if (s >= inner) {
            s -= inner;
            ch += 1;
        }
        if (ch >= c) ch -= c;
    }
}

// out[c] = Σ_{n, s} (a[n, c, s] - sa[c])·(b[n, c, s] - sb[c]). One block per channel
// (grid-stride over channels; blockDim.x a multiple of 32, at most 1024): each thread sums
// a fixed strided subset in order, a shuffle tree adds each warp's 32 sums, and the first warp
// adds the warp sums the same way. The order depends only on blockDim.x (the launcher always
// uses 256), so results are reproducible; no atomics.
template <class T>
__device__ void channel_dot_body(T* out, const T* a, const T* b, const T* sa, const T* sb, ll_i64 n, int c,
                                 ll_i64 inner) {
    __shared__ T warp_sums[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const ll_i64 count = n * inner;
    // inner = 0 means nothing to sum (count = 0); 1 keeps the divisions below defined.
    const ll_i64 in = inner > 0 ? inner : 1;
    const ll_i64 step = blockDim.x;
    // Element q of the channel is (q / inner, q % inner); both advance by addition.
    const ll_i64 step_n = step / in, step_s = step % in;
    const ll_i64 n0 = threadIdx.x / in, s0 = threadIdx.x % in;
    for (int ch = blockIdx.x; ch < c; ch += gridDim.x) {
        const T ma = sa[ch], mb = sb[ch];
        T acc = T(0);
        ll_i64 nn = n0, s = s0;
        for (ll_i64 q = threadIdx.x; q < count; q += step) {
            const ll_i64 at = (nn * c + ch) * in + s;
            acc += (a[at] - ma) * (b[at] - mb);
            s += step_s;
            nn += step_n;
            if (s >= in) {
                s -= in;
                nn += 1;
            }
        }
#pragma unroll
        for (int d = 16; d > 0; d >>= 1) acc += ll_shfl_down(acc, d);
        if (lane == 0) warp_sums[warp] = acc;
        __syncthreads();
        if (warp == 0) {
            T v = lane < warps ? warp_sums[lane] : T(0);
#pragma unroll
            for (int d = 16; d > 0; d >>= 1) v += ll_shfl_down(v, d);
            if (lane == 0) out[ch] = v;
        }
        // The next channel reuses warp_sums.
        __syncthreads();
    }
}

#define LL_CHANNEL(T, S)                                                                                        \
    extern "C" __global__ void channel_affine_##S(T* out, const T* xa, const T* ca, const T* sa, const T* xb,   \
                                                  const T* cb, const T* sb, const T* shift, ll_i64 n, int c,    \
                                                  ll_i64 inner) {                                               \
        channel_affine_body<T>(out, xa, ca, sa, xb, cb, sb, shift, n, c, inner);                                \
    }                                                                                                           \
    extern "C" __global__ void channel_dot_##S(T* out, const T* a, const T* b, const T* sa, const T* sb,        \
                                               ll_i64 n, int c, ll_i64 inner) {                                 \
        channel_dot_body<T>(out, a, b, sa, sb, n, c, inner);                                                    \
    }
LL_FOR_FLOATS(LL_CHANNEL)
