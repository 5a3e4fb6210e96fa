//! Bucket policies: the IAM policy language as S3 takes it (Version, Id, Statement with Sid,
//! Effect, Principal/NotPrincipal, Action/NotAction, Resource/NotResource, Condition). Parsing
//! checks the document's shape; `check` then validates it against its bucket and the known users;
//! `Policy::evaluate` says which statements apply to a request. All pure: the access decision
//! around it lives in `access::decision`.

pub mod actions;
pub mod condition;
mod error;

pub use condition::Facts;
pub use error::PolicyError;

use actions::{wildcard, On};
use condition::{normalize_key, Condition};
use serde_json::{Map, Value};

/// S3's limit on a bucket policy, counted without insignificant whitespace.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

const ARN_S3: &str = "arn:aws:s3:::";

/// Who a statement is about. Firn's users are S3 accounts of their own (each has a canonical id
/// and a 12-digit account id); `arn:aws:iam::<account>:user/<name>` also names one, and so does
/// `arn:aws:iam:::user/<name>` without the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone, anonymous requests included.
    Any,
    /// An account id, or `arn:aws:iam::<id>:root`.
    Account(String),
    User {
        account: Option<String>,
        name: String,
    },
    Canonical(String),
    /// `{"Service": …}`: AWS services; none call Firn, so these never match.
    Service(String),
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::Any => f.write_str("*"),
            Principal::Account(a) => write!(f, "arn:aws:iam::{a}:root"),
            Principal::User { account, name } => {
                write!(f, "arn:aws:iam::{}:user/{name}", account.as_deref().unwrap_or(""))
            }
            Principal::Canonical(id) => write!(f, "CanonicalUser {id}"),
            Principal::Service(s) => write!(f, "Service {s}"),
        }
    }
}

/// The signed-in user a statement is matched against.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    pub name: &'a str,
    pub canonical_id: &'a str,
    pub account: &'a str,
}

impl Principal {
    fn parse_aws(s: &str) -> Result<Principal, PolicyError> {
        let invalid = || PolicyError::new("Invalid principal in policy");
        if s == "*" {
            return Ok(Principal::Any);
        }
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Principal::Account(s.to_owned()));
        }
        let rest = s.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
        let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
        if resource == "root" && !account.is_empty() {
            return Ok(Principal::Account(account.to_owned()));
        }
        // `user/name` or `user/path/name`.
        let name = resource.strip_prefix("user/").and_then(|p| p.rsplit('/').next()).ok_or_else(invalid)?;
        if name.is_empty() {
            return Err(invalid());
        }
        Ok(Principal::User { account: (!account.is_empty()).then(|| account.to_owned()), name: name.to_owned() })
    }

    pub fn matches(&self, who: Option<&Requester>) -> bool {
        match (self, who) {
            (Principal::Any, _) => true,
            (_, None) => false,
            (Principal::Account(a), Some(r)) => r.account == a,
            (Principal::User { account, name }, Some(r)) => {
                r.name == name && account.as_deref().is_none_or(|a| a == r.account)
            }
            (Principal::Canonical(id), Some(r)) => r.canonical_id == id,
            (Principal::Service(_), Some(_)) => false,
        }
    }
}

/// A list a statement names, or (the `Not…` forms) everything but it.
#[derive(Clone, Debug, PartialEq)]
pub enum Set<T> {
    Is(Vec<T>),
    Not(Vec<T>),
}

impl<T> Set<T> {
    fn holds(&self, mut any: impl FnMut(&T) -> bool) -> bool {
        match self {
            Set::Is(items) => items.iter().any(&mut any),
            Set::Not(items) => !items.iter().any(any),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Set<Principal>,
    /// Action patterns, as written (matched without regard to case).
    pub action: Set<String>,
    pub resource: Set<String>,
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// `2012-10-17` (policy variables are expanded) or `2008-10-17` (they are not).
    pub variables: bool,
    pub statements: Vec<Statement>,
    /// Whether the policy grants public access (see `is_public`); worked out once.
    pub public: bool,
}

/// The values a field holds: one string or an array of them.
fn strings(v: &Value, field: &str) -> Result<Vec<String>, PolicyError> {
    let bad = || PolicyError::new(format!("{field} must be a string or an array of strings"));
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|i| i.as_str().map(str::to_owned).ok_or_else(bad)).collect()
        }
        _ => Err(bad()),
    }
}

fn principals(v: &Value) -> Result<Vec<Principal>, PolicyError> {
    let invalid = || PolicyError::new("Invalid principal in policy");
    match v {
        Value::String(s) if s == "*" => Ok(vec![Principal::Any]),
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::new();
            for (kind, ids) in map {
                for id in strings(ids, "Principal").map_err(|_| invalid())? {
                    out.push(match kind.as_str() {
                        "AWS" => Principal::parse_aws(&id)?,
                        "CanonicalUser" => Principal::Canonical(id),
                        "Service" => Principal::Service(id),
                        _ => return Err(invalid()),
                    });
                }
            }
            Ok(out)
        }
        _ => Err(invalid()),
    }
}

