//! Users and their keys. For now there is the root user; the table is shaped for several.

use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub struct User {
    pub name: String,
    pub access_key: String,
    pub secret_key: String,
    /// The 64-hex-digit canonical id S3 shows as Owner/ID.
    pub canonical_id: String,
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
        let canonical_id = hex::encode(Sha256::digest(format!("firn-user:{name}").as_bytes()));
        User { name: name.to_owned(), access_key, secret_key, canonical_id }
    }
}

#[derive(Debug, Default)]
pub struct Users {
    by_key: HashMap<String, Arc<User>>,
}

impl Users {
    pub fn with_root(root: User) -> Self {
        let mut by_key = HashMap::new();
        by_key.insert(root.access_key.clone(), Arc::new(root));
        Users { by_key }
    }

    /// The name S3 shows as DisplayName for a canonical id.
    pub fn display_name(&self, canonical_id: &str) -> &str {
        self.by_key.values().find(|u| u.canonical_id == canonical_id).map_or("", |u| u.name.as_str())
    }

    pub fn by_access_key(&self, key: &str) -> Option<Arc<User>> {
        self.by_key.get(key).cloned()
    }
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
    if let (Some(a), Some(s)) = (&access, &secret) {
        return Ok((a.clone(), s.clone()));
    }
    if access.is_some() != secret.is_some() {
        return Err("set both FIRN_ROOT_ACCESS_KEY and FIRN_ROOT_SECRET_KEY, or neither".into());
    }
    let path = data_dir.join("credentials.toml");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let c: StoredCredentials = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok((c.access_key, c.secret_key));
    }
    let c = StoredCredentials {
        access_key: random_string(20, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        secret_key: random_string(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
    };
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    write_private(&path, &toml::to_string(&c).expect("credentials serialize"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((c.access_key, c.secret_key))
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
