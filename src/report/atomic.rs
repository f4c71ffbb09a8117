//! Writing a report directory as a whole: it is either entirely the old
//! report or entirely the new one.
//!
//! The new report is written in full into a hidden sibling directory
//! (`.NAME.ecsim-new`, every file flushed and synced, concurrently). Then
//! the old report is renamed aside (`.NAME.ecsim-old`), the new one renamed
//! into place, and the old one deleted. If a write fails (disk full, permission denied),
//! the sibling is removed and the old report was never touched. A crash
//! between the two renames leaves the old report aside; the next write into
//! the same directory puts it back first, then goes on.
//!
//! A report directory is refused (nothing written, nothing deleted) unless
//! it is absent, empty, or a previous ecsim report, sweep or shard (it
//! holds `run.json`, `sweep.csv` or `shard.json`), so that `--out .` in a source tree never
//! deletes a user's own files.
//!
//! Output paths are checked first: a symbolic link is refused (ecsim never
//! writes through or over one), and so is anything that is not a regular
//! file where a file goes, or not a directory where the report directory
//! goes (a device, a FIFO, a socket), so a rename can never replace
//! `/dev/null` or a named pipe. A single file outside a report (`compare
//! --html FILE`) is written to a temporary next to it and renamed.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::contract::names;

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

fn refused(path: &Path, why: String) -> WriteError {
    WriteError {
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write there: {why}"),
        ),
    }
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
    Err(refused(path, why.to_owned()))
}

/// A hidden sibling of `dir`: `.NAME.SUFFIX`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".to_owned());
    dir.with_file_name(format!(".{name}.{suffix}"))
}

fn write_one(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.flush()?;
    f.sync_all()
}

fn err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `files` as the whole content of `dir` (see the module docs).
pub fn write_report(dir: &Path, files: &[ReportFile]) -> Result<(), WriteError> {
    check_target(dir, Want::Dir)?;
    let old = sibling(dir, "ecsim-old");
    // A crash between the two renames of an earlier write left the old
    // report aside: put it back.
    if !dir.exists() && old.is_dir() {
        fs::rename(&old, dir).map_err(err(dir))?;
    }
    if dir.is_dir() {
        let mut entries = fs::read_dir(dir).map_err(err(dir))?;
        let empty = entries.next().is_none();
        let ours = [names::RUN_JSON, names::SWEEP_CSV, super::shard::MANIFEST]
            .iter()
            .any(|f| dir.join(f).is_file());
        if !empty && !ours {
            return Err(refused(
                dir,
                "it holds files and is not an ecsim report (no run.json, sweep.csv or shard.json), so replacing it could delete your own; give an empty or new directory".to_owned(),
            ));
        }
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(err(parent))?;
    }
    let new = sibling(dir, "ecsim-new");
    let _ = fs::remove_dir_all(&new);
    if let Err(e) = fill(&new, files) {
        let _ = fs::remove_dir_all(&new);
        return Err(e);
    }
    if dir.exists() {
        let _ = fs::remove_dir_all(&old);
        if let Err(e) = fs::rename(dir, &old) {
            let _ = fs::remove_dir_all(&new);
            return Err(err(dir)(e));
        }
    }
    if let Err(e) = fs::rename(&new, dir) {
        // Put the old report back.
        let _ = fs::rename(&old, dir);
        let _ = fs::remove_dir_all(&new);
        return Err(err(dir)(e));
    }
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Writes `files` into the new directory `dir`.
fn fill(dir: &Path, files: &[ReportFile]) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(err(dir))?;
    // A batch's files stay open until they are synced together.
    for batch in files.chunks(SYNC_BATCH) {
        let mut written = Vec::with_capacity(batch.len());
        for f in batch {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(err(parent))?;
            }
            let mut file = fs::File::create(&path).map_err(err(&path))?;
            file.write_all(&f.bytes).map_err(err(&path))?;
            written.push((path, file));
        }
        sync_together(&written)?;
    }
    Ok(())
}

/// Files synced at once by [`fill`].
const SYNC_BATCH: usize = 32;

/// Syncs `files`, each on its own thread. The file system commits syncs
/// that wait at the same time together, so a report's dozen files cost
/// about one journal commit instead of a dozen: with another process
/// writing to the same disk, 13 files took 48 ms one after the other and
/// 1–2 ms at once (medians of 15 on this project's machines). A thread
/// that cannot start leaves its file to this one.
fn sync_together(files: &[(PathBuf, fs::File)]) -> Result<(), WriteError> {
    let results: Vec<io::Result<()>> = std::thread::scope(|s| {
        let threads: Vec<_> = files
            .iter()
            .map(|(_, f)| std::thread::Builder::new().spawn_scoped(s, move || f.sync_all()))
            .collect();
        threads
            .into_iter()
            .zip(files)
            .map(|(t, (_, f))| match t {
                Ok(t) => t
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a sync thread panicked"))),
                Err(_) => f.sync_all(),
            })
            .collect()
    });
    for (r, (path, _)) in results.into_iter().zip(files) {
        r.map_err(err(path))?;
    }
    Ok(())
}

