// Tiled matrix products: the batched strided matmul and the three directions of conv2d, all as
// C[m, col] = Σ_k A[m, k]·B[k, col] on one shared-memory tile core. A convolution's operands are
// read straight from its tensors (implicit GEMM, no im2col buffer): a "problem" struct says where
// A[m, k] and B[k, col] live and where C[m, col] goes, the core does the tiling.
//
// Tiling: a block computes a BM × BN tile of C with (BM/TM)·(BN/TN) = 256 threads, TM × TN
// results per thread held in registers. The K loop stages BK-deep slices of A and B in shared
// memory; the next slice is read from global memory into registers while the current one is
// multiplied (one buffer, two barriers a slice). Thread (ty, tx) owns rows ty + i·TY and columns
// tx + j·TX: a warp's shared reads are then broadcasts (A) or consecutive words (B), and its
// stores of C are consecutive columns.
//
// Split-K: with `splits` > 1 the K range is cut into chunks of `k_chunk` (a multiple of BK) and
// split s writes its partial product to out + s·(size of C); gemm_splitk_reduce then adds the
// partials in split order. Deterministic (no atomics) and it gives tall-K products — the weight
// gradient of a convolution sums over N·OH·OW — enough blocks to fill the GPU.
//
// Limits (checked by the launcher): M, N, K < 2^30; element offsets are 64-bit.

// One matrix operand of matmul: element (g, r, c) of a batch of matrices sits at
// offset + g·batch_stride + r·row_stride + c·col_stride. Mirrored by `GemmOperand` in
// src/backend/cuda/matmul.rs (same fields, same order).
struct GemmOperand {
    ll_i64 offset, batch_stride, row_stride, col_stride;
};

// The geometry every convolution direction shares: x [nb, ci, h, w], w [co, ci, kh, kw],
// y [nb, co, oh, ow]; stride, padding, dilation per axis. Passed by value; mirrored by
// `ConvGeometry` in src/backend/cuda/conv.rs (same fields, same order).
struct ConvGeo {
    int nb, ci, h, w, co, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw;
};

