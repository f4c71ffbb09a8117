//! Writing a report directory without ever leaving it half-written.
//!
//! Every file is first written in full to a hidden temporary next to its
//! final path (flushed and synced), and only when *all* of them are written
//! are they renamed into place. If any write fails (disk full, permission
//! denied) the temporaries are removed and the previous report is left as it
//! was. Report files of an earlier run that this run does not produce (say a
//! histogram of an operation no longer reachable) are removed after the
//! renames, so a directory never mixes two runs.
//!
//! Output paths are checked before anything is written: a symbolic link is
//! refused (ecsim never writes through or over one), and so is anything
//! that is not a regular file where a file goes, or not a directory where
//! the report directory goes (a device, a FIFO, a socket), so a rename can
//! never replace `/dev/null` or a named pipe.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file of the report: path relative to the report directory, contents.
pub struct ReportFile {
    /// Relative path, e.g. `summary.csv` or `histograms/checkout.hgrm`.
    pub path: String,
    /// Bytes to write.
    pub bytes: Vec<u8>,
}

/// An I/O failure, with the path it concerns.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: io::Error,
}

/// What may stand at an output path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    File,
    Dir,
}

/// Refuses an existing `path` that is a symbolic link, or not a regular
/// file (`Want::File`) or directory (`Want::Dir`). Nothing there is fine.
fn check_target(path: &Path, want: Want) -> Result<(), WriteError> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    let t = meta.file_type();
    let why = if t.is_symlink() {
        "it is a symbolic link, and ecsim never writes through or over one: give the link's target instead"
    } else if want == Want::File && t.is_dir() {
        "it is a directory, where a file goes"
    } else if want == Want::Dir && t.is_file() {
        "it is a file, where the report directory goes"
    } else if (want == Want::File && !t.is_file()) || (want == Want::Dir && !t.is_dir()) {
        "it is not a regular file (a device, a FIFO or a socket), and ecsim never replaces one"
    } else {
        return Ok(());
    };
    Err(WriteError {
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write there: {why}"),
        ),
    })
}

fn tmp_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}.ecsim-tmp"))
}

fn write_one(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.flush()?;
    f.sync_all()
}

/// Writes `files` into `dir` atomically (see the module docs). Files in
/// `dir` whose names match `stale(name)` and that are not part of this
/// report are removed once the new report is in place.
pub fn write_report(
    dir: &Path,
    files: &[ReportFile],
    stale: impl Fn(&str) -> bool,
) -> Result<(), WriteError> {
    check_target(dir, Want::Dir)?;
    write_into(dir, files, stale)
}

/// [`write_report`] once `dir` itself has been checked (or is the parent
/// directory of a single output file, which may be a link).
fn write_into(
    dir: &Path,
    files: &[ReportFile],
    stale: impl Fn(&str) -> bool,
) -> Result<(), WriteError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    for f in files {
        let final_path = dir.join(&f.path);
        if let Some(parent) = final_path.parent()
            && parent != dir
        {
            check_target(parent, Want::Dir)?;
        }
        check_target(&final_path, Want::File)?;
    }
    fs::create_dir_all(dir).map_err(err(dir))?;
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    for f in files {
        let final_path = dir.join(&f.path);
        if let Some(parent) = final_path.parent()
            && let Err(e) = fs::create_dir_all(parent)
        {
            cleanup(&written);
            return Err(err(parent)(e));
        }
        let tmp = tmp_path(&final_path);
        if let Err(e) = write_one(&tmp, &f.bytes) {
            let _ = fs::remove_file(&tmp);
            cleanup(&written);
            return Err(err(&final_path)(e));
        }
        written.push((tmp, final_path));
    }
    for (i, (tmp, final_path)) in written.iter().enumerate() {
        if let Err(e) = fs::rename(tmp, final_path) {
            cleanup(&written[i..]);
            return Err(err(final_path)(e));
        }
    }
    remove_stale(dir, dir, files, &stale);
    Ok(())
}

