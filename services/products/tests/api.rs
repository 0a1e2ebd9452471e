//! The products API, in process: every endpoint, the bad inputs, and the stock invariant
//! under concurrent reservations from two replicas sharing one database file.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shop_common::testing::{get, post_raw, send, tampered};
use shop_common::{identity_digest, Claims, ServiceCallers, ServiceIdentity, TokenKey};
use shop_products::{app, AppState};
use tempfile::TempDir;
use tower::ServiceExt;

const KEY: &[u8] = b"products-test-key-0123456789";
const ORDERS_TOKEN: &str = "orders-identity-0123456789abcdef";
const PAYMENTS_TOKEN: &str = "payments-identity-0123456789abcdef";

fn key() -> TokenKey {
    TokenKey::from_bytes(KEY).unwrap_or_else(|e| panic!("key: {e}"))
}

fn identity(name: &str, token: &str) -> ServiceIdentity {
    ServiceIdentity::new(name, token).unwrap_or_else(|e| panic!("identity: {e}"))
}

/// What products verifies in the shop: orders' credential, by its digest.
fn orders_only() -> ServiceCallers {
    ServiceCallers::none()
        .with_digest("orders", &identity_digest(ORDERS_TOKEN))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `request` as orders sends it: with orders' credential.
fn from_orders(request: Request<Body>) -> Request<Body> {
    with_credential(request, &identity("orders", ORDERS_TOKEN))
}

fn with_credential(mut request: Request<Body>, identity: &ServiceIdentity) -> Request<Body> {
    let (name, value) = identity.header();
    request.headers_mut().insert(name, value);
    request
}

/// A fresh database in a temporary folder; the folder lives as long as the value.
struct Shop {
    dir: TempDir,
    app: Router,
}

impl Shop {
    fn new() -> Shop {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let app = replica(&dir);
        Shop { dir, app }
    }
}

/// Another `app` on the same database file, as a second replica would be.
fn replica(dir: &TempDir) -> Router {
    replica_verifying(dir, orders_only())
}

fn replica_verifying(dir: &TempDir, callers: ServiceCallers) -> Router {
    let state = AppState::open(&dir.path().join("products.db"), key(), callers)
        .unwrap_or_else(|e| panic!("open: {e}"));
    app(state)
}

fn admin_token() -> String {
    key().issue(1, "admin@shop.test", "admin", Duration::from_secs(600))
}

fn customer_token() -> String {
    key().issue(2, "ann@shop.test", "customer", Duration::from_secs(600))
}

fn post(path: &str, token: Option<&str>, body: &Value) -> Request<Body> {
    post_raw(path, token, body.to_string())
}

async fn stock_of(app: &Router, product_id: i64) -> i64 {
    let (status, product) = send(app, get(&format!("/products/{product_id}"))).await;
    assert_eq!(status, 200, "{product}");
    product["stock"]
        .as_i64()
        .unwrap_or_else(|| panic!("{product}"))
}

async fn create_product(app: &Router, name: &str, stock: i64) -> i64 {
    let body = json!({"name": name, "price_cents": 1200, "stock": stock});
    let (status, product) = send(app, post("/products", Some(&admin_token()), &body)).await;
    assert_eq!(status, 201, "{product}");
    product["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{product}"))
}

fn reservation(order_id: &str, items: &[(i64, i64)]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(product_id, quantity)| json!({"product_id": product_id, "quantity": quantity}))
        .collect();
    json!({"order_id": order_id, "items": items})
}

