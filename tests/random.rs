//! The random primitive on the CPU: Philox4x32-10 against Random123's known answers, the exact
//! float rules, independence from the thread count, uniform statistics, the generator's Philox
//! stream (advance, state, independence from the host stream) and dropout drawn from it.
//! (Device draws are compared bit for bit with these in tests/device_conformance.rs.)

mod common;

use learnloss::backend::philox::{blocks_used, philox4x32_10, PhiloxDraw};
use learnloss::nn::functional;
use learnloss::{DType, Device, Generator, GeneratorState, Tensor};

const CPU: Device = Device::Cpu;

/// Random123's `kat_vectors` for Philox4x32-10: (counter, key, output).
const KNOWN_ANSWERS: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
    ([0; 4], [0; 2], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
    (
        [u32::MAX; 4],
        [u32::MAX; 2],
        [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd],
    ),
    (
        [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
        [0xa409_3822, 0x299f_31d0],
        [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1],
    ),
];

/// A generator whose Philox stream has key `seed` and next block `offset`.
fn philox_generator(seed: u64, offset: u64) -> Generator {
    Generator::from_state(&GeneratorState {
        philox_seed: seed,
        philox_offset: offset,
        ..Generator::new(0).state()
    })
}

#[test]
fn philox_matches_random123_known_answers() {
    for (counter, key, want) in KNOWN_ANSWERS {
        assert_eq!(philox4x32_10(counter, key), want, "counter {counter:x?}, key {key:x?}");
    }
}

/// Seed 0, offset 0 is counter 0 under key 0: the first known answer, through the whole tensor
/// path, with the documented float rules.
#[test]
fn first_values_of_seed_zero_are_the_known_answer_as_floats() {
    let w = KNOWN_ANSWERS[0].2;
    let f32s = Tensor::rand_philox(&[4], DType::F32, &CPU, &mut Generator::new(0)).to_vec::<f32>();
    let want: Vec<f32> = w.iter().map(|&x| (x >> 8) as f32 / 16_777_216.0).collect();
    assert_eq!(f32s, want);
    let f64s = Tensor::rand_philox(&[2], DType::F64, &CPU, &mut Generator::new(0)).to_vec::<f64>();
    let top53 = |hi: u32, lo: u32| ((u64::from(hi) << 32 | u64::from(lo)) >> 11) as f64 / 2f64.powi(53);
    assert_eq!(f64s, vec![top53(w[0], w[1]), top53(w[2], w[3])]);
    // The key is (low, high) words of the seed; the counter's low words are the block.
    let d = PhiloxDraw {
        seed: 0xffff_ffff_ffff_ffff,
        offset: 0xffff_ffff_ffff_ffff,
    };
    let all_ones = KNOWN_ANSWERS[1];
    assert_eq!(
        philox4x32_10([u32::MAX, u32::MAX, 0, 0], all_ones.1),
        d.block(0),
        "block 0 is counter (offset, 0)"
    );
}

/// Values pinned by an independent (Python) implementation of the definition, across the
/// counter's carry from the low word into the high one (block 1 of this draw is counter
/// (0, 1, 0, 0)): the numbers the CUDA and wgpu kernels must give too.
#[test]
fn values_pinned_across_the_counter_carry() {
    let mut gen = philox_generator(0xfedc_ba98_7654_3210, (1 << 32) - 1);
    let f32s = Tensor::rand_philox(&[6], DType::F32, &CPU, &mut gen).to_vec::<f32>();
    let top24: [u32; 6] = [0x911323, 0xc2bf8a, 0x216325, 0x6c5c3e, 0x4f9c66, 0xb1a460];
    assert_eq!(f32s, top24.map(|x| x as f32 / 16_777_216.0).to_vec());
    let mut gen = philox_generator(0xfedc_ba98_7654_3210, (1 << 32) - 1);
    let f64s = Tensor::rand_philox(&[3], DType::F64, &CPU, &mut gen).to_vec::<f64>();
    let top53: [u64; 3] = [0x12_2264_72b8_57f1, 0x4_2c64_a16d_8b87, 0x9_f38c_c016_348c];
    assert_eq!(f64s, top53.map(|x| x as f64 / 2f64.powi(53)).to_vec());
}

/// Element i is a pure function of (seed, offset, i): the same under 1, 2 and 5 threads, and
/// equal to the scalar definition everywhere (also across the 64-bit counter's wrap).
#[test]
fn draws_do_not_depend_on_the_thread_count() {
    let (seed, offset) = (0x1234_5678_9abc_def0, u64::MAX - 10_000);
    let n = 100_003;
    for dtype in [DType::F32, DType::F64] {
        let draw = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| Tensor::rand_philox(&[n], dtype, &CPU, &mut philox_generator(seed, offset)).to_f64_vec())
        };
        let one = draw(1);
        assert_eq!(draw(2), one, "{dtype}: 2 threads");
        assert_eq!(draw(5), one, "{dtype}: 5 threads");
        let d = PhiloxDraw { seed, offset };
        for (i, &v) in one.iter().enumerate() {
            let want = match dtype {
                DType::F32 => f64::from(d.f32_at(i as u64)),
                _ => d.f64_at(i as u64),
            };
            assert_eq!(v, want, "{dtype}: element {i}");
        }
    }
}

