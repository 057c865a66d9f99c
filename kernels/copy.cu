// Data movement without arithmetic: strided-to-strided copies (contiguous copies, the parts of
// `cat`, the interior of `pad`, in-place assignment) and constant fills, for every dtype.

// dst[element i of ds] = src[element i of ss]: both descriptors walk one logical shape in
// row-major order (each may have merged its dimensions differently).
template <class T>
__device__ void copy_body(T* dst, Strided ds, const T* src, Strided ss, ll_i64 n) {
    LL_FOR_EACH(i, n) { dst[ll_offset(ds, i)] = src[ll_offset(ss, i)]; }
}

// out[0..n) = value, converted as the CPU converts an f64 (`Element::from_f64`).
template <class T>
__device__ void fill_body(T* out, ll_i64 n, double value) {
    const T v = ll_from_f64<T>(value);
    LL_FOR_EACH(i, n) { out[i] = v; }
}

#define LL_COPY(T, S)                                                                                \
    extern "C" __global__ void copy_##S(T* dst, Strided ds, const T* src, Strided ss, ll_i64 n) {    \
        copy_body<T>(dst, ds, src, ss, n);                                                           \
    }                                                                                                \
    extern "C" __global__ void fill_##S(T* out, ll_i64 n, double value) { fill_body<T>(out, n, value); }
LL_FOR_ALL(LL_COPY)