/// Writes one file at `path` through a temporary next to it and a rename,
/// for files outside a report directory such as `compare --html FILE`.
/// Missing parent directories are created.
pub fn write_file(path: &Path, bytes: Vec<u8>) -> Result<(), WriteError> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Err(WriteError {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a UTF-8 file name"),
        });
    };
    check_target(path, Want::File)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(err(parent))?;
    }
    let tmp = path.with_file_name(format!(".{name}.ecsim-tmp"));
    if let Err(e) = write_one(&tmp, &bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(err(path)(e));
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(path)(e)
    })
}

/// A file streamed to a temporary next to `path` (`.NAME.ecsim-tmp`) and
/// renamed into place by [`PendingFile::commit`], for outputs too large to
/// hold in memory (`run --access-log`). Dropped uncommitted, the
/// temporary is removed and `path` was never touched.
pub struct PendingFile {
    path: PathBuf,
    tmp: PathBuf,
    done: bool,
}

impl PendingFile {
    /// Checks `path` (as [`write_file`] does), creates missing parent
    /// directories and the temporary, and returns it to write into.
    pub fn create(path: &Path) -> Result<(PendingFile, fs::File), WriteError> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Err(WriteError {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "not a UTF-8 file name"),
            });
        };
        check_target(path, Want::File)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(err(parent))?;
        }
        let tmp = path.with_file_name(format!(".{name}.ecsim-tmp"));
        let file = fs::File::create(&tmp).map_err(err(path))?;
        let pending = PendingFile {
            path: path.to_path_buf(),
            tmp,
            done: false,
        };
        Ok((pending, file))
    }

    /// The temporary, every byte written and flushed by the caller, is
    /// synced and renamed into place.
    pub fn commit(mut self) -> Result<(), WriteError> {
        let synced = fs::File::open(&self.tmp).and_then(|f| f.sync_all());
        synced.map_err(err(&self.path))?;
        fs::rename(&self.tmp, &self.path).map_err(err(&self.path))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
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

    fn ls(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_report_replaces_the_previous_one_as_a_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().join("r");
        let first = [
            file("run.json", "{}"),
            file("a.csv", "1"),
            file("h/x.hgrm", "x"),
        ];
        write_report(&d, &first).expect("write");
        write_report(&d, &[file("run.json", "{}"), file("a.csv", "2")]).expect("write");
        assert_eq!(fs::read_to_string(d.join("a.csv")).expect("read"), "2");
        assert_eq!(
            ls(&d),
            ["a.csv", "run.json"],
            "nothing of the old report is left"
        );
        assert_eq!(ls(dir.path()), ["r"], "no temporaries");
    }

    #[test]
    fn a_directory_that_is_not_a_report_is_refused_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        fs::write(d.join("main.rs"), "fn main() {}").expect("write");
        let e = write_report(d, &[file("run.json", "{}")]).expect_err("not a report");
        assert!(e.to_string().contains("not an ecsim report"), "{e}");
        assert_eq!(ls(d), ["main.rs"]);
        // An empty directory is fine.
        let empty = d.join("empty");
        fs::create_dir(&empty).expect("mkdir");
        write_report(&empty, &[file("run.json", "{}")]).expect("empty is fine");
    }

    #[test]
    fn a_failed_write_leaves_the_previous_report_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().join("r");
        write_report(&d, &[file("run.json", "old"), file("a.csv", "old")]).expect("write");
        // A file where the new report's directory must go: writing it fails.
        fs::write(dir.path().join(".r.ecsim-new"), "in the way").expect("write");
        let r = write_report(&d, &[file("run.json", "new"), file("sub/b.csv", "x")]);
        assert!(r.is_err());
        assert_eq!(ls(&d), ["a.csv", "run.json"], "the old report, whole");
        assert_eq!(fs::read_to_string(d.join("run.json")).expect("read"), "old");
    }

    #[test]
    fn a_crash_between_the_renames_is_recovered_by_the_next_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().join("r");
        write_report(&d, &[file("run.json", "old")]).expect("write");
        // As if a crash came after moving the old report aside.
        fs::rename(&d, dir.path().join(".r.ecsim-old")).expect("aside");
        write_report(&d, &[file("run.json", "new")]).expect("write");
        assert_eq!(fs::read_to_string(d.join("run.json")).expect("read"), "new");
        assert_eq!(ls(dir.path()), ["r"]);
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
        assert!(write_report(&out, &[file("a.csv", "1")]).is_err());
        // A directory where a file goes.
        fs::create_dir_all(d.join("page.html")).expect("mkdir");
        let e = write_file(&d.join("page.html"), b"x".to_vec()).expect_err("a dir");
        assert!(e.to_string().contains("directory"), "{e}");
    }
}
