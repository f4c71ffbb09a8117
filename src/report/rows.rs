//! The rows of the report's tables, one type per CSV file, and the facts
//! of the run itself (`run.json`). Each row lists its numeric columns in
//! the CSV's order, so that the metric names of the report contract map
//! onto them one to one.

/// A row of `summary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Operation name or `ALL`.
    pub operation: String,
    /// Completed requests.
    pub count: u64,
    /// Failed requests.
    pub errors: u64,
    /// errors / count.
    pub error_rate: f64,
    /// count / measured seconds.
    pub throughput_per_s: f64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Percentiles and maximum of latency.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
    /// With replications: 95% CI half-widths of mean, p50, p95, p99,
    /// throughput and error rate (the [`SUMMARY_CI`](crate::contract::names::SUMMARY_CI) columns).
    pub ci95: Option<[f64; 6]>,
    /// Calls made, client retries included: count + retries (written
    /// after the CI columns).
    pub attempts: u64,
    /// Successful requests per second: (count − errors) / measured seconds.
    pub goodput_per_s: f64,
}

/// A row of `stations.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct StationRow {
    /// Station instance name.
    pub station: String,
    /// Workers.
    pub workers: u32,
    /// Requests that started service.
    pub served: u64,
    /// Requests turned away (queue full).
    pub rejected: u64,
    /// Requests that gave up waiting.
    pub timed_out: u64,
    /// Busy worker-time over available worker-time.
    pub utilization: f64,
    /// Mean wait of served and timed-out requests.
    pub mean_wait_ms: f64,
    /// 99th percentile of that wait.
    pub p99_wait_ms: f64,
    /// Time-average number waiting.
    pub mean_queue_len: f64,
    /// Most waiting at once.
    pub max_queue_len: u32,
    /// Every call that reached the station: served, rejected, timed out,
    /// shed, failed fast by an outage, retries included.
    pub arrivals: u64,
    /// Service time spent on calls whose caller had gone when it ended.
    pub wasted_ms: f64,
    /// Worker time over the window (workers present, those finishing
    /// after removal included): utilization's denominator.
    pub worker_seconds: f64,
    /// worker_seconds / window.
    pub mean_workers: f64,
    /// Most workers present at once in the window.
    pub max_workers: u32,
}

/// A row of `cache.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheRow {
    /// Cache name.
    pub cache: String,
    /// Lookups.
    pub lookups: u64,
    /// Hits.
    pub hits: u64,
    /// Misses.
    pub misses: u64,
    /// hits / lookups.
    pub hit_rate: f64,
    /// Entries evicted for room.
    pub evictions: u64,
    /// Entries found expired.
    pub expirations: u64,
}

/// A row of `errors.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorRow {
    /// Operation name.
    pub operation: String,
    /// Error kind label.
    pub kind: String,
    /// How many.
    pub count: u64,
}

/// Facts about the run itself, for `run.json` and the console.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description (may be empty).
    pub description: String,
    /// Arrivals stop after this many seconds of virtual time.
    pub duration_s: f64,
    /// Seconds at the start excluded from every statistic.
    pub warmup_s: f64,
    /// Length of a time-series interval, seconds.
    pub report_interval_s: f64,
    /// Seed used.
    pub seed: u64,
    /// `virtual` or `wall`.
    pub clock: String,
    /// True when the run was interrupted and the report is partial.
    pub partial: bool,
    /// Events processed.
    pub events: u64,
    /// Virtual time at the end, seconds.
    pub sim_end_s: f64,
    /// Wall-clock seconds the run took.
    pub elapsed_s: f64,
    /// Sessions started in the measured window.
    pub sessions: u64,
    /// Replications merged into the report.
    pub replications: u32,
    /// Wall-clock facts (lag, contention) of a wall or stress run.
    pub wall: Option<crate::metrics::result::WallFacts>,
    /// Why the memory guard stopped the run, if it did.
    pub diverged: Option<String>,
    /// Stations seen taking work faster than they serve it.
    pub unstable: Vec<crate::metrics::watch::Unstable>,
}

impl SummaryRow {
    /// The metric columns, in `summary.csv` order after `operation`, the
    /// CI columns left out (named by
    /// [`summary_metrics`](crate::contract::names::summary_metrics)).
    pub fn values(&self) -> [f64; 13] {
        [
            self.count as f64,
            self.errors as f64,
            self.error_rate,
            self.throughput_per_s,
            self.mean_ms,
            self.p50_ms,
            self.p90_ms,
            self.p95_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms,
            self.attempts as f64,
            self.goodput_per_s,
        ]
    }
}

impl StationRow {
    /// The numeric columns, in `stations.csv` order after `station`.
    pub fn values(&self) -> [f64; 14] {
        [
            self.workers as f64,
            self.served as f64,
            self.rejected as f64,
            self.timed_out as f64,
            self.utilization,
            self.mean_wait_ms,
            self.p99_wait_ms,
            self.mean_queue_len,
            self.max_queue_len as f64,
            self.arrivals as f64,
            self.wasted_ms,
            self.worker_seconds,
            self.mean_workers,
            self.max_workers as f64,
        ]
    }
}

impl CacheRow {
    /// The numeric columns, in `cache.csv` order after `cache`.
    pub fn values(&self) -> [f64; 6] {
        [
            self.lookups as f64,
            self.hits as f64,
            self.misses as f64,
            self.hit_rate,
            self.evictions as f64,
            self.expirations as f64,
        ]
    }
}
