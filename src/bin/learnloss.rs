//! The `learnloss` command line: `train` (the default: standard vs learnable-loss training and
//! the whole report), `study` (the loss-comparison study: `train` with its preset), `report DIR` (plots and HTML again from the metrics files), and `info`
//! (build, devices, and a third-order gradient check end to end).

use clap::{Args, Parser, Subcommand};
use learnloss::check::{gradcheck, gradgradcheck};
use learnloss::learnable::{Activation, BnMode, Preset, TraceDefinition, TraceMethod};
use learnloss::train::{train, ClassWeights, Existing, Method, ModelKind, Normalize, Progress, Task, TrainConfig};
use learnloss::{grad, DType, Device, Generator, Tensor};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "learnloss",
    version,
    about = "Tensors and autograd to any order for learnable loss networks"
)]
struct Cli {
    /// What to do; without one, `train` with its defaults (the embedded FashionMNIST subset).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Standard vs learnable-loss training: methods × runs, metrics, checkpoints, the report.
    Train(Box<TrainArgs>),
    /// The loss-comparison study: the MLP trained with ce, weighted-ce (class 0 weighted 2,
    /// divided by the batch size) and ce-l1 (α 0.01) from the same initial weights, inputs
    /// (x − 0.5) / 0.5, Adam lr 1e-3, batch 64, 5 epochs × 5 runs, validated on the test set;
    /// the report compares them (mean ± std, 95 % CIs, Welch's and paired t-tests). Every flag
    /// of `train` applies on top.
    Study(Box<TrainArgs>),
    /// Regenerates the plots and report.html of a results folder from its metrics files.
    Report {
        /// The folder `train` wrote (its --out).
        dir: PathBuf,
    },
    /// Version, devices, and a gradient check of a Hessian trace's gradient (third order).
    Info,
}

