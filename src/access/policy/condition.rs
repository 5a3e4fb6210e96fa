//! Policy conditions: IAM's operators over the request's condition keys. A block is
//! `{"Operator": {"key": value-or-values, ...}, ...}`; every operator and every key in it must
//! hold. Values of one key are alternatives. Evaluation is a pure function of the block and the
//! request's facts.

use super::actions::wildcard;
use super::error::PolicyError;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    ArnLike,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compare {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// As written, for messages and public-policy detection.
    pub operator: String,
    kind: Kind,
    compare: Compare,
    /// The Not… forms: true when no value matches.
    negated: bool,
    if_exists: bool,
    qualifier: Option<SetQualifier>,
    /// Normalised (see `normalize_key`).
    pub key: String,
    pub values: Vec<String>,
}

/// The operators, by name without `IfExists` and set qualifier.
const OPERATORS: &[(&str, Kind, Compare, bool)] = &[
    ("StringEquals", Kind::String, Compare::Eq, false),
    ("StringNotEquals", Kind::String, Compare::Eq, true),
    ("StringEqualsIgnoreCase", Kind::StringIgnoreCase, Compare::Eq, false),
    ("StringNotEqualsIgnoreCase", Kind::StringIgnoreCase, Compare::Eq, true),
    ("StringLike", Kind::StringLike, Compare::Eq, false),
    ("StringNotLike", Kind::StringLike, Compare::Eq, true),
    ("NumericEquals", Kind::Numeric, Compare::Eq, false),
    ("NumericNotEquals", Kind::Numeric, Compare::Eq, true),
    ("NumericLessThan", Kind::Numeric, Compare::Lt, false),
    ("NumericLessThanEquals", Kind::Numeric, Compare::Le, false),
    ("NumericGreaterThan", Kind::Numeric, Compare::Gt, false),
    ("NumericGreaterThanEquals", Kind::Numeric, Compare::Ge, false),
    ("DateEquals", Kind::Date, Compare::Eq, false),
    ("DateNotEquals", Kind::Date, Compare::Eq, true),
    ("DateLessThan", Kind::Date, Compare::Lt, false),
    ("DateLessThanEquals", Kind::Date, Compare::Le, false),
    ("DateGreaterThan", Kind::Date, Compare::Gt, false),
    ("DateGreaterThanEquals", Kind::Date, Compare::Ge, false),
    ("Bool", Kind::Bool, Compare::Eq, false),
    ("BinaryEquals", Kind::Binary, Compare::Eq, false),
    ("IpAddress", Kind::Ip, Compare::Eq, false),
    ("NotIpAddress", Kind::Ip, Compare::Eq, true),
    ("ArnEquals", Kind::Arn, Compare::Eq, false),
    ("ArnNotEquals", Kind::Arn, Compare::Eq, true),
    ("ArnLike", Kind::ArnLike, Compare::Eq, false),
    ("ArnNotLike", Kind::ArnLike, Compare::Eq, true),
    ("Null", Kind::Null, Compare::Eq, false),
];

/// The `s3:` condition keys S3 defines (lower case); `aws:` global keys are all accepted. Keys
/// ending in `/` take a tag key after it.
const S3_KEYS: &[&str] = &[
    "s3:accesspointnetworkorigin",
    "s3:authtype",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "s3:delimiter",
    "s3:existingobjecttag/",
    "s3:locationconstraint",
    "s3:max-keys",
    "s3:object-lock-legal-hold",
    "s3:object-lock-mode",
    "s3:object-lock-remaining-retention-days",
    "s3:object-lock-retain-until-date",
    "s3:prefix",
    "s3:requestobjecttag/",
    "s3:requestobjecttagkeys",
    "s3:resourceaccount",
    "s3:signatureage",
    "s3:signatureversion",
    "s3:tlsversion",
    "s3:versionid",
    "s3:x-amz-acl",
    "s3:x-amz-content-sha256",
    "s3:x-amz-copy-source",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-object-ownership",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-storage-class",
    "s3:x-amz-website-redirect-location",
];

/// Condition keys are case-insensitive; a tag key after `…Tag/` is not.
pub fn normalize_key(key: &str) -> String {
    match key.split_once('/') {
        Some((head, tag)) => format!("{}/{tag}", head.to_ascii_lowercase()),
        None => key.to_ascii_lowercase(),
    }
}

fn known_key(key: &str) -> bool {
    if key.starts_with("aws:") && key.len() > 4 {
        return true;
    }
    S3_KEYS.iter().any(|k| match k.strip_suffix('/') {
        Some(prefix) => key.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')).is_some_and(|t| !t.is_empty()),
        None => key == *k,
    })
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
    }
    s.parse::<i64>().ok().and_then(|secs| DateTime::from_timestamp(secs, 0))
}

