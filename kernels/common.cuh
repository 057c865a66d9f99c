// Prelude of every learnloss CUDA kernel file. src/backend/cuda/sources.rs prepends it to each
// kernels/*.cu before NVRTC compiles the file, so kernel files #include nothing of the project.
//
// Conventions (every file follows them):
// - One templated __device__ body per kernel and `extern "C"` __global__ instantiations named
//   `<kernel>_<f32|f64|i64|u8>`, generated with LL_FOR_FLOATS / LL_FOR_NUMBERS / LL_FOR_ALL.
// - Element counts, offsets and indices are 64-bit (`ll_i64`): tensors past 2^31 elements work.
// - 1-D launches use grid-stride loops (LL_FOR_EACH), so any grid size covers any count.
// - Device pointers arrive as plain 64-bit addresses of element 0 of the buffer.

typedef long long ll_i64;
typedef unsigned long long ll_u64;
typedef unsigned char ll_u8;

// Largest rank a strided descriptor holds; src/backend/cuda/strided.rs mirrors it (MAX_RANK)
// and merges dimensions before refusing a layout.
#define LL_MAX_RANK 12

// A strided operand: element i (row-major over `shape`) sits at offset + sum_d coord_d*strides_d.
// Passed by value (kernel parameter space). Mirrored by `Strided` in src/backend/cuda/strided.rs:
// same field order, #[repr(C)].
struct Strided {
    ll_i64 shape[LL_MAX_RANK];
    ll_i64 strides[LL_MAX_RANK];
    ll_i64 offset;
    int rank;
    // 1 when every element index and every dimension fits in 32 bits (the host checks
    // numel < 2^32): the index decode then divides in 32 bits, several times cheaper.
    int small;
};

// Storage offset of element `i` of operand `d`. Dimensions are walked innermost first; the
// unrolled loop with a rank guard keeps every array index static, so the descriptor is read
// straight from parameter space instead of being copied to local memory.
__device__ __forceinline__ ll_i64 ll_offset(const Strided& d, ll_i64 i) {
    if (d.rank == 1) return d.offset + i * d.strides[0];
    ll_i64 off = d.offset;
    if (d.small) {
        unsigned int rem = (unsigned int)i;
#pragma unroll
        for (int k = LL_MAX_RANK - 1; k >= 0; --k) {
            if (k < d.rank) {
                unsigned int s = (unsigned int)d.shape[k];
                off += (ll_i64)(rem % s) * d.strides[k];
                rem /= s;
            }
        }
    } else {
        ll_u64 rem = (ll_u64)i;
#pragma unroll
        for (int k = LL_MAX_RANK - 1; k >= 0; --k) {
            if (k < d.rank) {
                ll_u64 s = (ll_u64)d.shape[k];
                off += (ll_i64)(rem % s) * d.strides[k];
                rem /= s;
            }
        }
    }
    return off;
}

// Row-major coordinates of element `i` over `d.shape` (entries past d.rank are left alone).
__device__ __forceinline__ void ll_coords(const Strided& d, ll_i64 i, ll_i64* coord) {
    ll_u64 rem = (ll_u64)i;
#pragma unroll
    for (int k = LL_MAX_RANK - 1; k >= 0; --k) {
        if (k < d.rank) {
            ll_u64 s = (ll_u64)d.shape[k];
            coord[k] = (ll_i64)(rem % s);
            rem /= s;
        }
    }
}

// Grid-stride loop over [0, n): correct for any grid size, 64-bit throughout.
#define LL_FOR_EACH(i, n)                                                         \
    for (ll_i64 i = (ll_i64)blockIdx.x * blockDim.x + threadIdx.x; i < (ll_i64)(n); \
         i += (ll_i64)blockDim.x * gridDim.x)

// A grid-stride loop with one warp per item: `w` is the same for the 32 lanes of a warp, so
// shuffles inside the loop see full warps (blockDim.x a multiple of 32).
#define LL_FOR_EACH_WARP(w, n)                                                                   \
    for (ll_i64 w = (ll_i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); w < (ll_i64)(n); \
         w += (ll_i64)gridDim.x * (blockDim.x >> 5))

// Instantiation lists: M(type, suffix) for each dtype of the set.
#define LL_FOR_FLOATS(M) M(float, f32) M(double, f64)
#define LL_FOR_NUMBERS(M) M(float, f32) M(double, f64) M(ll_i64, i64)
#define LL_FOR_ALL(M) M(float, f32) M(double, f64) M(ll_i64, i64) M(ll_u8, u8)

// ---- Element rules, the same as the CPU backend's `Element` (src/backend/cpu/element.rs) ----

