//! The `<LifecycleConfiguration>` document: parsed and validated as S3 does (rules, filters,
//! expirations, transitions, noncurrent-version actions, aborts), and rendered back.

use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::iso_date;
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::model::lifecycle::{
    Expiration, Filter, LifecycleConfig, NoncurrentExpiration, NoncurrentTransition, Rule, Transition, When,
};
use firn_storage::StorageClass;

/// S3's most rules in one configuration.
pub const MAX_RULES: usize = 1000;

const MAX_ID_LEN: usize = 255;

fn malformed(msg: impl Into<String>) -> S3Error {
    S3Error::msg(Code::MalformedXML, msg)
}

pub fn invalid(msg: impl Into<String>) -> S3Error {
    S3Error::msg(Code::InvalidArgument, msg)
}

/// A whole number in an element, or MalformedXML (the schema says integer).
fn number<T: std::str::FromStr>(e: &Element, name: &str, rule: &str) -> S3Result<Option<T>> {
    e.child_text(name)
        .map(|t| t.trim().parse().map_err(|_| malformed(format!("Rule '{rule}': {name} must be a whole number"))))
        .transpose()
}

/// `Days`-like counts: positive whole numbers.
fn positive(e: &Element, name: &str, rule: &str, what: &str) -> S3Result<Option<u32>> {
    match number::<i64>(e, name, rule)? {
        None => Ok(None),
        Some(n) if n > 0 && n <= u32::MAX as i64 => Ok(Some(n as u32)),
        Some(_) => Err(invalid(format!("Rule '{rule}': '{name}' for {what} must be a positive integer"))),
    }
}

/// An ISO 8601 date that must be midnight UTC.
fn date(text: &str, rule: &str) -> S3Result<i64> {
    let t = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis())
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").map(|d| d.and_utc().timestamp_millis())
        })
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis())
        })
        .map_err(|_| malformed(format!("Rule '{rule}': Date '{t}' is not an ISO 8601 date")))?;
    if parsed.rem_euclid(86_400_000) != 0 {
        return Err(invalid(format!("Rule '{rule}': 'Date' must be at midnight GMT")));
    }
    Ok(parsed)
}

fn when(e: &Element, rule: &str, what: &str, zero_ok: bool) -> S3Result<When> {
    let days = match number::<i64>(e, "Days", rule)? {
        Some(n) if n > 0 || (zero_ok && n == 0) => Some(When::Days(n.min(u32::MAX as i64) as u32)),
        Some(_) => {
            return Err(invalid(format!("Rule '{rule}': 'Days' in the {what} action must be a positive integer")))
        }
        None => None,
    };
    let on = e.child_text("Date").map(|d| date(d, rule)).transpose()?;
    match (days, on) {
        (Some(d), None) => Ok(d),
        (None, Some(ms)) => Ok(When::Date(ms)),
        _ => Err(malformed(format!("Rule '{rule}': the {what} action needs exactly one of Days or Date"))),
    }
}

fn tag(e: &Element, rule: &str) -> S3Result<(String, String)> {
    let key = e.child_text("Key").ok_or_else(|| malformed(format!("Rule '{rule}': a Tag needs a Key")))?;
    if key.is_empty() || key.len() > 128 {
        return Err(S3Error::msg(Code::InvalidTag, format!("Rule '{rule}': the tag key is not valid")));
    }
    Ok((key.to_owned(), e.child_text("Value").unwrap_or("").to_owned()))
}

