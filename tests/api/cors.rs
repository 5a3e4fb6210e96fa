//! CORS: the configuration calls and their validation, preflights on the API (path and
//! virtual-hosted style) and on the website endpoint, the headers actual requests (and their errors)
//! get, the server-wide fallback; and websites on their own domain.

use super::harness::{code, status, Server};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule, IndexDocument, ObjectCannedAcl, WebsiteConfiguration};
use aws_sdk_s3::Client;
use std::time::Duration;

const APP: &str = "https://app.example.org";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// A request to `url` with `headers`; `host` (if any) is resolved to the server, as a browser
/// that found it in DNS would.
async fn request(server: &Server, method: &str, url: &str, host: Option<&str>, headers: &[(&str, &str)]) -> Answer {
    let mut client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(h) = host {
        client = client.resolve(h, server.addr.parse().unwrap());
    }
    // A PUT uploads a few bytes, as a page would.
    let body = if method == "PUT" { b"from the page".to_vec() } else { Vec::new() };
    let mut req = client.build().unwrap().request(method.parse().unwrap(), url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    Answer { status, headers, body: resp.text().await.unwrap() }
}

async fn preflight(server: &Server, path: &str, origin: &str, method: &str, headers: &str) -> Answer {
    let mut h = vec![("origin", origin), ("access-control-request-method", method)];
    if !headers.is_empty() {
        h.push(("access-control-request-headers", headers));
    }
    request(server, "OPTIONS", &format!("{}{path}", server.endpoint), None, &h).await
}

fn rule(origins: &[&str], methods: &[&str], headers: &[&str], expose: &[&str]) -> CorsRule {
    let mut r = CorsRule::builder();
    for o in origins {
        r = r.allowed_origins(*o);
    }
    for m in methods {
        r = r.allowed_methods(*m);
    }
    for h in headers {
        r = r.allowed_headers(*h);
    }
    for e in expose {
        r = r.expose_headers(*e);
    }
    r.build().unwrap()
}

async fn set_rules(s3: &Client, bucket: &str, rules: Vec<CorsRule>) {
    let cfg = CorsConfiguration::builder().set_cors_rules(Some(rules)).build().unwrap();
    s3.put_bucket_cors().bucket(bucket).cors_configuration(cfg).send().await.expect("put cors");
}

/// The rules of these tests: the app may GET and PUT with two headers, any example.org subdomain
/// may GET, anyone may HEAD.
async fn example_rules(s3: &Client, bucket: &str) {
    let mut first = rule(&[APP], &["GET", "PUT", "POST"], &["content-type", "x-amz-*"], &["x-amz-meta-owner"]);
    first.max_age_seconds = Some(600);
    first.id = Some("app".into());
    set_rules(
        s3,
        bucket,
        vec![first, rule(&["https://*.example.org"], &["GET"], &[], &[]), rule(&["*"], &["HEAD"], &["*"], &[])],
    )
    .await;
}

#[tokio::test]
async fn configuration_round_trip_and_validation() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("web").send().await.unwrap();
    let err = s3.get_bucket_cors().bucket("web").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchCORSConfiguration"));
    example_rules(&s3, "web").await;
    let got = s3.get_bucket_cors().bucket("web").send().await.unwrap();
    let rules = got.cors_rules();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].id(), Some("app"));
    assert_eq!(rules[0].allowed_methods(), ["GET", "PUT", "POST"]);
    assert_eq!(rules[0].allowed_headers(), ["content-type", "x-amz-*"]);
    assert_eq!(rules[0].expose_headers(), ["x-amz-meta-owner"]);
    assert_eq!(rules[0].max_age_seconds(), Some(600));
    assert_eq!(rules[1].allowed_origins(), ["https://*.example.org"]);

    let bad = |r: CorsRule| CorsConfiguration::builder().cors_rules(r).build().unwrap();
    let cases = [
        (rule(&[APP], &["PATCH"], &[], &[]), "InvalidRequest"),
        (rule(&["https://*.*.org"], &["GET"], &[], &[]), "InvalidRequest"),
        (rule(&[APP], &["GET"], &["x-*-*"], &[]), "InvalidRequest"),
    ];
    for (r, want) in cases {
        let err = s3.put_bucket_cors().bucket("web").cors_configuration(bad(r)).send().await.unwrap_err();
        assert_eq!((status(&err), code(&err).as_str()), (400, want));
    }
    let many = CorsConfiguration::builder()
        .set_cors_rules(Some((0..101).map(|_| rule(&[APP], &["GET"], &[], &[])).collect()))
        .build()
        .unwrap();
    let err = s3.put_bucket_cors().bucket("web").cors_configuration(many).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    // A document over S3's 64 KB, though of few rules.
    let origins: Vec<String> = (0..1200).map(|i| format!("https://host-{i:04}.example.com")).collect();
    let origins: Vec<&str> = origins.iter().map(String::as_str).collect();
    let big = CorsConfiguration::builder().cors_rules(rule(&origins, &["GET"], &[], &[])).build().unwrap();
    let err = s3.put_bucket_cors().bucket("web").cors_configuration(big).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "MaxMessageLengthExceeded"));
    assert_eq!(
        s3.get_bucket_cors().bucket("web").send().await.unwrap().cors_rules().len(),
        3,
        "refusals change nothing"
    );

    let bob = server.user("bob").await;
    let err = bob.client.get_bucket_cors().bucket("web").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.delete_bucket_cors().bucket("web").send().await.unwrap();
    let err = s3.get_bucket_cors().bucket("web").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchCORSConfiguration");
}

