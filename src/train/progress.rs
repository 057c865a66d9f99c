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

    /// The line printed when an epoch ends: `Epoch k/N, Loss: …` as the study's users print it
    /// (the mean batch loss, 4 decimals), after the method and run, then the accuracies.
    pub fn epoch_line(&self, r: &EpochRecord, epochs: usize) {
        if self.quiet {
            return;
        }
        println!("{}", epoch_line(r, epochs));
    }
}

/// The text of [`Progress::epoch_line`].
pub fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
    let mut line = format!(
        "{} run {}: Epoch {}/{epochs}, Loss: {:.4}, Accuracy: {:.4}, Val Loss: {:.4}, Val Accuracy: {:.4}",
        r.method, r.run, r.epoch, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy
    );
    if let (Some(n), Some(c), Some(l)) = (r.nonneg, r.convex, r.lips) {
        line.push_str(&format!("  nonneg {n:.3e} convex {c:.3e} lips {l:.3e}"));
    }
    line.push_str(&format!("  ({:.1} s)", r.seconds));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_line_reads_as_the_study_prints_it() {
        let r = EpochRecord {
            method: "ce".into(),
            run: 2,
            epoch: 3,
            train_loss: 0.512345,
            train_accuracy: 0.81,
            val_loss: 0.6,
            val_accuracy: 0.79,
            nonneg: None,
            convex: None,
            lips: None,
            seconds: 1.25,
        };
        let line = epoch_line(&r, 5);
        assert!(
            line.starts_with("ce run 2: Epoch 3/5, Loss: 0.5123, Accuracy: 0.8100, Val Loss: 0.6000"),
            "{line}"
        );
    }
}
