//! Generator states as safetensors metadata strings: safetensors has no 128-bit integers, and
//! the 32 seed bytes plus a decimal word position are exact and human-readable.

use crate::nn::join_name;
use crate::GeneratorState;
use std::collections::BTreeMap;

/// The two metadata keys of generator `name`: `"<name>.seed"` (64 hex digits) and
/// `"<name>.word_pos"` (decimal).
fn keys(name: &str) -> (String, String) {
    (join_name(name, "seed"), join_name(name, "word_pos"))
}

/// Adds generator `name`'s state to `out`.
pub(crate) fn encode(name: &str, state: &GeneratorState, out: &mut BTreeMap<String, String>) {
    let (seed_key, pos_key) = keys(name);
    let hex: String = state.seed.iter().map(|b| format!("{b:02x}")).collect();
    out.insert(seed_key, hex);
    out.insert(pos_key, state.word_pos.to_string());
}

/// Generator `name`'s state from `meta`, or what is missing or malformed.
pub(crate) fn decode(name: &str, meta: &BTreeMap<String, String>) -> Result<GeneratorState, String> {
    let (seed_key, pos_key) = keys(name);
    let hex = meta.get(&seed_key).ok_or_else(|| format!("{seed_key} is missing"))?;
    let bad_seed = || format!("{seed_key} is {hex:?}, expected 64 hex digits");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad_seed());
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad_seed())?;
    }
    let pos = meta.get(&pos_key).ok_or_else(|| format!("{pos_key} is missing"))?;
    let word_pos = pos
        .parse::<u128>()
        .map_err(|_| format!("{pos_key} is {pos:?}, expected a non-negative integer"))?;
    Ok(GeneratorState { seed, word_pos })
}

/// The metadata keys that generators `names` own (to spot unexpected entries).
pub(crate) fn all_keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    names
        .flat_map(|n| {
            let (a, b) = keys(n);
            [a, b]
        })
        .collect()
}