/// A million draws: inside [0, 1), mean 1/2 and variance 1/12 within six standard errors, and
/// every tenth of the interval within six standard errors of its share.
#[test]
fn uniform_statistics_of_a_million_draws() {
    let n = 1_000_000usize;
    for dtype in [DType::F32, DType::F64] {
        let v = Tensor::rand_philox(&[1000, 1000], dtype, &CPU, &mut Generator::new(42)).to_f64_vec();
        assert!(
            v.iter().all(|&x| (0.0..1.0).contains(&x)),
            "{dtype}: a value outside [0, 1)"
        );
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Standard errors: sqrt(1/12 / n) for the mean, sqrt((1/80 - 1/144) / n) for the variance.
        assert!(
            (mean - 0.5).abs() < 6.0 * (1.0 / 12.0 / n as f64).sqrt(),
            "{dtype}: mean {mean}"
        );
        let var_se = ((1.0 / 80.0 - 1.0 / 144.0) / n as f64).sqrt();
        assert!((var - 1.0 / 12.0).abs() < 6.0 * var_se, "{dtype}: variance {var}");
        let mut bins = [0usize; 10];
        for &x in &v {
            bins[(x * 10.0) as usize] += 1;
        }
        let bin_se = (n as f64 * 0.1 * 0.9).sqrt();
        for (b, &count) in bins.iter().enumerate() {
            assert!(
                (count as f64 - n as f64 / 10.0).abs() < 6.0 * bin_se,
                "{dtype}: bin {b} holds {count}"
            );
        }
    }
}

/// Each draw reserves ⌈n / per-block⌉ blocks; consecutive draws continue the stream exactly
/// where one draw of their total size would, at block granularity.
#[test]
fn the_generator_advances_its_offset_by_the_blocks_used() {
    let mut g = Generator::new(7);
    let a = Tensor::rand_philox(&[5], DType::F32, &CPU, &mut g).to_vec::<f32>();
    assert_eq!(g.state().philox_offset, blocks_used(5, DType::F32));
    assert_eq!(blocks_used(5, DType::F32), 2);
    assert_eq!(blocks_used(5, DType::F64), 3);
    let b = Tensor::rand_philox(&[3], DType::F64, &CPU, &mut g).to_vec::<f64>();
    assert_eq!(g.state().philox_offset, 2 + 2);
    let whole = Tensor::rand_philox(&[8], DType::F32, &CPU, &mut Generator::new(7)).to_vec::<f32>();
    assert_eq!(a, whole[..5], "the first draw is the stream's start");
    let d = PhiloxDraw { seed: 7, offset: 2 };
    assert_eq!(
        b,
        vec![d.f64_at(0), d.f64_at(1), d.f64_at(2)],
        "the second draw starts at block 2"
    );
    // A new draw never repeats the last one.
    let c = Tensor::rand_philox(&[5], DType::F32, &CPU, &mut g).to_vec::<f32>();
    assert_ne!(a, c);
}

