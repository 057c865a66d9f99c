// The random primitive (BackendStorage::rand_uniform): uniform values in [0, 1) from
// Philox4x32-10, exactly as defined in src/backend/philox.rs, so a draw is bit-identical to the
// CPU's and wgpu's (tests/device_conformance.rs compares them bit for bit).
//
//   key     = (seed mod 2^32, seed >> 32)
//   block b = offset + t (mod 2^64), counter = (b mod 2^32, b >> 32, 0, 0)
//   f32: element t*4 + j = (w[j] >> 8) * 2^-24                                   j < 4
//   f64: element t*2 + j = ((w[2j] << 32 | w[2j+1]) >> 11) * 2^-53  (w[2j] high)    j < 2
//
// One thread per counter block t (a grid-stride loop, so any grid covers any size). Both
// conversions are exact (integers below 2^24 / 2^53 times a power of two).

template <typename T> struct PhiloxValues;

template <> struct PhiloxValues<float> {
    static constexpr unsigned int per_block = 4;
    static __device__ __forceinline__ float at(uint4 w, unsigned int j) {
        unsigned int x = j == 0 ? w.x : j == 1 ? w.y : j == 2 ? w.z : w.w;
        return (float)(x >> 8) * 0x1p-24f;
    }
};

template <> struct PhiloxValues<double> {
    static constexpr unsigned int per_block = 2;
    static __device__ __forceinline__ double at(uint4 w, unsigned int j) {
        unsigned long long hi = j == 0 ? w.x : w.z;
        unsigned long long lo = j == 0 ? w.y : w.w;
        return (double)(((hi << 32) | lo) >> 11) * 0x1p-53;
    }
};

__device__ __forceinline__ uint4 philox4x32_10(uint4 c, uint2 k) {
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k.x += 0x9E3779B9u;
            k.y += 0xBB67AE85u;
        }
        unsigned int hi0 = __umulhi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
        c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

template <typename T>
__device__ void philox_uniform(T *__restrict__ out, unsigned long long numel, unsigned long long seed,
                               unsigned long long offset) {
    constexpr unsigned int P = PhiloxValues<T>::per_block;
    const unsigned long long blocks = (numel + P - 1) / P;
    const uint2 key = make_uint2((unsigned int)seed, (unsigned int)(seed >> 32));
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long t = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; t < blocks;
         t += stride) {
        const unsigned long long b = offset + t;  // wraps mod 2^64, like the definition
        const uint4 w = philox4x32_10(make_uint4((unsigned int)b, (unsigned int)(b >> 32), 0u, 0u), key);
        const unsigned long long first = t * P;
#pragma unroll
        for (unsigned int j = 0; j < P; ++j) {
            if (first + j < numel) out[first + j] = PhiloxValues<T>::at(w, j);
        }
    }
}

extern "C" __global__ void philox_uniform_f32(float *out, unsigned long long numel, unsigned long long seed,
                                              unsigned long long offset) {
    philox_uniform<float>(out, numel, seed, offset);
}

extern "C" __global__ void philox_uniform_f64(double *out, unsigned long long numel, unsigned long long seed,
                                              unsigned long long offset) {
    philox_uniform<double>(out, numel, seed, offset);
}
