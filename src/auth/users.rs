//! Users and their keys: the root user from the configuration, and the users kept in the engine's
//! directory (`firn admin user add`). Lookups go to the directory on each request, so keys added or
//! removed on a running server take effect at once.

use firn_storage::{account_id, canonical_id, UserDirectory, UserRecord};
use rand::Rng;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The root user's name; no stored user may take it.
pub const ROOT: &str = "root";

pub struct User {
    pub name: String,
    pub access_key: String,
    pub secret_key: String,
    /// The 64-hex-digit canonical id S3 shows as Owner/ID.
    pub canonical_id: String,
    /// The 12-digit account id policies and `x-amz-expected-bucket-owner` name it by.
    pub account_id: String,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl User {
    pub fn new(name: &str, access_key: String, secret_key: String) -> Self {
        let canonical_id = canonical_id(name);
        User { name: name.to_owned(), access_key, secret_key, account_id: account_id(&canonical_id), canonical_id }
    }

    pub fn is_root(&self) -> bool {
        self.name == ROOT
    }
}

pub struct Users {
    root: Arc<User>,
    directory: UserDirectory,
}

impl Users {
    pub fn new(root: User, directory: UserDirectory) -> Self {
        Users { root: Arc::new(root), directory }
    }

    pub fn root(&self) -> &User {
        &self.root
    }

    pub fn directory(&self) -> &UserDirectory {
        &self.directory
    }

    /// The name S3 shows as DisplayName for a canonical id.
    pub fn display_name(&self, canonical_id: &str) -> String {
        if canonical_id == self.root.canonical_id {
            return ROOT.to_owned();
        }
        if canonical_id == firn_storage::model::acl::ANONYMOUS_ID {
            return "anonymous".to_owned();
        }
        self.directory.by_id(canonical_id).map(|u| u.name).unwrap_or_default()
    }

    /// Whether a canonical id names a user (for grants).
    pub fn exists(&self, canonical_id: &str) -> bool {
        canonical_id == self.root.canonical_id || self.directory.by_id(canonical_id).is_ok()
    }

    pub fn by_access_key(&self, key: &str) -> Result<Option<Arc<User>>, firn_storage::EngineError> {
        if key == self.root.access_key {
            return Ok(Some(self.root.clone()));
        }
        Ok(self.directory.by_access_key(key)?.map(|(rec, secret): (UserRecord, String)| {
            Arc::new(User {
                name: rec.name,
                access_key: key.to_owned(),
                secret_key: secret,
                account_id: account_id(&rec.canonical_id),
                canonical_id: rec.canonical_id,
            })
        }))
    }
}

/// A new access key and secret, drawn as AWS draws them: 20 upper-case letters and digits, and 40
/// base64-alphabet characters.
pub fn generate_keys() -> (String, String) {
    (
        random_string(20, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        random_string(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
    )
}

#[derive(serde::Deserialize, serde::Serialize)]
struct StoredCredentials {
    access_key: String,
    secret_key: String,
}

/// Root credentials: given ones win; otherwise those kept in the data directory, generated on first start.
pub fn root_credentials(
    data_dir: &Path,
    access: Option<String>,
    secret: Option<String>,
) -> Result<(String, String), String> {
    if let Some(found) = known_root_credentials(data_dir, access, secret)? {
        return Ok(found);
    }
    let (access_key, secret_key) = generate_keys();
    let c = StoredCredentials { access_key, secret_key };
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let path = data_dir.join("credentials.toml");
    write_private(&path, &toml::to_string(&c).expect("credentials serialize"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((c.access_key, c.secret_key))
}

/// Root credentials given or kept in the data directory; None if neither (nothing is generated).
pub fn known_root_credentials(
    data_dir: &Path,
    access: Option<String>,
    secret: Option<String>,
) -> Result<Option<(String, String)>, String> {
    if let (Some(a), Some(s)) = (&access, &secret) {
        return Ok(Some((a.clone(), s.clone())));
    }
    if access.is_some() != secret.is_some() {
        return Err("set both FIRN_ROOT_ACCESS_KEY and FIRN_ROOT_SECRET_KEY, or neither".into());
    }
    let path = data_dir.join("credentials.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let c: StoredCredentials = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(Some((c.access_key, c.secret_key)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// Writes a file readable by its owner only, durably.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = root_credentials(dir.path(), None, None).unwrap();
        assert_eq!(first.0.len(), 20);
        assert_eq!(root_credentials(dir.path(), None, None).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("credentials.toml")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let given = root_credentials(dir.path(), Some("A".into()), Some("S".into())).unwrap();
        assert_eq!(given, ("A".into(), "S".into()));
        assert!(root_credentials(dir.path(), Some("A".into()), None).is_err());
    }

    #[test]
    fn debug_redacts_secret() {
        let u = User::new("root", "AK".into(), "very-secret".into());
        assert!(!format!("{u:?}").contains("very-secret"));
        assert_eq!(u.canonical_id.len(), 64);
    }
}