namespace gemm {

constexpr int BK = 16;

// n / d and n % d for a divisor fixed per launch, by multiply-high and shift (Granlund and
// Montgomery, as PyTorch's IntDivider): exact for 0 <= n < 2^31 and 1 <= d <= 2^31, and a few
// instructions instead of a ~20-instruction integer division in the operand loads.
struct FastDiv {
    unsigned d, mul, shift;
    __device__ explicit FastDiv(unsigned divisor) : d(divisor), mul(1), shift(0) {
        while (shift < 31 && (1u << shift) < d) ++shift;
        const ll_u64 one = 1;
        mul = (unsigned)(((one << 32) * ((one << shift) - d)) / d + 1);
    }
    __device__ __forceinline__ int div(int n) const {
        return (int)((__umulhi((unsigned)n, mul) + (unsigned)n) >> shift);
    }
};

template <typename T>
__device__ __forceinline__ T load(const T* p) {
    return __ldg(p);
}

// Reads the BM × BK slice of A at (m0, k0) into registers, `LA` elements a thread. Consecutive
// threads take consecutive k when A is contiguous along k (`k_fast`), else consecutive m, so that
// global reads coalesce for plain and transposed operands alike.
template <typename T, int BM, int NT, int LA, class P>
__device__ __forceinline__ void load_a(P& p, T (&r)[LA], int m0, int k0, int M, int k_end, int tid) {
    const bool k_fast = p.a_k_fast();
#pragma unroll
    for (int q = 0; q < LA; ++q) {
        const int e = tid + q * NT;
        const int row = k_fast ? e / BK : e % BM;
        const int kk = k_fast ? e % BK : e / BM;
        const int m = m0 + row, k = k0 + kk;
        r[q] = (m < M && k < k_end) ? p.load_a(m, k) : T(0);
    }
}

template <typename T, int BM, int NT, int LA>
__device__ __forceinline__ void stage_a(T (*As)[BM + 1], const T (&r)[LA], bool k_fast, int tid) {
#pragma unroll
    for (int q = 0; q < LA; ++q) {
        const int e = tid + q * NT;
        const int row = k_fast ? e / BK : e % BM;
        const int kk = k_fast ? e % BK : e / BM;
        As[kk][row] = r[q];
    }
}

// Reads the BK × BN slice of B at (k0, n0): consecutive threads take consecutive columns when B
// is contiguous along them (`n_fast`), else consecutive k.
template <typename T, int BN, int NT, int LB, class P>
__device__ __forceinline__ void load_b(P& p, T (&r)[LB], int k0, int n0, int N, int k_end, int tid) {
    const bool n_fast = p.b_n_fast();
#pragma unroll
    for (int q = 0; q < LB; ++q) {
        const int e = tid + q * NT;
        const int kk = n_fast ? e / BN : e % BK;
        const int col = n_fast ? e % BN : e / BK;
        const int k = k0 + kk, n = n0 + col;
        r[q] = (k < k_end && n < N) ? p.load_b(k, n) : T(0);
    }
}

template <typename T, int BN, int NT, int LB>
__device__ __forceinline__ void stage_b(T (*Bs)[BN + 1], const T (&r)[LB], bool n_fast, int tid) {
#pragma unroll
    for (int q = 0; q < LB; ++q) {
        const int e = tid + q * NT;
        const int kk = n_fast ? e / BN : e % BK;
        const int col = n_fast ? e % BN : e / BK;
        Bs[kk][col] = r[q];
    }
}

// The tile core. `groups` independent products (the matmul batch) times `splits` K-chunks are
// spread over gridDim.z; M tiles over gridDim.y, N tiles over gridDim.x, each with a grid-stride
// loop so that any size fits the grid limits. Every loop bound is uniform over the block, so
// the barriers inside are reached by all its threads.
template <typename T, int BM, int BN, int TM, int TN, class P>
__device__ __forceinline__ void tiled(P& p, int M, int N, int K, ll_i64 groups, int splits, int k_chunk) {
    constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
    constexpr int LA = BM * BK / NT, LB = BK * BN / NT;
    static_assert(BM % TM == 0 && BN % TN == 0, "tile not divisible by the thread block");
    static_assert((BM * BK) % NT == 0 && (BK * BN) % NT == 0, "slices must split evenly over threads");
    static_assert(NT % BN == 0 && NT % BK == 0, "each thread keeps one column / one k of B per slice");
    // +1: the k-fast staging writes As[k][row] with consecutive k across threads; an odd row
    // length puts those writes in different banks.
    __shared__ T As[BK][BM + 1];
    __shared__ T Bs[BK][BN + 1];
    const int tid = threadIdx.x;
    const int tx = tid % TX, ty = tid / TX;
    const int m_tiles = (M + BM - 1) / BM, n_tiles = (N + BN - 1) / BN;
    const ll_i64 zs = groups * splits;
    for (ll_i64 z = blockIdx.z; z < zs; z += gridDim.z) {
        const int split = (int)(z % splits);
        p.set_group(z / splits, split);
        const int k_begin = split * k_chunk;
        const int k_end = min(K, k_begin + k_chunk);
        for (int mt = blockIdx.y; mt < m_tiles; mt += gridDim.y) {
            for (int nt = blockIdx.x; nt < n_tiles; nt += gridDim.x) {
                const int m0 = mt * BM, n0 = nt * BN;
                T acc[TM][TN];
#pragma unroll
                for (int i = 0; i < TM; ++i)
#pragma unroll
                    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);
                T ra[LA], rb[LB];
                if (k_begin < k_end) {
                    load_a<T, BM, NT, LA>(p, ra, m0, k_begin, M, k_end, tid);
                    load_b<T, BN, NT, LB>(p, rb, k_begin, n0, N, k_end, tid);
                }
                for (int k0 = k_begin; k0 < k_end; k0 += BK) {
                    stage_a<T, BM, NT, LA>(As, ra, p.a_k_fast(), tid);
                    stage_b<T, BN, NT, LB>(Bs, rb, p.b_n_fast(), tid);
                    __syncthreads();
                    if (k0 + BK < k_end) {
                        // In flight while the staged slice is multiplied.
                        load_a<T, BM, NT, LA>(p, ra, m0, k0 + BK, M, k_end, tid);
                        load_b<T, BN, NT, LB>(p, rb, k0 + BK, n0, N, k_end, tid);
                    }
#pragma unroll
                    for (int kk = 0; kk < BK; ++kk) {
                        T av[TM], bv[TN];
#pragma unroll
                        for (int i = 0; i < TM; ++i) av[i] = As[kk][ty + i * TY];
#pragma unroll
                        for (int j = 0; j < TN; ++j) bv[j] = Bs[kk][tx + j * TX];
#pragma unroll
                        for (int i = 0; i < TM; ++i)
#pragma unroll
                            for (int j = 0; j < TN; ++j) acc[i][j] += av[i] * bv[j];
                    }
                    // The next iteration overwrites the slice everyone is reading.
                    __syncthreads();
                }
#pragma unroll
                for (int i = 0; i < TM; ++i) {
                    const int m = m0 + ty + i * TY;
                    if (m >= M) continue;
#pragma unroll
                    for (int j = 0; j < TN; ++j) {
                        const int n = n0 + tx + j * TX;
                        if (n < N) p.store(m, n, acc[i][j]);
                    }
                }
            }
        }
    }
}