/// The one of `name` / `Not{name}` a statement has.
fn either<'a>(st: &'a Map<String, Value>, name: &str) -> Result<(bool, &'a Value), PolicyError> {
    let not = format!("Not{name}");
    match (st.get(name), st.get(&not)) {
        (Some(v), None) => Ok((false, v)),
        (None, Some(v)) => Ok((true, v)),
        (None, None) => Err(PolicyError::new(format!("Missing required field {name}"))),
        (Some(_), Some(_)) => Err(PolicyError::new(format!("A statement cannot have both {name} and {not}"))),
    }
}

fn set<T>(not: bool, items: Vec<T>) -> Set<T> {
    if not {
        Set::Not(items)
    } else {
        Set::Is(items)
    }
}

impl Statement {
    fn parse(v: &Value) -> Result<Statement, PolicyError> {
        let st = v.as_object().ok_or_else(|| PolicyError::new("Each statement must be an object"))?;
        const FIELDS: [&str; 9] = [
            "Sid",
            "Effect",
            "Principal",
            "NotPrincipal",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
        ];
        if let Some(unknown) = st.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(PolicyError::new(format!("Unknown field {unknown}")));
        }
        let sid = match st.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(PolicyError::new("Sid must be a string")),
        };
        let effect = match st.get("Effect") {
            None => return Err(PolicyError::new("Missing required field Effect")),
            Some(Value::String(e)) if e == "Allow" => Effect::Allow,
            Some(Value::String(e)) if e == "Deny" => Effect::Deny,
            Some(e) => {
                return Err(PolicyError::new(format!("Invalid effect: {}", e.as_str().unwrap_or(&e.to_string()))))
            }
        };
        let (not_p, p) = either(st, "Principal")?;
        let (not_a, a) = either(st, "Action")?;
        let (not_r, r) = either(st, "Resource")?;
        let conditions = st.get("Condition").map(Condition::parse_block).transpose()?.unwrap_or_default();
        Ok(Statement {
            sid,
            effect,
            principal: set(not_p, principals(p)?),
            action: set(not_a, strings(a, "Action")?),
            resource: set(not_r, strings(r, "Resource")?),
            conditions,
        })
    }

    /// The name the access log gives this statement: its Sid, else its position.
    pub fn label(&self, index: usize) -> String {
        self.sid.clone().unwrap_or_else(|| format!("#{}", index + 1))
    }

    /// Grants to everyone, unless a condition pins the request to fixed sources (S3's test for
    /// a public policy: aws:SourceIp ranges, or fixed values of the source and principal keys).
    fn is_public(&self) -> bool {
        const PINNING: [&str; 9] = [
            "aws:sourcearn",
            "aws:sourcevpc",
            "aws:sourcevpce",
            "aws:sourceowner",
            "aws:sourceaccount",
            "aws:principalaccount",
            "aws:principalorgid",
            "aws:userid",
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
        ];
        let everyone = match &self.principal {
            Set::Is(p) => p.contains(&Principal::Any),
            Set::Not(_) => true,
        };
        if self.effect != Effect::Allow || !everyone {
            return false;
        }
        let pinned = self.conditions.iter().any(|c| {
            let fixed = !c.values.iter().any(|v| v.contains(['*', '?']) || v.contains("${"));
            match c.operator.as_str() {
                "IpAddress" => c.key == "aws:sourceip" && c.values.iter().all(|v| narrow_cidr(v)),
                "StringEquals" | "ArnEquals" | "StringLike" | "ArnLike" => PINNING.contains(&c.key.as_str()) && fixed,
                _ => false,
            }
        });
        !pinned
    }
}

/// A range narrow enough not to count as "everyone": at least a /8 (IPv4) or /32 (IPv6).
fn narrow_cidr(v: &str) -> bool {
    let len = v.split_once('/').and_then(|(_, l)| l.parse::<u8>().ok());
    match len {
        None => true,
        Some(l) if v.contains(':') => l >= 32,
        Some(l) => l >= 8,
    }
}

/// What a resource pattern can name: the bucket, objects in it, or both.
fn resource_kinds(pattern: &str, bucket_arn: &str) -> (bool, bool) {
    let bucket = wildcard(pattern, bucket_arn, false);
    let object = pattern.contains('/') || pattern.ends_with('*');
    (bucket, object)
}

