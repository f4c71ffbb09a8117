//! `ecsim run --shard I/N` and `ecsim merge`: the merged report is byte for
//! byte the one `--replications R` writes on one machine, whatever N and
//! whatever order the shards come in; bad sets of shards are refused.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::util::*;

const R: &str = "7";

fn smoke() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/ci_smoke.toml")
}

/// Every file of a report directory, by relative path; run.json without
/// its wall-clock facts.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
                continue;
            }
            let name = p.strip_prefix(root).expect("inside").display().to_string();
            let mut bytes = fs::read(&p).expect("read");
            if name.ends_with("run.json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
                for k in ["elapsed_s", "events_per_s"] {
                    v.as_object_mut().expect("object").remove(k);
                }
                bytes = v.to_string().into_bytes();
            }
            out.insert(name, bytes);
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The merge of `n` shards has exactly the single machine's files.
fn same_files(whole: &BTreeMap<String, Vec<u8>>, merged: &BTreeMap<String, Vec<u8>>, n: u32) {
    assert_eq!(
        merged.keys().collect::<Vec<_>>(),
        whole.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in whole {
        assert!(merged[name] == *bytes, "N = {n}: {name} differs");
    }
}

/// Runs the `n` shards of the smoke scenario; their directories.
fn shards(s: &Scratch, n: u32) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let spec = format!("{i}/{n}");
            s.run_ok(
                &smoke(),
                &format!("n{n}-shard{i}"),
                &["--replications", R, "--shard", &spec],
            )
        })
        .collect()
}

fn merge(dirs: &[PathBuf], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["--out".into(), out.display().to_string(), "-q".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

#[test]
fn merged_shards_equal_the_single_machine_report_for_any_n_and_order() {
    let s = Scratch::new();
    let whole = files(&s.run_ok(&smoke(), "whole", &["--replications", R]));
    for n in [1, 2, 3, 7, 9] {
        let mut dirs = shards(&s, n);
        // Shuffled: reversed, then the first moved to the end.
        dirs.reverse();
        dirs.rotate_left(1);
        let out = s.path(&format!("merged{n}"));
        let o = merge(&dirs, &out, &[]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        same_files(&whole, &files(&out), n);
    }
}

#[test]
fn merged_sweep_shards_equal_the_single_machine_sweep() {
    let s = Scratch::new();
    let sweep = |out: &Path, extra: &[&str]| {
        let sc = smoke();
        let mut args = vec![
            "sweep",
            sc.to_str().expect("utf-8"),
            "--vary",
            "stations.payment.workers=16,32",
            "--replications",
            "3",
            "--out",
            out.to_str().expect("utf-8"),
            "-q",
        ];
        args.extend_from_slice(extra);
        ok(&args);
    };
    let whole = s.path("whole");
    sweep(&whole, &[]);
    let whole = files(&whole);
    // 2 points × 3 replications = 6 units: N = 7 leaves a shard empty.
    for n in [1u32, 2, 3, 7] {
        let mut dirs: Vec<PathBuf> = (0..n)
            .map(|i| {
                let dir = s.path(&format!("sweep-n{n}-{i}"));
                sweep(&dir, &["--shard", &format!("{i}/{n}")]);
                dir
            })
            .collect();
        dirs.reverse();
        dirs.rotate_left(1);
        let out = s.path(&format!("sweep-merged{n}"));
        let o = merge(&dirs, &out, &[]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        same_files(&whole, &files(&out), n);
    }
}

#[test]
fn a_shard_run_again_is_byte_identical_and_replaces_the_old_one() {
    let s = Scratch::new();
    let a = s.run_ok(&smoke(), "a", &["--replications", R, "--shard", "1/3"]);
    let first = files(&a);
    let again = s.run_ok(&smoke(), "a", &["--replications", R, "--shard", "1/3"]);
    assert_eq!(first, files(&again));
}

#[test]
fn bad_sets_of_shards_are_refused_and_nothing_is_written() {
    let s = Scratch::new();
    let dirs = shards(&s, 3);
    let other = s.run_ok(
        &smoke(),
        "other",
        &["--replications", R, "--shard", "2/3", "--seed", "9"],
    );
    let corrupt = s.path("corrupt");
    copy_dir(&dirs[1], &corrupt);
    let rep = fs::read_dir(corrupt.join("replications"))
        .expect("dir")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let bytes = fs::read(&rep).expect("read");
    fs::write(&rep, &bytes[..bytes.len() / 2]).expect("truncate");
    let old = s.path("old");
    copy_dir(&dirs[2], &old);
    let manifest = fs::read_to_string(old.join("shard.json")).expect("manifest");
    let version = format!("\"ecsim_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(manifest.contains(&version), "{manifest}");
    let manifest = manifest.replace(&version, "\"ecsim_version\": \"0.0.1\"");
    fs::write(old.join("shard.json"), manifest).expect("write");
    for (given, want) in [
        (
            vec![dirs[0].clone(), dirs[1].clone(), old],
            "by ecsim 0.0.1",
        ),
        (
            vec![dirs[0].clone(), dirs[1].clone()],
            "missing shards: 1 of 3 (2)",
        ),
        (
            vec![dirs[0].clone(), dirs[1].clone(), dirs[1].clone()],
            "shard 1 is given twice",
        ),
        (
            vec![dirs[0].clone(), dirs[1].clone(), other],
            "shards of different runs",
        ),
        (
            vec![dirs[0].clone(), corrupt, dirs[2].clone()],
            "truncated or corrupt",
        ),
        (
            vec![s.path("nowhere")],
            "a shard directory written by `ecsim run --shard`",
        ),
    ] {
        let out = s.path("refused");
        let o = merge(&given, &out, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "want {want:?} in: {err}");
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn allow_partial_merges_what_is_there_and_says_so() {
    let s = Scratch::new();
    let dirs = shards(&s, 3);
    let out = s.path("partial");
    let o = merge(&dirs[..2], &out, &["--allow-partial"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let run: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("run.json")).expect("run.json")).expect("json");
    assert_eq!(run["partial"], true, "{run}");
    assert_eq!(run["replications"], 5, "replications 0, 1, 3, 4, 6: {run}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read") {
        let p = e.expect("entry").path();
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            fs::copy(&p, &dest).expect("copy");
        }
    }
}