// ---- batched strided matmul: C[g] = A[g]·B[g], A [M, K], B [K, N], C contiguous [M, N] ----


template <typename T>
struct Matmul {
    const T* a;
    const T* b;
    T* c;
    GemmOperand as, bs;
    ll_i64 groups;
    int M, N;
    bool ak, bn;
    const T* ag;
    const T* bg;
    T* cg;

    __device__ void set_group(ll_i64 g, int split) {
        ag = a + as.offset + g * as.batch_stride;
        bg = b + bs.offset + g * bs.batch_stride;
        cg = c + ((ll_i64)split * groups + g) * M * N;
    }
    __device__ bool a_k_fast() const { return ak; }
    __device__ bool b_n_fast() const { return bn; }
    __device__ T load_a(int m, int k) { return load(ag + m * as.row_stride + k * as.col_stride); }
    __device__ T load_b(int k, int n) { return load(bg + k * bs.row_stride + n * bs.col_stride); }
    __device__ void store(int m, int n, T v) { cg[(ll_i64)m * N + n] = v; }
};

template <typename T, int BM, int BN, int TM, int TN>
__device__ __forceinline__ void matmul(T* c, const T* a, const GemmOperand& as, const T* b, const GemmOperand& bs,
                                       int batch, int M, int N, int K, int splits, int k_chunk) {
    Matmul<T> p;
    p.a = a;
    p.b = b;
    p.c = c;
    p.as = as;
    p.bs = bs;
    p.groups = batch;
    p.M = M;
    p.N = N;
    // Coalesce along the unit stride: k for a row-major A, m for a transposed one.
    p.ak = as.col_stride == 1 || as.row_stride != 1;
    p.bn = bs.col_stride == 1 || bs.row_stride != 1;
    tiled<T, BM, BN, TM, TN>(p, M, N, K, batch, splits, k_chunk);
}

// ---- conv2d as implicit GEMMs (contiguous operands, groups = 1) ----


// Forward: y[n, o, oy, ox] = Σ_{c, i, j} w[o, c, i, j]·x[n, c, oy·sh - ph + i·dh, ox·sw - pw + j·dw].
// M = CO, columns = NB·OH·OW (n, oy, ox), K = CI·KH·KW (c, i, j).
template <typename T>
struct ConvForward {
    const T* x;
    const T* w;
    T* y;
    ConvGeo g;
    FastDiv d_khkw, d_kw, d_ohw, d_ow;
    ll_i64 out_size;
    T* yg;
    // The decoded column of the last B read: a thread reads one column per slice.
    int col_key;
    ll_i64 col_base;
    int iy0, ix0;

