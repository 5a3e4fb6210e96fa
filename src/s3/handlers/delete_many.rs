//! DeleteObjects: up to 1000 keys in one request, each reported as deleted or failed.

use crate::http::body::Body;
use crate::s3::authz::Need;
use crate::s3::context::{blocking, Ctx};
use crate::s3::request;
use crate::s3::respond::xml_response;
use crate::s3::router::Scope;
use crate::wire::checksum::Algorithm;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::delete_condition;
use crate::wire::xml::XmlWriter;
use firn_storage::ObjectKey;
use http::{Response, StatusCode};

pub async fn delete_objects(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let has_integrity = ctx.header("content-md5").is_some()
        || ctx.header("x-amz-trailer").is_some()
        || Algorithm::ALL.iter().any(|a| ctx.header(a.header()).is_some());
    if !has_integrity {
        return Err(S3Error::msg(Code::InvalidRequest, "Missing required header for this request: Content-MD5"));
    }
    let doc = ctx.xml_body().await?;
    if doc.name != "Delete" {
        return Err(S3Error::new(Code::MalformedXML));
    }
    let quiet = doc.child_text("Quiet").is_some_and(|q| q.eq_ignore_ascii_case("true"));
    let objects: Vec<_> = doc.children_named("Object").collect();
    if objects.is_empty() || objects.len() > ctx.app.config.limits.max_delete_keys {
        return Err(S3Error::new(Code::MalformedXML));
    }
    let mut w = XmlWriter::new("DeleteResult");
    let Scope::EachKey(permission) = ctx.op.access().scope else { unreachable!("DeleteObjects decides per key") };
    for o in objects {
        let key = o.child_text("Key").ok_or_else(|| S3Error::new(Code::MalformedXML))?;
        let version = o.child_text("VersionId");
        // Each key is its own s3:DeleteObject (or s3:DeleteObjectVersion) decision, as in S3.
        let action = ctx.op.action(version.is_some());
        let result = ObjectKey::parse(key).map_err(S3Error::from).and_then(|k| {
            ctx.authorize(ctx.bucket(), Some(key), action, Need::Bucket(permission))?;
            let mut cond =
                delete_condition(o.child_text("ETag"), o.child_text("LastModifiedTime"), o.child_text("Size"))?;
            cond.bypass_governance = version.is_some() && request::bypass(&ctx, key);
            Ok(blocking(|| ctx.app.engine.delete_object_if(ctx.bucket(), &k, version, ctx.owner_id(), &cond))?)
        });
        match result {
            Ok(out) if !quiet => {
                w.open("Deleted").elem("Key", key).opt("VersionId", version);
                if out.delete_marker {
                    w.elem("DeleteMarker", "true");
                    // A new marker has its own id; deleting a marker by id names that id.
                    if version.is_none() {
                        w.opt("DeleteMarkerVersionId", out.version_id.as_deref());
                    } else {
                        w.opt("DeleteMarkerVersionId", version);
                    }
                }
                w.close();
            }
            Ok(_) => {}
            Err(e) => {
                w.open("Error")
                    .elem("Key", key)
                    .opt("VersionId", version)
                    .elem("Code", e.code.as_str())
                    .elem("Message", &e.message)
                    .close();
            }
        }
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}