#[tokio::test]
async fn a_fresh_database_lists_the_seeded_catalogue() {
    let shop = Shop::new();
    let (status, products) = send(&shop.app, get("/products")).await;
    assert_eq!(status, 200);
    let products = products.as_array().cloned().unwrap_or_default();
    assert_eq!(products.len(), 5, "{products:?}");
    for product in &products {
        assert!(
            product["id"].is_i64() && product["name"].is_string(),
            "{product}"
        );
        assert!(product["price_cents"].as_i64() > Some(0), "{product}");
        assert!(product["stock"].as_i64() > Some(0), "{product}");
    }
    // Opening the same database again (a restart, a second replica) seeds nothing twice.
    let again = replica(&shop.dir);
    let (_, products) = send(&again, get("/products")).await;
    assert_eq!(products.as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn get_one_product_and_unknown_or_malformed_ids() {
    let shop = Shop::new();
    let (status, product) = send(&shop.app, get("/products/1")).await;
    assert_eq!(status, 200);
    assert_eq!(product["id"], 1);
    for (path, expected) in [
        ("/products/999", 404),
        ("/products/-1", 404),
        ("/products/abc", 400),
        ("/products/1.5", 400),
        ("/products/99999999999999999999999", 400),
        ("/nowhere", 404),
    ] {
        let (status, body) = send(&shop.app, get(path)).await;
        assert_eq!(status, expected, "{path}: {body}");
    }
}

#[tokio::test]
async fn only_admins_create_products() {
    let shop = Shop::new();
    let body = json!({"name": "Milk jug", "price_cents": 1500, "stock": 7});

    let (status, error) = send(&shop.app, post("/products", None, &body)).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );

    let other_key = TokenKey::from_bytes(b"some-other-key-0123456789")
        .unwrap_or_else(|e| panic!("{e}"))
        .issue(1, "admin@shop.test", "admin", Duration::from_secs(600));
    let expired = key().sign(&Claims {
        sub: 1,
        email: "admin@shop.test".into(),
        role: "admin".into(),
        exp: 1,
    });
    // A customer's token with its role changed to admin, the signature kept.
    let tampered = tampered(
        &customer_token(),
        &Claims {
            sub: 2,
            email: "ann@shop.test".into(),
            role: "admin".into(),
            exp: u64::MAX / 2,
        },
    );
    for token in [
        "garbage",
        "a.b.c",
        other_key.as_str(),
        expired.as_str(),
        tampered.as_str(),
    ] {
        let (status, error) = send(&shop.app, post("/products", Some(token), &body)).await;
        assert_eq!(status, 401, "{token}: {error}");
    }
    let basic = Request::post("/products")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, "Basic YWRtaW46YWRtaW4=")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(send(&shop.app, basic).await.0, 401);

    let (status, error) = send(&shop.app, post("/products", Some(&customer_token()), &body)).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    let (status, product) = send(&shop.app, post("/products", Some(&admin_token()), &body)).await;
    assert_eq!(status, 201, "{product}");
    assert_eq!(product["name"], "Milk jug");
    assert_eq!(product["price_cents"], 1500);
    assert_eq!(product["stock"], 7);
    let id = product["id"].as_i64().unwrap_or_default();
    assert_eq!(
        send(&shop.app, get(&format!("/products/{id}"))).await.1,
        product
    );
    let (_, products) = send(&shop.app, get("/products")).await;
    assert_eq!(products.as_array().map(Vec::len), Some(6));
}

/// Reservations are orders' alone: anyone else, a user token included, is refused before
/// the body is read, and nothing is reserved.
#[tokio::test]
async fn only_orders_reserves_stock() {
    let shop = Shop::new();
    let before = stock_of(&shop.app, 1).await;
    let body = reservation("ord-who", &[(1, 1)]);
    let reserve = || post("/reservations", None, &body);
    let wrong_token = identity("orders", PAYMENTS_TOKEN);
    let payments = identity("payments", PAYMENTS_TOKEN);
    let refused = [
        ("no credential", reserve()),
        (
            "an admin's user token",
            post("/reservations", Some(&admin_token()), &body),
        ),
        (
            "orders' name with another token",
            with_credential(reserve(), &wrong_token),
        ),
        (
            "payments' credential",
            with_credential(reserve(), &payments),
        ),
        ("junk", {
            let mut request = reserve();
            request.headers_mut().insert(
                "x-service-credential",
                header::HeaderValue::from_static("orders"),
            );
            request
        }),
    ];
    for (what, request) in refused {
        let (status, error) = send(&shop.app, request).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{what}: {error}"
        );
    }
    for path in [
        "/reservations/ord-who/release",
        "/reservations/ord-who/commit",
    ] {
        assert_eq!(
            send(&shop.app, post_raw(path, None, "")).await.0,
            401,
            "{path}"
        );
    }
    assert_eq!(send(&shop.app, get("/reservations/ord-who")).await.0, 401);

    // A service products knows that is not orders: 403.
    let knows_payments = replica_verifying(
        &shop.dir,
        orders_only()
            .with_digest("payments", &identity_digest(PAYMENTS_TOKEN))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let (status, error) = send(&knows_payments, with_credential(reserve(), &payments)).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{error}"
    );
    assert_eq!(stock_of(&shop.app, 1).await, before);

    let (status, created) = send(&shop.app, from_orders(reserve())).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(stock_of(&shop.app, 1).await, before - 1);
}

