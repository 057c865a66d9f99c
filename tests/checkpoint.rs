//! `learnloss::checkpoint`: bit-exact round trips of tensors of every dtype, of a model with
//! BatchNorm buffers and of Adam's state (one more step after loading gives identical bits),
//! errors that name the file and the fault for truncated, garbage, missing and mismatched files,
//! and the completeness rules of training-checkpoint folders.

use learnloss::checkpoint::{
    find_training_checkpoint, load_into, load_tensors, load_training_checkpoint, save_module, save_tensors,
    save_training_checkpoint, COMPLETE_MARKER, MODEL_FILE,
};
use learnloss::loss::{cross_entropy, CrossEntropyOptions};
use learnloss::nn::{
    BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, Spec,
};
use learnloss::optim::{Adam, AdamConfig, Optimizer};
use learnloss::{DType, Device, Error, Generator, Tensor};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const DEV: Device = Device::Cpu;

/// A fresh, empty scratch folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("learnloss-checkpoint-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Conv2d-BatchNorm-ReLU-MaxPool-Flatten-Linear over `in_channels`×6×6 images, in f64.
fn net(in_channels: usize, seed: u64) -> Sequential {
    let spec = Spec::f64();
    let mut gen = Generator::new(seed);
    Sequential::new()
        .push(Conv2d::new(
            in_channels,
            4,
            &Conv2dConfig::kernel(3).padding(1),
            &spec,
            &mut gen,
        ))
        .push(BatchNorm::new_2d(4, BatchNormConfig::default(), &spec))
        .push(ReLU)
        .push(MaxPool2d::new(2))
        .push(Flatten::default())
        .push(Linear::new(4 * 3 * 3, 3, true, &spec, &mut gen))
}

fn batch(seed: u64) -> (Tensor, Tensor) {
    let mut gen = Generator::new(seed);
    let x = Tensor::randn(&[5, 1, 6, 6], DType::F64, &DEV, &mut gen);
    let y = Tensor::from_vec(vec![0i64, 1, 2, 1, 0], &[5], &DEV);
    (x, y)
}

fn train_step(model: &Sequential, opt: &mut Adam, seed: u64) {
    let (x, y) = batch(seed);
    opt.zero_grad();
    cross_entropy(&model.forward(&x), &y, &CrossEntropyOptions::default()).backward();
    opt.step();
}

fn adam(model: &Sequential) -> Adam {
    let config = AdamConfig {
        lr: 0.01,
        weight_decay: 1e-3,
        ..AdamConfig::default()
    };
    Adam::new(model.named_parameters(), config).unwrap()
}

/// Every tensor's raw bits, by name, so comparisons are exact (NaN and -0.0 included).
fn bits(named: &[(String, Tensor)]) -> Vec<(String, Vec<u64>)> {
    named
        .iter()
        .map(|(n, t)| {
            let b = match t.dtype() {
                DType::F32 => t.to_vec::<f32>().iter().map(|v| u64::from(v.to_bits())).collect(),
                DType::F64 => t.to_vec::<f64>().iter().map(|v| v.to_bits()).collect(),
                DType::I64 => t.to_vec::<i64>().iter().map(|&v| v as u64).collect(),
                DType::Bool => t.to_vec::<bool>().iter().map(|&v| u64::from(v)).collect(),
            };
            (n.clone(), b)
        })
        .collect()
}

fn sorted(mut named: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
}

fn checkpoint_message(r: learnloss::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Checkpoint(m)) => m,
        other => panic!("expected a checkpoint error, got {other:?}"),
    }
}

