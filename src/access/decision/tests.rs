use super::*;
use crate::access::policy::Facts;
use serde_json::json;

const OWNER: Requester = Requester { name: "alice", canonical_id: "c-alice", account: "111111111111" };
const OTHER: Requester = Requester { name: "bob", canonical_id: "c-bob", account: "222222222222" };

fn policy(statements: serde_json::Value) -> Policy {
    Policy::parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string()).unwrap()
}

struct Case<'a> {
    name: &'a str,
    who: Option<Requester<'a>>,
    action: &'a str,
    resource: &'a str,
    facts: Facts,
    policy: Option<&'a Policy>,
    block: PublicAccessBlock,
    ownership: ObjectOwnership,
    fallback: Fallback<'a>,
    want: (bool, &'a str),
}

#[test]
fn decisions() {
    let public_read = policy(
        json!([{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]),
    );
    let deny_delete = policy(json!([
        {"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
        {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"},
    ]));
    let https_only = policy(
        json!([{"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]),
    );
    let bob_reads = policy(
        json!([{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}]),
    );
    let deny_policy_ops = policy(
        json!([{"Sid": "Lock", "Effect": "Deny", "Principal": "*", "Action": "s3:*BucketPolicy", "Resource": "arn:aws:s3:::b"}]),
    );
    let prefix_list = policy(
        json!([{"Sid": "Docs", "Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "docs/*"}}}]),
    );
    let private = Acl::private("c-alice");
    let public_acl = Acl::canned("public-read", "c-alice", "c-alice").unwrap();
    let bobs_object = Acl::private("c-bob");
    let carols_object = Acl::private("c-carol");
    let no_grants = Acl { owner: "c-alice".into(), grants: vec![] };
    let public_write = Acl::canned("public-read-write", "c-alice", "c-alice").unwrap();
    let anonymous = Acl::private(firn_storage::model::acl::ANONYMOUS_ID);
    let insecure = {
        let mut f = Facts::default();
        f.set("aws:SecureTransport", "false");
        f
    };
    let docs = {
        let mut f = Facts::default();
        f.set("s3:prefix", "docs/2026/");
        f
    };
    let none = PublicAccessBlock::default;
    let acl = |acl, permission| Fallback::Acl { acl, permission, object_owner: None };
    let object = |acl, owner| Fallback::Acl { acl, permission: Permission::Read, object_owner: Some(owner) };
    let base = || Case {
        name: "",
        who: None,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        facts: Facts::default(),
        policy: None,
        block: none(),
        ownership: ObjectOwnership::ObjectWriter,
        fallback: Fallback::Owner,
        want: (false, ""),
    };
    let cases = vec![
        Case {
            name: "owner reads own private object",
            who: Some(OWNER),
            fallback: object(&private, "c-alice"),
            want: (true, "acl grant READ to c-alice"),
            ..base()
        },
        Case {
            name: "stranger denied",
            who: Some(OTHER),
            fallback: object(&private, "c-alice"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "anonymous through a public ACL",
            who: None,
            fallback: object(&public_acl, "c-alice"),
            want: (true, "acl grant READ to AllUsers"),
            ..base()
        },
        Case {
            name: "IgnorePublicAcls drops the public grant",
            who: None,
            block: PublicAccessBlock { ignore_public_acls: true, ..none() },
            fallback: object(&public_acl, "c-alice"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "public-read policy",
            who: None,
            resource: "arn:aws:s3:::b/site/index.html",
            policy: Some(&public_read),
            fallback: object(&private, "c-alice"),
            want: (true, "policy statement PublicRead (Allow)"),
            ..base()
        },
        Case {
            name: "RestrictPublicBuckets stops anonymous",
            who: None,
            policy: Some(&public_read),
            block: PublicAccessBlock { restrict_public_buckets: true, ..none() },
            fallback: object(&private, "c-alice"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "RestrictPublicBuckets stops other accounts",
            who: Some(OTHER),
            policy: Some(&public_read),
            block: PublicAccessBlock { restrict_public_buckets: true, ..none() },
            fallback: object(&private, "c-alice"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "RestrictPublicBuckets keeps the owner",
            who: Some(OWNER),
            policy: Some(&public_read),
            block: PublicAccessBlock { restrict_public_buckets: true, ..none() },
            fallback: object(&no_grants, "c-alice"),
            want: (true, "policy statement PublicRead (Allow)"),
            ..base()
        },
        Case {
            name: "RestrictPublicBuckets leaves a non-public policy",
            who: Some(OTHER),
            policy: Some(&bob_reads),
            block: PublicAccessBlock::ALL,
            fallback: object(&private, "c-alice"),
            want: (true, "policy statement #1 (Allow)"),
            ..base()
        },
        Case {
            name: "explicit deny beats a policy allow",
            who: Some(OTHER),
            action: "s3:DeleteObject",
            policy: Some(&deny_delete),
            fallback: acl(&private, Permission::Write),
            want: (false, "policy statement NoDelete (Deny)"),
            ..base()
        },
        Case {
            name: "explicit deny beats the owner's ACL",
            who: Some(OWNER),
            action: "s3:DeleteObject",
            policy: Some(&deny_delete),
            fallback: acl(&private, Permission::Write),
            want: (false, "policy statement NoDelete (Deny)"),
            ..base()
        },
        Case {
            name: "the rest of s3:* still allowed",
            who: Some(OTHER),
            action: "s3:PutObject",
            policy: Some(&deny_delete),
            fallback: acl(&private, Permission::Write),
            want: (true, "policy statement All (Allow)"),
            ..base()
        },
        Case {
            name: "deny unless HTTPS",
            who: Some(OWNER),
            facts: insecure,
            policy: Some(&https_only),
            fallback: object(&private, "c-alice"),
            want: (false, "policy statement TLS (Deny)"),
            ..base()
        },
        Case {
            name: "another user reads by policy",
            who: Some(OTHER),
            policy: Some(&bob_reads),
            fallback: object(&private, "c-alice"),
            want: (true, "policy statement #1 (Allow)"),
            ..base()
        },
        Case {
            name: "a policy does not cover another account's object",
            who: Some(OTHER),
            policy: Some(&public_read),
            fallback: object(&carols_object, "c-carol"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "unless the bucket owner enforces ownership",
            who: Some(OTHER),
            policy: Some(&public_read),
            ownership: ObjectOwnership::BucketOwnerEnforced,
            fallback: object(&carols_object, "c-carol"),
            want: (true, "policy statement PublicRead (Allow)"),
            ..base()
        },
        Case {
            name: "BucketOwnerEnforced ignores ACL grants",
            who: None,
            ownership: ObjectOwnership::BucketOwnerEnforced,
            fallback: object(&public_acl, "c-alice"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "BucketOwnerEnforced: the bucket owner owns others' objects",
            who: Some(OWNER),
            ownership: ObjectOwnership::BucketOwnerEnforced,
            fallback: object(&bobs_object, "c-bob"),
            want: (true, "acl grant READ to c-alice"),
            ..base()
        },
        Case {
            name: "BucketOwnerEnforced: the writer no longer reads",
            who: Some(OTHER),
            ownership: ObjectOwnership::BucketOwnerEnforced,
            fallback: object(&bobs_object, "c-bob"),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "owner configures",
            who: Some(OWNER),
            action: "s3:PutBucketPolicy",
            resource: "arn:aws:s3:::b",
            fallback: Fallback::Owner,
            want: (true, "bucket owner"),
            ..base()
        },
        Case {
            name: "others do not configure",
            who: Some(OTHER),
            action: "s3:PutBucketPolicy",
            resource: "arn:aws:s3:::b",
            fallback: Fallback::Owner,
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "a policy may grant configuration",
            who: Some(OTHER),
            action: "s3:GetBucketPolicy",
            resource: "arn:aws:s3:::b",
            policy: Some(&deny_delete),
            fallback: Fallback::Owner,
            want: (true, "policy statement All (Allow)"),
            ..base()
        },
        Case {
            name: "the owner keeps the policy calls unless denied",
            who: Some(OWNER),
            action: "s3:DeleteBucketPolicy",
            resource: "arn:aws:s3:::b",
            policy: Some(&public_read),
            fallback: Fallback::Owner,
            want: (true, "bucket owner"),
            ..base()
        },
        Case {
            name: "an explicit deny takes them",
            who: Some(OWNER),
            action: "s3:DeleteBucketPolicy",
            resource: "arn:aws:s3:::b",
            policy: Some(&deny_policy_ops),
            fallback: Fallback::Owner,
            want: (false, "policy statement Lock (Deny)"),
            ..base()
        },
        Case {
            name: "prefix-scoped listing allowed",
            who: Some(OTHER),
            action: "s3:ListBucket",
            resource: "arn:aws:s3:::b",
            facts: docs,
            policy: Some(&prefix_list),
            fallback: acl(&private, Permission::Read),
            want: (true, "policy statement Docs (Allow)"),
            ..base()
        },
        Case {
            name: "prefix-scoped listing elsewhere denied",
            who: Some(OTHER),
            action: "s3:ListBucket",
            resource: "arn:aws:s3:::b",
            policy: Some(&prefix_list),
            fallback: acl(&private, Permission::Read),
            want: (false, "no statement or grant allows it"),
            ..base()
        },
        Case {
            name: "anonymous writes through a public-read-write ACL",
            who: None,
            action: "s3:PutObject",
            fallback: acl(&public_write, Permission::Write),
            want: (true, "acl grant WRITE to AllUsers"),
            ..base()
        },
        Case {
            name: "anonymous owns what it wrote",
            who: None,
            fallback: object(&anonymous, firn_storage::model::acl::ANONYMOUS_ID),
            want: (true, "acl grant READ to 65a011a29cdf8ec533ec3d1ccaae921c"),
            ..base()
        },
    ];
    for c in cases {
        let bucket = Bucket { owner: "c-alice", policy: c.policy, block: c.block, ownership: c.ownership };
        let req = Request { who: c.who, action: c.action, resource: c.resource, facts: &c.facts };
        let d = decide(&req, &bucket, &c.fallback);
        assert_eq!((d.allowed, d.reason.to_string().as_str()), c.want, "{}", c.name);
    }
}
