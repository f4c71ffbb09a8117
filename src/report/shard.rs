//! Shards: the replications of one run, or the (point, replication) pairs
//! of a sweep, spread over machines (`--shard I/N`), and their merge
//! (`ecsim merge`).
//!
//! The units of work are numbered: replication `r` of a run is unit `r`;
//! replication `r` of sweep point `p` is unit `p × R + r` (point-major).
//! Shard `I` of `N` makes the units `u` with `u mod N = I`. A shard
//! directory holds `shard.json` (the ecsim version, the SHA-256 of
//! everything that defines the run, `I`, `N`, `R`, a sweep's keys, points
//! and costs, the units held), the resolved scenario
//! (`scenario.resolved.toml`; a sweep's points as `points/NNN.toml`), and
//! one `replications/NNNNNN.json` per unit: its whole result, every
//! histogram in HdrHistogram's V2 serialization, every counter, sum and
//! time-series row. A merge reads the units back in order, one at a time,
//! and folds them exactly as one machine does, so the report is byte for
//! byte the same whatever `N` was and in whatever order the shards are
//! given.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scenario::model::DataFile;

use super::atomic::ReportFile;
use crate::metrics::result::RunResult;

/// The manifest of a shard directory.
pub const MANIFEST: &str = "shard.json";
/// The scenario a shard ran, resolved.
pub const SCENARIO: &str = "scenario.resolved.toml";
/// Where a shard keeps its replications.
pub const REPLICATIONS: &str = "replications";

/// `shard.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The ecsim that wrote it (`CARGO_PKG_VERSION`).
    pub ecsim_version: String,
    /// SHA-256 of `scenario.resolved.toml`, hex.
    pub scenario_sha256: String,
    /// This shard, `0..shards`.
    pub shard: u32,
    /// Shards in all.
    pub shards: u32,
    /// Replications of the whole run (of each sweep point).
    pub replications: u32,
    /// A sweep's grid (none for a run).
    pub sweep: Option<SweepSpec>,
    /// The units this shard holds, in order.
    pub held: Vec<u32>,
}

/// A sweep's grid, as `ecsim sweep` builds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// The varied keys, in `--vary` order.
    pub keys: Vec<String>,
    /// Each point's values and cost, in grid order.
    pub points: Vec<SweepPoint>,
    /// What the cost is (`--cost`'s key or metric, `workers` by default).
    #[serde(default)]
    pub cost_of: super::sweep::CostOf,
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// `(key, value)` per varied key.
    pub values: Vec<(String, String)>,
    /// Its cost.
    pub cost: f64,
}

/// The file of scenario `i` of `n` in a shard directory.
fn scenario_path(i: usize, n: usize, sweep: bool) -> String {
    if sweep {
        format!("points/{:03}.toml", i + 1)
    } else {
        debug_assert!(i == 0 && n == 1);
        SCENARIO.to_owned()
    }
}

/// The SHA-256 of what defines a run: its scenarios and a sweep's grid.
fn run_hash(scenarios: &[String], sweep: &Option<SweepSpec>) -> String {
    let mut all = String::new();
    for s in scenarios {
        all.push_str(s);
        all.push('\0');
    }
    // Cannot fail: strings and numbers.
    all.push_str(&serde_json::to_string(sweep).expect("serializes"));
    sha256(&all)
}

#[derive(Serialize, Deserialize)]
struct Replication {
    replication: u32,
    result: RunResult,
}

/// SHA-256 of `text`, hex.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replication_path(r: u32) -> String {
    format!("{REPLICATIONS}/{r:06}.json")
}

/// Builds a shard directory's files as replications arrive.
pub struct ShardWriter {
    manifest: Manifest,
    scenarios: Vec<String>,
    files: Vec<ReportFile>,
}