/// Writes one file at `path` the same way (a temporary next to it, then a
/// rename), for files outside a report directory such as
/// `compare --html FILE`. Missing parent directories are created.
pub fn write_file(path: &Path, bytes: Vec<u8>) -> Result<(), WriteError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| WriteError {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a UTF-8 file name"),
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file = ReportFile {
        path: name.to_owned(),
        bytes,
    };
    write_into(dir, &[file], |_| false)
}

fn cleanup(written: &[(PathBuf, PathBuf)]) {
    for (tmp, _) in written {
        let _ = fs::remove_file(tmp);
    }
}

fn remove_stale(root: &Path, dir: &Path, files: &[ReportFile], stale: &impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if path.is_dir() {
            if stale(&format!("{rel}/")) {
                remove_stale(root, &path, files, stale);
            }
        } else if stale(&rel) && !files.iter().any(|f| f.path == rel) {
            let _ = fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> ReportFile {
        ReportFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn writes_all_files_and_removes_stale_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        write_report(d, &[file("a.csv", "1"), file("h/x.hgrm", "x")], |_| true).expect("write");
        fs::write(d.join("keep.txt"), "mine").expect("write");
        write_report(d, &[file("a.csv", "2")], |n| {
            n.ends_with(".csv") || n.starts_with("h/")
        })
        .expect("write");
        assert_eq!(fs::read_to_string(d.join("a.csv")).expect("read"), "2");
        assert!(!d.join("h/x.hgrm").exists(), "stale histogram removed");
        assert!(d.join("keep.txt").exists(), "unrelated files are kept");
        let leftovers: Vec<_> = fs::read_dir(d)
            .expect("ls")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("ecsim-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn write_file_replaces_one_file_and_leaves_its_neighbours() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub/cmp.html");
        write_file(&p, b"one".to_vec()).expect("write");
        fs::write(dir.path().join("sub/other.csv"), "x").expect("write");
        write_file(&p, b"two".to_vec()).expect("write");
        assert_eq!(fs::read_to_string(&p).expect("read"), "two");
        assert!(dir.path().join("sub/other.csv").exists());
        assert!(
            write_file(Path::new("/"), Vec::new()).is_err(),
            "no file name"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_previous_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        write_report(d, &[file("a.csv", "old")], |_| true).expect("write");
        // A directory where the temporary file must go makes that write fail.
        fs::create_dir_all(d.join(".b.csv.ecsim-tmp")).expect("mkdir");
        let r = write_report(d, &[file("a.csv", "new"), file("b.csv", "x")], |_| true);
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(d.join("a.csv")).expect("read"), "old");
        assert!(
            !d.join(".a.csv.ecsim-tmp").exists(),
            "temporaries cleaned up"
        );
        assert!(!d.join("b.csv").exists());
    }

    #[test]
    fn special_files_and_symlinks_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        // A device: refused before anything is written (and never touched).
        let e = write_file(Path::new("/dev/null"), b"x".to_vec()).expect_err("a device");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // A symbolic link, at a file and at the report directory.
        let target = d.join("target.html");
        fs::write(&target, "mine").expect("write");
        let link = d.join("link.html");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let e = write_file(&link, b"x".to_vec()).expect_err("a symlink");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(
            fs::symlink_metadata(&link)
                .expect("still there")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&target).expect("read"), "mine");
        let out = d.join("out");
        std::os::unix::fs::symlink(d, &out).expect("symlink");
        assert!(write_report(&out, &[file("a.csv", "1")], |_| true).is_err());
        // A directory where a file goes.
        fs::create_dir_all(d.join("r/summary.csv")).expect("mkdir");
        let e =
            write_report(&d.join("r"), &[file("summary.csv", "1")], |_| true).expect_err("a dir");
        assert!(e.to_string().contains("directory"), "{e}");
    }
}
