//! CORS as S3 does it: the `CORSConfiguration` document (validated as S3 validates it), which rule
//! a browser's request matches (the first whose origin, method and, for a preflight, every
//! requested header are allowed), and the `Access-Control-*` headers that rule gives. Pure
//! functions; the pipeline and `s3::handlers::cors` apply them.

use crate::access::policy::actions::wildcard;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::{CorsConfig, CorsRule};

/// S3's limit on rules in one configuration.
pub const MAX_RULES: usize = 100;
const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];
/// Readable from JavaScript on every CORS response besides what the rule exposes: what a page
/// needs after an upload.
const ALWAYS_EXPOSED: [&str; 2] = ["ETag", "x-amz-version-id"];

fn malformed(msg: impl Into<String>) -> S3Error {
    S3Error::msg(Code::MalformedXML, msg)
}

fn invalid(msg: impl Into<String>) -> S3Error {
    S3Error::msg(Code::InvalidRequest, msg)
}

/// A `CORSConfiguration` document, validated: 1 to 100 rules, each with an origin and a known
/// method, at most one `*` per origin and per allowed header, unique IDs of at most 255 characters.
pub fn from_document(doc: &Element) -> S3Result<CorsConfig> {
    if doc.name != "CORSConfiguration" {
        return Err(malformed("The root element must be CORSConfiguration"));
    }
    let texts = |rule: &Element, name: &str| -> Vec<String> {
        rule.children_named(name).map(|e| e.text.trim().to_owned()).collect()
    };
    let mut rules = Vec::new();
    for rule in doc.children_named("CORSRule") {
        let r = CorsRule {
            id: rule.child_text("ID").map(str::to_owned),
            allowed_origins: texts(rule, "AllowedOrigin"),
            allowed_methods: texts(rule, "AllowedMethod"),
            allowed_headers: texts(rule, "AllowedHeader"),
            expose_headers: texts(rule, "ExposeHeader"),
            max_age_secs: match rule.child_text("MaxAgeSeconds") {
                None => None,
                Some(s) => Some(s.trim().parse().map_err(|_| malformed(format!("Invalid MaxAgeSeconds: {s}")))?),
            },
        };
        if r.allowed_origins.is_empty() || r.allowed_methods.is_empty() {
            return Err(malformed("Each CORSRule needs at least one AllowedOrigin and one AllowedMethod"));
        }
        if let Some(m) = r.allowed_methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(invalid(format!("Found unsupported HTTP method in CORS config. Unsupported method is {m}")));
        }
        for o in &r.allowed_origins {
            if o.matches('*').count() > 1 {
                return Err(invalid(format!("AllowedOrigin \"{o}\" can not have more than one wildcard.")));
            }
        }
        for h in &r.allowed_headers {
            if h.matches('*').count() > 1 {
                return Err(invalid(format!("AllowedHeader \"{h}\" can not have more than one wildcard.")));
            }
        }
        if r.id.as_ref().is_some_and(|id| id.len() > 255) {
            return Err(invalid("The ID of a CORSRule is at most 255 characters"));
        }
        rules.push(r);
    }
    if rules.is_empty() {
        return Err(malformed("A CORSConfiguration needs at least one CORSRule"));
    }
    if rules.len() > MAX_RULES {
        return Err(invalid(format!("A CORSConfiguration holds at most {MAX_RULES} rules")));
    }
    let mut ids: Vec<&str> = rules.iter().filter_map(|r| r.id.as_deref()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("The IDs of CORSRules must be unique"));
    }
    Ok(CorsConfig { rules })
}

pub fn to_document(cfg: &CorsConfig) -> String {
    let mut w = XmlWriter::new("CORSConfiguration");
    for r in &cfg.rules {
        w.open("CORSRule").opt("ID", r.id.as_ref());
        for (name, values) in [
            ("AllowedHeader", &r.allowed_headers),
            ("AllowedMethod", &r.allowed_methods),
            ("AllowedOrigin", &r.allowed_origins),
            ("ExposeHeader", &r.expose_headers),
        ] {
            for v in values {
                w.elem(name, v);
            }
        }
        w.opt("MaxAgeSeconds", r.max_age_secs.map(|s| s.to_string())).close();
    }
    w.finish()
}

