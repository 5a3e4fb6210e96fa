use super::*;
use serde_json::json;

const ALICE: Requester = Requester { name: "alice", canonical_id: "c-alice", account: "111111111111" };
const BOB: Requester = Requester { name: "bob", canonical_id: "c-bob", account: "222222222222" };

fn known(p: &Principal) -> bool {
    [ALICE, BOB].iter().any(|r| p.matches(Some(r)))
}

fn policy(statements: Value) -> Policy {
    let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let p = Policy::parse(&doc).unwrap_or_else(|e| panic!("{doc}: {}", e.0));
    p.check("photos", &known).unwrap_or_else(|e| panic!("{doc}: {}", e.0));
    p
}

#[test]
fn malformed_documents_are_named() {
    let cases: &[(&str, &str)] = &[
        ("", "first byte must be '{'"),
        ("[1]", "first byte must be '{'"),
        ("{\"Statement\": [", "invalid Json"),
        (r#"{"Version":"2013-01-01","Statement":[]}"#, "valid version string"),
        (r#"{"Version":"2012-10-17"}"#, "Missing required field Statement"),
        (r#"{"Statement":[]}"#, "must not be empty"),
        (r#"{"Statment":[]}"#, "Unknown field Statment"),
        (r#"{"Statement":{"Principal":"*","Action":"s3:GetObject","Resource":"*"}}"#, "Missing required field Effect"),
        (r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"*"}}"#, "Invalid effect: Maybe"),
        (r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, "Missing required field Principal"),
        (r#"{"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}}"#, "Missing required field Action"),
        (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}"#, "Missing required field Resource"),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}"#,
            "both Principal and NotPrincipal",
        ),
        (r#"{"Statement":{"Effect":"Allow","Principal":"me","Action":"s3:*","Resource":"*"}}"#, "Invalid principal"),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/x"},"Action":"s3:*","Resource":"*"}}"#,
            "Invalid principal",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"s3:*","Resource":"*"}}"#,
            "Invalid principal",
        ),
        (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}}"#, "Action must be"),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Colour":1}}"#,
            "Unknown field Colour",
        ),
        (
            r#"{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            "must be unique",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringLikes":{"s3:prefix":"a"}}}}"#,
            "Invalid Condition type",
        ),
    ];
    for (doc, want) in cases {
        let err = Policy::parse(doc).expect_err(doc);
        assert!(err.0.contains(want), "{doc}: '{}' lacks '{want}'", err.0);
    }
}

