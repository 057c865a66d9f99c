// 2-D max-pool with PyTorch's int64 indices (the position inside each H·W plane) and its
// adjoint, both with the CPU backend's exact results (src/backend/cpu/pool.rs).

// A strided [N, C, H, W] operand: element (n, c, y, x) sits at
// offset + n·sn + c·sc + y·sh + x·sw. Mirrored by `Nchw` in src/backend/cuda/pool.rs.
struct Nchw {
    ll_i64 offset, sn, sc, sh, sw;
};

// Max-pool geometry: input planes h × w, output planes oh × ow, window kh × kw with stride,
// padding and dilation per axis; c channels. Mirrored by `PoolGeometry` in src/backend/cuda/pool.rs.
struct PoolGeo {
    int c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};

// (plane, oy, ox) of output element i of [planes, OH, OW]: 32-bit divisions when the count
// allows (several times cheaper than 64-bit ones).
__device__ __forceinline__ void pool_decode(ll_i64 i, ll_i64 n, int oh, int ow, ll_i64* plane, int* oy, int* ox) {
    if (n <= 0x7fffffffLL) {
        const unsigned u = (unsigned)i, w = (unsigned)ow;
        const unsigned row = u / w;
        *ox = (int)(u - row * w);
        *oy = (int)(row % (unsigned)oh);
        *plane = (ll_i64)(row / (unsigned)oh);
    } else {
        const ll_i64 row = i / ow;
        *ox = (int)(i - row * ow);
        *oy = (int)(row % oh);
        *plane = row / oh;
    }
}

// One thread per output element of [NB, C, OH, OW] (n_out of them, grid-stride). The input is
// any strided [NB, C, H, W]; both outputs are contiguous. The window is
// scanned in memory order and a later value wins when it is greater or NaN: the first maximum
// on ties, the last NaN if there is one — the CPU's and PyTorch's rule.
template <class T>
__device__ void max_pool2d_body(T* out, ll_i64* idx, const T* x, const Nchw& xs, const PoolGeo& g, ll_i64 n_out) {
    LL_FOR_EACH(i, n_out) {
        ll_i64 plane;
        int oy, ox;
        pool_decode(i, n_out, g.oh, g.ow, &plane, &oy, &ox);
        const ll_i64 nb = plane / g.c, ch = plane - nb * g.c;
        const T* base = x + xs.offset + nb * xs.sn + ch * xs.sc;
        T best = LlLimits<T>::lowest();
        ll_i64 best_i = -1;
        for (int a = 0; a < g.kh; ++a) {
            const int iy = oy * g.sh + a * g.dh - g.ph;
            if (iy < 0 || iy >= g.h) continue;
            for (int b = 0; b < g.kw; ++b) {
                const int ix = ox * g.sw + b * g.dw - g.pw;
                if (ix < 0 || ix >= g.w) continue;
                const T v = base[iy * xs.sh + ix * xs.sw];
                if (best_i < 0 || v > best || ll_is_nan(v)) {
                    best = v;
                    best_i = (ll_i64)iy * g.w + ix;
                }
            }
        }
        out[i] = best;
        idx[i] = best_i;
    }
}

// The adjoint: dx [NB, C, H, W] contiguous gets, at each index, the gradients of the outputs
// that picked it. One warp per (n, c) plane (blockDim.x a multiple of 32): it zeroes its plane,
// then walks the plane's outputs 32 at a time in output order. Lanes whose indices agree form a
// group (__match_any_sync); its lowest lane adds the group's gradients in lane order to the
// running value. So every input element receives its additions in the CPU's order, starting
// from zero — bit-identical sums, no atomics, no shared state between warps. The gradient and
// the indices are any strided [NB, C, OH, OW]. An index outside the
// plane is recorded in the fault record and skipped.
template <class T>
__device__ void max_pool2d_backward_body(T* dx, const T* g, const Nchw& gs, const ll_i64* idx, const Nchw& is,
                                         ll_i64 planes, int c, int hw, int oh, int ow, ll_u64* fault) {
    const unsigned full = 0xffffffffu;
    const int lane = threadIdx.x & 31;
    const int ohw = oh * ow;
    LL_FOR_EACH_WARP(plane, planes) {
        const ll_i64 nb = plane / c, ch = plane - nb * c;
        T* dst = dx + plane * hw;
        for (int j = lane; j < hw; j += 32) dst[j] = T(0);
        __syncwarp();
        const T* gp = g + gs.offset + nb * gs.sn + ch * gs.sc;
        const ll_i64* ip = idx + is.offset + nb * is.sn + ch * is.sc;
        for (int j0 = 0; j0 < ohw; j0 += 32) {
            const int j = j0 + lane;
            bool valid = j < ohw;
            T gv = T(0);
            ll_i64 at = -1;
            if (valid) {
                const int oy = j / ow, ox = j % ow;
                gv = gp[oy * gs.sh + ox * gs.sw];
                at = ip[oy * is.sh + ox * is.sw];
                if (at < 0 || at >= hw) {
                    ll_report_index_fault(fault, LL_FAULT_MAX_POOL2D_BACKWARD, at, hw, 2);
                    valid = false;
                }
            }
            // Invalid lanes get distinct negative keys, so they never join a group.
            const ll_i64 key = valid ? at : (ll_i64)(-1 - lane);
            const unsigned group = __match_any_sync(full, (unsigned long long)key);
            const bool leader = valid && (__ffs(group) - 1) == lane;
            T acc = leader ? dst[at] : T(0);
            for (int k = 0; k < 32; ++k) {
                const T v = __shfl_sync(full, gv, k);
                if (leader && ((group >> k) & 1u)) acc += v;
            }
            if (leader) dst[at] = acc;
            // Makes this chunk's writes visible to the lanes that lead the next one.
            __syncwarp();
        }
    }
}

#define LL_MAX_POOL2D(T, S)                                                                                      \
    extern "C" __global__ void max_pool2d_##S(T* out, ll_i64* idx, const T* x, Nchw xs, PoolGeo g, ll_i64 n_out) { \
        max_pool2d_body<T>(out, idx, x, xs, g, n_out);                                                           \
    }                                                                                                            \
    extern "C" __global__ void max_pool2d_backward_##S(T* dx, const T* g, Nchw gs, const ll_i64* idx, Nchw is,   \
                                                       ll_i64 planes, int c, int hw, int oh, int ow,             \
                                                       ll_u64* fault) {                                          \
        max_pool2d_backward_body<T>(dx, g, gs, idx, is, planes, c, hw, oh, ow, fault);                           \
    }
LL_FOR_FLOATS(LL_MAX_POOL2D)
