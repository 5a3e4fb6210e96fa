//! The `<WebsiteConfiguration>` document: index and error documents, redirect-all, routing rules.

use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::model::website::{Redirect, RoutingRule, WebsiteConfig};

fn invalid(msg: &str) -> S3Error {
    S3Error::msg(Code::InvalidArgument, msg)
}

fn redirect_from(e: &Element, all: bool) -> S3Result<Redirect> {
    let text = |name: &str| e.child(name).map(|c| c.text.clone());
    let r =
        Redirect {
            host_name: text("HostName"),
            protocol: text("Protocol"),
            replace_key_prefix_with: if all { None } else { text("ReplaceKeyPrefixWith") },
            replace_key_with: if all { None } else { text("ReplaceKeyWith") },
            http_redirect_code: match (all, text("HttpRedirectCode")) {
                (false, Some(c)) => Some(c.parse().ok().filter(|c| (300..400).contains(c)).ok_or_else(|| {
                    invalid("The provided HTTP redirect code is not valid. It should be a 3XX code.")
                })?),
                _ => None,
            },
        };
    if r.protocol.as_deref().is_some_and(|p| p != "http" && p != "https") {
        return Err(invalid("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically."));
    }
    if r.replace_key_prefix_with.is_some() && r.replace_key_with.is_some() {
        return Err(invalid("You can only define ReplaceKeyPrefix or ReplaceKey but not both."));
    }
    if all && r.host_name.as_deref().is_none_or(str::is_empty) {
        return Err(invalid("RedirectAllRequestsTo requires a HostName."));
    }
    // They go into a Location header: a host name is a host (and port), a replacement text.
    let host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_');
    if r.host_name.as_deref().is_some_and(|h| !h.chars().all(host_char)) {
        return Err(invalid("The HostName is not valid."));
    }
    for replacement in [&r.replace_key_prefix_with, &r.replace_key_with].into_iter().flatten() {
        if replacement.chars().any(char::is_control) {
            return Err(invalid("The replacement key must not contain control characters."));
        }
    }
    Ok(r)
}

pub fn from_document(doc: &Element) -> S3Result<WebsiteConfig> {
    if doc.name != "WebsiteConfiguration" {
        return Err(S3Error::new(Code::MalformedXML));
    }
    let mut cfg = WebsiteConfig {
        index_suffix: doc.child("IndexDocument").map(|i| i.child_text("Suffix").unwrap_or("").to_owned()),
        error_key: doc.child("ErrorDocument").map(|e| e.child_text("Key").unwrap_or("").to_owned()),
        redirect_all: doc.child("RedirectAllRequestsTo").map(|r| redirect_from(r, true)).transpose()?,
        routing_rules: Vec::new(),
    };
    if let Some(rules) = doc.child("RoutingRules") {
        for rule in rules.children_named("RoutingRule") {
            let cond = rule.child("Condition");
            let redirect = rule.child("Redirect").ok_or_else(|| invalid("A routing rule needs a Redirect."))?;
            let code = cond.and_then(|c| c.child_text("HttpErrorCodeReturnedEquals"));
            cfg.routing_rules.push(RoutingRule {
                key_prefix_equals: cond.and_then(|c| c.child_text("KeyPrefixEquals")).map(str::to_owned),
                http_error_code_returned_equals: code
                    .map(|c| {
                        c.parse()
                            .ok()
                            .filter(|c| (400..600).contains(c))
                            .ok_or_else(|| invalid("The provided HTTP error code is not valid."))
                    })
                    .transpose()?,
                redirect: redirect_from(redirect, false)?,
            });
        }
    }
    if cfg.redirect_all.is_some() {
        if cfg.index_suffix.is_some() || cfg.error_key.is_some() || !cfg.routing_rules.is_empty() {
            return Err(invalid("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules."));
        }
        return Ok(cfg);
    }
    match cfg.index_suffix.as_deref() {
        None => Err(invalid("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty")),
        Some(s) if s.is_empty() || s.contains('/') => Err(invalid("The IndexDocument Suffix is not well formed")),
        Some(_) if cfg.error_key.as_deref() == Some("") => Err(invalid("The ErrorDocument Key is not well formed")),
        Some(_) => Ok(cfg),
    }
}

