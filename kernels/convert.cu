// dtype conversion of a strided tensor into a contiguous one, for every (source, destination)
// pair: `convert_<src>_<dst>`. Through double, with Rust's `as` rules (see ll_from_f64 in the
// prelude), exactly as the CPU backend converts.

template <class S, class D>
__device__ void convert_body(D* out, const S* x, Strided xs, ll_i64 n) {
    LL_FOR_EACH(i, n) { out[i] = ll_from_f64<D>(ll_to_f64(x[ll_offset(xs, i)])); }
}

#define LL_CONVERT(S, SN, D, DN)                                                                  \
    extern "C" __global__ void convert_##SN##_##DN(D* out, const S* x, Strided xs, ll_i64 n) {    \
        convert_body<S, D>(out, x, xs, n);                                                        \
    }
#define LL_CONVERT_FROM(S, SN)                                                                    \
    LL_CONVERT(S, SN, float, f32)                                                                 \
    LL_CONVERT(S, SN, double, f64) LL_CONVERT(S, SN, ll_i64, i64) LL_CONVERT(S, SN, ll_u8, u8)
LL_FOR_ALL(LL_CONVERT_FROM)