/// An address or a CIDR block: network, prefix length.
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, l.parse::<u8>().ok()?),
        None => {
            let a = s.parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((addr, len))
}

fn in_cidr(ip: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    let ip = match (ip, net) {
        // An IPv4 peer seen through an IPv6 socket.
        (IpAddr::V6(v6), IpAddr::V4(_)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        _ => ip,
    };
    let (a, b, bits) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32u32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128u32),
        _ => return false,
    };
    let len = len as u32;
    if len == 0 {
        return true;
    }
    let shift = bits - len;
    (a >> shift) == (b >> shift)
}

impl Condition {
    /// Every condition of a statement's `Condition` block.
    pub fn parse_block(block: &Value) -> Result<Vec<Condition>, PolicyError> {
        let ops = block.as_object().ok_or_else(|| PolicyError::new("Condition must be an object"))?;
        let mut out = Vec::new();
        for (name, keys) in ops {
            let (qualifier, rest) = match name.split_once(':') {
                Some(("ForAnyValue", r)) => (Some(SetQualifier::ForAnyValue), r),
                Some(("ForAllValues", r)) => (Some(SetQualifier::ForAllValues), r),
                Some(_) => return Err(PolicyError::new(format!("Invalid Condition type : {name}"))),
                None => (None, name.as_str()),
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(b) => (b, true),
                None => (rest, false),
            };
            let &(_, kind, compare, negated) = OPERATORS
                .iter()
                .find(|(n, ..)| *n == base)
                .filter(|(_, k, ..)| !(if_exists && *k == Kind::Null))
                .ok_or_else(|| PolicyError::new(format!("Invalid Condition type : {name}")))?;
            let keys = keys.as_object().ok_or_else(|| PolicyError::new(format!("{name} must map keys to values")))?;
            for (key, values) in keys {
                let normalized = normalize_key(key);
                if !known_key(&normalized) {
                    return Err(PolicyError::new(format!("Policy has an invalid condition key: {key}")));
                }
                let values: Vec<String> = match values {
                    Value::Array(items) => items.iter().map(value_text).collect::<Option<_>>(),
                    v => value_text(v).map(|s| vec![s]),
                }
                .ok_or_else(|| PolicyError::new(format!("Invalid value for condition key {key}")))?;
                if values.is_empty() {
                    return Err(PolicyError::new(format!("Empty value for condition key {key}")));
                }
                for v in &values {
                    let ok = match kind {
                        Kind::Numeric => v.parse::<f64>().is_ok(),
                        Kind::Date => parse_date(v).is_some(),
                        Kind::Bool | Kind::Null => v == "true" || v == "false",
                        Kind::Ip => parse_cidr(v).is_some(),
                        _ => true,
                    };
                    if !ok {
                        return Err(PolicyError::new(format!("Invalid value '{v}' for {name} on {key}")));
                    }
                }
                out.push(Condition {
                    operator: name.clone(),
                    kind,
                    compare,
                    negated,
                    if_exists,
                    qualifier,
                    key: normalized,
                    values,
                });
            }
        }
        Ok(out)
    }

    /// Whether one request value matches one policy value (before negation).
    fn value_matches(&self, have: &str, want: &str) -> bool {
        let ord = |o: std::cmp::Ordering| match self.compare {
            Compare::Eq => o.is_eq(),
            Compare::Lt => o.is_lt(),
            Compare::Le => o.is_le(),
            Compare::Gt => o.is_gt(),
            Compare::Ge => o.is_ge(),
        };
        match self.kind {
            Kind::String | Kind::Arn | Kind::Binary => have == want,
            Kind::StringIgnoreCase => have.eq_ignore_ascii_case(want),
            Kind::StringLike | Kind::ArnLike => wildcard(want, have, false),
            Kind::Numeric => match (have.parse::<f64>(), want.parse::<f64>()) {
                (Ok(h), Ok(w)) => h.partial_cmp(&w).is_some_and(ord),
                _ => false,
            },
            Kind::Date => match (parse_date(have), parse_date(want)) {
                (Some(h), Some(w)) => ord(h.cmp(&w)),
                _ => false,
            },
            Kind::Bool => have.eq_ignore_ascii_case(want),
            Kind::Ip => match (have.parse::<IpAddr>(), parse_cidr(want)) {
                (Ok(ip), Some(net)) => in_cidr(ip, net),
                _ => false,
            },
            Kind::Null => unreachable!("Null is decided on presence"),
        }
    }