impl ShardWriter {
    /// Shard `shard` of `shards` of a run of `replications` replications
    /// of the resolved `scenarios` (one, or a sweep's points with its
    /// grid).
    pub fn new(
        scenarios: Vec<String>,
        sweep: Option<SweepSpec>,
        shard: u32,
        shards: u32,
        replications: u32,
    ) -> Self {
        ShardWriter {
            manifest: Manifest {
                ecsim_version: env!("CARGO_PKG_VERSION").to_owned(),
                scenario_sha256: run_hash(&scenarios, &sweep),
                shard,
                shards,
                replications,
                sweep,
                held: Vec::new(),
            },
            scenarios,
            files: Vec::new(),
        }
    }

    /// Adds unit `r`'s result (serialized now: the shard holds bytes, not
    /// results).
    pub fn add(&mut self, r: u32, result: RunResult) {
        let rep = Replication {
            replication: r,
            result,
        };
        // Cannot fail: every field serializes (numbers, strings, vectors).
        let bytes = serde_json::to_vec(&rep).expect("a result serializes");
        self.files.push(ReportFile {
            path: replication_path(r),
            bytes,
        });
        self.manifest.held.push(r);
    }

    /// Adds the data files the scenarios read, under `data/` as in a
    /// report, so that `merge` loads the resolved scenarios as they ran
    /// (a name already added is kept once).
    pub fn add_data<'a>(&mut self, data: impl IntoIterator<Item = &'a DataFile>) {
        for d in data {
            let path = format!("{}/{}", crate::contract::names::DATA_DIR, d.name);
            if !self.files.iter().any(|f| f.path == path) {
                self.files.push(ReportFile {
                    path,
                    bytes: d.bytes.to_vec(),
                });
            }
        }
    }

    /// The directory's files.
    pub fn files(mut self) -> Vec<ReportFile> {
        // Cannot fail: the manifest is numbers and strings.
        let mut manifest = serde_json::to_vec_pretty(&self.manifest).expect("serializes");
        manifest.push(b'\n');
        self.files.push(ReportFile {
            path: MANIFEST.to_owned(),
            bytes: manifest,
        });
        let (n, sweep) = (self.scenarios.len(), self.manifest.sweep.is_some());
        for (i, text) in self.scenarios.into_iter().enumerate() {
            self.files.push(ReportFile {
                path: scenario_path(i, n, sweep),
                bytes: text.into_bytes(),
            });
        }
        self.files
    }
}

/// Why shards cannot be merged. The CLI maps it to exit 2.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard directory or file cannot be read, or is not what it says.
    #[error("{path}: {message}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The shards do not belong together.
    #[error("{0}")]
    Mismatch(String),
    /// Some replications are in no shard.
    #[error("missing shards: {missing}; merge them all, or pass --allow-partial")]
    Missing {
        /// The missing shard indices, listed.
        missing: String,
    },
}

