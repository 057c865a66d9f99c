//! Serde adapters that keep non-finite floats. JSON has no NaN or infinity and serde_json
//! writes them as `null`, which then fails to read back as `f64`; a diverged run's NaN loss
//! must survive the round trip, so non-finite values are written as the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"` (and `null` reads back as NaN).

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, SerializeTuple, Serializer};
use serde::Deserialize;

fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// A float as written: finite numbers as JSON numbers, the rest by name.
struct Float(f64);

impl serde::Serialize for Float {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else {
            s.serialize_str(non_finite_name(self.0))
        }
    }
}

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Float;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, \"NaN\", \"Infinity\", \"-Infinity\" or null")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
                Ok(Float(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Float, E> {
                Ok(Float(f64::NAN))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
                match v {
                    "NaN" => Ok(Float(f64::NAN)),
                    "Infinity" => Ok(Float(f64::INFINITY)),
                    "-Infinity" => Ok(Float(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `#[serde(with = "serde_float::f64")]`
pub mod f64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&Float(*v), s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Float::deserialize(d).map(|f| f.0)
    }
}

/// `#[serde(with = "serde_float::option")]`: `None` is `null`, so a missing penalty and a
/// NaN penalty stay distinct (NaN is `"NaN"`).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => serde::Serialize::serialize(&Float(*v), s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Float>::deserialize(d)?.map(|f| f.0))
    }
}

/// `#[serde(with = "serde_float::vec")]` for a list of floats.
pub mod vec {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&Float(*x))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Float>::deserialize(d)?.into_iter().map(|f| f.0).collect())
    }
}

/// `#[serde(with = "serde_float::option_pairs")]` for an optional list of `(x, y)` points.
pub mod option_pairs {
    use super::*;

    struct Pair((f64, f64));

    impl serde::Serialize for Pair {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut t = s.serialize_tuple(2)?;
            t.serialize_element(&Float(self.0 .0))?;
            t.serialize_element(&Float(self.0 .1))?;
            t.end()
        }
    }

    pub fn serialize<S: Serializer>(v: &Option<Vec<(f64, f64)>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(points) => {
                let mut seq = s.serialize_seq(Some(points.len()))?;
                for &p in points {
                    seq.serialize_element(&Pair(p))?;
                }
                seq.end()
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(f64, f64)>>, D::Error> {
        let raw = Option::<Vec<(Float, Float)>>::deserialize(d)?;
        Ok(raw.map(|points| points.into_iter().map(|(x, y)| (x.0, y.0)).collect()))
    }
}
