//! Helpers shared by the integration tests: run the real `ecsim` binary,
//! write scenarios to temporary directories, read report CSVs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A CSV file as rows of column → value.
pub type Rows = Vec<BTreeMap<String, String>>;

/// The `ecsim` binary built for this test run.
pub fn ecsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
}

/// The bundled scenario `scenarios/NAME.toml`.
pub fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

/// Runs `ecsim` with `args`, returning its output.
pub fn run(args: &[&str]) -> Output {
    ecsim().args(args).output().expect("ecsim starts")
}

/// Wall-clock tests measure real time: they run alone, the others share.
static CPU: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// A scratch directory that disappears with the test.
pub struct Scratch {
    dir: tempfile::TempDir,
    _cpu: Cpu,
}

enum Cpu {
    Shared(#[allow(dead_code)] std::sync::RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] std::sync::RwLockWriteGuard<'static, ()>),
}

impl Scratch {
    /// A scratch directory for a test that may run beside others.
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
            _cpu: Cpu::Shared(CPU.read().unwrap_or_else(|e| e.into_inner())),
        }
    }

    /// A scratch directory for a wall-clock test: no other test runs
    /// meanwhile, so timing is not disturbed by the suite itself.
    pub fn alone() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
            _cpu: Cpu::Alone(CPU.write().unwrap_or_else(|e| e.into_inner())),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` as scenario `name` and returns its path.
    pub fn scenario(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write scenario");
        p
    }

    /// Runs `ecsim run SCENARIO --out DIR -q EXTRA…`, asserts exit 0 and
    /// returns the report directory.
    pub fn run_ok(&self, scenario: &Path, out: &str, extra: &[&str]) -> PathBuf {
        let dir = self.path(out);
        let mut args = vec![
            "run",
            scenario.to_str().expect("utf-8 path"),
            "--out",
            dir.to_str().expect("utf-8 path"),
            "-q",
        ];
        args.extend_from_slice(extra);
        ok(&args);
        dir
    }
}

/// Runs `ecsim ARGS…` and asserts exit 0.
pub fn ok(args: &[&str]) {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "ecsim {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Reads a CSV report file into rows.
pub fn read_csv(path: &Path) -> Rows {
    let mut r =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// The row whose `key` column equals `value`.
pub fn row<'a>(rows: &'a Rows, key: &str, value: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}"))
}

/// A numeric field.
pub fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

/// Batch-means estimate of a steady-state mean from the time series: the
/// mean of `operation`'s per-interval means (weighted by count) and its
/// standard error from the spread of the interval means. Intervals are long
/// compared with the queue's relaxation time, so batch means are nearly
/// independent and the standard error is honest despite autocorrelation.
pub fn batch_means(series: &Rows, operation: &str) -> (f64, f64, usize) {
    let batches: Vec<(f64, f64)> = series
        .iter()
        .filter(|r| r["operation"] == operation)
        .map(|r| (num(r, "mean_ms"), num(r, "count")))
        .collect();
    // Drop the last interval: it may be a short partial one.
    let batches = &batches[..batches.len() - 1];
    let n = batches.len();
    let total: f64 = batches.iter().map(|b| b.1).sum();
    let mean = batches.iter().map(|b| b.0 * b.1).sum::<f64>() / total;
    let plain: f64 = batches.iter().map(|b| b.0).sum::<f64>() / n as f64;
    let var = batches.iter().map(|b| (b.0 - plain).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, (var / n as f64).sqrt(), n)
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with
/// offered load `a = λ/μ`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0; // k = 0
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 * c as f64 / (c as f64 - a);
    last / (sum + last)
}

/// M/M/4 at utilization 0.6 with a one-second mean service: at time scale
/// 0.01 a service sleeps 10 ms on average, well above the timer's
/// millisecond.
pub const MM4: &str = r#"
[scenario]
duration = "800s"
warmup = "50s"
report_interval = "50s"
[load]
type = "open"
rate = 2.4
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }
[cache]
enabled = false
[stations.catalog_db]
workers = 4
service_time = { dist = "exponential", mean = "1s" }
"#;
