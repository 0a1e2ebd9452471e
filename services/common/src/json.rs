//! axum's JSON extractor, answering its rejections in the shop's error shape.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{error_response, ApiError};

/// Like `axum::Json`: extracts a JSON body and serializes a response. Its rejections are
/// JSON errors: malformed JSON -> 400 `bad_request`; missing fields or wrong types -> 422
/// `unprocessable_entity` (with serde's message); no `application/json` content type ->
/// 415 `unsupported_media_type`; a body over the limit -> 413 `payload_too_large`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Why a [`Json`] body was refused: a 4xx in the shop's error shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonRejection {
    /// The 4xx status.
    pub status: StatusCode,
    /// The body's `code`.
    pub code: &'static str,
    /// The body's `message`.
    pub message: String,
}

impl From<axum::extract::rejection::JsonRejection> for JsonRejection {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::UNPROCESSABLE_ENTITY => "unprocessable_entity",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "bad_request",
        };
        // A body that could not be read is the client's doing (a reset, a bad chunk): a
        // 4xx, never a 500.
        let status = if status.is_client_error() {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        JsonRejection {
            status,
            code,
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        error_response(self.status, self.code, &self.message)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest(rejection.message),
        }
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = JsonRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::header;
    use axum::routing::post;
    use axum::Router;
    use http_body_util::BodyExt;
    use serde::Deserialize;
    use tower::ServiceExt;

    #[derive(Deserialize, Serialize)]
    struct Item {
        name: String,
        quantity: u32,
    }

    fn router() -> Router {
        Router::new().route(
            "/",
            post(|Json(item): Json<Item>| async move { Json(item) }),
        )
    }

    async fn post_body(content_type: Option<&str>, body: &str) -> (u16, serde_json::Value) {
        let mut request = axum::http::Request::post("/");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(Body::from(body.to_string()))
            .unwrap_or_default();
        let response = router()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    const JSON: Option<&str> = Some("application/json");

    #[tokio::test]
    async fn a_good_body_round_trips() {
        let (status, body) = post_body(JSON, r#"{"name":"tea","quantity":2}"#).await;
        assert_eq!(status, 200);
        assert_eq!(body, serde_json::json!({"name": "tea", "quantity": 2}));
    }

    #[tokio::test]
    async fn rejections_are_json_errors() {
        let cases = [
            (
                JSON,
                r#"{"name":"tea","#,
                400,
                "bad_request",
                "Failed to parse",
            ),
            (JSON, "", 400, "bad_request", "EOF"),
            (
                JSON,
                r#"{"name":"tea"}"#,
                422,
                "unprocessable_entity",
                "missing field `quantity`",
            ),
            (
                JSON,
                r#"{"name":"tea","quantity":"2"}"#,
                422,
                "unprocessable_entity",
                "invalid type",
            ),
            (
                JSON,
                r#"{"name":"tea","quantity":-1}"#,
                422,
                "unprocessable_entity",
                "invalid value",
            ),
            (
                Some("text/plain"),
                r#"{"name":"tea","quantity":2}"#,
                415,
                "unsupported_media_type",
                "Content-Type",
            ),
            (
                None,
                r#"{"name":"tea","quantity":2}"#,
                415,
                "unsupported_media_type",
                "Content-Type",
            ),
        ];
        for (content_type, input, status, code, needle) in cases {
            let (got, body) = post_body(content_type, input).await;
            assert_eq!(got, status, "{input}: {body}");
            assert_eq!(body["error"]["code"], code, "{input}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(needle), "{input}: {message}");
        }
    }

    #[test]
    fn a_rejection_converts_into_an_api_error() {
        let rejection = JsonRejection {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "unprocessable_entity",
            message: "missing field".into(),
        };
        assert_eq!(
            ApiError::from(rejection),
            ApiError::BadRequest("missing field".into())
        );
    }
}