    /// Whether the condition holds for the request. `expand` resolves policy variables in the
    /// policy's values (None: a variable the request lacks, and that value matches nothing).
    pub fn holds(&self, facts: &Facts, expand: &dyn Fn(&str) -> Option<String>) -> bool {
        let have = facts.get(&self.key);
        if self.kind == Kind::Null {
            let absent = have.is_none_or(|v| v.is_empty());
            return self.values.iter().any(|v| (v == "true") == absent);
        }
        let wants: Vec<String> = self.values.iter().filter_map(|v| expand(v)).collect();
        // Whether one request value satisfies the operator, negation included.
        let one = |h: &str| wants.iter().any(|w| self.value_matches(h, w)) != self.negated;
        match (have, self.qualifier) {
            (None, Some(SetQualifier::ForAllValues)) => true,
            (None, _) if self.if_exists => true,
            // A missing key matches nothing; the negated operators then hold.
            (None, _) => self.negated,
            (Some(values), Some(SetQualifier::ForAllValues)) => values.iter().all(|h| one(h)),
            (Some(values), _) => values.iter().any(|h| one(h)),
        }
    }
}

/// The request's condition keys and their values, keys normalised as in `normalize_key`.
#[derive(Clone, Debug, Default)]
pub struct Facts(Vec<(String, Vec<String>)>);

