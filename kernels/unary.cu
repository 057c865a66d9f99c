// Elementwise functions of one float tensor (UnaryOp), strided input, contiguous output.
// Semantics match src/backend/cpu/elementwise.rs exactly: sign(0) = 0, sign(NaN) = NaN, relu
// keeps NaN, sigmoid split by sign so exp never overflows.

// Op codes: the order of `unary_code` in src/backend/cuda/elementwise.rs.
#define LL_NEG 0
#define LL_RECIP 1
#define LL_EXP 2
#define LL_LOG 3
#define LL_LOG1P 4
#define LL_SQRT 5
#define LL_SQUARE 6
#define LL_TANH 7
#define LL_SIGMOID 8
#define LL_RELU 9
#define LL_ABS 10
#define LL_SIGN 11
#define LL_SIN 12
#define LL_COS 13

// The libm function of each precision, named once so the templates below stay generic.
__device__ __forceinline__ float ll_exp(float x) { return expf(x); }
__device__ __forceinline__ double ll_exp(double x) { return exp(x); }
__device__ __forceinline__ float ll_log(float x) { return logf(x); }
__device__ __forceinline__ double ll_log(double x) { return log(x); }
__device__ __forceinline__ float ll_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double ll_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float ll_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double ll_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float ll_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double ll_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float ll_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double ll_abs(double x) { return fabs(x); }
__device__ __forceinline__ float ll_sin(float x) { return sinf(x); }
__device__ __forceinline__ double ll_sin(double x) { return sin(x); }
__device__ __forceinline__ float ll_cos(float x) { return cosf(x); }
__device__ __forceinline__ double ll_cos(double x) { return cos(x); }

template <class T>
__device__ __forceinline__ T unary_apply(int op, T x) {
    const T zero = (T)0;
    const T one = (T)1;
    switch (op) {
        case LL_NEG: return -x;
        case LL_RECIP: return one / x;
        case LL_EXP: return ll_exp(x);
        case LL_LOG: return ll_log(x);
        case LL_LOG1P: return ll_log1p(x);
        case LL_SQRT: return ll_sqrt(x);
        case LL_SQUARE: return x * x;
        case LL_TANH: return ll_tanh(x);
        case LL_SIGMOID:
            if (x >= zero) return one / (one + ll_exp(-x));
            else {
                T e = ll_exp(x);
                return e / (one + e);
            }
        case LL_RELU: return (x > zero || ll_is_nan(x)) ? x : zero;
        case LL_ABS: return ll_abs(x);
        case LL_SIGN:
            if (x > zero) return one;
            if (x < zero) return -one;
            if (ll_is_nan(x)) return x;
            return zero;
        case LL_SIN: return ll_sin(x);
        case LL_COS: return ll_cos(x);
        default: return x;  // unreachable: the host passes only the codes above
    }
}

template <class T>
__device__ void unary_body(T* out, const T* x, Strided xs, ll_i64 n, int op) {
    LL_FOR_EACH(i, n) { out[i] = unary_apply<T>(op, x[ll_offset(xs, i)]); }
}

#define LL_UNARY(T, S)                                                                       \
    extern "C" __global__ void unary_##S(T* out, const T* x, Strided xs, ll_i64 n, int op) { \
        unary_body<T>(out, x, xs, n, op);                                                    \
    }
LL_FOR_FLOATS(LL_UNARY)
