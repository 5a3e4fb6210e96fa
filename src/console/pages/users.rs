//! Users and keys. Root's page lists every user (account id, ARN, keys) and adds and removes users
//! and keys through the admin API, as `firn admin` does. Every user's own page rotates their keys:
//! make a new one, then revoke the old. A new secret is shown once, on the page that made it.

use crate::admin::{self, Reply, Request, UserInfo};
use crate::console::call::Failure;
use crate::console::form::Form;
use crate::console::layout::{csrf, here, Who};
use crate::console::signed::Signed;
use crate::http::body::Body;
use crate::wire::error::Code;
use firn_storage::account_id;
use http::Response;
use maud::{html, Markup};

fn arn(u: &UserInfo) -> String {
    format!("arn:aws:iam::{}:user/{}", account_id(&u.canonical_id), u.name)
}

/// A new key's secret, shown this once.
fn new_key(reply: &Reply) -> Markup {
    match reply {
        Reply::Key { user, access_key, secret_key } => html! {
            section.card.newkey role="status" aria-labelledby="newkey-title" {
                h2 id="newkey-title" { "New key for " (user) }
                p { "Copy the secret key now: it is not shown again." }
                label for="new-access-key" { "Access key" }
                input id="new-access-key" type="text" readonly value=(access_key);
                label for="new-secret-key" { "Secret key" }
                div.shared {
                    input id="new-secret-key" type="text" readonly value=(secret_key);
                    button type="button" data-copy="new-secret-key" { "Copy" }
                    span id="copy-status" role="status" {}
                }
            }
        },
        _ => html! {},
    }
}

fn refused(s: &Signed) -> Option<Response<Body>> {
    s.root_only("Users", "Users and keys are root's to manage. Your own keys are under Your keys.")
}

