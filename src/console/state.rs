//! What the console keeps beside the app: its sessions, its sign-in throttle, and how to reach the
//! S3 listener for share links.

use crate::app::state::App;
use crate::console::session::Sessions;
use crate::console::throttle::Throttle;
use std::sync::Arc;

pub struct Console {
    pub app: Arc<App>,
    pub sessions: Sessions,
    pub throttle: Throttle,
    /// Served over TLS: its cookies are Secure.
    pub secure: bool,
    /// The S3 listener's scheme and port: share links go there when `console.s3_url` is unset.
    pub s3_scheme: &'static str,
    pub s3_port: u16,
    pub started: std::time::Instant,
}

impl Console {
    pub fn new(app: Arc<App>, secure: bool, s3_scheme: &'static str, s3_port: u16) -> Console {
        let idle = std::time::Duration::from_secs(app.config.console.session_idle_secs);
        let (sessions, throttle, started) = (Sessions::new(idle), Throttle::default(), std::time::Instant::now());
        Console { app, sessions, throttle, secure, s3_scheme, s3_port, started }
    }
}