fn filter(rule_el: &Element, rule: &str) -> S3Result<Filter> {
    let legacy = rule_el.child_text("Prefix");
    let Some(f) = rule_el.child("Filter") else {
        return match legacy {
            Some(p) => Ok(Filter::LegacyPrefix(p.to_owned())),
            None => Err(malformed(format!("Rule '{rule}': a rule needs a Filter or a Prefix"))),
        };
    };
    if legacy.is_some() {
        return Err(malformed(format!("Rule '{rule}': Filter and Prefix cannot both be given")));
    }
    let size = |e: &Element, name: &str| number::<u64>(e, name, rule);
    let conditions = f.children.len();
    if conditions > 1 {
        return Err(malformed(format!("Rule '{rule}': a Filter holds one condition; combine several with And")));
    }
    Ok(match f.children.first().map(|c| c.name.as_str()) {
        None => Filter::All,
        Some("Prefix") => Filter::Prefix(f.child_text("Prefix").unwrap_or("").to_owned()),
        Some("Tag") => {
            let (k, v) = tag(f.child("Tag").expect("named above"), rule)?;
            Filter::Tag(k, v)
        }
        Some("ObjectSizeGreaterThan") => Filter::SizeGreaterThan(size(f, "ObjectSizeGreaterThan")?.unwrap_or(0)),
        Some("ObjectSizeLessThan") => Filter::SizeLessThan(size(f, "ObjectSizeLessThan")?.unwrap_or(0)),
        Some("And") => {
            let and = f.child("And").expect("named above");
            let tags = and.children_named("Tag").map(|t| tag(t, rule)).collect::<S3Result<Vec<_>>>()?;
            let mut seen = std::collections::HashSet::new();
            if !tags.iter().all(|(k, _)| seen.insert(k.clone())) {
                return Err(invalid(format!("Rule '{rule}': duplicate tag keys in the filter")));
            }
            let (gt, lt) = (size(and, "ObjectSizeGreaterThan")?, size(and, "ObjectSizeLessThan")?);
            if let (Some(g), Some(l)) = (gt, lt) {
                if g >= l {
                    return Err(invalid(format!(
                        "Rule '{rule}': ObjectSizeGreaterThan must be less than ObjectSizeLessThan"
                    )));
                }
            }
            Filter::And { prefix: and.child_text("Prefix").map(str::to_owned), tags, size_gt: gt, size_lt: lt }
        }
        Some(other) => return Err(malformed(format!("Rule '{rule}': unknown filter condition {other}"))),
    })
}

fn storage_class(e: &Element, rule: &str) -> S3Result<StorageClass> {
    let name = e
        .child_text("StorageClass")
        .ok_or_else(|| malformed(format!("Rule '{rule}': a transition needs a StorageClass")))?;
    match StorageClass::parse(name) {
        Some(StorageClass::Standard) => {
            Err(invalid(format!("Rule '{rule}': STANDARD is not a storage class objects can transition to")))
        }
        Some(class) if class.is_transition_target() => Ok(class),
        _ => Err(malformed(format!("Rule '{rule}': unknown storage class {name}"))),
    }
}

