//! ACLs on the wire: the `x-amz-acl` and `x-amz-grant-*` request headers, and the
//! `AccessControlPolicy` document of Get/Put Bucket/Object ACL. The stored form and its
//! evaluation live in the engine (`firn_storage::model::acl`).

use crate::auth::users::Users;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::model::acl::{Acl, Grant, Grantee, Permission, MAX_GRANTS};
use http::HeaderMap;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];

fn group(uri: &str) -> S3Result<Grantee> {
    match uri {
        ALL_USERS => Ok(Grantee::AllUsers),
        AUTHENTICATED_USERS => Ok(Grantee::AuthenticatedUsers),
        LOG_DELIVERY => Ok(Grantee::LogDelivery),
        _ => {
            Err(S3Error::msg(Code::InvalidArgument, format!("Invalid group uri: {uri}")).detail("ArgumentName", "uri"))
        }
    }
}

fn user(users: &Users, id: &str) -> S3Result<Grantee> {
    if users.exists(id) {
        Ok(Grantee::User(id.to_owned()))
    } else {
        Err(S3Error::msg(Code::InvalidArgument, "Invalid id")
            .detail("ArgumentName", "CanonicalUser/ID")
            .detail("ArgumentValue", id))
    }
}

fn by_email(email: &str) -> S3Error {
    S3Error::new(Code::UnresolvableGrantByEmailAddress).detail("EmailAddressProvided", email)
}

/// One `x-amz-grant-*` value: `id="…", uri="…", emailAddress="…"`, comma-separated.
fn header_grantees(users: &Users, value: &str) -> S3Result<Vec<Grantee>> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (kind, v) = item
            .split_once('=')
            .ok_or_else(|| S3Error::msg(Code::InvalidArgument, format!("Invalid grant: {item}")))?;
        let v = v.trim().trim_matches('"');
        out.push(match kind.trim().to_ascii_lowercase().as_str() {
            "id" => user(users, v)?,
            "uri" => group(v)?,
            "emailaddress" => return Err(by_email(v)),
            _ => return Err(S3Error::msg(Code::InvalidArgument, format!("Invalid grant type: {kind}"))),
        });
    }
    Ok(out)
}

