//! Every console request starts here: static files and sign-in are open; everything else needs a
//! live session, and every state change must come from the console's own pages (same origin) with
//! the session's CSRF token.

use crate::auth::sigv4::{constant_time_eq, uri_decode};
use crate::console::assets;
use crate::console::form::Form;
use crate::console::layout;
use crate::console::pages::{api, archive, browse, buckets, object, overview, settings, signin, users};
use crate::console::respond::{self, Holds};
use crate::console::session::{self, cookie};
use crate::console::signed::Signed;
use crate::console::state::Console;
use crate::http::body::Body;
use crate::http::peer::Peer;
use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use maud::html;
use std::sync::Arc;

pub async fn handle(console: Arc<Console>, req: Request<Incoming>, peer: Peer) -> Response<Body> {
    let path = req.uri().path().to_owned();
    if let Some(file) = path.strip_prefix("/assets/") {
        return respond::harden(assets::serve(file), Holds::Asset);
    }
    let holds = if path.starts_with("/api/") { Holds::Content } else { Holds::Page };
    respond::harden(route(&console, req, peer).await, holds)
}

fn refused(status: StatusCode, why: &str) -> Response<Body> {
    let body = html! { h1 { "Refused" } p.flash.failed role="alert" { (why) } p { a href="/buckets" { "Back to the console" } } };
    respond::html(status, layout::page("Refused", None, &[], None, body))
}

/// True when a state-changing request comes from a page of this console: its `Origin` (or, where
/// a browser sends none, `Sec-Fetch-Site`) says so.
fn same_origin(req: &Request<Incoming>, secure: bool) -> bool {
    let h = |n| req.headers().get(n).and_then(|v: &http::HeaderValue| v.to_str().ok());
    let host = h(header::HOST).unwrap_or_default();
    match h(header::ORIGIN) {
        Some(origin) => {
            let scheme = if secure { "https" } else { "http" };
            !host.is_empty() && origin == format!("{scheme}://{host}")
        }
        None => h(http::HeaderName::from_static("sec-fetch-site")) == Some("same-origin"),
    }
}

async fn route(console: &Console, req: Request<Incoming>, peer: Peer) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let changes = !matches!(method, Method::GET | Method::HEAD);
    if changes && !same_origin(&req, console.secure) {
        tracing::warn!(target: "firn::console", peer = %peer.ip, path, "cross-origin request refused");
        return refused(
            StatusCode::FORBIDDEN,
            "This request did not come from the console's own pages, so it was refused.",
        );
    }
    let cookies = req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match (&method, path.as_str()) {
        (&Method::GET, "/signin") => return signin::get(console),
        (&Method::POST, "/signin") => {
            let (_, body) = req.into_parts();
            let Some(form) = Form::read(body).await else {
                return refused(StatusCode::BAD_REQUEST, "The form was too long.");
            };
            return signin::post(console, &form, cookies.as_deref(), peer);
        }
        _ => {}
    }
    // Everything else is a signed-in user's.
    let session_id = cookie(cookies.as_deref(), session::COOKIE).unwrap_or_default().to_owned();
    let session = (!session_id.is_empty()).then(|| console.sessions.touch(&session_id)).flatten();
    let user = session.as_ref().and_then(|s| console.app.users.by_access_key(&s.access_key).ok().flatten());
    let (Some(session), Some(user)) = (session, user) else {
        if path.starts_with("/api/") || path.ends_with("/state") {
            return respond::json(
                StatusCode::UNAUTHORIZED,
                &serde_json::json!({ "error": "Signed out: sign in again." }),
            );
        }
        return respond::redirect("/signin", &[]);
    };
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost").to_owned();
    let s = Signed { console, user, session_id, session, peer, host };
    let csrf_ok = |token: &str| constant_time_eq(token.as_bytes(), s.session.csrf.as_bytes());
    let query = Form::parse(req.uri().query().unwrap_or("").as_bytes());
    let segments: Vec<String> = path.trim_start_matches('/').split('/').map(uri_decode).collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segs.first() == Some(&"api") && segs.get(1) == Some(&"s3") {
        let token = req.headers().get("x-firn-csrf").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if changes && !csrf_ok(token) {
            return refused(StatusCode::FORBIDDEN, "This request carried no valid form token, so it was refused.");
        }
        let (parts, body) = req.into_parts();
        return api::s3(&s, parts, body).await;
    }
    if !changes {
        return match segs.as_slice() {
            [""] => respond::redirect("/buckets", &[]),
            ["buckets"] => buckets::list(&s).await,
            ["overview"] => overview::show(&s, query.text("range") == "day").await,
            ["users"] => users::list(&s, None).await,
            ["archive"] => archive::show(&s).await,
            ["settings", bucket] => settings::show(&s, bucket, None).await,
            ["keys"] => users::own(&s, None).await,
            ["browse", bucket] => browse::list(&s, bucket, &query).await,
            ["object", bucket] => object::show(&s, bucket, &query, None).await,
            ["object", bucket, "state"] => object::state(&s, bucket, &query).await,
            _ => not_found(&s),
        };
    }
    let (_, body) = req.into_parts();
    let Some(form) = Form::read(body).await else { return refused(StatusCode::BAD_REQUEST, "The form was too long.") };
    if !csrf_ok(form.text("csrf")) {
        return refused(
            StatusCode::FORBIDDEN,
            "This form carried no valid form token, so it was refused. Reload the page and try again.",
        );
    }
    match (&method, segs.as_slice()) {
        (&Method::POST, ["signout"]) => signin::signout(console, &s.session_id),
        (&Method::POST, ["buckets"]) => buckets::create(&s, &form).await,
        (&Method::POST, ["buckets", "delete"]) => buckets::delete(&s, &form).await,
        (&Method::POST, ["browse", bucket, "folder"]) => browse::new_folder(&s, bucket, &form).await,
        (&Method::POST, ["object", bucket, action]) => object::act(&s, bucket, action, &form).await,
        (&Method::POST, ["users", action]) => users::act(&s, action, &form).await,
        (&Method::POST, ["archive", "compact"]) => archive::compact(&s, &form).await,
        (&Method::POST, ["settings", bucket, what]) => settings::save(&s, bucket, what, &form).await,
        (&Method::POST, ["keys", action]) => users::own_act(&s, action, &form).await,
        _ => not_found(&s),
    }
}

fn not_found(s: &Signed) -> Response<Body> {
    let body =
        html! { h1 { "Not found" } p { "There is no such page. " a href="/buckets" { "Back to your buckets" } } };
    respond::html(StatusCode::NOT_FOUND, layout::page("Not found", Some(&s.who()), &[], None, body))
}