#[tokio::test]
async fn bad_product_bodies_are_4xx_json() {
    let shop = Shop::new();
    let token = admin_token();
    let cases: Vec<(String, u16)> = vec![
        (r#"{"name":"Mug","price_cents":100,"#.into(), 400),
        ("not json".into(), 400),
        ("".into(), 400),
        (r#"{"name":"Mug","price_cents":100}"#.into(), 422),
        (
            r#"{"name":"Mug","price_cents":"100","stock":1}"#.into(),
            422,
        ),
        (r#"{"name":"Mug","price_cents":1.5,"stock":1}"#.into(), 422),
        (r#"{"name":7,"price_cents":100,"stock":1}"#.into(), 422),
        (r#"[1,2,3]"#.into(), 422),
        (r#"{"name":"Mug","price_cents":-1,"stock":1}"#.into(), 400),
        (r#"{"name":"Mug","price_cents":100,"stock":-3}"#.into(), 400),
        (r#"{"name":"   ","price_cents":100,"stock":1}"#.into(), 400),
        (
            json!({"name": "x".repeat(201), "price_cents": 1, "stock": 1}).to_string(),
            400,
        ),
        (
            json!({"name": "x".repeat(70 * 1024), "price_cents": 1, "stock": 1}).to_string(),
            413,
        ),
    ];
    for (body, expected) in cases {
        let (status, error) =
            send(&shop.app, post_raw("/products", Some(&token), body.clone())).await;
        assert_eq!(status, expected, "{body:.80}: {error}");
    }
    let text = Request::post("/products")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(r#"{"name":"Mug","price_cents":1,"stock":1}"#))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(send(&shop.app, text).await.0, 415);
    let (_, products) = send(&shop.app, get("/products")).await;
    assert_eq!(
        products.as_array().map(Vec::len),
        Some(5),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_reservation_takes_every_item_and_a_repeat_takes_nothing_more() {
    let shop = Shop::new();
    let kettle = create_product(&shop.app, "Kettle", 10).await;
    let cup = create_product(&shop.app, "Cup", 10).await;
    let request = reservation("ord-1", &[(kettle, 2), (cup, 3)]);

    let (status, created) = send(
        &shop.app,
        from_orders(post("/reservations", None, &request)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["reservation_id"].is_string(), "{created}");
    assert_eq!(created["order_id"], "ord-1");
    assert_eq!(created["status"], "reserved");
    assert_eq!(
        created["items"],
        json!([{"product_id": kettle, "quantity": 2}, {"product_id": cup, "quantity": 3}])
    );
    assert_eq!(stock_of(&shop.app, kettle).await, 8);
    assert_eq!(stock_of(&shop.app, cup).await, 7);

    // The same order again, items in another order: the same reservation, no more stock.
    let reordered = reservation("ord-1", &[(cup, 3), (kettle, 2)]);
    let (status, repeated) = send(
        &shop.app,
        from_orders(post("/reservations", None, &reordered)),
    )
    .await;
    assert_eq!((status, &repeated), (200, &created));
    assert_eq!(stock_of(&shop.app, kettle).await, 8);
    assert_eq!(stock_of(&shop.app, cup).await, 7);

    // The same order with other items is a conflict, not a second reservation.
    let different = reservation("ord-1", &[(kettle, 1)]);
    let (status, error) = send(
        &shop.app,
        from_orders(post("/reservations", None, &different)),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(stock_of(&shop.app, kettle).await, 8);

    let (status, fetched) = send(&shop.app, from_orders(get("/reservations/ord-1"))).await;
    assert_eq!((status, &fetched), (200, &created));
    assert_eq!(
        send(&shop.app, from_orders(get("/reservations/ord-unknown")))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_product_named_twice_in_one_reservation_counts_both() {
    let shop = Shop::new();
    let cup = create_product(&shop.app, "Cup", 10).await;
    let request = reservation("ord-twice", &[(cup, 2), (cup, 3)]);
    let (status, created) = send(
        &shop.app,
        from_orders(post("/reservations", None, &request)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["items"],
        json!([{"product_id": cup, "quantity": 5}])
    );
    assert_eq!(stock_of(&shop.app, cup).await, 5);
}

#[tokio::test]
async fn a_short_item_fails_the_whole_reservation_and_names_the_product() {
    let shop = Shop::new();
    let kettle = create_product(&shop.app, "Kettle", 10).await;
    let grinder = create_product(&shop.app, "Grinder", 1).await;
    let request = reservation("ord-short", &[(kettle, 4), (grinder, 2)]);

    let (status, error) = send(
        &shop.app,
        from_orders(post("/reservations", None, &request)),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"]["code"], "insufficient_stock");
    assert_eq!(error["error"]["product_id"], grinder);
    assert_eq!(error["error"]["requested"], 2);
    assert_eq!(error["error"]["available"], 1);
    let message = error["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("product {grinder}")), "{message}");
    // Nothing was taken, not even the kettles that were in stock.
    assert_eq!(stock_of(&shop.app, kettle).await, 10);
    assert_eq!(stock_of(&shop.app, grinder).await, 1);
    assert_eq!(
        send(&shop.app, from_orders(get("/reservations/ord-short")))
            .await
            .0,
        404
    );

    // An unknown product fails it the same way.
    let unknown = reservation("ord-unknown", &[(kettle, 1), (4242, 1)]);
    let (status, error) = send(
        &shop.app,
        from_orders(post("/reservations", None, &unknown)),
    )
    .await;
    assert_eq!(status, 404, "{error}");
    assert!(error["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("4242")));
    assert_eq!(stock_of(&shop.app, kettle).await, 10);

    // Once stock is back, the same order id may reserve: a failure recorded nothing.
    let fits = reservation("ord-short", &[(kettle, 4), (grinder, 1)]);
    assert_eq!(
        send(&shop.app, from_orders(post("/reservations", None, &fits)))
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn bad_reservation_bodies_are_4xx_json_and_take_nothing() {
    let shop = Shop::new();
    let before = stock_of(&shop.app, 1).await;
    let cases: Vec<(String, u16)> = vec![
        (r#"{"order_id":"o","items":[{"product_id":1,"quantity":1}"#.into(), 400),
        (r#"{"order_id":"o"}"#.into(), 422),
        (r#"{"items":[{"product_id":1,"quantity":1}]}"#.into(), 422),
        (r#"{"order_id":17,"items":[{"product_id":1,"quantity":1}]}"#.into(), 422),
        (r#"{"order_id":"o","items":{"product_id":1}}"#.into(), 422),
        (r#"{"order_id":"o","items":[{"product_id":"1","quantity":1}]}"#.into(), 422),
        (r#"{"order_id":"o","items":[{"product_id":1}]}"#.into(), 422),
        (r#"{"order_id":"o","items":[{"product_id":1,"quantity":0}]}"#.into(), 400),
        (r#"{"order_id":"o","items":[{"product_id":1,"quantity":-5}]}"#.into(), 400),
        (
            r#"{"order_id":"o","items":[{"product_id":1,"quantity":9223372036854775807},{"product_id":1,"quantity":1}]}"#.into(),
            400,
        ),
        (r#"{"order_id":"o","items":[]}"#.into(), 400),
        (r#"{"order_id":"","items":[{"product_id":1,"quantity":1}]}"#.into(), 400),
        (
            reservation(&"o".repeat(129), &[(1, 1)]).to_string(),
            400,
        ),
        (
            reservation("o", &vec![(1, 1); 8000]).to_string(),
            413,
        ),
    ];
    for (body, expected) in cases {
        let (status, error) = send(
            &shop.app,
            from_orders(post_raw("/reservations", None, body.clone())),
        )
        .await;
        assert_eq!(status, expected, "{body:.100}: {error}");
    }
    let huge_quantity = reservation("o-huge", &[(1, i64::MAX)]);
    let (status, error) = send(
        &shop.app,
        from_orders(post("/reservations", None, &huge_quantity)),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(stock_of(&shop.app, 1).await, before);
}

#[tokio::test]
async fn release_gives_stock_back_once() {
    let shop = Shop::new();
    let cup = create_product(&shop.app, "Cup", 10).await;
    let request = reservation("ord-rel", &[(cup, 4)]);
    assert_eq!(
        send(
            &shop.app,
            from_orders(post("/reservations", None, &request))
        )
        .await
        .0,
        201
    );
    assert_eq!(stock_of(&shop.app, cup).await, 6);

    let release = || from_orders(post_raw("/reservations/ord-rel/release", None, ""));
    let (status, released) = send(&shop.app, release()).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    assert_eq!(stock_of(&shop.app, cup).await, 10);
    let (status, again) = send(&shop.app, release()).await;
    assert_eq!((status, &again), (200, &released));
    assert_eq!(stock_of(&shop.app, cup).await, 10, "released once only");

    // A released reservation is final: its stock may already be sold again.
    let (status, error) = send(
        &shop.app,
        from_orders(post_raw("/reservations/ord-rel/commit", None, "")),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    // Reserving the same order again returns the released reservation, taking nothing.
    let (status, repeated) = send(
        &shop.app,
        from_orders(post("/reservations", None, &request)),
    )
    .await;
    assert_eq!(
        (status, repeated["status"].as_str()),
        (200, Some("released"))
    );
    assert_eq!(stock_of(&shop.app, cup).await, 10);

    let (status, _) = send(
        &shop.app,
        from_orders(post_raw("/reservations/nope/release", None, "")),
    )
    .await;
    assert_eq!(status, 404);
    let long = format!("/reservations/{}/release", "x".repeat(200));
    assert_eq!(
        send(&shop.app, from_orders(post_raw(&long, None, "")))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn commit_keeps_stock_taken_and_is_idempotent() {
    let shop = Shop::new();
    let cup = create_product(&shop.app, "Cup", 10).await;
    let request = reservation("ord-com", &[(cup, 3)]);
    assert_eq!(
        send(
            &shop.app,
            from_orders(post("/reservations", None, &request))
        )
        .await
        .0,
        201
    );

    let commit = || from_orders(post_raw("/reservations/ord-com/commit", None, ""));
    let (status, committed) = send(&shop.app, commit()).await;
    assert_eq!(status, 200, "{committed}");
    assert_eq!(committed["status"], "committed");
    assert_eq!(send(&shop.app, commit()).await, (200, committed));
    assert_eq!(stock_of(&shop.app, cup).await, 7);

    let (status, error) = send(
        &shop.app,
        from_orders(post_raw("/reservations/ord-com/release", None, "")),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(stock_of(&shop.app, cup).await, 7);
    assert_eq!(
        send(
            &shop.app,
            from_orders(post_raw("/reservations/nope/commit", None, ""))
        )
        .await
        .0,
        404
    );
}

/// Two replicas on one database file, many more concurrent orders than units: exactly
/// `stock` reservations succeed, every other one is a 409, and the stock ends at zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_on_two_replicas_never_oversell() {
    const STOCK: i64 = 7;
    const ORDERS: usize = 40;
    let shop = Shop::new();
    let second = replica(&shop.dir);
    let scarce = create_product(&shop.app, "Last few", STOCK).await;
    let plenty = create_product(&shop.app, "Plenty", 1000).await;

    let mut tasks = Vec::new();
    for n in 0..ORDERS {
        let app = if n % 2 == 0 {
            shop.app.clone()
        } else {
            second.clone()
        };
        // Every order also takes an item in stock: a failed order must give it back.
        let body = reservation(&format!("ord-{n}"), &[(plenty, 1), (scarce, 1)]);
        tasks.push(tokio::spawn(async move {
            send(&app, from_orders(post("/reservations", None, &body))).await
        }));
    }
    let mut created = 0;
    let mut short = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap_or_else(|e| panic!("{e}"));
        match status {
            201 => created += 1,
            409 => {
                assert_eq!(body["error"]["product_id"], scarce, "{body}");
                short += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((created, short), (STOCK, ORDERS as i64 - STOCK));
    assert_eq!(stock_of(&shop.app, scarce).await, 0);
    assert_eq!(stock_of(&second, scarce).await, 0);
    assert_eq!(stock_of(&shop.app, plenty).await, 1000 - STOCK);
}

/// The same order sent to both replicas at once (a retry racing the original) is one
/// reservation: the stock is taken once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_of_one_order_reserve_once() {
    let shop = Shop::new();
    let second = replica(&shop.dir);
    let cup = create_product(&shop.app, "Cup", 100).await;
    let body = reservation("ord-dup", &[(cup, 5)]);
    let mut tasks = Vec::new();
    for n in 0..16 {
        let app = if n % 2 == 0 {
            shop.app.clone()
        } else {
            second.clone()
        };
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            send(&app, from_orders(post("/reservations", None, &body))).await
        }));
    }
    let mut statuses = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, reservation) = task.await.unwrap_or_else(|e| panic!("{e}"));
        statuses.push(status);
        ids.insert(reservation["reservation_id"].to_string());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(stock_of(&shop.app, cup).await, 95);
}

/// Reservations, releases and commits interleaved across two replicas: the stock always
/// equals what it started with minus what is reserved or committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_reserve_release_and_commit_keep_stock_consistent() {
    const STOCK: i64 = 5;
    let shop = Shop::new();
    let second = replica(&shop.dir);
    let item = create_product(&shop.app, "Item", STOCK).await;
    let mut tasks = Vec::new();
    for n in 0..30 {
        let app = if n % 2 == 0 {
            shop.app.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let order_id = format!("ord-{n}");
            let (status, _) = send(
                &app,
                from_orders(post(
                    "/reservations",
                    None,
                    &reservation(&order_id, &[(item, 1)]),
                )),
            )
            .await;
            if status == 201 {
                let action = if n % 3 == 0 { "commit" } else { "release" };
                let path = format!("/reservations/{order_id}/{action}");
                let (status, body) = send(&app, from_orders(post_raw(&path, None, ""))).await;
                assert_eq!(status, 200, "{body}");
                return i64::from(action == "commit");
            }
            assert_eq!(status, 409);
            0
        }));
    }
    let mut committed = 0;
    for task in tasks {
        committed += task.await.unwrap_or_else(|e| panic!("{e}"));
    }
    let stock = stock_of(&shop.app, item).await;
    assert!((0..=STOCK).contains(&stock), "{stock}");
    assert_eq!(stock, STOCK - committed);
}

#[tokio::test]
async fn health_readiness_and_metrics_are_served() {
    let shop = Shop::new();
    assert_eq!(
        send(&shop.app, get("/healthz")).await,
        (200, json!({"status": "ok"}))
    );
    assert_eq!(
        send(&shop.app, get("/readyz")).await,
        (200, json!({"status": "ready"}))
    );
    send(&shop.app, get("/products/1")).await;
    let response = shop
        .app
        .clone()
        .oneshot(get("/metrics"))
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), 200);
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/products/{id}",status="200"} 1"#),
        "{text}"
    );
}