    __device__ ConvForward(const T* x_, const T* w_, T* y_, const ConvGeo& g_)
        : x(x_), w(w_), y(y_), g(g_), d_khkw(g_.kh * g_.kw), d_kw(g_.kw), d_ohw(g_.oh * g_.ow), d_ow(g_.ow),
          out_size((ll_i64)g_.nb * g_.co * g_.oh * g_.ow), yg(y_), col_key(-1), col_base(0), iy0(0), ix0(0) {}

    __device__ void set_group(ll_i64, int split) { yg = y + split * out_size; }
    __device__ bool a_k_fast() const { return true; }
    __device__ bool b_n_fast() const { return true; }
    __device__ T load_a(int m, int k) { return load(w + (ll_i64)m * (g.ci * g.kh * g.kw) + k); }
    __device__ T load_b(int k, int col) {
        if (col != col_key) {
            const int n = d_ohw.div(col);
            const int p = col - n * d_ohw.d;
            const int oy = d_ow.div(p);
            const int ox = p - oy * g.ow;
            col_base = (ll_i64)n * g.ci * g.h * g.w;
            iy0 = oy * g.sh - g.ph;
            ix0 = ox * g.sw - g.pw;
            col_key = col;
        }
        const int c = d_khkw.div(k);
        const int r = k - c * d_khkw.d;
        const int i = d_kw.div(r);
        const int j = r - i * g.kw;
        const int iy = iy0 + i * g.dh, ix = ix0 + j * g.dw;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return T(0);
        return load(x + col_base + ((ll_i64)c * g.h + iy) * g.w + ix);
    }
    __device__ void store(int m, int col, T v) {
        const int n = d_ohw.div(col);
        const int p = col - n * d_ohw.d;
        yg[((ll_i64)n * g.co + m) * d_ohw.d + p] = v;
    }
};

// Input gradient (transposed convolution): dx[n, c, iy, ix] = Σ_{o, i, j} w[o, c, i, j]·dy[n, o,
// oy, ox] over the taps with iy = oy·sh - ph + i·dh and ix likewise (skipping taps whose oy, ox
// is fractional or outside the output). M = CI, columns = NB·H·W (n, iy, ix), K = CO·KH·KW.
template <typename T>
struct ConvInputGrad {
    const T* dy;
    const T* w;
    T* dx;
    ConvGeo g;
    FastDiv d_khkw, d_kw, d_hw, d_w, d_sh, d_sw;
    ll_i64 out_size;
    T* dxg;
    int col_key;
    ll_i64 col_base;
    int iy, ix;

    __device__ ConvInputGrad(const T* dy_, const T* w_, T* dx_, const ConvGeo& g_)
        : dy(dy_), w(w_), dx(dx_), g(g_), d_khkw(g_.kh * g_.kw), d_kw(g_.kw), d_hw(g_.h * g_.w), d_w(g_.w),
          d_sh(g_.sh), d_sw(g_.sw), out_size((ll_i64)g_.nb * g_.ci * g_.h * g_.w), dxg(dx_), col_key(-1),
          col_base(0), iy(0), ix(0) {}

    __device__ void set_group(ll_i64, int split) { dxg = dx + split * out_size; }
    __device__ bool a_k_fast() const { return true; }
    __device__ bool b_n_fast() const { return true; }
    __device__ T load_a(int m, int k) {
        const int o = d_khkw.div(k);
        const int r = k - o * d_khkw.d;
        return load(w + ((ll_i64)o * g.ci + m) * d_khkw.d + r);
    }
    __device__ T load_b(int k, int col) {
        if (col != col_key) {
            const int n = d_hw.div(col);
            const int p = col - n * d_hw.d;
            iy = d_w.div(p);
            ix = p - iy * g.w;
            col_base = (ll_i64)n * g.co * g.oh * g.ow;
            col_key = col;
        }
        const int o = d_khkw.div(k);
        const int r = k - o * d_khkw.d;
        const int i = d_kw.div(r);
        const int j = r - i * g.kw;
        const int ty = iy + g.ph - i * g.dh, tx = ix + g.pw - j * g.dw;
        if (ty < 0 || tx < 0) return T(0);
        const int oy = d_sh.div(ty), ox = d_sw.div(tx);
        if (oy * g.sh != ty || ox * g.sw != tx || oy >= g.oh || ox >= g.ow) return T(0);
        return load(dy + col_base + ((ll_i64)o * g.oh + oy) * g.ow + ox);
    }
    __device__ void store(int m, int col, T v) {
        const int n = d_hw.div(col);
        const int p = col - n * d_hw.d;
        dxg[((ll_i64)n * g.ci + m) * d_hw.d + p] = v;
    }
};