__device__ __forceinline__ bool ll_is_nan(float x) { return x != x; }
__device__ __forceinline__ bool ll_is_nan(double x) { return x != x; }
__device__ __forceinline__ bool ll_is_nan(ll_i64) { return false; }
__device__ __forceinline__ bool ll_is_nan(ll_u8) { return false; }

// Addition: IEEE for floats, wrapping for int64 (signed overflow is undefined in C++, so the
// sum is taken unsigned), logical or for bools.
__device__ __forceinline__ float ll_plus(float a, float b) { return a + b; }
__device__ __forceinline__ double ll_plus(double a, double b) { return a + b; }
__device__ __forceinline__ ll_i64 ll_plus(ll_i64 a, ll_i64 b) { return (ll_i64)((ll_u64)a + (ll_u64)b); }
__device__ __forceinline__ ll_u8 ll_plus(ll_u8 a, ll_u8 b) { return (ll_u8)(a | b); }

// Every conversion goes through double, as the CPU's `U::from_f64(x.to_f64())` does (so an
// int64 becomes a float32 by way of a double, with the same double rounding).
__device__ __forceinline__ double ll_to_f64(float x) { return (double)x; }
__device__ __forceinline__ double ll_to_f64(double x) { return x; }
__device__ __forceinline__ double ll_to_f64(ll_i64 x) { return (double)x; }
__device__ __forceinline__ double ll_to_f64(ll_u8 x) { return (double)x; }

template <class T> __device__ __forceinline__ T ll_from_f64(double v);
template <> __device__ __forceinline__ float ll_from_f64<float>(double v) { return (float)v; }
template <> __device__ __forceinline__ double ll_from_f64<double>(double v) { return v; }
// Rust's `v as i64`: truncation toward zero, saturating at the range ends, NaN to 0. Spelled
// out because an out-of-range conversion is undefined behaviour in C++.
template <> __device__ __forceinline__ ll_i64 ll_from_f64<ll_i64>(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return 9223372036854775807LL;
    if (v <= -9223372036854775808.0) return (ll_i64)(-9223372036854775807LL - 1);
    return (ll_i64)v;
}
// Bool: any non-zero value (NaN included) is true.
template <> __device__ __forceinline__ ll_u8 ll_from_f64<ll_u8>(double v) { return v != 0.0 ? 1 : 0; }

// The identities of max and min (the value that loses to every other).
template <class T> struct LlLimits;
template <> struct LlLimits<float> {
    __device__ static float lowest() { return __int_as_float(0xff800000); }   // -inf
    __device__ static float highest() { return __int_as_float(0x7f800000); }  // +inf
};
template <> struct LlLimits<double> {
    __device__ static double lowest() { return __longlong_as_double(0xfff0000000000000ULL); }
    __device__ static double highest() { return __longlong_as_double(0x7ff0000000000000ULL); }
};
template <> struct LlLimits<ll_i64> {
    __device__ static ll_i64 lowest() { return (ll_i64)(-9223372036854775807LL - 1); }
    __device__ static ll_i64 highest() { return 9223372036854775807LL; }
};
template <> struct LlLimits<ll_u8> {
    __device__ static ll_u8 lowest() { return 0; }
    __device__ static ll_u8 highest() { return 1; }
};

// Warp shuffles of 64-bit and byte values (the intrinsics take int, long long, float, double).
__device__ __forceinline__ float ll_shfl_down(float v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ double ll_shfl_down(double v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ ll_i64 ll_shfl_down(ll_i64 v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ ll_u8 ll_shfl_down(ll_u8 v, int d) {
    return (ll_u8)__shfl_down_sync(0xffffffffu, (int)v, d);
}

// ---- Device-side faults (an index out of bounds) ----
//
// Ops never wait for the device, so a kernel cannot fail the op that launched it. A kernel that
// finds a bad index records the first one here (flag, op code, index, size, dim) and writes a
// harmless value; the host reads this record at the next read-back or synchronize and returns
// an error naming the op (src/backend/cuda/fault.rs holds the op names of these codes).
#define LL_FAULT_GATHER 1
#define LL_FAULT_SCATTER_ADD 2
#define LL_FAULT_INDEX_SELECT 3
#define LL_FAULT_MAX_POOL2D_BACKWARD 4

__device__ __forceinline__ void ll_report_index_fault(ll_u64* fault, int op, ll_i64 index, ll_i64 size, int dim) {
    if (atomicCAS(fault, 0ULL, 1ULL) == 0ULL) {
        fault[1] = (ll_u64)op;
        fault[2] = (ll_u64)index;
        fault[3] = (ll_u64)size;
        fault[4] = (ll_u64)dim;
    }
}