fn rule_from(e: &Element, index: usize) -> S3Result<Rule> {
    let id = e.child_text("ID").map(str::to_owned).unwrap_or_default();
    let name = if id.is_empty() { format!("#{}", index + 1) } else { id.clone() };
    let rule = name.as_str();
    if id.len() > MAX_ID_LEN {
        return Err(invalid(format!("Rule '{}…': ID length should not exceed allowed limit of 255", &id[..16])));
    }
    let enabled = match e.child_text("Status") {
        Some("Enabled") => true,
        Some("Disabled") => false,
        _ => return Err(malformed(format!("Rule '{rule}': Status must be Enabled or Disabled"))),
    };
    let filter = filter(e, rule)?;
    let expiration = e
        .child("Expiration")
        .map(|x| {
            let marker = x.child_text("ExpiredObjectDeleteMarker");
            match marker {
                Some(m) if x.child("Days").is_some() || x.child("Date").is_some() => Err(invalid(format!(
                    "Rule '{rule}': ExpiredObjectDeleteMarker cannot be specified with Days or Date in an Expiration ({m})"
                ))),
                Some("true") => Ok(Expiration::ExpiredObjectDeleteMarker(true)),
                Some("false") => Ok(Expiration::ExpiredObjectDeleteMarker(false)),
                Some(_) => Err(malformed(format!("Rule '{rule}': ExpiredObjectDeleteMarker must be true or false"))),
                None => when(x, rule, "Expiration", false).map(Expiration::At),
            }
        })
        .transpose()?;
    if matches!(expiration, Some(Expiration::ExpiredObjectDeleteMarker(_))) && filter.has_tags() {
        return Err(invalid(format!("Rule '{rule}': ExpiredObjectDeleteMarker cannot be specified with tags")));
    }
    let transitions = e
        .children_named("Transition")
        .map(|t| Ok(Transition { when: when(t, rule, "Transition", true)?, storage_class: storage_class(t, rule)? }))
        .collect::<S3Result<Vec<_>>>()?;
    let noncurrent_expiration = e
        .child("NoncurrentVersionExpiration")
        .map(|n| -> S3Result<_> {
            let days = positive(n, "NoncurrentDays", rule, "NoncurrentVersionExpiration")?
                .ok_or_else(|| malformed(format!("Rule '{rule}': NoncurrentVersionExpiration needs NoncurrentDays")))?;
            Ok(NoncurrentExpiration { days, newer_versions: newer_versions(n, rule)? })
        })
        .transpose()?;
    let noncurrent_transitions = e
        .children_named("NoncurrentVersionTransition")
        .map(|n| -> S3Result<_> {
            let days = number::<i64>(n, "NoncurrentDays", rule)?
                .ok_or_else(|| malformed(format!("Rule '{rule}': NoncurrentVersionTransition needs NoncurrentDays")))?;
            if days < 0 {
                return Err(invalid(format!("Rule '{rule}': 'NoncurrentDays' must not be negative")));
            }
            Ok(NoncurrentTransition {
                days: days.min(u32::MAX as i64) as u32,
                newer_versions: newer_versions(n, rule)?,
                storage_class: storage_class(n, rule)?,
            })
        })
        .collect::<S3Result<Vec<_>>>()?;
    let abort_upload_days = match e.child("AbortIncompleteMultipartUpload") {
        Some(a) => {
            Some(positive(a, "DaysAfterInitiation", rule, "AbortIncompleteMultipartUpload")?.ok_or_else(|| {
                malformed(format!("Rule '{rule}': AbortIncompleteMultipartUpload needs DaysAfterInitiation"))
            })?)
        }
        None => None,
    };
    if abort_upload_days.is_some() && filter.has_tags() {
        return Err(invalid(format!("Rule '{rule}': AbortIncompleteMultipartUpload cannot be specified with Tags")));
    }
    let r = Rule {
        id,
        enabled,
        filter,
        expiration,
        transitions,
        noncurrent_expiration,
        noncurrent_transitions,
        abort_upload_days,
    };
    check_actions(&r, rule)?;
    Ok(r)
}

fn newer_versions(e: &Element, rule: &str) -> S3Result<Option<u32>> {
    match number::<i64>(e, "NewerNoncurrentVersions", rule)? {
        None => Ok(None),
        Some(n) if (1..=100).contains(&n) => Ok(Some(n as u32)),
        Some(_) => Err(invalid(format!("Rule '{rule}': NewerNoncurrentVersions must be between 1 and 100"))),
    }
}

/// Checks that hold across a rule's actions.
fn check_actions(r: &Rule, rule: &str) -> S3Result<()> {
    let actions = r.expiration.is_some() as usize
        + r.transitions.len()
        + r.noncurrent_expiration.is_some() as usize
        + r.noncurrent_transitions.len()
        + r.abort_upload_days.is_some() as usize;
    if actions == 0 {
        return Err(S3Error::msg(
            Code::InvalidRequest,
            format!("Rule '{rule}': At least one action needs to be specified in a rule"),
        ));
    }
    let mut classes = std::collections::HashSet::new();
    for t in &r.transitions {
        if !classes.insert(&t.storage_class) {
            return Err(invalid(format!(
                "Rule '{rule}': 'StorageClass' must be different for 'Transition' actions in the same rule"
            )));
        }
        let by_days = matches!(t.when, When::Days(_));
        if let Some(Expiration::At(x)) = &r.expiration {
            if by_days != matches!(x, When::Days(_)) {
                return Err(S3Error::msg(
                    Code::InvalidRequest,
                    format!("Rule '{rule}': Found mixed 'Date' and 'Days' based Expiration and Transition actions"),
                ));
            }
            let later = match (&t.when, x) {
                (When::Days(t), When::Days(x)) => t >= x,
                (When::Date(t), When::Date(x)) => t >= x,
                _ => false,
            };
            if later {
                return Err(invalid(format!(
                    "Rule '{rule}': the Expiration action must be later than the Transition action to {}",
                    t.storage_class
                )));
            }
        }
        if let When::Days(d) = t.when {
            if matches!(t.storage_class, StorageClass::StandardIa | StorageClass::OnezoneIa) && d < 30 {
                return Err(invalid(format!(
                    "Rule '{rule}': 'Days' in Transition action must be greater than or equal to 30 for storageClass '{}'",
                    t.storage_class
                )));
            }
        }
    }
    if r.transitions.iter().any(|t| matches!(t.when, When::Days(_)))
        && r.transitions.iter().any(|t| matches!(t.when, When::Date(_)))
    {
        return Err(S3Error::msg(
            Code::InvalidRequest,
            format!("Rule '{rule}': Found mixed 'Date' and 'Days' based Transition actions"),
        ));
    }
    if let Some(nc) = &r.noncurrent_expiration {
        if let Some(t) = r.noncurrent_transitions.iter().find(|t| t.days >= nc.days) {
            return Err(invalid(format!(
                "Rule '{rule}': NoncurrentVersionExpiration must be later than the NoncurrentVersionTransition to {}",
                t.storage_class
            )));
        }
    }
    Ok(())
}