#[test]
fn policies_are_checked_against_their_bucket_and_users() {
    let st = |action: Value, resource: Value, principal: Value| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}]})
            .to_string()
    };
    let any = json!("*");
    let cases: Vec<(String, Option<&str>)> = vec![
        (st(json!("s3:GetObject"), json!("arn:aws:s3:::photos/*"), any.clone()), None),
        (st(json!("s3:Get*"), json!("arn:aws:s3:::photos/*"), any.clone()), None),
        (st(json!("*"), json!("*"), any.clone()), None),
        (st(json!("s3:*"), json!("arn:aws:s3:::photo?"), any.clone()), None),
        (
            st(
                json!("s3:ListBucket"),
                json!("arn:aws:s3:::photos"),
                json!({"AWS": "arn:aws:iam::222222222222:user/bob"}),
            ),
            None,
        ),
        (st(json!("s3:ListBucket"), json!("arn:aws:s3:::photos"), json!({"AWS": "arn:aws:iam:::user/bob"})), None),
        (
            st(
                json!("s3:ListBucket"),
                json!("arn:aws:s3:::photos"),
                json!({"AWS": ["111111111111", "arn:aws:iam::222222222222:root"]}),
            ),
            None,
        ),
        (st(json!("s3:ListBucket"), json!("arn:aws:s3:::photos"), json!({"CanonicalUser": "c-alice"})), None),
        (st(json!("s3:GetObject"), json!("arn:aws:s3:::photos/home/${aws:username}/*"), any.clone()), None),
        (st(json!("s3:Fly"), json!("arn:aws:s3:::photos/*"), any.clone()), Some("invalid action: s3:Fly")),
        (st(json!("ec2:*"), json!("arn:aws:s3:::photos/*"), any.clone()), Some("invalid action")),
        (
            st(json!("s3:GetObject"), json!("arn:aws:s3:::videos/*"), any.clone()),
            Some("invalid resource: arn:aws:s3:::videos/*"),
        ),
        (st(json!("s3:GetObject"), json!("photos/*"), any.clone()), Some("invalid resource")),
        (st(json!("s3:GetObject"), json!("arn:aws:s3:::photos"), any.clone()), Some("Action does not apply")),
        (
            st(json!(["s3:GetObject", "s3:ListBucket"]), json!("arn:aws:s3:::photos/*"), any.clone()),
            Some("does not apply to any resource(s) in statement: s3:ListBucket"),
        ),
        (
            st(
                json!(["s3:GetObject", "s3:ListBucket"]),
                json!(["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"]),
                any.clone(),
            ),
            None,
        ),
        (
            st(
                json!("s3:ListBucket"),
                json!("arn:aws:s3:::photos"),
                json!({"AWS": "arn:aws:iam::333333333333:user/bob"}),
            ),
            Some("Invalid principal in policy: arn:aws:iam::333333333333:user/bob"),
        ),
        (
            st(json!("s3:ListBucket"), json!("arn:aws:s3:::photos"), json!({"AWS": "arn:aws:iam:::user/carol"})),
            Some("Invalid principal"),
        ),
        (
            st(json!("s3:ListBucket"), json!("arn:aws:s3:::photos"), json!({"AWS": "999999999999"})),
            Some("Invalid principal"),
        ),
        (
            st(json!("s3:ListBucket"), json!("arn:aws:s3:::photos"), json!({"CanonicalUser": "nobody"})),
            Some("Invalid principal"),
        ),
    ];
    for (doc, want) in cases {
        let got = Policy::parse(&doc).and_then(|p| p.check("photos", &known));
        match (want, got) {
            (None, Ok(())) => {}
            (Some(w), Err(e)) => assert!(e.0.contains(w), "{doc}: '{}' lacks '{w}'", e.0),
            (w, got) => panic!("{doc}: wanted {w:?}, got {got:?}"),
        }
    }
}

