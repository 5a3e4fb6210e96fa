//! The admin CLI's side of `POST /-/admin`: one SigV4-signed JSON request with the root's
//! credentials to a running server.

use super::{Reply, Request};
use crate::auth::sigv4;
use http_body_util::{BodyExt, Full};

/// Where the server is and who is asking.
pub struct Remote {
    /// `host:port` of the S3 API.
    pub authority: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// For a server on HTTPS: how to reach it (see [`crate::http::tls::pinned_connector`]).
    pub tls: Option<tokio_rustls::TlsConnector>,
}

/// The `<Code>` and `<Message>` of an S3 XML error body, or the body itself.
fn error_text(status: http::StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match crate::wire::xml::parse(body) {
        Ok(doc) => format!(
            "{} ({status}): {}",
            doc.child_text("Code").unwrap_or_default(),
            doc.child_text("Message").unwrap_or_default()
        ),
        Err(_) => format!("{status}: {text}"),
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<bytes::Bytes>>;

async fn handshake<S>(stream: S) -> hyper::Result<Sender>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

impl Remote {
    pub async fn send(&self, req: &Request) -> Result<Reply, String> {
        let body = serde_json::to_vec(req).map_err(|e| e.to_string())?;
        let payload_hash = sigv4::sha256_hex(&body);
        let now = chrono::Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let signed = "host;x-amz-content-sha256;x-amz-date";
        let headers = format!("host:{}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n", self.authority);
        let creq = sigv4::canonical_request("POST", "/-/admin", "", &headers, signed, &payload_hash);
        let key = sigv4::signing_key(&self.secret_key, &date, &self.region, "s3");
        let signature = sigv4::signature(&key, &sigv4::string_to_sign(&amz_date, &scope, &creq));
        let authorization = format!(
            "{} Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            sigv4::ALGORITHM,
            self.access_key
        );
        let request = http::Request::post("/-/admin")
            .header(http::header::HOST, &self.authority)
            .header("x-amz-date", &amz_date)
            .header("x-amz-content-sha256", &payload_hash)
            .header(http::header::AUTHORIZATION, authorization)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(bytes::Bytes::from(body)))
            .map_err(|e| e.to_string())?;

        let unreachable = |e: &dyn std::fmt::Display| format!("cannot reach the server at {}: {e}", self.authority);
        let stream = tokio::net::TcpStream::connect(&self.authority).await.map_err(|e| unreachable(&e))?;
        let mut sender = match &self.tls {
            None => handshake(stream).await,
            Some(tls) => {
                // The pinned verifier ignores the name; any valid one will do.
                let host = self.authority.rsplit_once(':').map_or(self.authority.as_str(), |(h, _)| h);
                let name = rustls_pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                    .unwrap_or_else(|_| rustls_pki_types::ServerName::try_from("localhost").expect("valid name"));
                handshake(tls.connect(name, stream).await.map_err(|e| unreachable(&e))?).await
            }
        }
        .map_err(|e| unreachable(&e))?;
        let resp = sender.send_request(request).await.map_err(|e| unreachable(&e))?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await.map_err(|e| unreachable(&e))?.to_bytes();
        if !status.is_success() {
            return Err(error_text(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("unexpected answer from the server: {e}"))
    }
}
