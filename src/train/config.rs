//! The trainer's configuration: defaults that reproduce the seed, an optional TOML file, and
//! command-line flags on top (flags win). Every run writes the resolved configuration beside its
//! results as `config.toml`, which loads back with `--config`.

use super::{ClassWeights, Method, ModelKind, Normalize, Task};
use crate::data::DatasetKind;
use crate::learnable::{Activation, BnMode, LossNetworkConfig, ObjectiveConfig, Preset, TraceDefinition, TraceMethod};
use crate::{DType, Device, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The seed's epoch count.
pub const SEED_EPOCHS: usize = 20;
/// Epochs on the embedded subset unless told otherwise: the main job (`cargo run --release`,
/// both methods × 3 runs) then ends in minutes on two cores.
pub const EMBEDDED_EPOCHS: usize = 10;

/// Everything a training invocation needs; field names are the TOML keys (and, with `-` for
/// `_`, the command-line flags).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// multiclass (one class per image) or multilabel (a set of labels per image).
    pub task: Task,
    /// mnist, fashion-mnist, cifar10, cifar100, pet, or embedded (the FashionMNIST subset built
    /// into the binary); for the multilabel task, embedded (2×2 mosaics of that subset, also
    /// called mosaic) or folder (`train.csv` and `test.csv` in `data_dir`, see
    /// [`crate::data::load_multilabel_folder`]).
    pub dataset: String,
    pub data_dir: Option<PathBuf>,
    /// Absent: baseline and learnable (multiclass), bce and learnable (multilabel).
    pub methods: Option<Vec<Method>>,
    /// The classifier every method trains; absent: the seed's pairing (baseline → the baseline
    /// CNN, the other methods → the learnable classifier) on multiclass data, ResNet-18 on
    /// multilabel data.
    pub model: Option<ModelKind>,
    /// A torchvision ResNet-18 state dict (safetensors) loaded into the backbone of every run
    /// before training; `fc.*` is ignored.
    pub pretrained: Option<PathBuf>,
    /// Multilabel: a label is predicted where its sigmoid output is at least this.
    pub threshold: f64,
    /// The side images of a CSV-listed folder are resized to.
    pub image_size: u32,
    pub runs: usize,
    /// Absent: the seed's 20, or [`EMBEDDED_EPOCHS`] on the embedded subset.
    pub epochs: Option<usize>,
    /// One batch size for every method; absent: the model's (1024 learnable classifier, 128
    /// baseline CNN, 32 ResNet-18).
    pub batch_size: Option<usize>,
    /// Adam's learning rate for every network; absent: the classifier's is 1e-4 for ResNet-18
    /// and 1e-3 for the others, the loss network's 1e-3 (the seed's).
    pub lr: Option<f64>,
    /// λ, the weight on the loss network's penalties.
    pub lambda: f64,
    /// seed (ReLU, training-mode BatchNorm, the seed's trace) or meaningful (Softplus, no
    /// BatchNorm, per-sample trace); `trace`, `lossnet_activation` and `lossnet_bn` override it.
    pub preset: Preset,
    pub trace: Option<TraceDefinition>,
    pub trace_method: TraceMethod,
    pub lossnet_activation: Option<Activation>,
    pub lossnet_bn: Option<BnMode>,
    /// α of the ce-l1 method.
    pub l1_alpha: f64,
    /// The weighted-ce method's class weights: a list (one per class) or `inverse-frequency`.
    pub class_weights: ClassWeights,
    /// `(x − mean) / std` on every pixel before the classifier; absent: pixels as loaded, in
    /// [0, 1].
    pub normalize: Option<Normalize>,
    /// The share of the training set held out for validation; 0 trains on the whole training
    /// set and validates on the test set (as the loss-comparison study's scripts do).
    pub val_fraction: f64,
    pub seed: u64,
    /// cpu, cuda, cuda:N, wgpu, or auto ([`Device::best`]).
    pub device: String,
    /// The float type of the networks and data: float32 (the default, as the seed) or float64.
    pub dtype: DType,
    pub out: PathBuf,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            task: Task::Multiclass,
            dataset: "embedded".into(),
            data_dir: None,
            methods: None,
            model: None,
            pretrained: None,
            threshold: 0.5,
            image_size: 224,
            runs: 3,
            epochs: None,
            batch_size: None,
            lr: None,
            lambda: crate::learnable::SEED_LAMBDA,
            preset: Preset::Seed,
            trace: None,
            trace_method: TraceMethod::Auto,
            lossnet_activation: None,
            lossnet_bn: None,
            l1_alpha: 1e-5,
            class_weights: ClassWeights::InverseFrequency,
            normalize: None,
            val_fraction: 0.1,
            seed: 42,
            device: "cpu".into(),
            dtype: DType::F32,
            out: PathBuf::from("results"),
        }
    }
}

