//! Helpers for the services' in-process API tests (feature `testing`): send a request to
//! an `app` router and read the answer, checking the one error shape every service shares.

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::token::Claims;

/// Send `request` through `app`: (status, JSON body, `Null` when the body is not JSON).
/// Every 4xx and 5xx must carry the JSON error shape `{"error":{"code","message"}}`.
pub async fn send(app: &Router, request: Request<Body>) -> (u16, Value) {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status >= 400 {
        assert!(is_json, "{status} without a JSON body");
        assert!(body["error"]["code"].is_string(), "{status}: {body}");
        assert!(body["error"]["message"].is_string(), "{status}: {body}");
    }
    (status, body)
}

/// `GET path`.
pub fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `POST path` with a JSON content type, the body as given (possibly malformed on
/// purpose), and a bearer token when there is one.
pub fn post_raw(path: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(body.into()).unwrap_or_else(|e| panic!("{e}"))
}

/// `token` with its claims replaced by `claims` and its header and signature kept: the
/// forgery of a user who edits their token (a customer making themself admin, or
/// someone else). Every service must answer it 401.
pub fn tampered(token: &str, claims: &Claims) -> String {
    let mut parts = token.split('.');
    let header = parts.next().unwrap_or_default();
    let _payload = parts.next();
    let signature = parts.next().unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(payload))
}