// Weight gradient: dw[o, c, i, j] = Σ_{n, oy, ox} dy[n, o, oy, ox]·x[n, c, oy·sh - ph + i·dh,
// ox·sw - pw + j·dw]. M = CO, columns = CI·KH·KW (c, i, j), K = NB·OH·OW (n, oy, ox): a long K,
// so the launcher splits it. Both operands are contiguous along K, so both load k-fast.
template <typename T>
struct ConvWeightGrad {
    const T* x;
    const T* dy;
    T* dw;
    ConvGeo g;
    FastDiv d_khkw, d_kw, d_ohw, d_ow;
    ll_i64 out_size;
    T* dwg;
    // The decoded k of the last A and B reads: a thread reads one k per slice of each.
    int a_key, b_key;
    ll_i64 a_base, b_base;
    int iy0, ix0;

    __device__ ConvWeightGrad(const T* x_, const T* dy_, T* dw_, const ConvGeo& g_)
        : x(x_), dy(dy_), dw(dw_), g(g_), d_khkw(g_.kh * g_.kw), d_kw(g_.kw), d_ohw(g_.oh * g_.ow), d_ow(g_.ow),
          out_size((ll_i64)g_.co * g_.ci * g_.kh * g_.kw), dwg(dw_), a_key(-1), b_key(-1), a_base(0), b_base(0),
          iy0(0), ix0(0) {}

    __device__ void set_group(ll_i64, int split) { dwg = dw + split * out_size; }
    __device__ bool a_k_fast() const { return true; }
    __device__ bool b_n_fast() const { return false; }
    __device__ T load_a(int m, int k) {
        if (k != a_key) {
            const int n = d_ohw.div(k);
            const int p = k - n * d_ohw.d;
            a_base = (ll_i64)n * g.co * d_ohw.d + p;
            a_key = k;
        }
        return load(dy + a_base + (ll_i64)m * d_ohw.d);
    }
    __device__ T load_b(int k, int col) {
        if (k != b_key) {
            const int n = d_ohw.div(k);
            const int p = k - n * d_ohw.d;
            const int oy = d_ow.div(p);
            const int ox = p - oy * g.ow;
            b_base = (ll_i64)n * g.ci * g.h * g.w;
            iy0 = oy * g.sh - g.ph;
            ix0 = ox * g.sw - g.pw;
            b_key = k;
        }
        const int c = d_khkw.div(col);
        const int r = col - c * d_khkw.d;
        const int i = d_kw.div(r);
        const int j = r - i * g.kw;
        const int iy = iy0 + i * g.dh, ix = ix0 + j * g.dw;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return T(0);
        return load(x + b_base + ((ll_i64)c * g.h + iy) * g.w + ix);
    }
    __device__ void store(int m, int col, T v) { dwg[(ll_i64)m * (g.ci * d_khkw.d) + col] = v; }
};

constexpr int TILE = 64, MICRO = 4;

template <typename T>
__device__ __forceinline__ void conv2d(const T* x, const T* w, T* y, const ConvGeo& g, int splits, int k_chunk) {
    ConvForward<T> p(x, w, y, g);
    tiled<T, TILE, TILE, MICRO, MICRO>(p, g.co, g.nb * g.oh * g.ow, g.ci * g.kh * g.kw, 1, splits, k_chunk);
}

