//! The command line: argument definitions and dispatch to one file per
//! command. Glue only: every command calls the library and maps its result
//! to an exit code; `main.rs` just parses and calls [`run_guarded`].

pub mod compare;
mod error;
pub mod fit;
pub mod progress;
pub mod run;
mod shard;
pub mod signals;
pub mod sweep;
pub mod validate;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use error::Error;

/// ecsim: what happens to your shop's backend when this crowd shows up?
#[derive(Debug, Parser)]
#[command(
    name = "ecsim",
    version,
    about = "Discrete-event load simulation of e-commerce backends",
    long_about = "Discrete-event load simulation of e-commerce backends.\n\n\
        Describe the crowd, the shop and the backend in a TOML scenario; ecsim simulates it \
        on a virtual clock (deterministic: same scenario and seed, same bytes) and writes \
        latency percentiles, station queueing, cache hit rates and errors as CSV, plus \
        report.html: the same numbers as charts and tables in one self-contained page.",
    after_help = "Examples:\n  \
        ecsim run scenarios/black_friday.toml\n  \
        ecsim run scenarios/black_friday.toml --seed 7 --set stations.payment.workers=64 --out reports/bf64\n  \
        ecsim validate scenarios/black_friday.toml\n\n\
        Exit codes: 0 ok · 1 threshold failed · 2 usage or scenario error · 3 invariant violated · \
        4 I/O error · 5 the model diverged · 70 internal failure (a bug) · 130 / 143 interrupted by SIGINT / SIGTERM"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write its report.
    #[command(after_help = "Examples:\n  \
        ecsim run scenarios/black_friday.toml\n  \
        ecsim run scenarios/black_friday.toml --seed 42 --out reports/bf-seed42\n  \
        ecsim run scenarios/black_friday.toml --set load.rate=400 --set cache.policy=lfu\n  \
        ecsim run scenarios/ci_smoke.toml --clock wall --time-scale 0.01")]
    Run(RunArgs),
    /// Run a scenario over a grid of parameter values and find the
    /// cheapest setting that passes every threshold.
    #[command(after_help = "Examples:\n  \
        ecsim sweep scenarios/black_friday.toml --vary stations.payment.workers=8,16,32,64\n  \
        ecsim sweep scenarios/black_friday.toml --vary stations.payment.workers=16,32 \\\n      \
        --vary cache.capacity=1000,10000 --cost stations.payment.workers\n\n\
        Each point gets a full report under the sweep directory (point-001, ...) and a row in sweep.csv;\n\
        sweep.html charts each key metric against the varied parameter.")]
    Sweep(SweepArgs),
    /// Stress the real shop services: concurrent tasks loop over the
    /// scenario's behaviour without modelled delays (same as
    /// `run --clock stress`).
    #[command(after_help = "Examples:\n  \
        ecsim stress scenarios/flash_sale.toml --tasks 256 --threads 2 --for 10s\n  \
        ecsim sweep scenarios/flash_sale.toml --clock stress --vary stations.inventory.shards=1,4,16,64")]
    Stress(RunArgs),
    /// Compare two reports metric by metric; exit 1 on a regression.
    #[command(after_help = "Examples:\n  \
        ecsim compare reports/baseline reports/black_friday\n  \
        ecsim compare base cand --fail-if 'checkout.p99_ms > +10%' --fail-if 'ALL.error_rate > +0.005'\n  \
        ecsim compare base cand --format markdown > comment.md\n  \
        ecsim compare base cand --html compare.html\n\n\
        A rule is METRIC CMP CHANGE: CHANGE ending in % is relative to the base, else absolute.\n\
        When both reports have replications, a change within the 95% confidence intervals\n\
        is reported as within noise and never counts as a regression.")]
    Compare(CompareArgs),
    /// Merge the shard directories of `run --shard` into one report,
    /// byte for byte the one a single machine would have written.
    #[command(after_help = "Examples:\n  \
        ecsim run scenarios/black_friday.toml --replications 20 --shard 0/4 --out shards/0\n  \
        ecsim run scenarios/black_friday.toml --replications 20 --shard auto/4 --out shards/$JOB_COMPLETION_INDEX\n  \
        ecsim merge shards/* --out reports/black_friday\n\n\
        Refuses (exit 2, writing nothing) shards of different scenarios or ecsim versions, a shard\n\
        given twice, missing shards (named) and corrupt files. See docs/scale-out.md.")]
    Merge(MergeArgs),
    /// Check a scenario and print what would run, then its capacity plan
    /// as `#` comments (still valid TOML); writes nothing.
    #[command(
        after_help = "Examples:\n  ecsim validate scenarios/black_friday.toml --set cache.capacity=5000\n  \
        ecsim validate scenarios/black_friday.toml --format csv > plan.csv   # the capacity plan alone"
    )]
    Validate(ValidateArgs),
    /// Fit a starting scenario to an access log: arrivals, the behaviour
    /// chain, think time, admin rates.
    #[command(after_help = "Examples:\n  \
        ecsim run scenarios/steady_state.toml --access-log access.log\n  \
        ecsim fit access.log --map scenarios/data/ecsim_map.toml --out fitted.toml\n  \
        ecsim fit requests.csv --log-format csv --map my_map.toml --session-gap 15m\n\n\
        See docs/calibrate.md for the map, the CSV columns and what is fitted.")]
    Fit(FitArgs),
}

/// Arguments of `ecsim fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// The access log.
    pub log: PathBuf,
    /// Which request is which action (TOML; see docs/calibrate.md).
    #[arg(long, value_name = "MAP.toml")]
    pub map: PathBuf,
    /// The log's format: combined (CLF, optionally with $request_time
    /// $msec) or csv (columns time, client, path[, method, duration_s,
    /// user_agent]).
    #[arg(long, value_enum, default_value_t = LogFormat::Combined)]
    pub log_format: LogFormat,
    /// Write the scenario here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A client's requests further apart than this start a new session.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub session_gap: String,
    /// Arrival stages are counted per interval of this length.
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub interval: String,
    /// The scenario's name [default: the log's file stem].
    #[arg(long)]
    pub name: Option<String>,
    /// No progress bar and no summary; rejected lines are still reported.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The format of the log `fit` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Combined Log Format (or Common), optionally with $request_time $msec.
    Combined,
    /// CSV with a header.
    Csv,
}

/// A scenario file and its overrides.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Override any scenario key; VALUE is TOML (a bare word is taken as a
    /// string). Repeatable. E.g. --set stations.payment.workers=16
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// What `ecsim validate` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    /// The resolved scenario, then the capacity plan as `#` comment lines.
    Toml,
    /// The capacity plan alone, as CSV (one row per station and stage).
    Csv,
}

/// Arguments of `ecsim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Toml)]
    pub format: ValidateFormat,
}

/// Arguments of `ecsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Where and how to run.
    #[command(flatten)]
    pub opts: RunOpts,
    /// Run only shard I of N: replications r with r mod N = I, written to
    /// --out as a shard directory for `ecsim merge`. `auto/N` takes I from
    /// JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID
    /// minus SLURM_ARRAY_TASK_MIN (Slurm job array).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Also write every simulated request (warmup and admins included) as
    /// a Combined Log Format line with nginx's $request_time and $msec,
    /// streamed; replication 0 only. Written atomically; an I/O error
    /// exits 4. See docs/calibrate.md.
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
    /// The wall time of virtual time 0 in the access log (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = "2026-11-27T00:00:00Z")]
    pub log_start: String,
}

/// Arguments of `ecsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard directories written by `ecsim run --shard`, in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Report directory [default: reports/<scenario name>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Merge the shards given even if some are missing; the report says
    /// it is partial.
    #[arg(long)]
    pub allow_partial: bool,
    /// No summary on stdout; errors still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options shared by `run` and `sweep`.
#[derive(Debug, Args)]
pub struct RunOpts {
    /// Report directory [default: reports/<scenario name>/, or
    /// reports/<scenario name>-sweep/ for a sweep].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary on stdout; errors still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Independent replications merged into one report, with 95%
    /// confidence intervals (overrides `scenario.replications`).
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Worker threads for replications and sweep points [default: all
    /// cores]; a replication with a thread to spare records its
    /// histograms and draws its arrivals on others. Reports do not depend
    /// on it.
    #[arg(long, value_name = "T", default_value_t = default_threads())]
    pub threads: std::num::NonZeroUsize,
    /// Test only: break the shop on purpose (`keep-reservation-on-decline`,
    /// `keep-coupon-on-decline`) to prove the invariant check catches it.
    #[arg(long, value_name = "BUG", hide = true)]
    pub inject_bug: Option<InjectBug>,
    /// `virtual`: deterministic simulation. `wall`: the real shop services
    /// called concurrently from tokio tasks, station service times slept
    /// (scaled by --time-scale). `stress`: wall clock without modelled
    /// delays, --tasks looping as fast as the services allow for --for.
    #[arg(long, value_enum, default_value_t = Clock::Virtual)]
    pub clock: Clock,
    /// Wall clock only: wall seconds per model second, 0.0001 to 1000
    /// (0.01 runs a model second in 10 ms) [default: 1]. Latencies are
    /// reported in model time.
    #[arg(long, value_name = "X")]
    pub time_scale: Option<f64>,
    /// Stress only: concurrent tasks [default: 64].
    #[arg(long, value_name = "N")]
    pub tasks: Option<usize>,
    /// Stress only: how long to run (wall time), e.g. 10s [default: 10s].
    #[arg(long = "for", value_name = "DURATION")]
    pub run_for: Option<String>,
    /// The memory guard: stop the run (exit 5, partial report) once more
    /// requests than this are in flight at once, about 300 bytes each:
    /// the model diverged, a queue grows without bound.
    #[arg(long, value_name = "N", default_value_t = crate::model::MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// Test only: `AT:LEN`, the wall-clock generator blocks its thread for
    /// LEN (wall) when model time AT is reached.
    #[arg(long, value_name = "AT:LEN", hide = true)]
    pub inject_stall: Option<String>,
}

impl Clock {
    /// The `--clock` value.
    pub fn name(self) -> &'static str {
        match self {
            Clock::Virtual => "virtual",
            Clock::Wall => "wall",
            Clock::Stress => "stress",
        }
    }
}

impl RunOpts {
    /// `--time-scale`, or its default.
    pub fn time_scale(&self) -> f64 {
        self.time_scale.unwrap_or(1.0)
    }

    /// `--tasks`, or its default.
    pub fn tasks(&self) -> usize {
        self.tasks.unwrap_or(64)
    }

    /// `--for`, or its default.
    pub fn run_for(&self) -> &str {
        self.run_for.as_deref().unwrap_or("10s")
    }
}

/// Which clock runs the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Clock {
    /// Deterministic discrete-event simulation.
    Virtual,
    /// The real services, concurrently, with scaled sleeps.
    Wall,
    /// The real services as fast as they go.
    Stress,
}

/// Bugs that `--inject-bug` can put into the run, to prove they are caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InjectBug {
    /// A declined checkout keeps its stock reservation.
    KeepReservationOnDecline,
    /// A declined checkout keeps its coupon redemption.
    KeepCouponOnDecline,
    /// A worker thread of the run panics.
    PanicInWorker,
}

impl InjectBug {
    /// The shop's switch, if it is a shop bug.
    pub fn shop_bug(self) -> Option<crate::shop::InjectedBug> {
        match self {
            InjectBug::KeepReservationOnDecline => {
                Some(crate::shop::InjectedBug::KeepReservationOnDecline)
            }
            InjectBug::KeepCouponOnDecline => Some(crate::shop::InjectedBug::KeepCouponOnDecline),
            InjectBug::PanicInWorker => None,
        }
    }
}

/// Arguments of `ecsim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario and overrides applied to every point.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A key and its values, e.g. stations.payment.workers=8,16,32.
    /// Repeatable: the grid is every combination.
    #[arg(long, value_name = "KEY=V1,V2,...", required = true)]
    pub vary: Vec<String>,
    /// The scenario key whose value is a point's cost, or a report metric
    /// (`business.cost`, any `business.`/`stations.` name) measured by
    /// each point's run [default: the total number of workers of the
    /// stations the scenario uses].
    #[arg(long, value_name = "KEY")]
    pub cost: Option<String>,
    /// Where and how to run.
    #[command(flatten)]
    pub opts: RunOpts,
    /// Run only shard I of N of the (point, replication) pairs, numbered
    /// point-major, as a shard directory for `ecsim merge` (see `run
    /// --shard`).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// All available cores (1 if unknown).
pub fn default_threads() -> std::num::NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN)
}

/// Output format of `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table.
    Text,
    /// A Markdown table, for a pull-request comment.
    Markdown,
    /// CSV.
    Csv,
}

/// Arguments of `ecsim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base report directory.
    pub base: PathBuf,
    /// The candidate report directory.
    pub candidate: PathBuf,
    /// A regression rule, e.g. 'checkout.p99_ms > +10%'. Repeatable.
    #[arg(long = "fail-if", value_name = "RULE")]
    pub fail_if: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Compare a report marked partial (an interrupted run) instead of
    /// refusing it (exit 2).
    #[arg(long)]
    pub allow_partial: bool,
    /// Fail (exit 1) on a rule that cannot fail: its bound lies inside its
    /// metric's noise band, so no change within the band could trip it
    /// (without --strict such a rule is only warned about).
    #[arg(long)]
    pub strict: bool,
    /// Also write the comparison as one self-contained HTML page: both
    /// runs' latency percentile distributions overlaid per operation (from
    /// their histograms/*.hgrm) and the key metrics side by side. Written
    /// atomically; an I/O error exits 4.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Counts the panics of every thread of the process (the default message
/// still goes to stderr).
static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs the parsed command as `main` does: a panic anywhere, in this
/// thread or in any worker thread (replications, tokio tasks), is an
/// internal failure (exit 70), whatever the command would have returned.
pub fn run_guarded(cli: Cli) -> Result<(), Error> {
    signals::listen();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        default(info);
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli)));
    let panics = PANICS.load(std::sync::atomic::Ordering::SeqCst);
    match outcome {
        Err(_) => Err(Error::Internal(format!(
            "{} panicked",
            plural(panics.max(1))
        ))),
        Ok(_) if panics > 0 => Err(Error::Internal(format!("{} panicked", plural(panics)))),
        Ok(r) => r,
    }
}

fn plural(n: u64) -> String {
    if n == 1 {
        "a thread".to_owned()
    } else {
        format!("{n} threads")
    }
}

/// Runs the parsed command; its error says the exit code.
pub fn dispatch(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Stress(mut args) => {
            args.opts.clock = Clock::Stress;
            run::run(&args)
        }
        Command::Validate(args) => validate::validate(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => shard::merge(&args),
        Command::Fit(args) => fit::fit(&args),
    }
}

/// Prints to stdout, ignoring a closed pipe (`ecsim run … | head`).
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