impl Facts {
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.set_many(key, vec![value.into()]);
    }

    pub fn set_many(&mut self, key: &str, values: Vec<String>) {
        let key = normalize_key(key);
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, values));
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.set("aws:SourceIp", "192.168.1.20");
        f.set("aws:SecureTransport", "false");
        f.set("aws:CurrentTime", "2026-12-07T10:00:00Z");
        f.set("aws:username", "bob");
        f.set("s3:prefix", "home/bob/");
        f.set("s3:max-keys", "100");
        f.set("s3:x-amz-acl", "public-read");
        f.set("s3:ExistingObjectTag/Team", "Blue");
        f.set_many("s3:RequestObjectTagKeys", vec!["a".into(), "b".into()]);
        f
    }

    fn holds(block: Value) -> bool {
        let conds = Condition::parse_block(&block).unwrap_or_else(|e| panic!("{block}: {}", e.0));
        let f = facts();
        conds.iter().all(|c| c.holds(&f, &|v: &str| Some(v.to_owned())))
    }

    #[test]
    fn operators() {
        let cases: Vec<(Value, bool)> = vec![
            (json!({"StringEquals": {"aws:username": "bob"}}), true),
            (json!({"StringEquals": {"AWS:UserName": ["alice", "bob"]}}), true),
            (json!({"StringEquals": {"aws:username": "Bob"}}), false),
            (json!({"StringEqualsIgnoreCase": {"aws:username": "BOB"}}), true),
            (json!({"StringNotEquals": {"aws:username": "alice"}}), true),
            (json!({"StringNotEquals": {"aws:username": ["alice", "bob"]}}), false),
            (json!({"StringNotEqualsIgnoreCase": {"aws:username": "BOB"}}), false),
            (json!({"StringLike": {"s3:prefix": ["home/bob/*", ""]}}), true),
            (json!({"StringLike": {"s3:prefix": "home/?ob/"}}), true),
            (json!({"StringNotLike": {"s3:prefix": "home/alice/*"}}), true),
            (json!({"NumericLessThanEquals": {"s3:max-keys": "100"}}), true),
            (json!({"NumericLessThan": {"s3:max-keys": 100}}), false),
            (json!({"NumericGreaterThan": {"s3:max-keys": "10"}}), true),
            (json!({"NumericGreaterThanEquals": {"s3:max-keys": "101"}}), false),
            (json!({"NumericEquals": {"s3:max-keys": "100.0"}}), true),
            (json!({"NumericNotEquals": {"s3:max-keys": "100"}}), false),
            (json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}), true),
            (json!({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01"}}), false),
            (json!({"DateGreaterThanEquals": {"aws:CurrentTime": "2026-12-07T10:00:00Z"}}), true),
            (json!({"DateLessThanEquals": {"aws:CurrentTime": "1796637600"}}), true),
            (json!({"DateEquals": {"aws:CurrentTime": "2026-12-07T11:00:00+01:00"}}), true),
            (json!({"DateNotEquals": {"aws:CurrentTime": "2026-12-07T10:00:00Z"}}), false),
            (json!({"Bool": {"aws:SecureTransport": "false"}}), true),
            (json!({"Bool": {"aws:SecureTransport": true}}), false),
            (json!({"IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}), true),
            (json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.20"]}}), true),
            (json!({"IpAddress": {"aws:SourceIp": "192.168.2.0/24"}}), false),
            (json!({"NotIpAddress": {"aws:SourceIp": "192.168.2.0/24"}}), true),
            (json!({"IpAddress": {"aws:SourceIp": "::/0"}}), false),
            (json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}), false),
            (json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}), true),
            // Missing keys: positive operators fail, negated ones hold, IfExists holds.
            (json!({"StringEquals": {"s3:delimiter": "/"}}), false),
            (json!({"StringNotEquals": {"s3:delimiter": "/"}}), true),
            (json!({"StringEqualsIfExists": {"s3:delimiter": "/"}}), true),
            (json!({"StringEqualsIfExists": {"aws:username": "alice"}}), false),
            (json!({"NumericLessThanIfExists": {"s3:signatureage": "1000"}}), true),
            (json!({"Null": {"s3:delimiter": "true"}}), true),
            (json!({"Null": {"s3:delimiter": false}}), false),
            (json!({"Null": {"aws:username": "false"}}), true),
            // Tags keep their case; the prefix does not matter.
            (json!({"StringEquals": {"S3:existingObjectTag/Team": "Blue"}}), true),
            (json!({"StringEquals": {"s3:ExistingObjectTag/team": "Blue"}}), false),
            // Multi-valued keys.
            (json!({"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["b", "z"]}}), true),
            (json!({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "z"]}}), false),
            (json!({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b", "c"]}}), true),
            (json!({"ForAllValues:StringEquals": {"s3:ExistingObjectTag/none": "x"}}), true),
            (json!({"ForAnyValue:StringEquals": {"s3:ExistingObjectTag/none": "x"}}), false),
            // Every operator and key must hold.
            (json!({"StringEquals": {"aws:username": "bob", "s3:x-amz-acl": "private"}}), false),
            (json!({"StringEquals": {"aws:username": "bob"}, "Bool": {"aws:SecureTransport": "false"}}), true),
        ];
        for (block, want) in cases {
            assert_eq!(holds(block.clone()), want, "{block}");
        }
    }

    #[test]
    fn bad_blocks_are_refused_with_a_reason() {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"StringEqualz": {"aws:username": "x"}}), "Invalid Condition type : StringEqualz"),
            (json!({"NullIfExists": {"aws:username": "true"}}), "Invalid Condition type"),
            (json!({"Sometimes:StringEquals": {"aws:username": "x"}}), "Invalid Condition type"),
            (json!({"StringEquals": {"s3:colour": "x"}}), "invalid condition key: s3:colour"),
            (json!({"StringEquals": {"ec2:Region": "x"}}), "invalid condition key"),
            (json!({"StringEquals": {"s3:ExistingObjectTag/": "x"}}), "invalid condition key"),
            (json!({"NumericLessThan": {"s3:max-keys": "ten"}}), "Invalid value 'ten'"),
            (json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}), "Invalid value"),
            (json!({"DateLessThan": {"aws:CurrentTime": "tomorrow"}}), "Invalid value"),
            (json!({"Bool": {"aws:SecureTransport": "yes"}}), "Invalid value"),
            (json!({"StringEquals": {"aws:username": []}}), "Empty value"),
            (json!({"StringEquals": {"aws:username": {"a": 1}}}), "Invalid value for condition key"),
            (json!(["StringEquals"]), "Condition must be an object"),
        ];
        for (block, want) in cases {
            let err = Condition::parse_block(&block).expect_err(&block.to_string());
            assert!(err.0.contains(want), "{block}: {} lacks {want}", err.0);
        }
    }

    #[test]
    fn cidr_membership() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_cidr(ip("10.1.2.3"), parse_cidr("10.0.0.0/8").unwrap()));
        assert!(!in_cidr(ip("11.1.2.3"), parse_cidr("10.0.0.0/8").unwrap()));
        assert!(in_cidr(ip("1.2.3.4"), parse_cidr("0.0.0.0/0").unwrap()));
        assert!(in_cidr(ip("::ffff:10.0.0.1"), parse_cidr("10.0.0.0/24").unwrap()));
        assert!(in_cidr(ip("2001:db8::1"), parse_cidr("2001:db8::/32").unwrap()));
        assert!(!in_cidr(ip("2001:db9::1"), parse_cidr("2001:db8::/32").unwrap()));
        assert!(!in_cidr(ip("10.0.0.1"), parse_cidr("2001:db8::/32").unwrap()));
    }
}