/// Flags of `train`; each overrides the --config file, which overrides the seed's defaults.
#[derive(Args, Default)]
struct TrainArgs {
    /// A TOML file with any of the settings below (keys as the flags, `_` for `-`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// multiclass (one class per image) or multilabel (a set of labels per image: one sigmoid
    /// per label, BCE on multi-hot targets) [default: multiclass]
    #[arg(long)]
    task: Option<Task>,
    /// mnist, fashion-mnist, cifar10, cifar100, pet, or embedded; for --task multilabel,
    /// embedded (2×2 mosaics of the embedded subset) or folder (train.csv and test.csv in
    /// --data-dir) [default: embedded]
    #[arg(long)]
    dataset: Option<String>,
    /// The folder holding the dataset's files (or the folder above it).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Comma-separated: baseline, learnable, bce, ce, weighted-ce, ce-l1, nll, hinge, kl; for
    /// --task multilabel bce and learnable [default: baseline,learnable; bce,learnable]
    #[arg(long, value_delimiter = ',')]
    methods: Option<Vec<Method>>,
    /// The classifier every method trains: baseline-cnn, learnable-cnn, resnet18 or mlp [default:
    /// baseline-cnn for baseline and learnable-cnn for the other methods; resnet18 for
    /// --task multilabel]
    #[arg(long)]
    model: Option<ModelKind>,
    /// A torchvision ResNet-18 state dict saved as safetensors, loaded into the ResNet-18
    /// backbone before training (fc.* ignored; nothing is downloaded)
    #[arg(long)]
    pretrained: Option<PathBuf>,
    /// Multilabel: a label is predicted where its sigmoid output is at least this [default: 0.5]
    #[arg(long)]
    threshold: Option<f64>,
    /// The side images listed by a CSV are resized to [default: 224]
    #[arg(long)]
    image_size: Option<u32>,
    /// Runs per method, averaged in the report [default: 3]
    #[arg(long)]
    runs: Option<usize>,
    /// [default: 20, or 10 on the embedded subset]
    #[arg(long)]
    epochs: Option<usize>,
    /// One batch size for every method [default: 1024 learnable classifier, 128 baseline CNN,
    /// 32 ResNet-18]
    #[arg(long)]
    batch_size: Option<usize>,
    /// Adam's learning rate for every network [default: 0.0001 for ResNet-18, else 0.001]
    #[arg(long)]
    lr: Option<f64>,
    /// λ, the weight on the loss network's penalties [default: 0.1]
    #[arg(long)]
    lambda: Option<f64>,
    /// seed (ReLU, training-mode BatchNorm, the seed's trace) or meaningful (Softplus, no
    /// BatchNorm, per-sample trace) [default: seed]
    #[arg(long)]
    preset: Option<Preset>,
    /// seed or per-sample (overrides the preset's)
    #[arg(long)]
    trace: Option<TraceDefinition>,
    /// auto, loop, batched or forward-laplacian [default: auto]
    #[arg(long)]
    trace_method: Option<TraceMethod>,
    /// relu, tanh or softplus (overrides the preset's)
    #[arg(long)]
    lossnet_activation: Option<Activation>,
    /// train, eval or none (overrides the preset's)
    #[arg(long)]
    lossnet_bn: Option<BnMode>,
    /// α of the ce-l1 method [default: 1e-5; study: 0.01]
    #[arg(long)]
    l1_alpha: Option<f64>,
    /// weighted-ce's class weights: one per class (2,1,1,… weighs class 0 double) or
    /// inverse-frequency; the loss is divided by the batch size [default: inverse-frequency;
    /// study: 2,1,1,1,1,1,1,1,1,1]
    #[arg(long)]
    class_weights: Option<ClassWeights>,
    /// MEAN,STD: inputs become (x − MEAN) / STD before the classifier [default: none; study:
    /// 0.5,0.5]
    #[arg(long)]
    normalize: Option<Normalize>,
    /// Share of the training set held out for validation; 0 trains on all of it and validates
    /// on the test set [default: 0.1; study: 0]
    #[arg(long)]
    val_fraction: Option<f64>,
    /// [default: 42]
    #[arg(long)]
    seed: Option<u64>,
    /// cpu, cuda (NVIDIA GPU 0), cuda:N, wgpu (any Vulkan/Metal/DX12/GL adapter), or auto (the
    /// best available: a GPU when there is a real one, else the CPU) [default: cpu]
    #[arg(long)]
    device: Option<String>,
    /// float32 (f32) or float64 (f64) for the networks and data [default: float32]
    #[arg(long)]
    dtype: Option<DType>,
    /// The results folder [default: results]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the runs in --out from their last checkpoints, with the settings in its
    /// config.toml (a flag that changes one is refused); finished runs are kept.
    #[arg(long)]
    resume: bool,
    /// Train afresh in an --out that holds an earlier training: its run folders and report
    /// files are removed first (nothing else in the folder is touched).
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// Only errors and the final table.
    #[arg(long)]
    quiet: bool,
}

impl TrainArgs {
    /// The configuration to train: as [`TrainArgs::resolve`], except that `--resume` starts
    /// from the settings recorded in the results folder, so that only the flags given change
    /// them (and the trainer refuses a change).
    fn configuration(&self, base: TrainConfig) -> learnloss::Result<TrainConfig> {
        let config = self.resolve(base)?;
        let saved = config.out.join(learnloss::report::CONFIG_TOML);
        if !self.resume || !TrainConfig::written_by_trainer(&saved)? {
            return Ok(config);
        }
        let resumed = self.resolve(TrainConfig::from_toml_file(&saved)?)?;
        // The folder is where it was found now, whatever path it was written under.
        Ok(TrainConfig {
            out: config.out,
            ..resumed
        })
    }

    fn existing(&self) -> Existing {
        match (self.resume, self.overwrite) {
            (true, _) => Existing::Resume,
            (false, true) => Existing::Overwrite,
            (false, false) => Existing::Refuse,
        }
    }

    /// The configuration: `base` (the seed's defaults, or the study's), then the --config file,
    /// then the flags given.
    fn resolve(&self, base: TrainConfig) -> learnloss::Result<TrainConfig> {
        let mut c = match &self.config {
            Some(path) => TrainConfig::from_toml_file_over(path, &base)?,
            None => base,
        };
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = &self.$field {
                    c.$field = v.clone();
                }
            )*};
        }
        set!(
            task,
            dataset,
            runs,
            threshold,
            image_size,
            lambda,
            preset,
            trace_method,
            l1_alpha,
            class_weights,
            val_fraction,
            seed,
            device,
            dtype,
            out
        );
        macro_rules! set_opt {
            ($($field:ident),*) => {$(
                if self.$field.is_some() {
                    c.$field = self.$field.clone();
                }
            )*};
        }
        set_opt!(
            data_dir,
            methods,
            model,
            pretrained,
            lr,
            epochs,
            batch_size,
            trace,
            lossnet_activation,
            lossnet_bn,
            normalize
        );
        Ok(c)
    }
}

