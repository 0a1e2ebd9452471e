//! The one error type of handlers: a status and a JSON body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a handler returns. Each becomes its status and
/// `{"error":{"code":"<code>","message":"<message>"}}`.
///
/// `Internal` logs its detail and answers a generic message: it is for broken invariants
/// (a failing disk, a bug), never for bad input, which is always one of the 4xx variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`.
    #[error("{0}")]
    BadRequest(String),
    /// 401 `unauthorized` (with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`.
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload_too_large`.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 503 `unavailable`: try again later (database busy, a dependency down).
    #[error("{0}")]
    Unavailable(String),
    /// 500 `internal`: the detail is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `code` of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        let mut response = error_response(self.status(), self.code(), &message);
        if matches!(self, ApiError::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// `status` with the body `{"error":{"code":code,"message":message}}`: the shape of every
/// error of every service, for the few that are not an [`ApiError`] (415, 422, 405...).
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[tokio::test]
    async fn every_variant_is_a_status_and_a_json_body() {
        let cases = [
            (
                ApiError::BadRequest("bad".into()),
                400,
                "bad_request",
                "bad",
            ),
            (
                ApiError::Unauthorized("who".into()),
                401,
                "unauthorized",
                "who",
            ),
            (ApiError::Forbidden("no".into()), 403, "forbidden", "no"),
            (ApiError::NotFound("gone".into()), 404, "not_found", "gone"),
            (ApiError::Conflict("twice".into()), 409, "conflict", "twice"),
            (
                ApiError::PayloadTooLarge,
                413,
                "payload_too_large",
                "request body too large",
            ),
            (
                ApiError::Unavailable("busy".into()),
                503,
                "unavailable",
                "busy",
            ),
            (
                ApiError::Internal("disk on fire".into()),
                500,
                "internal",
                "internal error",
            ),
        ];
        for (error, status, code, message) in cases {
            let response = error.into_response();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
            let body = body_of(response).await;
            assert_eq!(
                body,
                json!({"error": {"code": code, "message": message}}),
                "{status}"
            );
        }
    }

    #[tokio::test]
    async fn unauthorized_names_the_scheme() {
        let response = ApiError::Unauthorized("x".into()).into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