#[tokio::test]
async fn preflights_match_the_first_rule_or_are_refused() {
    let server = Server::start_with(&[("FIRN_DOMAIN", "s3.localhost")]);
    let s3 = server.client();
    s3.create_bucket().bucket("web").send().await.unwrap();
    s3.create_bucket().bucket("plain").send().await.unwrap();
    example_rules(&s3, "web").await;

    let a = preflight(&server, "/web/photos/a.jpg", APP, "PUT", "Content-Type, X-Amz-Date").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("access-control-allow-origin"), Some(APP));
    assert_eq!(a.header("access-control-allow-methods"), Some("GET, PUT, POST"));
    assert_eq!(a.header("access-control-allow-headers"), Some("content-type, x-amz-date"));
    assert_eq!(a.header("access-control-max-age"), Some("600"));
    assert_eq!(a.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(a.header("access-control-expose-headers"), Some("ETag, x-amz-version-id, x-amz-meta-owner"));
    assert_eq!(a.header("vary"), Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"));

    // First rule wins: the app's GET is the first rule's, with all its methods.
    let a = preflight(&server, "/web/k", APP, "GET", "").await;
    assert_eq!(a.header("access-control-allow-methods"), Some("GET, PUT, POST"));
    // A wildcard origin.
    let a = preflight(&server, "/web/k", "https://docs.example.org", "GET", "").await;
    assert_eq!((a.status, a.header("access-control-allow-methods")), (200, Some("GET")));
    // Any origin may HEAD, and gets `*`, without credentials.
    let a = preflight(&server, "/web", "https://elsewhere.net", "HEAD", "x-custom").await;
    assert_eq!((a.status, a.header("access-control-allow-origin")), (200, Some("*")));
    assert_eq!(a.header("access-control-allow-credentials"), None);

    // Refused: an origin, a method or a header no rule allows.
    for (origin, method, headers) in [
        ("https://elsewhere.net", "GET", ""),
        ("https://docs.example.org", "PUT", ""),
        (APP, "DELETE", ""),
        (APP, "PUT", "authorization-override"),
        ("http://app.example.org", "GET", ""),
    ] {
        let a = preflight(&server, "/web/k", origin, method, headers).await;
        assert_eq!(a.status, 403, "{origin} {method} {headers}");
        assert!(a.body.contains("<Code>AccessForbidden</Code>"), "{}", a.body);
        assert!(a.body.contains("CORSResponse: This CORS request is not allowed"), "{}", a.body);
        assert_eq!(a.header("access-control-allow-origin"), None);
    }
    let a = preflight(&server, "/plain/k", APP, "GET", "").await;
    assert_eq!(a.status, 403, "no CORS configuration");
    assert!(a.body.contains("AccessForbidden") && a.body.contains("CORS is not enabled for this bucket"), "{}", a.body);
    let a = request(&server, "OPTIONS", &format!("{}/web/k", server.endpoint), None, &[("origin", APP)]).await;
    assert_eq!((a.status, a.body.contains("<Code>BadRequest</Code>")), (400, true));
    let a = request(
        &server,
        "OPTIONS",
        &format!("{}/web/k", server.endpoint),
        None,
        &[("access-control-request-method", "GET")],
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(preflight(&server, "/nowhere/k", APP, "GET", "").await.status, 404);
    // A preflight carries the query of the presigned request it precedes, never its signature.
    let q = "/web/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    assert_eq!(preflight(&server, q, APP, "PUT", "content-type").await.status, 200);

    // Virtual-hosted style, and the website endpoint.
    let port = server.addr.rsplit(':').next().unwrap();
    for host in ["web.s3.localhost", "web.s3-website.localhost"] {
        let h = [
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type"),
        ];
        let a = request(&server, "OPTIONS", &format!("http://{host}:{port}/index.html"), Some(host), &h).await;
        assert_eq!((a.status, a.header("access-control-allow-origin")), (200, Some(APP)), "{host}: {}", a.body);
    }
}

#[tokio::test]
async fn actual_requests_and_their_errors_carry_the_headers() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("web").send().await.unwrap();
    example_rules(&s3, "web").await;
    s3.put_object()
        .bucket("web")
        .key("data.json")
        .acl(ObjectCannedAcl::PublicRead)
        .metadata("owner", "alice")
        .body(b"{\"n\": 1}".to_vec().into())
        .send()
        .await
        .unwrap();
    let url = |k: &str| format!("{}/web/{k}", server.endpoint);

    let a = request(&server, "GET", &url("data.json"), None, &[("origin", APP)]).await;
    assert_eq!((a.status, a.body.as_str()), (200, "{\"n\": 1}"));
    assert_eq!(a.header("access-control-allow-origin"), Some(APP));
    assert_eq!(a.header("access-control-expose-headers"), Some("ETag, x-amz-version-id, x-amz-meta-owner"));
    assert!(a.header("etag").is_some());

    // A presigned PUT from the page: its ETag is readable.
    let presigned = s3
        .put_object()
        .bucket("web")
        .key("upload.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let a = request(&server, "PUT", presigned.uri(), None, &[("origin", APP)]).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("access-control-allow-origin"), Some(APP));
    assert!(a.header("access-control-expose-headers").unwrap().contains("ETag"));

    // Errors too, so the page can read the S3 error.
    let a = request(&server, "GET", &url("private.txt"), None, &[("origin", APP)]).await;
    assert_eq!(a.status, 403);
    assert!(a.body.contains("<Code>AccessDenied</Code>"));
    assert_eq!(a.header("access-control-allow-origin"), Some(APP));

    // No matching rule, no headers: the browser will refuse the page the answer.
    let a = request(&server, "GET", &url("data.json"), None, &[("origin", "https://elsewhere.net")]).await;
    assert_eq!((a.status, a.header("access-control-allow-origin")), (200, None));
    let a = request(&server, "DELETE", &url("data.json"), None, &[("origin", "https://docs.example.org")]).await;
    assert_eq!(a.header("access-control-allow-origin"), None);
    let a = request(&server, "GET", &url("data.json"), None, &[]).await;
    assert_eq!(a.header("access-control-allow-origin"), None, "no Origin, no CORS");
}

#[tokio::test]
async fn the_server_wide_origins_serve_buckets_without_rules() {
    let server =
        Server::start_with(&[("FIRN_CORS_ALLOWED_ORIGINS", "https://spa.example.org, https://*.internal.example")]);
    let s3 = server.client();
    s3.create_bucket().bucket("plain").send().await.unwrap();
    s3.create_bucket().bucket("own").send().await.unwrap();
    set_rules(&s3, "own", vec![rule(&[APP], &["GET"], &[], &[])]).await;

    let a = preflight(&server, "/plain/k", "https://spa.example.org", "PUT", "content-type, x-amz-acl").await;
    assert_eq!((a.status, a.header("access-control-allow-origin")), (200, Some("https://spa.example.org")));
    assert_eq!(a.header("access-control-allow-headers"), Some("content-type, x-amz-acl"));
    assert_eq!(preflight(&server, "/plain/k", "https://tools.internal.example", "DELETE", "").await.status, 200);
    assert_eq!(preflight(&server, "/plain/k", APP, "GET", "").await.status, 403);
    // A bucket's own rules win over the fallback.
    assert_eq!(preflight(&server, "/own/k", "https://spa.example.org", "GET", "").await.status, 403);
    assert_eq!(preflight(&server, "/own/k", APP, "GET", "").await.status, 200);
    let a = request(
        &server,
        "GET",
        &format!("{}/plain/missing", server.endpoint),
        None,
        &[("origin", "https://spa.example.org")],
    )
    .await;
    assert_eq!((a.status, a.header("access-control-allow-origin")), (403, Some("https://spa.example.org")));
}

#[tokio::test]
async fn a_website_on_its_own_domain() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("www.example.org").send().await.unwrap();
    s3.put_object()
        .bucket("www.example.org")
        .key("index.html")
        .acl(ObjectCannedAcl::PublicRead)
        .content_type("text/html")
        .body(b"<h1>example</h1>".to_vec().into())
        .send()
        .await
        .unwrap();
    let port = server.addr.rsplit(':').next().unwrap();
    let url = format!("http://www.example.org:{port}/");
    let a = request(&server, "GET", &url, Some("www.example.org"), &[]).await;
    assert_ne!(a.body, "<h1>example</h1>", "not a website until it has a website configuration");
    s3.put_bucket_website()
        .bucket("www.example.org")
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let a = request(&server, "GET", &url, Some("www.example.org"), &[]).await;
    assert_eq!((a.status, a.body.as_str()), (200, "<h1>example</h1>"));
    let a = request(&server, "GET", &format!("{url}missing.html"), Some("www.example.org"), &[]).await;
    assert_eq!(a.status, 404);
    assert!(a.header("content-type").unwrap().starts_with("text/html"), "a website's error page");
    // The API on its own address is unchanged.
    s3.get_object().bucket("www.example.org").key("index.html").send().await.unwrap();
}