template <typename T>
__device__ __forceinline__ void conv2d_input_grad(const T* dy, const T* w, T* dx, const ConvGeo& g, int splits,
                                                  int k_chunk) {
    ConvInputGrad<T> p(dy, w, dx, g);
    tiled<T, TILE, TILE, MICRO, MICRO>(p, g.ci, g.nb * g.h * g.w, g.co * g.kh * g.kw, 1, splits, k_chunk);
}

template <typename T>
__device__ __forceinline__ void conv2d_weight_grad(const T* x, const T* dy, T* dw, const ConvGeo& g, int splits,
                                                   int k_chunk) {
    ConvWeightGrad<T> p(x, dy, dw, g);
    tiled<T, TILE, TILE, MICRO, MICRO>(p, g.co, g.ci * g.kh * g.kw, g.nb * g.oh * g.ow, 1, splits, k_chunk);
}

// out[i] = Σ_s partials[s·count + i], s in order: the split-K partial products added up.
template <typename T>
__device__ __forceinline__ void splitk_reduce(const T* partials, T* out, int splits, ll_i64 count) {
    const ll_i64 stride = (ll_i64)gridDim.x * blockDim.x;
    for (ll_i64 i = (ll_i64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        T s = partials[i];
        for (int k = 1; k < splits; ++k) s += partials[k * count + i];
        out[i] = s;
    }
}

}  // namespace gemm

// ---- exported kernels: f32 and f64 instantiations, output first as in the other kernel files ----

// matmul(c, a, a_desc, b, b_desc, batch, M, N, K, splits, k_chunk): c [batch, M, N] (or the
// partials [splits, batch, M, N]); 64 × 64 tiles of 4 × 4 a thread, or 128 × 128 tiles of
// 8 × 8 for large products.
#define GEMM_MATMUL(T, S)                                                                                      \
    extern "C" __global__ void __launch_bounds__(256)                                                          \
        matmul_##S(T* c, const T* a, GemmOperand as, const T* b, GemmOperand bs, int batch, int M, int N,     \
                   int K, int splits, int k_chunk) {                                                           \
        gemm::matmul<T, 64, 64, 4, 4>(c, a, as, b, bs, batch, M, N, K, splits, k_chunk);                       \
    }                                                                                                          \
    extern "C" __global__ void __launch_bounds__(256)                                                          \
        matmul_128_##S(T* c, const T* a, GemmOperand as, const T* b, GemmOperand bs, int batch, int M, int N, \
                       int K, int splits, int k_chunk) {                                                       \
        gemm::matmul<T, 128, 128, 8, 8>(c, a, as, b, bs, batch, M, N, K, splits, k_chunk);                     \
    }
LL_FOR_FLOATS(GEMM_MATMUL)

// conv2d(y, x, w, geo, …), conv2d_input_grad(dx, dy, w, geo, …), conv2d_weight_grad(dw, x, dy,
// geo, …): the output (or its partials [splits, …]) first, then the two operands.
#define GEMM_CONV_ONE(NAME, S, T)                                                                          \
    extern "C" __global__ void __launch_bounds__(256)                                                      \
        NAME##_##S(T* out, const T* p0, const T* p1, ConvGeo g, int splits, int k_chunk) {                 \
        gemm::NAME<T>(p0, p1, out, g, splits, k_chunk);                                                    \
    }
#define GEMM_CONV(T, S)                       \
    GEMM_CONV_ONE(conv2d, S, T)               \
    GEMM_CONV_ONE(conv2d_input_grad, S, T)    \
    GEMM_CONV_ONE(conv2d_weight_grad, S, T)
LL_FOR_FLOATS(GEMM_CONV)

// out = Σ_s partials[s] (count elements each), s in order.
#define GEMM_SPLITK_REDUCE(T, S)                                                                             \
    extern "C" __global__ void gemm_splitk_reduce_##S(T* out, const T* partials, int splits, ll_i64 count) { \
        gemm::splitk_reduce<T>(partials, out, splits, count);                                                \
    }
LL_FOR_FLOATS(GEMM_SPLITK_REDUCE)
