//! Files only the relay's own user may read: the data directory (mode 0700), `secrets.json`
//! and the SQLite store with its `-wal` and `-shm` files (mode 0600). The store holds
//! transcripts, names and e-mail addresses; nobody else on the machine needs them.
//!
//! SQLite creates its `-wal` and `-shm` files with the mode of the database file, so creating
//! the database 0600 before SQLite opens it makes all three private. Files left readable by an
//! older relay are tightened (they are the relay's own); a data directory that already existed
//! is left as the operator made it, with a warning when others may read it.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        warn_if_open_to_others(dir);
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes the SQLite database at `path` private before SQLite opens it: creates it empty with
/// mode 0600 when absent (an empty file is an empty database), and tightens it and its `-wal`
/// and `-shm` files to 0600 when they exist.
pub fn prepare_private_database(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(path)?);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        tighten(Path::new(&name))?;
    }
    Ok(())
}

/// Sets an existing file's mode to 0600 when others may read it.
#[cfg(unix)]
fn tighten(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            tracing::warn!(path = %path.display(), "the store was readable by other users; made it 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        }
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(not(unix))]
fn tighten(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn warn_if_open_to_others(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(dir) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %dir.display(), "the data directory is open to other users; chmod 700 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_open_to_others(_: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_are_0700_and_old_store_files_are_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/data");
        create_private_dir_all(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        // An older relay's store, 0644.
        let db = data.join("relay.sqlite3");
        for name in ["relay.sqlite3", "relay.sqlite3-wal"] {
            std::fs::write(data.join(name), b"").unwrap();
            std::fs::set_permissions(data.join(name), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        prepare_private_database(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&data.join("relay.sqlite3-wal")), 0o600);
    }
}