#[test]
fn tensors_of_every_dtype_round_trip_bit_exactly() {
    let dir = scratch("dtypes");
    let path = dir.join("t.safetensors");
    let f32s = [0.0f32, -0.0, 1.5, f32::NAN, f32::INFINITY, f32::MIN_POSITIVE / 4.0];
    let tensors = vec![
        ("f32".to_string(), Tensor::from_slice(&f32s, &[2, 3], &DEV)),
        (
            "f64".to_string(),
            Tensor::from_slice(&[-1e-300, 2.5, f64::NEG_INFINITY], &[3], &DEV),
        ),
        (
            "i64".to_string(),
            Tensor::from_slice(&[i64::MIN, -1, i64::MAX], &[3, 1], &DEV),
        ),
        ("bool".to_string(), Tensor::from_slice(&[true, false, true], &[3], &DEV)),
        ("scalar".to_string(), Tensor::scalar(7.0, DType::I64, &DEV)),
        ("empty".to_string(), Tensor::zeros(&[0, 4], DType::F32, &DEV)),
        (
            "transposed".to_string(),
            Tensor::arange(0.0, 6.0, 1.0, DType::F64, &DEV).reshape(&[2, 3]).mt(),
        ),
    ];
    let meta = BTreeMap::from([("epoch".to_string(), "3".to_string())]);
    save_tensors(&path, &tensors, &meta).unwrap();
    let (loaded, loaded_meta) = load_tensors(&path).unwrap();
    assert_eq!(loaded_meta, meta);
    let loaded = sorted(loaded);
    let expected = sorted(tensors);
    assert_eq!(bits(&loaded), bits(&expected));
    for ((_, a), (_, b)) in loaded.iter().zip(&expected) {
        assert_eq!((a.shape(), a.dtype()), (b.shape(), b.dtype()));
    }
    assert_eq!(loaded[6].1.to_vec::<f64>(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "the temporary file must be renamed away");
}

#[test]
fn repeated_names_are_refused() {
    let dir = scratch("repeated");
    let t = Tensor::zeros(&[1], DType::F32, &DEV);
    let r = save_tensors(
        dir.join("x.safetensors"),
        &[("a".into(), t.clone()), ("a".into(), t)],
        &BTreeMap::new(),
    );
    assert!(checkpoint_message(r).contains("a appears twice"));
}

#[test]
fn model_buffers_and_adam_state_round_trip_and_continue_identically() {
    let dir = scratch("training").join("ckpt");
    let mut model = net(1, 1);
    model.train();
    let mut opt = adam(&model);
    for s in 0..3 {
        train_step(&model, &mut opt, s);
    }
    let mut gen = Generator::new(42);
    gen.normal();
    // Both streams moved: the Philox offset (dropout's masks) must round-trip too.
    gen.philox_draw(10, DType::F32);
    assert_ne!(gen.state().philox_offset, 0);
    let extra = BTreeMap::from([("epoch".to_string(), "3".to_string())]);
    save_training_checkpoint(&dir, &[("", &model)], &[("adam", &opt)], &[("data", &gen)], &extra).unwrap();
    assert!(dir.join(COMPLETE_MARKER).is_file());

    let mut restored = net(1, 99);
    restored.train();
    let mut restored_opt = adam(&restored);
    let mut restored_gen = Generator::new(0);
    let loaded_extra = load_training_checkpoint(
        &dir,
        &[("", &restored)],
        &mut [("adam", &mut restored_opt)],
        &mut [("data", &mut restored_gen)],
    )
    .unwrap();
    assert_eq!(loaded_extra, extra);
    assert_eq!(bits(&restored.state_dict()), bits(&model.state_dict()));
    assert_eq!(bits(&restored_opt.state_dict()), bits(&opt.state_dict()));
    assert_eq!(restored_gen.state(), gen.state());
    let nbt = &restored.named_buffers()[2];
    assert_eq!((nbt.0.as_str(), nbt.1.item()), ("1.num_batches_tracked", 3.0));

    train_step(&model, &mut opt, 7);
    train_step(&restored, &mut restored_opt, 7);
    assert_eq!(bits(&restored.state_dict()), bits(&model.state_dict()));
    assert_eq!(bits(&restored_opt.state_dict()), bits(&opt.state_dict()));
    assert_eq!(restored_gen.normal().to_bits(), gen.normal().to_bits());
}

#[test]
fn module_file_round_trips_and_a_wrong_shape_is_reported_without_changes() {
    let dir = scratch("module");
    let path = dir.join("model.safetensors");
    let model = net(1, 1);
    save_module(&path, &model).unwrap();
    let same = net(1, 2);
    load_into(&path, &same).unwrap();
    assert_eq!(bits(&same.state_dict()), bits(&model.state_dict()));

    let wider = net(3, 3);
    let before = bits(&wider.state_dict());
    let msg = checkpoint_message(load_into(&path, &wider));
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("0.weight has shape [4, 1, 3, 3], the model expects [4, 3, 3, 3]"),
        "{msg}"
    );
    assert_eq!(
        bits(&wider.state_dict()),
        before,
        "a failed load must leave the model unchanged"
    );
}

