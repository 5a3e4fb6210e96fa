//! Static website hosting: the configuration calls, and the website endpoint as a browser sees it.

use super::harness::{code, Server};
use aws_sdk_s3::types::{
    Condition, ErrorDocument, IndexDocument, ObjectCannedAcl, Redirect, RedirectAllRequestsTo, RoutingRule,
    WebsiteConfiguration,
};
use aws_sdk_s3::Client;

struct Page {
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    body: String,
}

/// GET (or HEAD) `path` on `bucket`'s website host, without following redirects.
async fn visit(server: &Server, method: &str, bucket: &str, path: &str) -> Page {
    let host = format!("{bucket}.s3-website.localhost");
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let client =
        reqwest::Client::builder().resolve(&host, addr).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = format!("http://{host}:{}{path}", addr.port());
    let resp = client.request(method.parse().unwrap(), url).send().await.unwrap();
    let header = |n: &str| resp.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
    let (status, location, content_type) = (resp.status().as_u16(), header("location"), header("content-type"));
    Page { status, location, content_type, body: resp.text().await.unwrap() }
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &str, public: bool) {
    let mut req =
        s3.put_object().bucket(bucket).key(key).content_type("text/html").body(body.as_bytes().to_vec().into());
    if public {
        req = req.acl(ObjectCannedAcl::PublicRead);
    }
    req.send().await.unwrap();
}

#[tokio::test]
async fn a_site_as_a_browser_sees_it() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("blog").send().await.unwrap();
    put(&s3, "blog", "index.html", "home", true).await;
    put(&s3, "blog", "docs/index.html", "docs home", true).await;
    put(&s3, "blog", "docs/a.html", "page a", true).await;
    put(&s3, "blog", "404.html", "not here", true).await;
    put(&s3, "blog", "secret.html", "hidden", false).await;
    s3.put_object()
        .bucket("blog")
        .key("moved.html")
        .website_redirect_location("/docs/a.html")
        .acl(ObjectCannedAcl::PublicRead)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap();

    let p = visit(&server, "GET", "blog", "/").await;
    assert_eq!(p.status, 404, "no website configuration yet");
    assert!(p.body.contains("NoSuchWebsiteConfiguration") && p.content_type.unwrap().starts_with("text/html"));
    let err = s3.get_bucket_website().bucket("blog").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchWebsiteConfiguration");

    let cfg = WebsiteConfiguration::builder()
        .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
        .error_document(ErrorDocument::builder().key("404.html").build().unwrap())
        .routing_rules(
            RoutingRule::builder()
                .condition(Condition::builder().key_prefix_equals("old/").build())
                .redirect(Redirect::builder().replace_key_prefix_with("docs/").http_redirect_code("302").build())
                .build(),
        )
        .build();
    s3.put_bucket_website().bucket("blog").website_configuration(cfg).send().await.unwrap();
    let got = s3.get_bucket_website().bucket("blog").send().await.unwrap();
    assert_eq!(got.index_document().map(|i| i.suffix()), Some("index.html"));
    assert_eq!(got.routing_rules().len(), 1);

    assert_eq!(visit(&server, "GET", "blog", "/").await.body, "home");
    assert_eq!(visit(&server, "GET", "blog", "/docs/").await.body, "docs home");
    assert_eq!(visit(&server, "GET", "blog", "/docs/a.html").await.body, "page a");
    let p = visit(&server, "GET", "blog", "/docs").await;
    assert_eq!((p.status, p.location.as_deref()), (302, Some("/docs/")), "a directory without its slash");
    let p = visit(&server, "GET", "blog", "/moved.html").await;
    assert_eq!((p.status, p.location.as_deref()), (301, Some("/docs/a.html")));
    let p = visit(&server, "GET", "blog", "/old/a.html").await;
    assert_eq!(p.status, 302);
    assert!(p.location.unwrap().ends_with("/docs/a.html"), "routing rule replaced the prefix");
    let p = visit(&server, "GET", "blog", "/nothing.html").await;
    assert_eq!((p.status, p.body.as_str()), (404, "not here"), "the error document, with the original status");
    let p = visit(&server, "GET", "blog", "/secret.html").await;
    assert_eq!((p.status, p.body.as_str()), (403, "not here"), "private objects are not served");
    let p = visit(&server, "HEAD", "blog", "/docs/a.html").await;
    assert_eq!((p.status, p.body.as_str()), (200, ""));
    let p = visit(&server, "PUT", "blog", "/x").await;
    assert_eq!(p.status, 405);

    // Without an error document, errors are S3's HTML pages.
    s3.put_bucket_website()
        .bucket("blog")
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let p = visit(&server, "GET", "blog", "/nothing.html").await;
    assert_eq!(p.status, 404);
    assert!(p.body.contains("<h1>404 Not Found</h1>") && p.body.contains("Code: NoSuchKey"), "{}", p.body);
    let p = visit(&server, "GET", "nosuchbucket", "/").await;
    assert!(p.status == 404 && p.body.contains("NoSuchBucket"));

    s3.delete_bucket_website().bucket("blog").send().await.unwrap();
    assert_eq!(visit(&server, "GET", "blog", "/").await.status, 404);
}

