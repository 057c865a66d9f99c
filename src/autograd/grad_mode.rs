//! Whether ops record the graph (PyTorch's `torch.no_grad` / `enable_grad`), per thread.

use std::cell::Cell;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread currently record gradients.
pub fn is_enabled() -> bool {
    ENABLED.with(|e| e.get())
}

/// Restores the previous gradient mode when dropped.
#[must_use = "gradient mode is restored when the guard is dropped"]
pub struct GradModeGuard {
    previous: bool,
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        ENABLED.with(|e| e.set(self.previous));
    }
}

/// Sets the gradient mode until the guard drops.
pub fn set_enabled(enabled: bool) -> GradModeGuard {
    let previous = ENABLED.with(|e| e.replace(enabled));
    GradModeGuard { previous }
}

/// Stops graph recording until the guard drops: `let _g = no_grad();`.
pub fn no_grad() -> GradModeGuard {
    set_enabled(false)
}

/// Turns graph recording back on until the guard drops (inside a `no_grad` region).
pub fn enable_grad() -> GradModeGuard {
    set_enabled(true)
}