#[test]
fn missing_and_unexpected_names_are_reported() {
    let dir = scratch("names");
    let path = dir.join("model.safetensors");
    let model = net(1, 1);
    let mut entries = model.state_dict();
    let (name, t) = entries.remove(3);
    save_tensors(&path, &entries, &BTreeMap::new()).unwrap();
    let msg = checkpoint_message(load_into(&path, &model));
    assert!(msg.contains("1.bias is missing"), "{msg}");

    entries.insert(3, (name, t.clone()));
    entries.push(("head.weight".to_string(), t));
    save_tensors(&path, &entries, &BTreeMap::new()).unwrap();
    let msg = checkpoint_message(load_into(&path, &model));
    assert!(msg.contains("unexpected entry head.weight"), "{msg}");

    entries.pop();
    entries[6].1 = entries[6].1.to_dtype(DType::F64);
    save_tensors(&path, &entries, &BTreeMap::new()).unwrap();
    let msg = checkpoint_message(load_into(&path, &model));
    assert!(
        msg.contains("1.num_batches_tracked has dtype float64, the model expects int64"),
        "{msg}"
    );
}

#[test]
fn truncated_files_are_errors_at_every_length() {
    let dir = scratch("truncated");
    let path = dir.join("model.safetensors");
    save_module(&path, &net(1, 1)).unwrap();
    let full = std::fs::read(&path).unwrap();
    let header_end = 8 + u64::from_le_bytes(full[..8].try_into().unwrap()) as usize;
    let cut = dir.join("cut.safetensors");
    for len in [
        0,
        1,
        7,
        8,
        9,
        20,
        header_end - 1,
        header_end,
        header_end + 1,
        full.len() - 1,
    ] {
        std::fs::write(&cut, &full[..len]).unwrap();
        let msg = checkpoint_message(load_tensors(&cut));
        assert!(msg.contains(&cut.display().to_string()), "length {len}: {msg}");
        if len != header_end - 1 {
            assert!(msg.contains("truncated"), "length {len}: {msg}");
        }
    }
    let mut longer = full.clone();
    longer.extend_from_slice(b"junk");
    std::fs::write(&cut, &longer).unwrap();
    assert!(checkpoint_message(load_tensors(&cut)).contains("trailing bytes"));
}

#[test]
fn garbage_bad_headers_and_missing_files_are_errors() {
    let dir = scratch("garbage");
    let path = dir.join("bad.safetensors");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        ((0..200u32).map(|i| (i * 37 % 251) as u8).collect(), "does not fit"),
        (
            [&1_000_000u64.to_le_bytes()[..], b"{}"].concat(),
            "header length 1000000 does not fit",
        ),
        ([&u64::MAX.to_le_bytes()[..], b"{}"].concat(), "does not fit"),
        ([&4u64.to_le_bytes()[..], b"{no}"].concat(), "corrupt header"),
        (
            {
                let header = br#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1000]}}"#;
                [&(header.len() as u64).to_le_bytes()[..], header, &[0u8; 16]].concat()
            },
            "corrupt header",
        ),
        (
            {
                let header = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
                [&(header.len() as u64).to_le_bytes()[..], header, &[0u8; 12]].concat()
            },
            "data offsets of tensor w",
        ),
        (
            {
                let header = br#"{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#;
                [&(header.len() as u64).to_le_bytes()[..], header, &[0u8; 2]].concat()
            },
            "tensor w has dtype U8",
        ),
    ];
    for (bytes, expected) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let msg = checkpoint_message(load_tensors(&path));
        assert!(msg.contains(expected) && msg.contains("bad.safetensors"), "{msg}");
    }
    let missing = dir.join("absent.safetensors");
    let msg = checkpoint_message(load_tensors(&missing));
    assert!(msg.contains("absent.safetensors: cannot read"), "{msg}");
    assert!(checkpoint_message(load_into(&missing, &net(1, 1))).contains("cannot read"));
}

