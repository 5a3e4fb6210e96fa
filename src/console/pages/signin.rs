//! Signing in with an access key and its secret key, and signing out. A failure never says which
//! half was wrong, and repeated failures wait (`throttle`). The sign-in form carries its own token,
//! matched with a cookie, so that no other site can sign a browser in.

use crate::auth::sigv4::constant_time_eq;
use crate::console::form::Form;
use crate::console::layout;
use crate::console::respond;
use crate::console::session::{self, cookie, set_cookie, token};
use crate::console::state::Console;
use crate::http::body::Body;
use crate::http::peer::Peer;
use http::{Response, StatusCode};
use maud::html;
use std::time::Instant;

const SIGNIN_COOKIE: &str = "firn_signin";

pub fn get(console: &Console) -> Response<Body> {
    form(console, StatusCode::OK, None, "")
}

fn form(console: &Console, status: StatusCode, problem: Option<&str>, access_key: &str) -> Response<Body> {
    let t = token();
    let body = html! {
        section.signin {
            h1 { "Sign in to Firn" }
            p.muted { "Use the access key and secret key of any Firn user. You will see and do what those keys may do." }
            @if let Some(p) = problem {
                p.flash.failed role="alert" id="signin-problem" { (p) }
            }
            form method="post" action="/signin" {
                input type="hidden" name="signin" value=(t);
                label for="access_key" { "Access key" }
                input id="access_key" name="access_key" type="text" autocomplete="username" required
                    autocapitalize="off" spellcheck="false" value=(access_key);
                label for="secret_key" { "Secret key" }
                input id="secret_key" name="secret_key" type="password" autocomplete="current-password" required;
                button.primary type="submit" { "Sign in" }
            }
        }
    };
    let mut resp = respond::html(status, layout::page("Sign in", None, &[], None, body));
    let c = set_cookie(SIGNIN_COOKIE, Some(&t), console.secure);
    resp.headers_mut().insert(http::header::SET_COOKIE, c.parse().expect("cookie is ASCII"));
    resp
}

pub fn post(console: &Console, form_data: &Form, cookies: Option<&str>, peer: Peer) -> Response<Body> {
    let access_key = form_data.text("access_key").trim();
    let expected = cookie(cookies, SIGNIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form_data.text("signin").as_bytes()) {
        return form(console, StatusCode::FORBIDDEN, Some("This sign-in form has expired; please try again."), "");
    }
    let now = Instant::now();
    if let Some(wait) = console.throttle.wait(peer.ip, access_key, now) {
        let secs = wait.as_secs().max(1);
        let problem =
            format!("Too many failed sign-ins. Try again in {secs} second{}.", if secs == 1 { "" } else { "s" });
        let mut resp = form(console, StatusCode::TOO_MANY_REQUESTS, Some(&problem), access_key);
        resp.headers_mut().insert(http::header::RETRY_AFTER, secs.into());
        return resp;
    }
    let user = console.app.users.by_access_key(access_key).ok().flatten();
    let secret = form_data.text("secret_key");
    match user.filter(|u| constant_time_eq(u.secret_key.as_bytes(), secret.as_bytes())) {
        Some(user) => {
            console.throttle.succeeded(peer.ip, access_key);
            tracing::info!(target: "firn::console", user = user.name, peer = %peer.ip, "signed in");
            let id = console.sessions.start(&user.access_key);
            let cookies = [
                set_cookie(session::COOKIE, Some(&id), console.secure),
                set_cookie(SIGNIN_COOKIE, None, console.secure),
            ];
            respond::redirect("/buckets", &cookies)
        }
        None => {
            console.throttle.failed(peer.ip, access_key, now);
            tracing::warn!(target: "firn::console", peer = %peer.ip, "sign-in failed");
            let problem = "The access key or the secret key is not right.";
            form(console, StatusCode::UNAUTHORIZED, Some(problem), access_key)
        }
    }
}

pub fn signout(console: &Console, session_id: &str) -> Response<Body> {
    console.sessions.end(session_id);
    respond::redirect("/signin", &[set_cookie(session::COOKIE, None, console.secure)])
}