impl TrainConfig {
    /// The loss-comparison study (`learnloss study`, docs/loss-study.md):
    /// the MLP on inputs normalised `(x − 0.5) / 0.5`, trained with `ce`, `weighted-ce` (class 0
    /// weighted 2, divided by the batch size) and `ce-l1` (α 0.01), Adam lr 1e-3, batch 64,
    /// 5 epochs, 5 runs, on the whole training set with the test set as validation set, as its
    /// users' scripts do. Within a run every method starts from the same initial weights.
    pub fn loss_study() -> TrainConfig {
        let mut weights = vec![1.0; 10];
        weights[0] = 2.0;
        TrainConfig {
            methods: Some(vec![Method::Ce, Method::WeightedCe, Method::CeL1]),
            model: Some(ModelKind::Mlp),
            runs: 5,
            epochs: Some(5),
            // The MLP's own defaults are the study's: batch 64, lr 1e-3.
            batch_size: None,
            lr: None,
            l1_alpha: 0.01,
            class_weights: ClassWeights::List(weights),
            normalize: Some(Normalize::HALF),
            val_fraction: 0.0,
            out: PathBuf::from("results-study"),
            ..TrainConfig::default()
        }
    }

    /// Reads a TOML file; keys it omits keep their defaults.
    pub fn from_toml_file(path: &Path) -> Result<TrainConfig> {
        TrainConfig::from_toml_file_over(path, &TrainConfig::default())
    }