fn run_train(args: &TrainArgs, base: TrainConfig) -> ExitCode {
    let result = args.configuration(base).and_then(|config| {
        let progress = Progress::new(args.quiet);
        let outcome = train(&config, args.existing(), &progress)?;
        if args.quiet {
            print!("{}", learnloss::train::summary_table(&config, &outcome.runs));
        }
        println!("report: {}", config.out.join("report.html").display());
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_report(dir: &std::path::Path) -> ExitCode {
    match learnloss::report::regenerate(dir) {
        Ok(files) => {
            println!("wrote {} files to {}", files.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Σ_b tr ∂²E_b/∂x_b² of a small Tanh MLP E(x) = w2·tanh(W1·x + b1), by the seed's loop of
/// double-backward passes; differentiable in the weights.
fn hessian_trace(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor) -> Tensor {
    let e = x.matmul(&w1.mt()).add(b1).tanh().matmul(w2);
    let g = grad(&[e.sum_all()], std::slice::from_ref(x), None, true).remove(0);
    let mut trace: Option<Tensor> = None;
    for i in 0..x.dim(1) {
        let gi = grad(&[g.narrow(1, i, 1).sum_all()], std::slice::from_ref(x), None, true).remove(0);
        let term = gi.narrow(1, i, 1).sum_all();
        trace = Some(match trace {
            None => term,
            Some(t) => t.add(&term),
        });
    }
    trace.expect("at least one input feature")
}

fn info() -> ExitCode {
    println!("learnloss {}", env!("CARGO_PKG_VERSION"));
    println!("devices (best first):");
    for d in Device::available() {
        println!("  {}", d.describe());
    }
    println!("best: {} (--device auto)", Device::best());
    let wgpu = if cfg!(feature = "wgpu") { ", wgpu" } else { "" };
    let cuda = if cfg!(feature = "cuda") { ", cuda" } else { "" };
    println!("backends in this build: cpu{cuda}{wgpu}");
    if let Err(e) = Device::cuda(0) {
        println!("  cuda unavailable: {e}");
    }
    if let Err(e) = Device::wgpu() {
        println!("  wgpu unavailable: {e}");
    }

    let dev = Device::Cpu;
    let mut gen = Generator::new(42);
    let x = Tensor::randn(&[3, 4], DType::F64, &dev, &mut gen).requires_grad_(true);
    let w1 = Tensor::randn(&[5, 4], DType::F64, &dev, &mut gen)
        .mul_scalar(0.5)
        .requires_grad_(true);
    let b1 = Tensor::randn(&[5], DType::F64, &dev, &mut gen).requires_grad_(true);
    let w2 = Tensor::randn(&[5], DType::F64, &dev, &mut gen).requires_grad_(true);
    let trace = |a: &[Tensor]| hessian_trace(&x, &a[0], &a[1], &a[2]);
    let start = Instant::now();
    let params = [w1, b1, w2];
    println!("Hessian trace of a tanh MLP: {:.6}", trace(&params).item());
    let third = gradcheck(trace, &params);
    let fourth = gradgradcheck(trace, &params);
    let elapsed = start.elapsed();
    match (third, fourth) {
        (Ok(()), Ok(())) => {
            println!(
                "gradcheck of d(trace)/d(weights) (3rd order) and gradgradcheck (4th order): passed in {:.2?}",
                elapsed
            );
            ExitCode::SUCCESS
        }
        (third, fourth) => {
            for e in [third.err(), fourth.err()].into_iter().flatten() {
                eprintln!("FAILED: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    learnloss::tune_cpu_process();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first line names the bad flag or value.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: bad arguments");
            eprintln!("{first} (see learnloss --help)");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        None => run_train(&TrainArgs::default(), TrainConfig::default()),
        Some(Command::Train(args)) => run_train(&args, TrainConfig::default()),
        Some(Command::Study(args)) => run_train(&args, TrainConfig::loss_study()),
        Some(Command::Report { dir }) => run_report(&dir),
        Some(Command::Info) => info(),
    }
}
