// Elementwise functions of two float tensors (BinaryOp), both strided over the output shape
// (broadcast operands carry zero strides), contiguous output. NaN propagates through maximum
// and minimum as in torch.maximum / torch.minimum and the CPU backend.

// Op codes: the order of `binary_code` in src/backend/cuda/elementwise.rs.
#define LL_ADD 0
#define LL_SUB 1
#define LL_MUL 2
#define LL_DIV 3
#define LL_POW 4
#define LL_MAXIMUM 5
#define LL_MINIMUM 6

__device__ __forceinline__ float ll_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double ll_pow(double x, double y) { return pow(x, y); }

template <class T>
__device__ __forceinline__ T binary_apply(int op, T x, T y) {
    switch (op) {
        case LL_ADD: return x + y;
        case LL_SUB: return x - y;
        case LL_MUL: return x * y;
        case LL_DIV: return x / y;
        case LL_POW: return ll_pow(x, y);
        case LL_MAXIMUM: return (ll_is_nan(x) || x > y) ? x : y;
        case LL_MINIMUM: return (ll_is_nan(x) || x < y) ? x : y;
        default: return x;  // unreachable: the host passes only the codes above
    }
}

template <class T>
__device__ void binary_body(T* out, const T* a, Strided as, const T* b, Strided bs, ll_i64 n, int op) {
    LL_FOR_EACH(i, n) { out[i] = binary_apply<T>(op, a[ll_offset(as, i)], b[ll_offset(bs, i)]); }
}

#define LL_BINARY(T, S)                                                                            \
    extern "C" __global__ void binary_##S(T* out, const T* a, Strided as, const T* b, Strided bs, \
                                          ll_i64 n, int op) {                                     \
        binary_body<T>(out, a, as, b, bs, n, op);                                                 \
    }
LL_FOR_FLOATS(LL_BINARY)