fn save_simple(dir: &Path, model: &Sequential) {
    let opt = adam(model);
    save_training_checkpoint(dir, &[("net", model)], &[("opt", &opt)], &[], &BTreeMap::new()).unwrap();
}

fn load_simple(dir: &Path, model: &Sequential) -> learnloss::Result<BTreeMap<String, String>> {
    let mut opt = adam(model);
    load_training_checkpoint(dir, &[("net", model)], &mut [("opt", &mut opt)], &mut [])
}

#[test]
fn training_checkpoint_folders_are_complete_or_absent() {
    let root = scratch("folders");
    let dir = root.join("latest");
    assert!(find_training_checkpoint(&dir).is_none());
    assert!(checkpoint_message(load_simple(&dir, &net(1, 1))).contains("no complete training checkpoint"));

    let first = net(1, 1);
    save_simple(&dir, &first);
    let second = net(1, 2);
    save_simple(&dir, &second);
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["latest"], "a finished save leaves no staging or old folder");
    let target = net(1, 3);
    load_simple(&dir, &target).unwrap();
    assert_eq!(bits(&target.state_dict()), bits(&second.state_dict()));

    // A save killed between its two renames: only the previous checkpoint, renamed aside.
    let old = root.join(".latest.old");
    std::fs::rename(&dir, &old).unwrap();
    assert_eq!(find_training_checkpoint(&dir), Some(old.clone()));
    let target = net(1, 4);
    load_simple(&dir, &target).unwrap();
    assert_eq!(bits(&target.state_dict()), bits(&second.state_dict()));
    save_simple(&dir, &first);
    assert!(!old.exists() && find_training_checkpoint(&dir) == Some(dir.clone()));

    // A folder without the marker is never taken for a checkpoint.
    std::fs::remove_file(dir.join(COMPLETE_MARKER)).unwrap();
    assert!(find_training_checkpoint(&dir).is_none());
    assert!(load_simple(&dir, &target).is_err());
}

#[test]
fn training_checkpoint_mismatches_name_the_file_and_change_nothing() {
    let dir = scratch("mismatch").join("ckpt");
    let model = net(1, 1);
    let mut opt = adam(&model);
    train_step(&model, &mut opt, 0);
    let gen = Generator::new(5);
    save_training_checkpoint(
        &dir,
        &[("net", &model)],
        &[("opt", &opt)],
        &[("data", &gen)],
        &BTreeMap::new(),
    )
    .unwrap();

    let wrong = net(3, 2);
    let before = bits(&wrong.state_dict());
    let mut wrong_opt = adam(&wrong);
    let mut g = Generator::new(1);
    let msg = checkpoint_message(load_training_checkpoint(
        &dir,
        &[("net", &wrong)],
        &mut [("opt", &mut wrong_opt)],
        &mut [("data", &mut g)],
    ));
    assert!(
        msg.contains(MODEL_FILE) && msg.contains("net.0.weight has shape [4, 1, 3, 3]"),
        "{msg}"
    );
    assert_eq!(bits(&wrong.state_dict()), before);
    assert_eq!(g.state(), Generator::new(1).state());

    let same = net(1, 2);
    let mut same_opt = adam(&same);
    let msg = checkpoint_message(load_training_checkpoint(
        &dir,
        &[("net", &same)],
        &mut [("opt", &mut same_opt)],
        &mut [("other", &mut g)],
    ));
    assert!(msg.contains("other.seed is missing"), "{msg}");
    assert!(
        same_opt.state_dict().is_empty(),
        "a failed load must leave the optimizer unchanged"
    );
}