fn users_table(who: &Who, users: &[UserInfo]) -> Markup {
    html! {
        div.tablewrap {
            table.list id="users" {
                thead { tr {
                    th scope="col" { "User" }
                    th.wide scope="col" { "Account and ARN" }
                    th scope="col" { "Access keys" }
                    th scope="col" { span.visually-hidden { "Actions" } }
                } }
                tbody {
                    @for u in users {
                        @let root = u.created.is_none();
                        tr {
                            th scope="row" { (u.name) @if root { " " span.badge { "root" } } br; span.muted { @if let Some(c) = &u.created { "since " (c) } } }
                            td.wide { span.mono { (account_id(&u.canonical_id)) } br; span.mono.muted { (arn(u)) } }
                            td {
                                ul.keys {
                                    @for k in &u.access_keys {
                                        li {
                                            span.mono { (k) }
                                            @if !root {
                                                form.inline method="post" action="/users/key-remove"
                                                    data-confirm={ "Revoke key " (k) "? Clients using it stop working at once." } {
                                                    (csrf(who))
                                                    input type="hidden" name="access_key" value=(k);
                                                    button.small.danger type="submit" aria-label={ "Revoke key " (k) } { "Revoke" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            td { @if !root { div.rowactions {
                                form method="post" action="/users/key-add" {
                                    (csrf(who))
                                    input type="hidden" name="user" value=(u.name);
                                    button.small type="submit" aria-label={ "Create a key for " (u.name) } { "New key" }
                                }
                                form method="post" action="/users/remove" data-confirm={ "Remove user " (u.name) " and their keys?" } {
                                    (csrf(who))
                                    input type="hidden" name="name" value=(u.name);
                                    button.small.danger type="submit" aria-label={ "Remove user " (u.name) } { "Remove" }
                                }
                            } } }
                        }
                    }
                }
            }
        }
    }
}

/// Root's users page; `made` is a key just made, to show once.
pub async fn list(s: &Signed<'_>, made: Option<Reply>) -> Response<Body> {
    if let Some(r) = refused(s) {
        return r;
    }
    let users = match s.caller().admin(&Request::UserList).await {
        Ok(Reply::Users { users }) => users,
        Ok(_) => Vec::new(),
        Err(f) => return s.failed("Users", &[here("Users")], &f),
    };
    let who = s.who();
    let body = html! {
        div.titlebar {
            h1 { "Users" }
            form.inline method="post" action="/users/add" {
                (csrf(&who))
                label for="new-user" class="visually-hidden" { "New user's name" }
                input id="new-user" name="name" placeholder="New user's name" required autocapitalize="off" spellcheck="false";
                button.primary type="submit" { "Add user" }
            }
        }
        @if let Some(r) = &made { (new_key(r)) }
        (users_table(&who, &users))
        p.muted { "Policies name a user by their ARN. A user who owns buckets cannot be removed until the buckets are deleted or theirs no more." }
    };
    s.page("Users", &[here("Users")], body)
}

/// Root's actions on users and keys.
pub async fn act(s: &Signed<'_>, what: &str, form: &Form) -> Response<Body> {
    if let Some(r) = refused(s) {
        return r;
    }
    let req = match what {
        "add" => Request::UserAdd { name: form.text("name").trim().to_owned() },
        "remove" => Request::UserRemove { name: form.text("name").to_owned() },
        "key-add" => Request::KeyAdd { user: form.text("user").to_owned() },
        "key-remove" => Request::KeyRemove { access_key: form.text("access_key").to_owned() },
        _ => return s.then("/users", Err(Failure::said(Code::InvalidRequest, "No such action."))),
    };
    match s.caller().admin(&req).await {
        Ok(reply @ Reply::Key { .. }) => list(s, Some(reply)).await,
        Ok(Reply::Done { message }) => s.then("/users", Ok(format!("Done: {message}."))),
        Ok(_) => s.then("/users", Ok("Done.".into())),
        Err(f) => s.then("/users", Err(f)),
    }
}

/// The signed-in user's own keys; `made` is a key just made, to show once.
pub async fn own(s: &Signed<'_>, made: Option<Reply>) -> Response<Body> {
    let who = s.who();
    let crumbs = [here("Your keys")];
    if s.user.is_root() {
        let body = html! {
            h1 { "Your keys" }
            p { "Root's key comes from the configuration (" code { "root_access_key" } ", " code { "root_secret_key" } " or the data directory's credentials file): change it there and restart." }
        };
        return s.page("Your keys", &crumbs, body);
    }
    let record = s.console.app.users.directory().by_name(&s.user.name);
    let keys = record.map(|r| r.keys).unwrap_or_default();
    let body = html! {
        h1 { "Your keys" }
        p.muted { "To rotate a key: create a new one, move your clients to it, then revoke the old one. Revoking the key you signed in with signs you out." }
        @if let Some(r) = &made { (new_key(r)) }
        div.tablewrap {
            table.list id="own-keys" {
                thead { tr { th scope="col" { "Access key" } th scope="col" { "Created" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for k in &keys {
                        tr {
                            th scope="row" { span.mono { (k.access_key) } @if k.access_key == s.user.access_key { " " span.badge { "this session" } } }
                            td { (crate::console::layout::when_ms(k.created_ms)) }
                            td {
                                form method="post" action="/keys/remove" data-confirm={ "Revoke key " (k.access_key) "? Clients using it stop working at once." } {
                                    (csrf(&who))
                                    input type="hidden" name="access_key" value=(k.access_key);
                                    button.small.danger type="submit" aria-label={ "Revoke key " (k.access_key) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/keys/add" {
            (csrf(&who))
            button.primary type="submit" { "Create a new key" }
        }
    };
    s.page("Your keys", &crumbs, body)
}

/// A user's actions on their own keys: only ever their own.
pub async fn own_act(s: &Signed<'_>, what: &str, form: &Form) -> Response<Body> {
    let app = &s.console.app;
    let name = s.user.name.clone();
    let req = match what {
        "add" => Request::KeyAdd { user: name.clone() },
        "remove" => {
            let key = form.text("access_key");
            let theirs = app.users.directory().by_access_key(key).ok().flatten().is_some_and(|(u, _)| u.name == name);
            if !theirs {
                return s.then("/keys", Err(Failure::said(Code::AccessDenied, "That is not one of your keys.")));
            }
            Request::KeyRemove { access_key: key.to_owned() }
        }
        _ => return s.then("/keys", Err(Failure::said(Code::InvalidRequest, "No such action."))),
    };
    if s.user.is_root() {
        return s
            .then("/keys", Err(Failure::said(Code::InvalidRequest, "Root's key is configured, not managed here.")));
    }
    let result = admin::execute(&app.engine, &app.users, &req, &mut |_, _| {});
    match result {
        Ok(reply @ Reply::Key { .. }) => own(s, Some(reply)).await,
        Ok(_) => s.then("/keys", Ok(format!("Key {} revoked.", form.text("access_key")))),
        Err(e) => s.then("/keys", Err(Failure::of(e))),
    }
}
