// `out[i] = cond[i] ? t[i] : f[i]`: a Bool condition and two branches of any one dtype, all
// strided over the output shape, contiguous output.

template <class T>
__device__ void where_body(T* out, const ll_u8* c, Strided cs, const T* t, Strided ts, const T* f, Strided fs,
                           ll_i64 n) {
    LL_FOR_EACH(i, n) { out[i] = c[ll_offset(cs, i)] ? t[ll_offset(ts, i)] : f[ll_offset(fs, i)]; }
}

#define LL_WHERE(T, S)                                                                                   \
    extern "C" __global__ void where_##S(T* out, const ll_u8* c, Strided cs, const T* t, Strided ts,      \
                                         const T* f, Strided fs, ll_i64 n) {                             \
        where_body<T>(out, c, cs, t, ts, f, fs, n);                                                      \
    }
LL_FOR_ALL(LL_WHERE)
