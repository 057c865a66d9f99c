//! Whether a training invocation may write into its results folder, given what an earlier one
//! left there. A folder knows its configuration (`config.toml`, written once the inputs are
//! validated), so:
//! - without `--resume` or `--overwrite`, a folder holding an earlier training is refused: its
//!   finished runs would otherwise be reported beside the new ones, or kept by a later `--resume`
//!   as if they had the new settings;
//! - `--resume` continues only the configuration that is there: a setting that differs is
//!   refused, naming each key with both values (where the data and the results lie and the
//!   device may change);
//! - `--overwrite` removes the earlier training first: its run folders and the report's files,
//!   nothing else (a folder given by mistake keeps what other programs put there).
//!
//! Called with the folder's lock held, so no other trainer is writing it.

use super::config::TrainConfig;
use super::method::Method;
use crate::report::{is_report_output, CONFIG_TOML};
use crate::{Error, Result};
use std::path::Path;

/// What to do with a results folder that holds an earlier training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Existing {
    /// Refuse it (the default): pass `Resume` or `Overwrite` to use it.
    #[default]
    Refuse,
    /// Continue its runs from their checkpoints; its configuration must be this one.
    Resume,
    /// Remove what the earlier training wrote, then train afresh.
    Overwrite,
}

/// Settings that say where things are or what runs them, not what is trained: they may differ
/// when a training is resumed.
const MAY_CHANGE_ON_RESUME: [&str; 3] = ["out", "data_dir", "device"];

/// What an earlier training left in `out`, in words (`None` when nothing: a new or empty
/// folder, or one holding only files of other programs).
fn earlier_training(out: &Path) -> Result<Option<String>> {
    let mut parts = Vec::new();
    if TrainConfig::written_by_trainer(&out.join(CONFIG_TOML))? {
        parts.push(CONFIG_TOML.to_string());
    }
    let mut runs = 0;
    for method in Method::ALL {
        let dir = out.join(method.name());
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                continue
            }
            Err(e) => return Err(Error::io(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            if entry.file_name().to_string_lossy().starts_with("run-") {
                runs += 1;
            }
        }
    }
    if runs > 0 {
        parts.push(format!("{runs} run folder{}", if runs == 1 { "" } else { "s" }));
    }
    Ok((!parts.is_empty()).then(|| parts.join(" and ")))
}

/// Checks `out` against this invocation before anything is written to it, and empties it for
/// [`Existing::Overwrite`]. Returns notes for the progress log.
pub fn prepare(out: &Path, config: &TrainConfig, existing: Existing) -> Result<Vec<String>> {
    let Some(found) = earlier_training(out)? else {
        return Ok(Vec::new());
    };
    match existing {
        Existing::Refuse => Err(Error::Config(format!(
            "{} holds an earlier training ({found}); continue it with --resume, replace it with \
             --overwrite, or choose another --out",
            out.display()
        ))),
        Existing::Resume => resume_notes(out, config),
        Existing::Overwrite => {
            remove_earlier(out)?;
            Ok(vec![format!(
                "--overwrite: removed the earlier training in {} ({found})",
                out.display()
            )])
        }
    }
}

/// Refuses a resume whose settings differ from the folder's `config.toml`; notes the settings
/// that may differ and do.
fn resume_notes(out: &Path, config: &TrainConfig) -> Result<Vec<String>> {
    let path = out.join(CONFIG_TOML);
    if !TrainConfig::written_by_trainer(&path)? {
        // Run folders without a configuration (an older version of the trainer wrote them):
        // nothing to compare with.
        return Ok(vec![format!(
            "{} has no {CONFIG_TOML}: its runs are resumed as they are",
            out.display()
        )]);
    }
    let saved = TrainConfig::from_toml_file(&path)?;
    let differences = saved.differences(config);
    let (allowed, refused): (Vec<_>, Vec<_>) = differences
        .into_iter()
        .partition(|d| MAY_CHANGE_ON_RESUME.contains(&d.key.as_str()));
    if !refused.is_empty() {
        let list: Vec<String> = refused
            .iter()
            .map(|d| format!("{} {} there, {} now", d.key, d.saved, d.now))
            .collect();
        return Err(Error::Config(format!(
            "--resume: {} was trained with other settings ({}); resume with its settings \
             (omit the flags that change them), or train anew with --overwrite or another --out",
            path.display(),
            list.join("; ")
        )));
    }
    Ok(allowed
        .iter()
        .map(|d| format!("resuming with {} {} (it was {})", d.key, d.now, d.saved))
        .collect())
}