    /// Reads a TOML file over `base`: keys the file gives replace `base`'s, the others keep
    /// `base`'s values (`learnloss study --config` keeps the study's settings the file omits).
    /// A file the trainer wrote (`config.toml` of a results folder) is complete — what it omits
    /// was unset in the run it records — so it loads as it is, whatever `base`.
    pub fn from_toml_file_over(path: &Path, base: &TrainConfig) -> Result<TrainConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let error = |e: toml::de::Error| {
            // One line, pointing at the line of the file that is wrong (counted by newlines: a
            // span starting a line, as a duplicate key's does, is on that line), with the text
            // there when it is short.
            let span = e.span().map(|s| s.start.min(text.len())..s.end.min(text.len()));
            let line = span.as_ref().map_or(1, |s| text[..s.start].matches('\n').count() + 1);
            let near = span
                .map(|s| text[s].trim())
                .filter(|t| !t.is_empty() && t.len() <= 60 && !t.contains('\n'))
                .map_or(String::new(), |t| format!(" (at `{t}`)"));
            Error::Config(format!("{}:{line}: {}{near}", path.display(), e.message().trim()))
        };
        // Parsed whole first, so that a wrong key or value is reported at its line.
        let alone = toml::from_str::<TrainConfig>(&text).map_err(error)?;
        if text.starts_with(RESOLVED_HEADER) {
            return Ok(alone);
        }
        let given: toml::Table = toml::from_str(&text).map_err(error)?;
        let mut merged = toml::Table::try_from(base).expect("the configuration serialises");
        merged.extend(given);
        merged
            .try_into()
            .map_err(|e: toml::de::Error| Error::Config(format!("{}: {}", path.display(), e.message().trim())))
    }

    /// The configuration as TOML, with the preset's choices written out so the file says what
    /// ran. The model, learning rate and batch size stay as given: their defaults depend on the
    /// method (and the model on the task), so writing one resolved value would change what a
    /// reused file runs once `--methods` or `--model` differ; what each method got is written
    /// in comments instead.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(&self.resolved()).expect("the configuration serialises");
        let mut out = String::from(RESOLVED_HEADER);
        for m in self.methods() {
            out += &format!(
                "# {m}: model {}, lr {}, batch size {}\n",
                self.model_for(m),
                self.lr_for(m),
                self.batch_size_for(m)
            );
        }
        out + &body
    }

    /// The configuration as `config.toml` records it: the preset's choices written out.
    fn resolved(&self) -> TrainConfig {
        let lossnet = self.loss_network(2);
        TrainConfig {
            epochs: Some(self.epochs()),
            methods: Some(self.methods()),
            trace: Some(self.trace_definition()),
            lossnet_activation: Some(lossnet.activation),
            lossnet_bn: Some(lossnet.bn),
            ..self.clone()
        }
    }

    /// The settings, resolved as `config.toml` records them, whose values differ between `self`
    /// (`saved`) and `now`, in key order.
    pub fn differences(&self, now: &TrainConfig) -> Vec<Difference> {
        let table = |c: &TrainConfig| toml::Table::try_from(c.resolved()).expect("the configuration serialises");
        let (saved, now) = (table(self), table(now));
        let mut keys: Vec<&String> = saved.keys().chain(now.keys()).collect();
        keys.sort();
        keys.dedup();
        let shown = |v: Option<&toml::Value>| v.map_or("unset".to_string(), toml::Value::to_string);
        keys.into_iter()
            .filter(|k| saved.get(*k) != now.get(*k))
            .map(|k| Difference {
                key: k.clone(),
                saved: shown(saved.get(k)),
                now: shown(now.get(k)),
            })
            .collect()
    }

    /// Whether `path` is a `config.toml` the trainer wrote (false when there is no such file).
    pub fn written_by_trainer(path: &Path) -> Result<bool> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(bytes.starts_with(RESOLVED_HEADER.as_bytes())),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(false)
            }
            Err(e) if path.is_dir() => Err(Error::Config(format!(
                "{} is a folder, where the trainer keeps its configuration file ({e})",
                path.display()
            ))),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The number of epochs, defaults resolved.
    pub fn epochs(&self) -> usize {
        let embedded = match self.task {
            Task::Multiclass => matches!(self.dataset_kind(), Ok(DatasetKind::Embedded)),
            Task::Multilabel => matches!(self.multilabel_source(), Ok(MultiLabelSource::Mosaic)),
        };
        self.epochs
            .unwrap_or(if embedded { EMBEDDED_EPOCHS } else { SEED_EPOCHS })
    }

    /// The single-label dataset (`--task multiclass`).
    pub fn dataset_kind(&self) -> Result<DatasetKind> {
        self.dataset.parse()
    }

    /// Where multi-label data comes from (`--task multilabel`).
    pub fn multilabel_source(&self) -> Result<MultiLabelSource> {
        match self.dataset.trim().to_ascii_lowercase().as_str() {
            "embedded" | "mosaic" => Ok(MultiLabelSource::Mosaic),
            "folder" | "csv" => Ok(MultiLabelSource::Folder),
            other => Err(Error::Config(format!(
                "unknown multilabel dataset {other:?} (expected embedded, the built-in mosaics, or folder: \
                 train.csv and test.csv in --data-dir)"
            ))),
        }
    }

    /// The methods to train, defaults resolved.
    pub fn methods(&self) -> Vec<Method> {
        self.methods.clone().unwrap_or_else(|| match self.task {
            Task::Multiclass => vec![Method::Baseline, Method::Learnable],
            Task::Multilabel => Method::MULTILABEL.to_vec(),
        })
    }

    /// The classifier `method` trains.
    pub fn model_for(&self, method: Method) -> ModelKind {
        self.model.unwrap_or(ModelKind::default_for(method, self.task))
    }

    /// Adam's learning rate for `method`'s classifier.
    pub fn lr_for(&self, method: Method) -> f64 {
        self.lr.unwrap_or(self.model_for(method).default_lr())
    }

    /// Adam's learning rate for the loss network: `--lr`, else the seed's 1e-3 whatever the
    /// classifier.
    pub fn loss_network_lr(&self) -> f64 {
        self.lr.unwrap_or(1e-3)
    }

    pub fn trace_definition(&self) -> TraceDefinition {
        self.trace.unwrap_or(self.preset.trace_definition())
    }

    /// The loss network for `classes` classes: the preset with the overrides applied.
    pub fn loss_network(&self, classes: usize) -> LossNetworkConfig {
        let mut config = self.preset.loss_network(classes);
        if let Some(a) = self.lossnet_activation {
            config.activation = a;
        }
        if let Some(bn) = self.lossnet_bn {
            config.bn = bn;
        }
        config
    }

    pub fn objective(&self) -> ObjectiveConfig {
        ObjectiveConfig {
            lambda: self.lambda,
            definition: self.trace_definition(),
            method: self.trace_method,
        }
    }

    pub fn batch_size_for(&self, method: Method) -> usize {
        self.batch_size.unwrap_or(self.model_for(method).default_batch_size())
    }

    /// Rejects what cannot run, with what to change, before any work starts.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        let methods = self.methods();
        if methods.is_empty() {
            return bad("no methods to train (--methods baseline,learnable)".into());
        }
        let mut seen = Vec::new();
        for m in &methods {
            if seen.contains(m) {
                return bad(format!("method {m} is listed twice"));
            }
            seen.push(*m);
        }
        if self.task == Task::Multilabel {
            if let Some(m) = methods.iter().find(|m| !Method::MULTILABEL.contains(m)) {
                return bad(format!(
                    "method {m} is not defined for the multilabel task (use bce or learnable)"
                ));
            }
            self.multilabel_source()?;
        } else {
            self.dataset_kind()?;
        }
        if !(self.threshold.is_finite() && (0.0..=1.0).contains(&self.threshold)) {
            return bad(format!("the threshold must be in [0, 1], got {}", self.threshold));
        }
        if self.image_size == 0 {
            return bad("the image size must be at least 1".into());
        }
        if self.pretrained.is_some() {
            if let Some(m) = methods.iter().find(|&&m| self.model_for(m) != ModelKind::Resnet18) {
                return bad(format!(
                    "--pretrained loads ResNet-18 weights, but method {m} trains the {} (use --model resnet18)",
                    self.model_for(*m)
                ));
            }
        }
        if self.runs == 0 || self.epochs() == 0 {
            return bad(format!(
                "runs ({}) and epochs ({}) must be at least 1",
                self.runs,
                self.epochs()
            ));
        }
        if self.batch_size == Some(0) {
            return bad("the batch size must be at least 1".into());
        }
        if let Some(lr) = self.lr.filter(|lr| !(lr.is_finite() && *lr > 0.0)) {
            return bad(format!("the learning rate must be positive, got {lr}"));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return bad(format!("λ must be non-negative, got {}", self.lambda));
        }
        if !(self.l1_alpha.is_finite() && self.l1_alpha >= 0.0) {
            return bad(format!("l1_alpha must be non-negative, got {}", self.l1_alpha));
        }
        if !(self.val_fraction >= 0.0 && self.val_fraction < 1.0) {
            return bad(format!(
                "val_fraction must be in [0, 1) (0: validate on the test set), got {}",
                self.val_fraction
            ));
        }
        self.class_weights.check()?;
        if !self.dtype.is_float() {
            return bad(format!("dtype must be float32 or float64, got {}", self.dtype));
        }
        let device = self.device()?;
        device.check_dtype(self.dtype).map_err(|e| {
            Error::Config(format!(
                "--dtype {} cannot be used on --device {}: {e}",
                self.dtype, self.device
            ))
        })?;
        if methods.contains(&Method::Learnable) {
            // The trace definition and method must be defined for this loss network.
            let net = self.probe_loss_network(2);
            crate::learnable::resolve_method(&net, self.trace_definition(), self.trace_method)?;
        }
        Ok(())
    }

    /// The device to train on: `cpu`, `cuda` (device 0), `cuda:N`, `wgpu`, or `auto` (the best
    /// available, [`Device::best`]); an error says what is missing when it cannot be opened. The
    /// CPU is the default.
    pub fn device(&self) -> Result<Device> {
        match self.device.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Device::Cpu),
            "auto" => Ok(Device::best()),
            "wgpu" => Device::wgpu().map_err(|e| Error::Config(format!("--device wgpu cannot be used: {e}"))),
            "cuda" => Device::cuda(0).map_err(|e| Error::Config(format!("--device cuda cannot be used: {e}"))),
            other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
                Some(Ok(ordinal)) => {
                    Device::cuda(ordinal).map_err(|e| Error::Config(format!("--device {other} cannot be used: {e}")))
                }
                _ => Err(Error::Config(format!(
                    "unknown device {other:?} (expected cpu, cuda, cuda:N, wgpu or auto)"
                ))),
            },
        }
    }

    /// A loss network of the configured kind with throwaway weights, for questions about its
    /// structure (is the trace defined, is it vacuous) asked before training.
    pub fn probe_loss_network(&self, classes: usize) -> crate::learnable::LossNetwork {
        crate::learnable::LossNetwork::new(
            self.loss_network(classes),
            &crate::nn::Spec::default(),
            &mut crate::Generator::new(0),
        )
    }
}

/// The first line of a configuration written by [`TrainConfig::to_toml`]: such a file is
/// complete, so it loads as it is, over no preset.
/// A setting whose value differs between two configurations ([`TrainConfig::differences`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The key, as in `config.toml`.
    pub key: String,
    /// The value in the saved configuration, as TOML (`unset` where it is absent).
    pub saved: String,
    /// The value now.
    pub now: String,
}

const RESOLVED_HEADER: &str = "# learnloss train: the resolved configuration (load it again with --config)\n";

/// The multi-label data a run trains on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MultiLabelSource {
    /// 2×2 mosaics of the embedded FashionMNIST subset ([`crate::data::load_mosaic`]).
    Mosaic,
    /// `train.csv` and `test.csv` in `--data-dir` ([`crate::data::load_multilabel_folder`]).
    Folder,
}