#[test]
fn statements_apply_by_principal_action_resource_and_condition() {
    let p = policy(json!([
        {"Sid": "ReadPublic", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/public/*"},
        {"Sid": "BobLists", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/bob"}, "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::photos", "Condition": {"StringLike": {"s3:prefix": ["shared/*", "shared/"]}}},
        {"Sid": "NotAlice", "Effect": "Deny", "NotPrincipal": {"AWS": "111111111111"}, "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::photos/*"},
        {"Sid": "AllButDelete", "Effect": "Allow", "Principal": {"CanonicalUser": "c-bob"}, "NotAction": "s3:Delete*", "Resource": "arn:aws:s3:::photos/shared/*"},
        {"Sid": "NotSecret", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/alice"}, "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::photos/secret/*"},
        {"Sid": "Home", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::photos/home/${aws:username}/*"},
    ]));
    let mut shared = Facts::default();
    shared.set("s3:prefix", "shared/");
    let mut bob_facts = Facts::default();
    bob_facts.set("aws:username", "bob");
    let none = Facts::default();
    type Case<'a> = (Option<Requester<'a>>, &'a str, &'a str, &'a Facts, (Option<&'a str>, Option<&'a str>));
    let cases: Vec<Case> = vec![
        (None, "s3:GetObject", "arn:aws:s3:::photos/public/a.jpg", &none, (None, Some("ReadPublic"))),
        (None, "s3:GetObject", "arn:aws:s3:::photos/private/a.jpg", &none, (None, None)),
        (None, "s3:PutObject", "arn:aws:s3:::photos/public/a.jpg", &none, (None, None)),
        (Some(BOB), "s3:ListBucket", "arn:aws:s3:::photos", &shared, (None, Some("BobLists"))),
        (Some(BOB), "s3:ListBucket", "arn:aws:s3:::photos", &none, (None, None)),
        (Some(ALICE), "s3:ListBucket", "arn:aws:s3:::photos", &shared, (None, None)),
        (Some(BOB), "s3:DeleteObject", "arn:aws:s3:::photos/shared/x", &none, (Some("NotAlice"), None)),
        (None, "s3:DeleteObject", "arn:aws:s3:::photos/x", &none, (Some("NotAlice"), None)),
        (Some(ALICE), "s3:DeleteObject", "arn:aws:s3:::photos/x", &none, (None, None)),
        (Some(BOB), "s3:PutObjectTagging", "arn:aws:s3:::photos/shared/x", &none, (None, Some("AllButDelete"))),
        (Some(BOB), "s3:DeleteObjectTagging", "arn:aws:s3:::photos/shared/x", &none, (None, None)),
        (Some(ALICE), "s3:GetObject", "arn:aws:s3:::photos/secret/x", &none, (None, None)),
        (Some(ALICE), "s3:GetObject", "arn:aws:s3:::photos/other/x", &none, (None, Some("NotSecret"))),
        (Some(BOB), "s3:PutObject", "arn:aws:s3:::photos/home/bob/x", &bob_facts, (None, Some("Home"))),
        (Some(BOB), "s3:PutObject", "arn:aws:s3:::photos/home/alice/x", &bob_facts, (None, None)),
        (None, "s3:PutObject", "arn:aws:s3:::photos/home/bob/x", &none, (None, None)),
        // Actions match without regard to case; resources with.
        (None, "s3:getobject", "arn:aws:s3:::photos/public/x", &none, (None, Some("ReadPublic"))),
        (None, "s3:GetObject", "arn:aws:s3:::photos/PUBLIC/x", &none, (None, None)),
    ];
    for (who, action, resource, facts, (deny, allow)) in cases {
        let (d, a) = p.evaluate(who.as_ref(), action, resource, facts);
        let label = |i: Option<usize>| i.map(|i| p.statements[i].sid.clone().unwrap());
        assert_eq!(
            (label(d), label(a)),
            (deny.map(str::to_owned), allow.map(str::to_owned)),
            "{who:?} {action} {resource}"
        );
    }
}

#[test]
fn variables_only_in_2012_policies() {
    let doc = |version: &str| {
        json!({"Version": version, "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/${aws:username}/*"}})
            .to_string()
    };
    let mut facts = Facts::default();
    facts.set("aws:username", "bob");
    let new = Policy::parse(&doc("2012-10-17")).unwrap();
    assert!(new.evaluate(Some(&BOB), "s3:GetObject", "arn:aws:s3:::photos/bob/x", &facts).1.is_some());
    let old = Policy::parse(&doc("2008-10-17")).unwrap();
    assert!(old.evaluate(Some(&BOB), "s3:GetObject", "arn:aws:s3:::photos/bob/x", &facts).1.is_none());
    assert!(old.evaluate(Some(&BOB), "s3:GetObject", "arn:aws:s3:::photos/${aws:username}/x", &facts).1.is_some());
}

#[test]
fn public_policies_are_recognised() {
    let st = |principal: Value, condition: Value| {
        let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"});
        if !condition.is_null() {
            s["Condition"] = condition;
        }
        s
    };
    let cases: Vec<(Value, bool)> = vec![
        (st(json!("*"), Value::Null), true),
        (st(json!({"AWS": "*"}), Value::Null), true),
        (st(json!({"AWS": ["111111111111", "*"]}), Value::Null), true),
        (st(json!({"AWS": "111111111111"}), Value::Null), false),
        (st(json!("*"), json!({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})), false),
        (st(json!("*"), json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})), true),
        (st(json!("*"), json!({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}})), true),
        (st(json!("*"), json!({"StringEquals": {"aws:SourceAccount": "111111111111"}})), false),
        (st(json!("*"), json!({"StringLike": {"aws:SourceArn": "arn:aws:*"}})), true),
        (st(json!("*"), json!({"Bool": {"aws:SecureTransport": "true"}})), true),
        (st(json!("*"), json!({"StringLike": {"s3:prefix": "a/*"}})), true),
        (json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::photos/*"}), false),
        (
            json!({"Effect": "Allow", "NotPrincipal": {"AWS": "111111111111"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}),
            true,
        ),
    ];
    for (statement, public) in cases {
        assert_eq!(policy(json!([statement])).public, public, "{statement}");
    }
}