fn redirect_elements(w: &mut XmlWriter, r: &Redirect) {
    w.opt("HostName", r.host_name.as_ref())
        .opt("HttpRedirectCode", r.http_redirect_code.map(|c| c.to_string()))
        .opt("Protocol", r.protocol.as_ref())
        .opt("ReplaceKeyPrefixWith", r.replace_key_prefix_with.as_ref())
        .opt("ReplaceKeyWith", r.replace_key_with.as_ref());
}

pub fn to_document(cfg: &WebsiteConfig) -> String {
    let mut w = XmlWriter::new("WebsiteConfiguration");
    if let Some(r) = &cfg.redirect_all {
        w.open("RedirectAllRequestsTo");
        redirect_elements(&mut w, r);
        w.close();
    }
    if let Some(s) = &cfg.index_suffix {
        w.open("IndexDocument").elem("Suffix", s).close();
    }
    if let Some(k) = &cfg.error_key {
        w.open("ErrorDocument").elem("Key", k).close();
    }
    if !cfg.routing_rules.is_empty() {
        w.open("RoutingRules");
        for rule in &cfg.routing_rules {
            w.open("RoutingRule");
            if rule.key_prefix_equals.is_some() || rule.http_error_code_returned_equals.is_some() {
                w.open("Condition")
                    .opt("HttpErrorCodeReturnedEquals", rule.http_error_code_returned_equals.map(|c| c.to_string()))
                    .opt("KeyPrefixEquals", rule.key_prefix_equals.as_ref())
                    .close();
            }
            w.open("Redirect");
            redirect_elements(&mut w, &rule.redirect);
            w.close().close();
        }
        w.close();
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> S3Result<WebsiteConfig> {
        from_document(&crate::wire::xml::parse(xml.as_bytes()).unwrap())
    }

    #[test]
    fn round_trip_and_validation() {
        let xml = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>\
            <ErrorDocument><Key>err.html</Key></ErrorDocument><RoutingRules><RoutingRule><Condition>\
            <KeyPrefixEquals>docs/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith>documents/\
            </ReplaceKeyPrefixWith><HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule></RoutingRules>\
            </WebsiteConfiguration>";
        let cfg = parse(xml).unwrap();
        assert_eq!(cfg.index_suffix.as_deref(), Some("index.html"));
        assert_eq!(cfg.routing_rules[0].redirect.http_redirect_code, Some(302));
        let doc = to_document(&cfg);
        assert!(doc.contains("<IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>err.html</Key></ErrorDocument>"));
        assert_eq!(parse(&doc).unwrap(), cfg);

        let all = parse("<WebsiteConfiguration><RedirectAllRequestsTo><HostName>example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>").unwrap();
        assert_eq!(parse(&to_document(&all)).unwrap(), all);

        for bad in [
            "<WebsiteConfiguration/>",
            "<WebsiteConfiguration><IndexDocument><Suffix>a/b</Suffix></IndexDocument></WebsiteConfiguration>",
            "<WebsiteConfiguration><IndexDocument><Suffix></Suffix></IndexDocument></WebsiteConfiguration>",
            "<WebsiteConfiguration><RedirectAllRequestsTo><Protocol>ftp</Protocol><HostName>h</HostName></RedirectAllRequestsTo></WebsiteConfiguration>",
            "<WebsiteConfiguration><RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo><IndexDocument><Suffix>i</Suffix></IndexDocument></WebsiteConfiguration>",
            "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><HttpRedirectCode>200</HttpRedirectCode></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>",
        ] {
            assert_eq!(parse(bad).unwrap_err().code, Code::InvalidArgument, "{bad}");
        }
        assert_eq!(parse("<Other/>").unwrap_err().code, Code::MalformedXML);
    }
}