/// The rule the server-wide `cors.allowed_origins` amounts to for buckets without rules of their
/// own: those origins, every method and header.
pub fn fallback_rule(origins: &[String]) -> Option<CorsRule> {
    (!origins.is_empty()).then(|| CorsRule {
        allowed_origins: origins.to_vec(),
        allowed_methods: METHODS.iter().map(|m| m.to_string()).collect(),
        allowed_headers: vec!["*".into()],
        ..Default::default()
    })
}

/// The first rule that allows `origin` to use `method` and to send every one of `headers`.
pub fn matching<'a>(rules: &'a [CorsRule], origin: &str, method: &str, headers: &[String]) -> Option<&'a CorsRule> {
    rules.iter().find(|r| {
        r.allowed_origins.iter().any(|o| wildcard(o, origin, false))
            && r.allowed_methods.iter().any(|m| m == method)
            && headers.iter().all(|h| r.allowed_headers.iter().any(|a| wildcard(a, h, true)))
    })
}

/// `Access-Control-Request-Headers`: the names a preflight asks for, lower-cased.
pub fn requested_headers(value: Option<&str>) -> Vec<String> {
    value.unwrap_or("").split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
}

const VARY: (&str, &str) = ("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");

/// The headers every CORS answer of `rule` carries: the origin allowed (`*` when the rule allows
/// any), credentials when it is one origin, the exposed headers, and Vary.
fn common(rule: &CorsRule, origin: &str) -> Vec<(&'static str, String)> {
    let any = rule.allowed_origins.iter().any(|o| o == "*");
    let mut out = vec![("access-control-allow-origin", if any { "*".to_owned() } else { origin.to_owned() })];
    if !any {
        out.push(("access-control-allow-credentials", "true".into()));
    }
    let mut exposed: Vec<&str> = ALWAYS_EXPOSED.to_vec();
    exposed.extend(rule.expose_headers.iter().map(String::as_str).filter(|h| !ALWAYS_EXPOSED.contains(h)));
    out.push(("access-control-expose-headers", exposed.join(", ")));
    out.push((VARY.0, VARY.1.into()));
    out
}

/// A preflight's answer: the rule's methods, the requested headers it allows, its max age.
pub fn preflight_headers(rule: &CorsRule, origin: &str, headers: &[String]) -> Vec<(&'static str, String)> {
    let mut out = common(rule, origin);
    out.push(("access-control-allow-methods", rule.allowed_methods.join(", ")));
    if !headers.is_empty() {
        out.push(("access-control-allow-headers", headers.join(", ")));
    }
    if let Some(age) = rule.max_age_secs {
        out.push(("access-control-max-age", age.to_string()));
    }
    out
}

