//! The relay's secrets when they are not given as flags: kept in `<data-dir>/secrets.json`, so a
//! restarted demo keeps its visitors' tokens and its webhook URL valid.
//!
//! - A secret given as a flag (or environment variable) is used as is and never written.
//! - Otherwise it is read from the file; one the file lacks is generated, logged once (without
//!   its value) and saved. The file is created with mode 0600 and replaced atomically.
//! - A file that exists but cannot be read or parsed stops the start with a clear error:
//!   silently making new secrets would log every visitor out and break the webhook URL.
//! - A data directory that cannot be written leaves generated secrets valid until the relay
//!   stops (the behaviour before this file existed), with a warning.
//!
//! The token key is derived from the identity secret unless `--token-secret` is given, so it is
//! kept along with it.

use crate::identity::generate_secret;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name inside the data directory.
pub const FILE_NAME: &str = "secrets.json";

/// The secrets the relay runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secrets {
    pub webhook: String,
    pub identity: String,
}

/// What `secrets.json` holds: only generated secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SecretsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity_secret: Option<String>,
}

fn given(flag: &Option<String>) -> Option<String> {
    flag.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The secrets from the flags, then `<data_dir>/secrets.json`, then freshly generated (and
/// saved when possible).
pub fn resolve(
    webhook_flag: &Option<String>,
    identity_flag: &Option<String>,
    data_dir: &Path,
) -> Result<Secrets, String> {
    let (webhook, identity) = (given(webhook_flag), given(identity_flag));
    if let (Some(webhook), Some(identity)) = (&webhook, &identity) {
        return Ok(Secrets {
            webhook: webhook.clone(),
            identity: identity.clone(),
        });
    }
    let path = data_dir.join(FILE_NAME);
    let mut file = read(&path)?;
    let mut generated = Vec::new();
    let mut pick = |flag: Option<String>, kept: &mut Option<String>, name: &'static str| {
        flag.unwrap_or_else(|| {
            kept.get_or_insert_with(|| {
                generated.push(name);
                generate_secret()
            })
            .clone()
        })
    };
    let webhook = pick(webhook, &mut file.webhook_secret, "webhook secret");
    let identity = pick(identity, &mut file.identity_secret, "identity secret");
    if generated.is_empty() {
        tracing::info!(path = %path.display(), "secrets loaded");
    } else {
        let names = generated.join(" and ");
        match write(&path, &file) {
            Ok(()) => tracing::info!(path = %path.display(),
                "generated the {names} and saved them; they stay valid across restarts"),
            Err(err) => tracing::warn!(path = %path.display(), error = %err,
                "generated the {names} but cannot save them: visitors' tokens and the webhook URL change on every restart (pass them as flags to keep them)"),
        }
    }
    Ok(Secrets { webhook, identity })
}

fn read(path: &Path) -> Result<SecretsFile, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        // No file yet (or no directory: then it cannot be saved either, which `write` reports).
        Err(err)
            if matches!(
                err.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(SecretsFile::default())
        }
        Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
    };
    warn_if_readable_by_others(path);
    serde_json::from_str(&text).map_err(|err| {
        format!(
            "{} is not a secrets file ({err}); fix it, or delete it to generate new secrets \
             (visitors' tokens and the webhook URL then change)",
            path.display()
        )
    })
}

/// Writes `file` with mode 0600 through a temporary file and a rename.
fn write(path: &Path, file: &SecretsFile) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_fs::create_private_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(file).map_err(std::io::Error::other)?;
    let tmp: PathBuf = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(&tmp)?;
    out.write_all(json.as_bytes())?;
    out.write_all(b"\n")?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the secrets file is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = resolve(&None, &None, &data).unwrap();
        assert_ne!(first.webhook, first.identity);
        let path = data.join(FILE_NAME);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "secrets.json must be private");
            let mode = std::fs::metadata(&data).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "the data directory must be private");
        }
        assert_eq!(resolve(&None, &None, &data).unwrap(), first);
    }

    #[test]
    fn flags_win_and_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = resolve(&Some("hook".into()), &None, dir.path()).unwrap();
        assert_eq!(secrets.webhook, "hook");
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains("hook\""), "{text}");
        assert!(text.contains(&secrets.identity));
        // Later starts without the flag keep the saved identity and generate a webhook secret.
        let later = resolve(&None, &None, dir.path()).unwrap();
        assert_eq!(later.identity, secrets.identity);
        assert_ne!(later.webhook, "hook");
        assert_eq!(resolve(&None, &None, dir.path()).unwrap(), later);
        let both = resolve(
            &Some("a".into()),
            &Some("b".into()),
            Path::new("/nonexistent"),
        );
        assert_eq!(
            both.unwrap(),
            Secrets {
                webhook: "a".into(),
                identity: "b".into()
            }
        );
    }

    #[test]
    fn a_broken_file_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let err = resolve(&None, &None, dir.path()).unwrap_err();
        assert!(err.contains("secrets.json is not a secrets file"), "{err}");
    }

    #[test]
    fn an_unwritable_data_dir_still_starts() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the directory should be: nothing can be created under it.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, "").unwrap();
        let a = resolve(&None, &None, &blocked.join("data")).unwrap();
        let b = resolve(&None, &None, &blocked.join("data")).unwrap();
        assert_ne!(
            a.webhook, b.webhook,
            "nothing was saved, so each start generates"
        );
    }
}