#[tokio::test]
async fn redirect_all_and_bad_configurations() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("old-site").send().await.unwrap();
    let cfg = WebsiteConfiguration::builder()
        .redirect_all_requests_to(
            RedirectAllRequestsTo::builder()
                .host_name("example.com")
                .protocol(aws_sdk_s3::types::Protocol::Https)
                .build()
                .unwrap(),
        )
        .build();
    s3.put_bucket_website().bucket("old-site").website_configuration(cfg).send().await.unwrap();
    let p = visit(&server, "GET", "old-site", "/a/b.html").await;
    assert_eq!((p.status, p.location.as_deref()), (301, Some("https://example.com/a/b.html")));

    let bad =
        WebsiteConfiguration::builder().index_document(IndexDocument::builder().suffix("a/b").build().unwrap()).build();
    let err = s3.put_bucket_website().bucket("old-site").website_configuration(bad).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    let err = s3
        .put_bucket_website()
        .bucket("old-site")
        .website_configuration(WebsiteConfiguration::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    // The old configuration stands.
    assert!(s3.get_bucket_website().bucket("old-site").send().await.unwrap().redirect_all_requests_to().is_some());
}

/// A redirect whose Location would hold a control byte (from the request path, a stored key or a
/// routing rule) is percent-encoded, and the server answers: it used to panic and drop the
/// connection. Host names and replacements with control characters are refused up front.
#[tokio::test]
async fn redirects_with_control_bytes_are_encoded_never_dropped() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("moved").send().await.unwrap();
    let all = WebsiteConfiguration::builder()
        .redirect_all_requests_to(RedirectAllRequestsTo::builder().host_name("example.com").build().unwrap())
        .build();
    s3.put_bucket_website().bucket("moved").website_configuration(all).send().await.unwrap();
    let p = visit(&server, "GET", "moved", "/a%0D%0Ab").await;
    assert_eq!((p.status, p.location.as_deref()), (301, Some("http://example.com/a%0D%0Ab")));
    let p = visit(&server, "GET", "moved", "/caf%C3%A9%20menu?x=1").await;
    assert_eq!((p.status, p.location.as_deref()), (301, Some("http://example.com/caf%C3%A9%20menu")));

    s3.create_bucket().bucket("site").send().await.unwrap();
    put(&s3, "site", "x\u{1}y/index.html", "dir", true).await;
    let cfg = WebsiteConfiguration::builder()
        .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
        .routing_rules(
            RoutingRule::builder()
                .condition(Condition::builder().key_prefix_equals("old/").build())
                .redirect(Redirect::builder().replace_key_prefix_with("new/").build())
                .build(),
        )
        .build();
    s3.put_bucket_website().bucket("site").website_configuration(cfg).send().await.unwrap();
    let p = visit(&server, "GET", "site", "/x%01y").await;
    assert_eq!((p.status, p.location.as_deref()), (302, Some("/x%01y/")), "a stored key with a control byte");
    let p = visit(&server, "GET", "site", "/old/a%0Ab").await;
    assert_eq!(p.status, 301);
    assert!(p.location.as_deref().unwrap().ends_with("/new/a%0Ab"), "{:?}", p.location);

    for redirect in [
        Redirect::builder().host_name("evil.example\r\nSet-Cookie: a=b").build(),
        Redirect::builder().host_name("a b").build(),
        Redirect::builder().replace_key_with("a\rb").build(),
        Redirect::builder().replace_key_prefix_with("a\u{7}").build(),
    ] {
        let cfg = WebsiteConfiguration::builder()
            .index_document(IndexDocument::builder().suffix("index.html").build().unwrap())
            .routing_rules(RoutingRule::builder().redirect(redirect.clone()).build())
            .build();
        let err = s3.put_bucket_website().bucket("site").website_configuration(cfg).send().await.unwrap_err();
        assert_eq!(code(&err), "InvalidArgument", "{redirect:?}");
    }
    let bad_all = WebsiteConfiguration::builder()
        .redirect_all_requests_to(RedirectAllRequestsTo::builder().host_name("a\r\nb").build().unwrap())
        .build();
    let err = s3.put_bucket_website().bucket("moved").website_configuration(bad_all).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    assert!(!server.log().contains("panic"), "{}", server.log());
}
