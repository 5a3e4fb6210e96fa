//! Sessions: a random id in a cookie names a session held here, in memory (a restart signs
//! everyone out). A session remembers whose keys signed in, its CSRF token and one message to show
//! on the next page; it ends at sign-out or after `idle` without a request.

use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "firn_session";

/// A 256-bit random token, hex: session ids and CSRF tokens.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A message for the next page a session sees: what an action did, or why it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flash {
    Done(String),
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct Session {
    pub access_key: String,
    pub csrf: String,
    pub flash: Option<Flash>,
    last_seen: Instant,
}

pub struct Sessions {
    idle: Duration,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions { idle, map: Mutex::default() }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for `access_key`; returns its id.
    pub fn start(&self, access_key: &str) -> String {
        let now = Instant::now();
        let mut map = self.map();
        // Ended sessions go when new ones start, so the map holds only live ones.
        map.retain(|_, s| now.duration_since(s.last_seen) < self.idle);
        let id = token();
        map.insert(id.clone(), Session { access_key: access_key.into(), csrf: token(), flash: None, last_seen: now });
        id
    }

    /// The live session of `id`, its idle time restarted and its message taken.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut map = self.map();
        let live = map.get(id).is_some_and(|s| now.duration_since(s.last_seen) < self.idle);
        if !live {
            map.remove(id);
            return None;
        }
        let s = map.get_mut(id).expect("checked above");
        s.last_seen = now;
        let seen = s.clone();
        s.flash = None;
        Some(seen)
    }

    pub fn flash(&self, id: &str, flash: Flash) {
        if let Some(s) = self.map().get_mut(id) {
            s.flash = Some(flash);
        }
    }

    pub fn end(&self, id: &str) {
        self.map().remove(id);
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').filter_map(|c| c.trim().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure over TLS; None ends it.
pub fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_start_touch_flash_and_end() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let id = sessions.start("AK");
        assert_eq!(id.len(), 64);
        let s = sessions.touch(&id).unwrap();
        assert_eq!((s.access_key.as_str(), s.csrf.len(), s.flash), ("AK", 64, None));
        sessions.flash(&id, Flash::Done("made".into()));
        assert_eq!(sessions.touch(&id).unwrap().flash, Some(Flash::Done("made".into())));
        assert_eq!(sessions.touch(&id).unwrap().flash, None, "a message is shown once");
        assert!(sessions.touch("nope").is_none());
        sessions.end(&id);
        assert!(sessions.touch(&id).is_none());
    }

    #[test]
    fn idle_sessions_end() {
        let sessions = Sessions::new(Duration::from_millis(0));
        let id = sessions.start("AK");
        assert!(sessions.touch(&id).is_none());
    }

    #[test]
    fn cookies() {
        let header = Some("a=1; firn_session=abc ;b=2");
        assert_eq!(cookie(header, "firn_session"), Some("abc"));
        assert_eq!(cookie(header, "b"), Some("2"));
        assert_eq!(cookie(header, "c"), None);
        assert_eq!(set_cookie("s", Some("v"), false), "s=v; Path=/; HttpOnly; SameSite=Strict");
        assert!(set_cookie("s", None, true).ends_with("Max-Age=0; Secure"));
    }
}
