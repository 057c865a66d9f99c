//! What the trainer tells the user while it works: a progress bar with ETA over each epoch's
//! batches (hidden when stderr is not a terminal) and one line per epoch on stdout.

use super::Method;
use crate::report::EpochRecord;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress output; `quiet` keeps only errors.
pub struct Progress {
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress { quiet }
    }

    /// A line of its own (a note, a warning).
    pub fn note(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }

    /// A bar over one epoch's batches.
    pub fn batches(&self, method: Method, run: usize, epoch: usize, epochs: usize, batches: usize) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(batches as u64), ProgressDrawTarget::stderr());
        if self.quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} batches, {elapsed} (ETA {eta})")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{method} run {run} epoch {epoch}/{epochs}"));
        bar
    }

    /// The line printed when an epoch ends.
    pub fn epoch_line(&self, r: &EpochRecord) {
        if self.quiet {
            return;
        }
        let mut line = format!(
            "{} run {} epoch {:>2}: loss {:.4} (val {:.4})  acc {:.4} (val {:.4})",
            r.method, r.run, r.epoch, r.train_loss, r.val_loss, r.train_accuracy, r.val_accuracy
        );
        if let (Some(n), Some(c), Some(l)) = (r.nonneg, r.convex, r.lips) {
            line.push_str(&format!("  nonneg {n:.3e} convex {c:.3e} lips {l:.3e}"));
        }
        line.push_str(&format!("  {:.1} s", r.seconds));
        println!("{line}");
    }
}
