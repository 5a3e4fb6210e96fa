//! Block Public Access (Put/Get/DeletePublicAccessBlock) and Object Ownership
//! (Put/Get/DeleteBucketOwnershipControls) on a bucket: their XML documents and the rules for
//! changing them. What they do to requests is in `access::decision`.

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::respond::{empty, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::model::acl::Grantee;
use firn_storage::{AccessSettings, ObjectOwnership, PublicAccessBlock};
use http::{Response, StatusCode};

const FLAGS: [&str; 4] = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];

fn flags(b: &PublicAccessBlock) -> [bool; 4] {
    [b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets]
}

/// A `PublicAccessBlockConfiguration`; flags left out are false.
pub fn block_from_document(doc: &Element) -> S3Result<PublicAccessBlock> {
    if doc.name != "PublicAccessBlockConfiguration" {
        return Err(S3Error::new(Code::MalformedXML));
    }
    let mut on = [false; 4];
    for (flag, value) in FLAGS.iter().zip(on.iter_mut()) {
        *value = match doc.child_text(flag).map(str::trim) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(S3Error::new(Code::MalformedXML)),
        };
    }
    let [block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets] = on;
    Ok(PublicAccessBlock { block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets })
}

pub fn block_to_document(b: &PublicAccessBlock) -> String {
    let mut w = XmlWriter::new("PublicAccessBlockConfiguration");
    for (flag, on) in FLAGS.iter().zip(flags(b)) {
        w.elem(flag, on.to_string());
    }
    w.finish()
}

/// An `OwnershipControls` document: exactly one rule.
pub fn ownership_from_document(doc: &Element) -> S3Result<ObjectOwnership> {
    let rules: Vec<&Element> = doc.children_named("Rule").collect();
    match (doc.name.as_str(), rules.as_slice()) {
        ("OwnershipControls", [rule]) => rule
            .child_text("ObjectOwnership")
            .and_then(|v| ObjectOwnership::parse(v.trim()))
            .ok_or_else(|| S3Error::new(Code::MalformedXML)),
        _ => Err(S3Error::new(Code::MalformedXML)),
    }
}

pub fn ownership_to_document(o: ObjectOwnership) -> String {
    let mut w = XmlWriter::new("OwnershipControls");
    w.open("Rule").elem("ObjectOwnership", o.as_str()).close();
    w.finish()
}

/// Sets or clears one of the bucket's access settings.
fn update(ctx: &Ctx, change: impl Fn(&mut AccessSettings)) -> S3Result<()> {
    let done = blocking(|| {
        ctx.app.engine.update_bucket_access(ctx.bucket(), |s| {
            change(s);
            Ok::<(), ()>(())
        })
    })?;
    done.expect("never refused");
    Ok(())
}

pub async fn put_block(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let block = block_from_document(&ctx.xml_body().await?)?;
    update(&ctx, |s| s.public_access_block = Some(block))?;
    Ok(empty(StatusCode::OK))
}

pub async fn get_block(ctx: Ctx) -> S3Result<Response<Body>> {
    let block =
        ctx.access.public_access_block.ok_or_else(|| S3Error::new(Code::NoSuchPublicAccessBlockConfiguration))?;
    Ok(xml_response(StatusCode::OK, block_to_document(&block)))
}

pub async fn delete_block(ctx: Ctx) -> S3Result<Response<Body>> {
    update(&ctx, |s| s.public_access_block = None)?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn put_ownership(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let ownership = ownership_from_document(&ctx.xml_body().await?)?;
    if ownership == ObjectOwnership::BucketOwnerEnforced {
        // ACLs go off only once the bucket's ACL grants nothing beyond its owner (as in S3).
        let record = ctx.bucket_record.as_ref().expect("the access check loads the bucket");
        let acl = ctx.app.engine.bucket_acl(record)?;
        if acl.grants.iter().any(|g| g.grantee != Grantee::User(record.owner.clone())) {
            return Err(S3Error::new(Code::InvalidBucketAclWithObjectOwnership));
        }
    }
    update(&ctx, |s| s.ownership = Some(ownership))?;
    Ok(empty(StatusCode::OK))
}

pub async fn get_ownership(ctx: Ctx) -> S3Result<Response<Body>> {
    let o = ctx.access.ownership.ok_or_else(|| S3Error::new(Code::OwnershipControlsNotFoundError))?;
    Ok(xml_response(StatusCode::OK, ownership_to_document(o)))
}

pub async fn delete_ownership(ctx: Ctx) -> S3Result<Response<Body>> {
    update(&ctx, |s| s.ownership = None)?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Element {
        crate::wire::xml::parse(xml.as_bytes()).unwrap()
    }

    #[test]
    fn block_documents() {
        let b = block_from_document(&parse(
            "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>TRUE</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
        ))
        .unwrap();
        assert_eq!(
            b,
            PublicAccessBlock { block_public_acls: true, restrict_public_buckets: true, ..Default::default() }
        );
        let doc = block_to_document(&b);
        assert!(doc.contains("<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"), "{doc}");
        assert_eq!(block_from_document(&parse(&doc)).unwrap(), b);
        for bad in [
            "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>",
            "<PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlock>",
        ] {
            assert_eq!(block_from_document(&parse(bad)).unwrap_err().code, Code::MalformedXML, "{bad}");
        }
    }

    #[test]
    fn ownership_documents() {
        for o in
            [ObjectOwnership::ObjectWriter, ObjectOwnership::BucketOwnerPreferred, ObjectOwnership::BucketOwnerEnforced]
        {
            let doc = ownership_to_document(o);
            assert!(doc.contains(&format!("<Rule><ObjectOwnership>{}</ObjectOwnership></Rule>", o.as_str())));
            assert_eq!(ownership_from_document(&parse(&doc)).unwrap(), o);
        }
        for bad in [
            "<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>",
            "<OwnershipControls></OwnershipControls>",
            "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
            "<Ownership><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></Ownership>",
        ] {
            assert_eq!(ownership_from_document(&parse(bad)).unwrap_err().code, Code::MalformedXML, "{bad}");
        }
    }
}
