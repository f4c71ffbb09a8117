//! Histograms in files: HdrHistogram's V2 serialization (uncompressed),
//! base64-encoded, for serde. A histogram read back holds exactly the
//! counts written, with the same bounds, so merging it gives the same bytes
//! as merging the original (the shards of a run rely on this).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer as HdrDeserializer, Serializer as _, V2Serializer};
use serde::{Deserialize, Deserializer, Serializer, de};

/// Writes `h` as base64 of its V2 serialization.
pub fn serialize<S: Serializer>(h: &Histogram<u64>, s: S) -> Result<S::Ok, S::Error> {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut bytes)
        .map_err(|e| serde::ser::Error::custom(format!("cannot serialize a histogram: {e:?}")))?;
    s.serialize_str(&STANDARD.encode(bytes))
}

/// Reads a histogram written by [`serialize`].
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Histogram<u64>, D::Error> {
    let text = String::deserialize(d)?;
    let bytes = STANDARD
        .decode(text.as_bytes())
        .map_err(|e| de::Error::custom(format!("a histogram is not valid base64: {e}")))?;
    HdrDeserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| de::Error::custom(format!("a histogram is corrupt: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct H(#[serde(with = "super")] Histogram<u64>);

    #[test]
    fn a_histogram_reads_back_with_the_same_counts_and_quantiles() {
        let mut h = crate::metrics::latency_histogram();
        for v in [1u64, 7, 1_000, 123_456_789, 5_000_000_000] {
            h.saturating_record(v);
        }
        let text = serde_json::to_string(&H(h.clone())).expect("serializes");
        let back: H = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back.0, h);
        assert_eq!(back.0.max(), h.max());
        assert_eq!(back.0.value_at_quantile(0.5), h.value_at_quantile(0.5));
        let mut sum = crate::metrics::latency_histogram();
        sum.add(&back.0).expect("same bounds");
        assert!(serde_json::from_str::<H>("\"AAAA\"").is_err());
    }
}