/// Removes what a training wrote into `out`: the methods' run folders and the report's files.
fn remove_earlier(out: &Path) -> Result<()> {
    for entry in std::fs::read_dir(out).map_err(|e| Error::io(out, e))? {
        let entry = entry.map_err(|e| Error::io(out, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = is_report_output(&name) || Method::ALL.iter().any(|m| m.name() == name);
        if !ours {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().map_err(|e| Error::io(&path, e))?.is_dir();
        let removed = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::out_lock::LOCK_FILE;
    use super::*;

    fn config(out: &Path) -> TrainConfig {
        TrainConfig {
            out: out.to_path_buf(),
            ..TrainConfig::default()
        }
    }

    fn write_earlier(out: &Path, config: &TrainConfig) {
        std::fs::create_dir_all(out.join("baseline/run-1")).unwrap();
        std::fs::write(out.join(CONFIG_TOML), config.to_toml()).unwrap();
        std::fs::write(out.join(LOCK_FILE), "").unwrap();
    }

    #[test]
    fn a_new_or_foreign_folder_is_accepted_whatever_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        for mode in [Existing::Refuse, Existing::Resume, Existing::Overwrite] {
            assert!(prepare(dir.path(), &config(dir.path()), mode).unwrap().is_empty());
        }
        assert!(
            dir.path().join("notes.txt").exists(),
            "nothing of another program is removed"
        );
    }

    #[test]
    fn an_earlier_training_is_refused_without_resume_or_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        write_earlier(dir.path(), &c);
        let e = prepare(dir.path(), &c, Existing::Refuse).unwrap_err().to_string();
        assert!(
            e.contains("config.toml and 1 run folder") && e.contains("--resume") && e.contains("--overwrite"),
            "{e}"
        );
    }

    #[test]
    fn resume_refuses_other_settings_naming_each_key_and_accepts_a_moved_folder() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        write_earlier(dir.path(), &c);
        assert!(prepare(dir.path(), &c, Existing::Resume).unwrap().is_empty());
        let changed = TrainConfig {
            lr: Some(0.01),
            batch_size: Some(32),
            ..c.clone()
        };
        let e = prepare(dir.path(), &changed, Existing::Resume).unwrap_err().to_string();
        assert!(e.contains("lr unset there, 0.01 now"), "{e}");
        assert!(e.contains("batch_size unset there, 32 now"), "{e}");
        let moved = TrainConfig {
            out: dir.path().join("."),
            device: "wgpu".into(),
            ..c
        };
        let notes = prepare(dir.path(), &moved, Existing::Resume).unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("device \"wgpu\"")), "{notes:?}");
    }

    #[test]
    fn overwrite_removes_the_earlier_training_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        write_earlier(dir.path(), &c);
        std::fs::create_dir_all(dir.path().join("plots")).unwrap();
        for file in [
            "metrics.csv",
            "plots/loss.png",
            "classification_report_learnable.txt",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(file), "x").unwrap();
        }
        let notes = prepare(dir.path(), &c, Existing::Overwrite).unwrap();
        assert_eq!(notes.len(), 1);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec![LOCK_FILE.to_string(), "notes.txt".to_string()]);
        assert!(prepare(dir.path(), &c, Existing::Refuse).unwrap().is_empty());
    }

    #[test]
    fn a_config_toml_of_another_program_is_not_an_earlier_training() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_TOML), "name = \"other\"\n").unwrap();
        assert!(prepare(dir.path(), &config(dir.path()), Existing::Refuse)
            .unwrap()
            .is_empty());
    }
}