fn bad(path: &Path, message: impl Into<String>) -> MergeError {
    MergeError::Bad {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Shards checked to belong together, ready to be read in replication
/// order.
#[derive(Debug)]
pub struct Shards {
    /// The scenarios, resolved (one, or a sweep's points).
    pub resolved: Vec<String>,
    /// A sweep's grid.
    pub sweep: Option<SweepSpec>,
    /// Replications of the whole run.
    pub replications: u32,
    /// Where each held replication is.
    held: BTreeMap<u32, PathBuf>,
    /// Shards in all, and the indices missing.
    pub shards: u32,
    /// Shard indices not given.
    pub missing: Vec<u32>,
}

impl Shards {
    /// Reads and checks the manifests of `dirs`.
    pub fn open(dirs: &[PathBuf]) -> Result<Shards, MergeError> {
        let mut first: Option<(Manifest, PathBuf, Vec<String>)> = None;
        let mut seen: BTreeMap<u32, PathBuf> = BTreeMap::new();
        let mut held = BTreeMap::new();
        for dir in dirs {
            let path = dir.join(MANIFEST);
            let text = fs::read_to_string(&path).map_err(|e| bad(&path, format!("cannot read it: {e} (is {} a shard directory written by `ecsim run --shard`?)", dir.display())))?;
            let m: Manifest = serde_json::from_str(&text)
                .map_err(|e| bad(&path, format!("not a shard manifest: {e}")))?;
            let n = m.sweep.as_ref().map_or(1, |s| s.points.len());
            let mut resolved = Vec::new();
            for i in 0..n {
                let file = dir.join(scenario_path(i, n, m.sweep.is_some()));
                let text = fs::read_to_string(&file)
                    .map_err(|e| bad(&file, format!("cannot read it: {e}")))?;
                resolved.push(text);
            }
            if run_hash(&resolved, &m.sweep) != m.scenario_sha256 {
                return Err(bad(
                    &path,
                    "its scenarios do not match its scenario_sha256: the shard is corrupt",
                ));
            }
            let units = n as u32 * m.replications.max(1);
            if let Some((f, fdir, _)) = &first {
                if m.ecsim_version != f.ecsim_version {
                    return Err(MergeError::Mismatch(format!(
                        "{} was written by ecsim {} and {} by ecsim {}: merge shards of one version",
                        dir.display(),
                        m.ecsim_version,
                        fdir.display(),
                        f.ecsim_version
                    )));
                }
                if (m.scenario_sha256.as_str(), m.shards, m.replications)
                    != (f.scenario_sha256.as_str(), f.shards, f.replications)
                {
                    return Err(MergeError::Mismatch(format!(
                        "{} and {} are shards of different runs (scenario, shard count or replications differ)",
                        dir.display(),
                        fdir.display()
                    )));
                }
            }
            if m.shard >= m.shards.max(1) {
                return Err(bad(
                    &path,
                    format!("shard {} of {} is out of range", m.shard, m.shards),
                ));
            }
            if let Some(other) = seen.insert(m.shard, dir.clone()) {
                return Err(MergeError::Mismatch(format!(
                    "shard {} is given twice: {} and {}",
                    m.shard,
                    other.display(),
                    dir.display()
                )));
            }
            for &r in &m.held {
                if r >= units || r % m.shards != m.shard {
                    return Err(bad(
                        &path,
                        format!("holds replication {r}, which is not shard {}'s", m.shard),
                    ));
                }
                held.insert(r, dir.join(replication_path(r)));
            }
            if first.is_none() {
                first = Some((m, dir.clone(), resolved));
            }
        }
        let Some((f, _, resolved)) = first else {
            return Err(MergeError::Mismatch("no shard directory given".into()));
        };
        let missing = (0..f.shards).filter(|i| !seen.contains_key(i)).collect();
        Ok(Shards {
            resolved,
            sweep: f.sweep,
            replications: f.replications,
            held,
            shards: f.shards,
            missing,
        })
    }

    /// The missing shard indices as an error, if any.
    pub fn complete(&self) -> Result<(), MergeError> {
        if self.missing.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = self.missing.iter().map(u32::to_string).collect();
        Err(MergeError::Missing {
            missing: format!(
                "{} of {} ({})",
                self.missing.len(),
                self.shards,
                list.join(", ")
            ),
        })
    }

    /// Is unit `u` in a shard given?
    pub fn holds(&self, u: u32) -> bool {
        self.held.contains_key(&u)
    }

    /// Reads replication `r`.
    pub fn read(&self, r: u32) -> Result<RunResult, MergeError> {
        let Some(path) = self.held.get(&r) else {
            return Err(MergeError::Mismatch(format!(
                "replication {r} is in no shard given"
            )));
        };
        let bytes = fs::read(path).map_err(|e| bad(path, format!("cannot read it: {e}")))?;
        let rep: Replication = serde_json::from_slice(&bytes)
            .map_err(|e| bad(path, format!("truncated or corrupt: {e}")))?;
        if rep.replication != r {
            return Err(bad(
                path,
                format!("holds replication {}, not {r}", rep.replication),
            ));
        }
        Ok(rep.result)
    }
}