pub fn from_document(doc: &Element) -> S3Result<LifecycleConfig> {
    if doc.name != "LifecycleConfiguration" {
        return Err(malformed("The root element must be LifecycleConfiguration"));
    }
    if let Some(other) = doc.children.iter().find(|c| c.name != "Rule") {
        return Err(malformed(format!("Unexpected element {} in LifecycleConfiguration", other.name)));
    }
    let rules: Vec<&Element> = doc.children_named("Rule").collect();
    if rules.is_empty() {
        return Err(malformed("A lifecycle configuration needs at least one rule"));
    }
    if rules.len() > MAX_RULES {
        return Err(malformed(format!(
            "A lifecycle configuration holds at most {MAX_RULES} rules, not {}",
            rules.len()
        )));
    }
    let mut out: Vec<Rule> = rules.iter().enumerate().map(|(i, r)| rule_from(r, i)).collect::<S3Result<_>>()?;
    let mut ids = std::collections::HashSet::new();
    for r in &out {
        if !r.id.is_empty() && !ids.insert(r.id.clone()) {
            return Err(invalid(format!("Rule ID must be unique. Found same ID '{}' for more than one rule", r.id)));
        }
    }
    // Rules without an ID get one, as S3 gives them.
    for r in out.iter_mut().filter(|r| r.id.is_empty()) {
        r.id = loop {
            let candidate: String = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
            if ids.insert(candidate.clone()) {
                break candidate;
            }
        };
    }
    Ok(LifecycleConfig { rules: out, transition_default_minimum_object_size: None })
}

fn when_elements(w: &mut XmlWriter, when: &When) {
    match when {
        When::Days(d) => w.elem("Days", d.to_string()),
        When::Date(ms) => w.elem("Date", iso_date(*ms)),
    };
}

fn filter_elements(w: &mut XmlWriter, f: &Filter) {
    let tag = |w: &mut XmlWriter, k: &str, v: &str| {
        w.open("Tag").elem("Key", k).elem("Value", v).close();
    };
    match f {
        Filter::LegacyPrefix(p) => {
            w.elem("Prefix", p);
        }
        Filter::All => {
            w.open("Filter").close();
        }
        Filter::Prefix(p) => {
            w.open("Filter").elem("Prefix", p).close();
        }
        Filter::Tag(k, v) => {
            w.open("Filter");
            tag(w, k, v);
            w.close();
        }
        Filter::SizeGreaterThan(n) => {
            w.open("Filter").elem("ObjectSizeGreaterThan", n.to_string()).close();
        }
        Filter::SizeLessThan(n) => {
            w.open("Filter").elem("ObjectSizeLessThan", n.to_string()).close();
        }
        Filter::And { prefix, tags, size_gt, size_lt } => {
            w.open("Filter").open("And").opt("Prefix", prefix.as_ref());
            for (k, v) in tags {
                tag(w, k, v);
            }
            w.opt("ObjectSizeGreaterThan", size_gt.map(|n| n.to_string()))
                .opt("ObjectSizeLessThan", size_lt.map(|n| n.to_string()))
                .close()
                .close();
        }
    }
}