impl Policy {
    /// Parses a policy document's shape; `check` validates it against its bucket.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if !text.trim_start().starts_with('{') {
            return Err(PolicyError::new("Policies must be valid JSON and the first byte must be '{'"));
        }
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError::new(format!("This policy contains invalid Json: {e}")))?;
        let top = doc.as_object().expect("starts with '{'");
        if let Some(unknown) = top.keys().find(|k| !["Version", "Id", "Statement"].contains(&k.as_str())) {
            return Err(PolicyError::new(format!("Unknown field {unknown}")));
        }
        let variables = match top.get("Version") {
            None => false,
            Some(Value::String(v)) if v == "2012-10-17" => true,
            Some(Value::String(v)) if v == "2008-10-17" => false,
            Some(_) => return Err(PolicyError::new("The policy must contain a valid version string")),
        };
        if top.get("Id").is_some_and(|id| !id.is_string()) {
            return Err(PolicyError::new("Id must be a string"));
        }
        let statements = match top.get("Statement") {
            None => return Err(PolicyError::new("Missing required field Statement")),
            Some(Value::Array(items)) if !items.is_empty() => items.iter().map(Statement::parse).collect(),
            Some(Value::Array(_)) => Err(PolicyError::new("Statement must not be empty")),
            Some(one) => Statement::parse(one).map(|s| vec![s]),
        }?;
        let mut sids: Vec<&str> = statements.iter().filter_map(|s| s.sid.as_deref()).collect();
        sids.sort_unstable();
        if sids.windows(2).any(|w| w[0] == w[1]) {
            return Err(PolicyError::new("Statement IDs (SID) in a single policy must be unique"));
        }
        let public = statements.iter().any(Statement::is_public);
        Ok(Policy { variables, statements, public })
    }

    /// Refuses what S3 refuses on PutBucketPolicy: actions S3 does not have, resources outside
    /// `bucket`, actions that apply to none of their statement's resources, principals that name
    /// no one (`known` says whether one names a user or account of this server).
    pub fn check(&self, bucket: &str, known: &dyn Fn(&Principal) -> bool) -> Result<(), PolicyError> {
        let bucket_arn = format!("{ARN_S3}{bucket}");
        for st in &self.statements {
            let (Set::Is(acts) | Set::Not(acts)) = &st.action;
            for a in acts {
                if actions::matching(a).next().is_none() {
                    return Err(PolicyError::new(format!("Policy has invalid action: {a}")));
                }
            }
            let (Set::Is(res) | Set::Not(res)) = &st.resource;
            for r in res {
                let in_bucket = r == "*"
                    || r.strip_prefix(ARN_S3).is_some_and(|rest| {
                        let b = rest.split('/').next().unwrap_or("");
                        wildcard(b, bucket, false) || b.contains("${")
                    });
                if !in_bucket {
                    return Err(PolicyError::new(format!("Policy has invalid resource: {r}")));
                }
            }
            if let (Set::Is(acts), Set::Is(res)) = (&st.action, &st.resource) {
                let kinds: Vec<(bool, bool)> = res.iter().map(|r| resource_kinds(r, &bucket_arn)).collect();
                for a in acts {
                    let applies = actions::matching(a).any(|(_, on)| {
                        kinds.iter().any(|(b, o)| match on {
                            On::Bucket => *b,
                            On::Object => *o,
                        })
                    });
                    if !applies {
                        return Err(PolicyError::new(format!(
                            "Action does not apply to any resource(s) in statement: {a}"
                        )));
                    }
                }
            }
            let (Set::Is(ps) | Set::Not(ps)) = &st.principal;
            if let Some(p) = ps.iter().find(|p| !matches!(p, Principal::Any | Principal::Service(_)) && !known(p)) {
                return Err(PolicyError::new(format!("Invalid principal in policy: {p}")));
            }
        }
        Ok(())
    }

    /// Policy variables (`${aws:username}`, `${*}`, …) replaced by the request's values. None
    /// when the request lacks one: that pattern then matches nothing.
    fn expand(&self, pattern: &str, facts: &Facts) -> Option<String> {
        if !self.variables || !pattern.contains("${") {
            return Some(pattern.to_owned());
        }
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}')? + start;
            let name = &rest[start + 2..end];
            match name {
                "*" | "?" | "$" => out.push_str(name),
                _ => out.push_str(facts.get(&normalize_key(name))?.first()?),
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    /// The first statement that denies the request, and the first that allows it (indices).
    pub fn evaluate(
        &self,
        who: Option<&Requester>,
        action: &str,
        resource: &str,
        facts: &Facts,
    ) -> (Option<usize>, Option<usize>) {
        let expand = |v: &str| self.expand(v, facts);
        let (mut deny, mut allow) = (None, None);
        for (i, st) in self.statements.iter().enumerate() {
            let slot = match st.effect {
                Effect::Deny if deny.is_none() => &mut deny,
                Effect::Allow if allow.is_none() => &mut allow,
                _ => continue,
            };
            let applies = st.principal.holds(|p| p.matches(who))
                && st.action.holds(|a| a == "*" || wildcard(a, action, true))
                && st.resource.holds(|r| expand(r).is_some_and(|r| wildcard(&r, resource, false)))
                && st.conditions.iter().all(|c| c.holds(facts, &expand));
            if applies {
                *slot = Some(i);
            }
        }
        (deny, allow)
    }
}

#[cfg(test)]
mod tests;
