// Elementwise comparisons (CmpOp) of two tensors of one dtype, giving a Bool mask (one byte per
// element, 0 or 1). Any comparison with NaN is false except `!=`, as IEEE and the CPU backend.

// Op codes: the order of `compare_code` in src/backend/cuda/elementwise.rs.
#define LL_EQ 0
#define LL_NE 1
#define LL_LT 2
#define LL_LE 3
#define LL_GT 4
#define LL_GE 5

template <class T>
__device__ __forceinline__ bool compare_apply(int op, T x, T y) {
    switch (op) {
        case LL_EQ: return x == y;
        case LL_NE: return x != y;
        case LL_LT: return x < y;
        case LL_LE: return x <= y;
        case LL_GT: return x > y;
        case LL_GE: return x >= y;
        default: return false;  // unreachable: the host passes only the codes above
    }
}

template <class T>
__device__ void compare_body(ll_u8* out, const T* a, Strided as, const T* b, Strided bs, ll_i64 n, int op) {
    LL_FOR_EACH(i, n) { out[i] = compare_apply<T>(op, a[ll_offset(as, i)], b[ll_offset(bs, i)]) ? 1 : 0; }
}

#define LL_COMPARE(T, S)                                                                               \
    extern "C" __global__ void compare_##S(ll_u8* out, const T* a, Strided as, const T* b, Strided bs, \
                                           ll_i64 n, int op) {                                         \
        compare_body<T>(out, a, as, b, bs, n, op);                                                     \
    }
LL_FOR_ALL(LL_COMPARE)