/// The Philox stream and the host (ChaCha) stream are independent, and both are in the state
/// a checkpoint saves.
#[test]
fn philox_and_host_streams_are_independent_and_resumable() {
    let mut g = Generator::new(3);
    let host_only = Tensor::rand(&[6], DType::F64, &CPU, &mut Generator::new(3)).to_vec::<f64>();
    let _ = Tensor::rand_philox(&[1000], DType::F32, &CPU, &mut g);
    assert_eq!(
        Tensor::rand(&[6], DType::F64, &CPU, &mut g).to_vec::<f64>(),
        host_only,
        "a device draw moved the host stream"
    );
    let saved = g.state();
    let next = Tensor::rand_philox(&[9], DType::F64, &CPU, &mut g).to_vec::<f64>();
    let mut resumed = Generator::from_state(&saved);
    assert_eq!(
        Tensor::rand_philox(&[9], DType::F64, &CPU, &mut resumed).to_vec::<f64>(),
        next
    );
    assert_eq!(resumed.state(), g.state());
    // Host draws leave the Philox stream where it was.
    let mut h = Generator::new(3);
    let _ = Tensor::randn(&[100], DType::F32, &CPU, &mut h);
    assert_eq!(
        Tensor::rand_philox(&[4], DType::F32, &CPU, &mut h).to_vec::<f32>(),
        Tensor::rand_philox(&[4], DType::F32, &CPU, &mut Generator::new(3)).to_vec::<f32>()
    );
}

/// Dropout's mask is `u < 1 - p` for the Philox draw of the input's shape; a million elements
/// keep 1 - p of them (within six standard errors) at 1/(1 - p), and a seed reproduces the mask.
#[test]
fn dropout_draws_its_mask_from_the_philox_stream() {
    let n = 1_000_000usize;
    let x = Tensor::ones(&[1000, 1000], DType::F32, &CPU);
    for p in [0.1, 0.5, 0.9] {
        let y = functional::dropout(&x, p, true, &mut Generator::new(11)).to_f64_vec();
        let u = Tensor::rand_philox(&[1000, 1000], DType::F32, &CPU, &mut Generator::new(11)).to_vec::<f32>();
        let scale = f64::from((1.0 / (1.0 - p)) as f32);
        for (i, (&v, &r)) in y.iter().zip(&u).enumerate() {
            let want = if r < (1.0 - p) as f32 { scale } else { 0.0 };
            assert_eq!(v, want, "p = {p}: element {i}");
        }
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((kept - (1.0 - p)).abs() < 6.0 * se, "p = {p}: kept {kept}");
        assert_eq!(
            functional::dropout(&x, p, true, &mut Generator::new(11)).to_f64_vec(),
            y
        );
    }
}

/// Gradients flow through the mask multiply: d(sum(dropout(x)))/dx is the scaled mask.
#[test]
fn dropout_gradient_is_the_scaled_mask() {
    let x = Tensor::randn(&[37, 11], DType::F64, &CPU, &mut Generator::new(1)).requires_grad_(true);
    let y = functional::dropout(&x, 0.25, true, &mut Generator::new(2));
    let g = learnloss::grad(&[y.sum_all()], std::slice::from_ref(&x), None, false).remove(0);
    let mask = Tensor::rand_philox(&[37, 11], DType::F64, &CPU, &mut Generator::new(2))
        .lt_scalar(0.75)
        .to_dtype(DType::F64)
        .to_f64_vec();
    let want: Vec<f64> = mask.iter().map(|&m| m / 0.75).collect();
    assert_eq!(g.to_f64_vec(), want);
}

#[test]
fn integer_dtypes_are_refused() {
    let msg = common::panic_message(|| {
        Tensor::rand_philox(&[3], DType::I64, &CPU, &mut Generator::new(0));
    });
    assert!(msg.contains("rand_philox: expected a float dtype, got int64"), "{msg}");
}
