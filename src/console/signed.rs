//! A request from a signed-in session: the user, their session, and how pages answer them.

use crate::auth::users::User;
use crate::console::call::{Caller, Failure};
use crate::console::layout::{self, Crumb, Who};
use crate::console::respond;
use crate::console::session::{Flash, Session};
use crate::console::state::Console;
use crate::http::body::Body;
use crate::http::peer::Peer;
use crate::wire::error::Code;
use http::{Response, StatusCode};
use maud::{html, Markup};
use std::sync::Arc;

pub struct Signed<'a> {
    pub console: &'a Console,
    pub user: Arc<User>,
    pub session_id: String,
    pub session: Session,
    pub peer: Peer,
    /// The request's `Host`, for share links.
    pub host: String,
}

impl<'a> Signed<'a> {
    pub fn caller(&self) -> Caller<'a> {
        Caller { console: self.console, user: self.user.clone(), peer: self.peer }
    }

    pub fn who(&self) -> Who<'_> {
        Who { name: &self.user.name, csrf: &self.session.csrf, root: self.user.is_root() }
    }

    pub fn page(&self, title: &str, crumbs: &[Crumb], body: Markup) -> Response<Body> {
        let page = layout::page(title, Some(&self.who()), crumbs, self.session.flash.as_ref(), body);
        respond::html(StatusCode::OK, page)
    }

    /// A page that could not be shown: S3's status, and the sentence.
    pub fn failed(&self, title: &str, crumbs: &[Crumb], f: &Failure) -> Response<Body> {
        let status = match f.error.code {
            // A bucket one may not see and one that does not exist look alike from here on.
            Code::AccessDenied => StatusCode::FORBIDDEN,
            c => c.status(),
        };
        let body = html! {
            h1 { (title) }
            p.flash.failed role="alert" { (f.sentence) }
            p { a href="/buckets" { "Back to your buckets" } }
        };
        let page = layout::page(title, Some(&self.who()), crumbs, None, body);
        respond::html(status, page)
    }

    /// Root's pages refuse everyone else, saying why: Some(the refusal) for them.
    pub fn root_only(&self, title: &str, why: &str) -> Option<Response<Body>> {
        let f = Failure::said(Code::AccessDenied, why);
        (!self.user.is_root()).then(|| self.failed(title, &[layout::here(title)], &f))
    }

    /// After an action: back to `to`, with what happened shown there once.
    pub fn then(&self, to: &str, outcome: Result<String, Failure>) -> Response<Body> {
        let flash = match outcome {
            Ok(done) => Flash::Done(done),
            Err(f) => Flash::Failed(f.sentence),
        };
        self.console.sessions.flash(&self.session_id, flash);
        respond::redirect(to, &[])
    }
}