/// The headers an actual request (not a preflight) gets from the rule it matched.
pub fn response_headers(rule: &CorsRule, origin: &str) -> Vec<(&'static str, String)> {
    let mut out = common(rule, origin);
    out.push(("access-control-allow-methods", rule.allowed_methods.join(", ")));
    if let Some(age) = rule.max_age_secs {
        out.push(("access-control-max-age", age.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> S3Result<CorsConfig> {
        from_document(&crate::wire::xml::parse(xml.as_bytes()).unwrap())
    }

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        CorsRule {
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: v(headers),
            ..Default::default()
        }
    }

    #[test]
    fn documents_round_trip_and_are_validated() {
        let xml = "<CORSConfiguration><CORSRule><ID>web</ID><AllowedOrigin>https://*.example.org</AllowedOrigin>\
            <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>\
            <ExposeHeader>x-amz-meta-owner</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>\
            <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule></CORSConfiguration>";
        let cfg = parse(xml).unwrap();
        assert_eq!(cfg.rules.len(), 2);
        assert_eq!(cfg.rules[0].max_age_secs, Some(3000));
        let doc = to_document(&cfg);
        assert!(
            doc.contains("<CORSRule><ID>web</ID><AllowedHeader>*</AllowedHeader><AllowedMethod>GET</AllowedMethod>"),
            "{doc}"
        );
        assert_eq!(parse(&doc).unwrap(), cfg);

        let one = |inner: &str| format!("<CORSConfiguration><CORSRule>{inner}</CORSRule></CORSConfiguration>");
        let cases: Vec<(String, Code, &str)> = vec![
            (one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"), Code::InvalidRequest, "Unsupported method is PATCH"),
            (one("<AllowedOrigin>*.*.org</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"), Code::InvalidRequest, "more than one wildcard"),
            (one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>"), Code::InvalidRequest, "more than one wildcard"),
            (one("<AllowedMethod>GET</AllowedMethod>"), Code::MalformedXML, "AllowedOrigin"),
            (one("<AllowedOrigin>*</AllowedOrigin>"), Code::MalformedXML, "AllowedMethod"),
            (one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds>"), Code::MalformedXML, "MaxAgeSeconds"),
            ("<CORSConfiguration/>".into(), Code::MalformedXML, "at least one CORSRule"),
            ("<Cors/>".into(), Code::MalformedXML, "root element"),
            (
                format!("<CORSConfiguration>{}</CORSConfiguration>", "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(101)),
                Code::InvalidRequest,
                "at most 100",
            ),
            (
                "<CORSConfiguration><CORSRule><ID>a</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><CORSRule><ID>a</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>".into(),
                Code::InvalidRequest,
                "unique",
            ),
        ];
        for (xml, code, msg) in cases {
            let err = parse(&xml).unwrap_err();
            assert_eq!(err.code, code, "{xml:.100}");
            assert!(err.message.contains(msg), "{xml:.100}: {}", err.message);
        }
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = vec![
            rule(&["https://app.example.org"], &["GET", "PUT"], &["content-type", "x-amz-*"]),
            rule(&["https://*.example.org"], &["GET"], &[]),
            rule(&["*"], &["HEAD"], &["*"]),
        ];
        let h = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: Vec<(&str, &str, Vec<String>, Option<usize>)> = vec![
            ("https://app.example.org", "PUT", h(&["content-type", "x-amz-meta-a"]), Some(0)),
            ("https://app.example.org", "PUT", h(&["authorization"]), None),
            ("https://app.example.org", "GET", h(&[]), Some(0)),
            ("https://docs.example.org", "GET", h(&[]), Some(1)),
            ("https://docs.example.org", "GET", h(&["content-type"]), None),
            ("https://docs.example.org", "PUT", h(&[]), None),
            ("https://evil.org", "HEAD", h(&["anything"]), Some(2)),
            ("https://evil.org", "GET", h(&[]), None),
            ("http://app.example.org", "GET", h(&[]), None),
        ];
        for (origin, method, headers, want) in cases {
            let got = matching(&rules, origin, method, &headers).map(|r| rules.iter().position(|x| x == r).unwrap());
            assert_eq!(got, want, "{origin} {method} {headers:?}");
        }
        assert_eq!(requested_headers(Some("Content-Type, X-Amz-Date ,")), h(&["content-type", "x-amz-date"]));
    }

    #[test]
    fn headers_of_an_answer() {
        let mut one = rule(&["https://app.example.org"], &["GET", "PUT"], &["*"]);
        one.expose_headers = vec!["x-amz-meta-owner".into(), "ETag".into()];
        one.max_age_secs = Some(600);
        let got = preflight_headers(&one, "https://app.example.org", &["content-type".into()]);
        let get = |name: &str| got.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("access-control-allow-origin"), Some("https://app.example.org"));
        assert_eq!(get("access-control-allow-credentials"), Some("true"));
        assert_eq!(get("access-control-allow-methods"), Some("GET, PUT"));
        assert_eq!(get("access-control-allow-headers"), Some("content-type"));
        assert_eq!(get("access-control-max-age"), Some("600"));
        assert_eq!(get("access-control-expose-headers"), Some("ETag, x-amz-version-id, x-amz-meta-owner"));
        assert_eq!(get("vary"), Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"));
        let any = rule(&["*"], &["GET"], &[]);
        let got = response_headers(&any, "https://x.org");
        assert!(got.contains(&("access-control-allow-origin", "*".into())));
        assert!(!got.iter().any(|(n, _)| *n == "access-control-allow-credentials"), "no credentials with *");
        assert_eq!(fallback_rule(&[]), None);
        assert_eq!(fallback_rule(&["https://a.org".into()]).unwrap().allowed_methods.len(), 5);
    }
}