/// The ACL a request's headers ask for, if any: a canned `x-amz-acl` or `x-amz-grant-*` grants
/// (not both). `owner` owns the new resource; `bucket_owner` matters for `bucket-owner-*`.
pub fn from_headers(headers: &HeaderMap, users: &Users, owner: &str, bucket_owner: &str) -> S3Result<Option<Acl>> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    let grants: Vec<(&str, Permission)> =
        GRANT_HEADERS.iter().filter_map(|(name, p)| header(name).map(|v| (v, *p))).collect();
    match (header("x-amz-acl"), grants.is_empty()) {
        (None, true) => Ok(None),
        (Some(_), false) => {
            Err(S3Error::msg(Code::InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed"))
        }
        (Some(canned), true) => Acl::canned(canned.trim(), owner, bucket_owner).map(Some).ok_or_else(|| {
            S3Error::msg(Code::InvalidArgument, format!("Invalid canned ACL: {canned}"))
                .detail("ArgumentName", "x-amz-acl")
        }),
        (None, false) => {
            let mut acl = Acl { owner: owner.to_owned(), grants: Vec::new() };
            for (value, permission) in grants {
                for grantee in header_grantees(users, value)? {
                    acl.grants.push(Grant { grantee, permission });
                }
            }
            check_count(&acl)?;
            Ok(Some(acl))
        }
    }
}

fn check_count(acl: &Acl) -> S3Result<()> {
    if acl.grants.len() > MAX_GRANTS {
        return Err(S3Error::msg(Code::MalformedACLError, format!("An ACL may hold at most {MAX_GRANTS} grants")));
    }
    Ok(())
}

/// An `AccessControlPolicy` document for a resource owned by `owner`. Its `<Owner>` must be that
/// owner: the document cannot give the resource away.
pub fn from_document(doc: &Element, users: &Users, owner: &str) -> S3Result<Acl> {
    let malformed = || S3Error::new(Code::MalformedACLError);
    if doc.name != "AccessControlPolicy" {
        return Err(malformed());
    }
    let stated_owner = doc.child("Owner").and_then(|o| o.child_text("ID")).ok_or_else(malformed)?;
    if stated_owner != owner {
        return Err(S3Error::msg(Code::AccessDenied, "The Owner in the ACL is not the resource's owner"));
    }
    let list = doc.child("AccessControlList").ok_or_else(malformed)?;
    let mut acl = Acl { owner: owner.to_owned(), grants: Vec::new() };
    for g in list.children_named("Grant") {
        let grantee = g.child("Grantee").ok_or_else(malformed)?;
        let grantee = match (grantee.child_text("ID"), grantee.child_text("URI"), grantee.child_text("EmailAddress")) {
            (Some(id), None, None) => user(users, id)?,
            (None, Some(uri), None) => group(uri)?,
            (None, None, Some(email)) => return Err(by_email(email)),
            _ => return Err(malformed()),
        };
        let permission = g.child_text("Permission").and_then(Permission::parse).ok_or_else(malformed)?;
        acl.grants.push(Grant { grantee, permission });
    }
    check_count(&acl)?;
    Ok(acl)
}

pub fn to_document(acl: &Acl, users: &Users) -> String {
    let mut w = XmlWriter::new("AccessControlPolicy");
    w.open("Owner").elem("ID", &acl.owner).elem("DisplayName", users.display_name(&acl.owner)).close();
    w.open("AccessControlList");
    for g in &acl.grants {
        w.open("Grant");
        match &g.grantee {
            Grantee::User(id) => {
                w.open_attrs("Grantee", &[("xmlns:xsi", XSI), ("xsi:type", "CanonicalUser")])
                    .elem("ID", id)
                    .elem("DisplayName", users.display_name(id))
                    .close();
            }
            other => {
                let uri = match other {
                    Grantee::AllUsers => ALL_USERS,
                    Grantee::AuthenticatedUsers => AUTHENTICATED_USERS,
                    _ => LOG_DELIVERY,
                };
                w.open_attrs("Grantee", &[("xmlns:xsi", XSI), ("xsi:type", "Group")]).elem("URI", uri).close();
            }
        }
        w.elem("Permission", g.permission.as_str()).close();
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{User, ROOT};

    fn users() -> (tempfile::TempDir, Users) {
        let dir = tempfile::tempdir().unwrap();
        let engine = firn_storage::Engine::open(&firn_storage::EngineConfig::new(dir.path())).unwrap();
        let users = Users::new(User::new(ROOT, "AK".into(), "SK".into()), engine.users().clone());
        (dir, users)
    }

    #[test]
    fn document_round_trip_and_golden_grantees() {
        let (_dir, users) = users();
        let root = firn_storage::canonical_id(ROOT);
        let acl = Acl {
            owner: root.clone(),
            grants: vec![
                Grant::user(&root, Permission::FullControl),
                Grant { grantee: Grantee::AllUsers, permission: Permission::Read },
            ],
        };
        let doc = to_document(&acl, &users);
        assert!(doc.contains(&format!(
            "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"CanonicalUser\"><ID>{root}</ID><DisplayName>root</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
        )));
        assert!(doc.contains(&format!(
            "<Grant><Grantee xmlns:xsi=\"{XSI}\" xsi:type=\"Group\"><URI>{ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>"
        )));
        let parsed = from_document(&crate::wire::xml::parse(doc.as_bytes()).unwrap(), &users, &root).unwrap();
        assert_eq!(parsed, acl);
    }

    #[test]
    fn header_grants() {
        let (_dir, users) = users();
        let root = firn_storage::canonical_id(ROOT);
        let mut h = HeaderMap::new();
        h.insert("x-amz-grant-read", format!("id=\"{root}\", uri=\"{AUTHENTICATED_USERS}\"").parse().unwrap());
        h.insert("x-amz-grant-write-acp", format!("uri={LOG_DELIVERY}").parse().unwrap());
        let acl = from_headers(&h, &users, &root, &root).unwrap().unwrap();
        assert_eq!(acl.grants.len(), 3);
        assert!(acl.allows(Some("anyone"), Permission::Read));
        assert!(!acl.allows(None, Permission::Read));
        h.insert("x-amz-grant-read", "id=unknown".parse().unwrap());
        assert_eq!(from_headers(&h, &users, &root, &root).unwrap_err().code, Code::InvalidArgument);
        h.insert("x-amz-grant-read", "fish=1".parse().unwrap());
        assert_eq!(from_headers(&h, &users, &root, &root).unwrap_err().code, Code::InvalidArgument);
        assert_eq!(from_headers(&HeaderMap::new(), &users, &root, &root).unwrap(), None);
    }
}