pub fn to_document(cfg: &LifecycleConfig) -> String {
    let mut w = XmlWriter::new("LifecycleConfiguration");
    for r in &cfg.rules {
        w.open("Rule").elem("ID", &r.id);
        filter_elements(&mut w, &r.filter);
        w.elem("Status", if r.enabled { "Enabled" } else { "Disabled" });
        for t in &r.transitions {
            w.open("Transition");
            when_elements(&mut w, &t.when);
            w.elem("StorageClass", t.storage_class.as_str()).close();
        }
        match &r.expiration {
            Some(Expiration::At(when)) => {
                w.open("Expiration");
                when_elements(&mut w, when);
                w.close();
            }
            Some(Expiration::ExpiredObjectDeleteMarker(b)) => {
                w.open("Expiration").elem("ExpiredObjectDeleteMarker", b.to_string()).close();
            }
            None => {}
        }
        for t in &r.noncurrent_transitions {
            w.open("NoncurrentVersionTransition")
                .elem("NoncurrentDays", t.days.to_string())
                .elem("StorageClass", t.storage_class.as_str())
                .opt("NewerNoncurrentVersions", t.newer_versions.map(|n| n.to_string()))
                .close();
        }
        if let Some(nc) = &r.noncurrent_expiration {
            w.open("NoncurrentVersionExpiration")
                .elem("NoncurrentDays", nc.days.to_string())
                .opt("NewerNoncurrentVersions", nc.newer_versions.map(|n| n.to_string()))
                .close();
        }
        if let Some(d) = r.abort_upload_days {
            w.open("AbortIncompleteMultipartUpload").elem("DaysAfterInitiation", d.to_string()).close();
        }
        w.close();
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> S3Result<LifecycleConfig> {
        from_document(&crate::wire::xml::parse(xml.as_bytes()).unwrap())
    }

    fn one(rule_body: &str) -> S3Result<LifecycleConfig> {
        parse(&format!("<LifecycleConfiguration><Rule>{rule_body}</Rule></LifecycleConfiguration>"))
    }

    #[test]
    fn golden_document_and_round_trip() {
        let xml = "<LifecycleConfiguration><Rule><ID>backups</ID><Filter><And><Prefix>restic/</Prefix>\
            <Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter>\
            <Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>\
            <Expiration><Days>365</Days></Expiration><NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays>\
            <StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition><NoncurrentVersionExpiration>\
            <NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions>\
            </NoncurrentVersionExpiration></Rule><Rule><ID>legacy</ID><Prefix>tmp/</Prefix><Status>Disabled</Status>\
            <Expiration><Date>2026-12-23T00:00:00.000Z</Date></Expiration><AbortIncompleteMultipartUpload>\
            <DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
            <Rule><ID>dm</ID><Filter></Filter><Status>Enabled</Status><Expiration>\
            <ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>";
        let cfg = parse(xml).unwrap();
        let doc = to_document(&cfg);
        let expected =
            "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ID>backups</ID>\
            <Filter><And><Prefix>restic/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10\
            </ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>\
            GLACIER</StorageClass></Transition><Expiration><Days>365</Days></Expiration><NoncurrentVersionTransition>\
            <NoncurrentDays>5</NoncurrentDays><StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>\
            <NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>3\
            </NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule><Rule><ID>legacy</ID><Prefix>tmp/</Prefix>\
            <Status>Disabled</Status><Expiration><Date>2026-12-23T00:00:00.000Z</Date></Expiration>\
            <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>\
            </AbortIncompleteMultipartUpload></Rule><Rule><ID>dm</ID><Filter></Filter><Status>Enabled</Status>\
            <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>\
            </LifecycleConfiguration>";
        assert!(doc.ends_with(expected), "{doc}");
        assert_eq!(parse(&doc).unwrap(), cfg);
        assert_eq!(cfg.rules[1].expiration, Some(Expiration::At(When::Date(1_797_984_000_000))));
    }

    #[test]
    fn missing_ids_are_generated_and_unique() {
        let cfg = parse(
            "<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>\
             </Rule><Rule><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>\
             </LifecycleConfiguration>",
        )
        .unwrap();
        assert!(cfg.rules.iter().all(|r| !r.id.is_empty() && r.id.len() <= MAX_ID_LEN));
        assert_ne!(cfg.rules[0].id, cfg.rules[1].id);
    }

    #[test]
    fn dates_in_iso_8601_at_midnight() {
        for ok in ["2026-12-23", "2026-12-23T00:00:00Z", "2026-12-23T00:00:00.000Z", "2026-12-23T00:00:00+00:00"] {
            assert_eq!(date(ok, "r").unwrap(), 1_797_984_000_000, "{ok}");
        }
        assert_eq!(date("20200101", "r").unwrap_err().code, Code::MalformedXML);
        assert_eq!(date("2026-12-23T10:00:00Z", "r").unwrap_err().code, Code::InvalidArgument);
    }

    #[test]
    fn bad_rules_get_s3s_errors() {
        let exp = "<Expiration><Days>1</Days></Expiration>";
        let long_id = "x".repeat(256);
        let cases: Vec<(String, Code)> = vec![
            (format!("<Filter/><Status>enabled</Status>{exp}"), Code::MalformedXML),
            (format!("<Filter/>{exp}"), Code::MalformedXML),
            ("<Filter/><Status>Enabled</Status>".into(), Code::InvalidRequest),
            (format!("<Prefix>a</Prefix><Filter/><Status>Enabled</Status>{exp}"), Code::MalformedXML),
            (format!("<Status>Enabled</Status>{exp}"), Code::MalformedXML),
            ("<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><Expiration><Days>-3</Days></Expiration>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><Expiration><Days>x</Days></Expiration>".into(), Code::MalformedXML),
            ("<Filter/><Status>Enabled</Status><Expiration><Date>2026-12-23T01:00:00Z</Date></Expiration>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2026-12-23</Date></Expiration>".into(), Code::MalformedXML),
            ("<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>".into(), Code::InvalidArgument),
            ("<Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>".into(), Code::InvalidArgument),
            ("<Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>".into(), Code::InvalidArgument),
            (format!("<ID>{long_id}</ID><Filter/><Status>Enabled</Status>{exp}"), Code::InvalidArgument),
            (format!("<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>{exp}"), Code::MalformedXML),
            ("<Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>PLATINUM</StorageClass></Transition>".into(), Code::MalformedXML),
            ("<Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>STANDARD</StorageClass></Transition>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass></Transition>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><Transition><Days>40</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>30</Days></Expiration>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><Transition><Date>2026-12-23</Date><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>30</Days></Expiration>".into(), Code::InvalidRequest),
            ("<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>".into(), Code::InvalidArgument),
            ("<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>".into(), Code::InvalidArgument),
        ];
        for (body, code) in cases {
            let err = one(&body).unwrap_err();
            assert_eq!(err.code, code, "{body}: {}", err.message);
            assert!(
                err.message.contains("Rule '") || err.code == Code::MalformedXML,
                "the message names the rule: {}",
                err.message
            );
        }
        let rule = format!("<Rule><ID>same</ID><Filter/><Status>Enabled</Status>{exp}</Rule>");
        assert_eq!(
            parse(&format!("<LifecycleConfiguration>{rule}{rule}</LifecycleConfiguration>")).unwrap_err().code,
            Code::InvalidArgument
        );
        let many = format!(
            "<LifecycleConfiguration>{}</LifecycleConfiguration>",
            format!("<Rule><Filter/><Status>Enabled</Status>{exp}</Rule>").repeat(1001)
        );
        assert_eq!(parse(&many).unwrap_err().code, Code::MalformedXML);
        assert_eq!(parse("<LifecycleConfiguration/>").unwrap_err().code, Code::MalformedXML);
        assert_eq!(parse("<Other/>").unwrap_err().code, Code::MalformedXML);
        assert!(one(&format!("<Filter><Prefix></Prefix></Filter><Status>Enabled</Status>{exp}")).is_ok());
        assert!(one(&format!("<Prefix></Prefix><Status>Enabled</Status>{exp}")).is_ok(), "the legacy form");
    }
}
