//! Generator states as safetensors metadata strings: safetensors has no 128-bit integers, and
//! the 32 seed bytes plus decimal positions are exact and human-readable.

use crate::nn::join_name;
use crate::GeneratorState;
use std::collections::BTreeMap;

/// The metadata keys of generator `name`: `"<name>.seed"` (64 hex digits), `"<name>.word_pos"`,
/// `"<name>.philox_seed"` and `"<name>.philox_offset"` (decimal).
fn keys(name: &str) -> [String; 4] {
    ["seed", "word_pos", "philox_seed", "philox_offset"].map(|k| join_name(name, k))
}

/// Adds generator `name`'s state to `out`.
pub(crate) fn encode(name: &str, state: &GeneratorState, out: &mut BTreeMap<String, String>) {
    let [seed_key, pos_key, philox_seed_key, philox_offset_key] = keys(name);
    let hex: String = state.seed.iter().map(|b| format!("{b:02x}")).collect();
    out.insert(seed_key, hex);
    out.insert(pos_key, state.word_pos.to_string());
    out.insert(philox_seed_key, state.philox_seed.to_string());
    out.insert(philox_offset_key, state.philox_offset.to_string());
}

/// The non-negative integer under `key`, or what is missing or malformed.
fn decimal<T: std::str::FromStr>(meta: &BTreeMap<String, String>, key: &str) -> Result<T, String> {
    let text = meta.get(key).ok_or_else(|| format!("{key} is missing"))?;
    text.parse::<T>()
        .map_err(|_| format!("{key} is {text:?}, expected a non-negative integer"))
}

/// Generator `name`'s state from `meta`, or what is missing or malformed.
pub(crate) fn decode(name: &str, meta: &BTreeMap<String, String>) -> Result<GeneratorState, String> {
    let [seed_key, pos_key, philox_seed_key, philox_offset_key] = keys(name);
    let hex = meta.get(&seed_key).ok_or_else(|| format!("{seed_key} is missing"))?;
    let bad_seed = || format!("{seed_key} is {hex:?}, expected 64 hex digits");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad_seed());
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad_seed())?;
    }
    Ok(GeneratorState {
        seed,
        word_pos: decimal(meta, &pos_key)?,
        philox_seed: decimal(meta, &philox_seed_key)?,
        philox_offset: decimal(meta, &philox_offset_key)?,
    })
}

/// The metadata keys that generators `names` own (to spot unexpected entries).
pub(crate) fn all_keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    names.flat_map(keys).collect()
}
