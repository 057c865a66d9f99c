//! Serde for the small configuration enums through their `Display`/`FromStr` names, so that a
//! TOML file says `preset = "meaningful"` exactly as the command line does.

/// Implements `Serialize` (the `Display` text) and `Deserialize` (through `FromStr`, whose
/// error message becomes serde's) for each type.
macro_rules! serde_via_str {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

pub(crate) use serde_via_str;
