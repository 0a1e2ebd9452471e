//! orders in process: every endpoint, bad input, idempotent placing, and the outbox, against
//! fake products and payments servers.

#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use shop_common::reqwest;
use support::*;

const WAIT: Duration = Duration::from_secs(10);

/// Products 1 (12.50, 10 in stock), 2 (3.00, 100 in stock) and 3 (free, 5 in stock).
fn catalogue() -> FakeProducts {
    FakeProducts::with_catalogue(&[(1, 1250, 10), (2, 300, 100), (3, 0, 5)])
}

struct Shop {
    products: FakeProducts,
    payments: FakePayments,
    orders: Orders,
}

/// orders with both fakes up; the outbox worker runs when `worker`.
async fn shop(worker: bool) -> Shop {
    let products = catalogue();
    let payments = FakePayments::default();
    let products_addr = products.start().await;
    let payments_addr = payments.start().await;
    let orders = Orders::start(
        &format!("http://{products_addr}"),
        &format!("http://{payments_addr}"),
        worker,
    )
    .await;
    Shop {
        products,
        payments,
        orders,
    }
}

fn items(lines: &[(i64, i64)]) -> Value {
    json!({"items": lines.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect::<Vec<_>>()})
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().unwrap().to_string()
}

async fn status_of(orders: &Orders, user_id: i64, order_id: &str) -> String {
    let (status, body) = orders.get(user_id, &format!("/orders/{order_id}")).await;
    assert_eq!(status, 200, "{body}");
    body["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn placing_an_order_prices_it_reserves_stock_and_keeps_it_pending() {
    let shop = shop(false).await;
    let (status, order) = shop
        .orders
        .place(7, "k1", items(&[(1, 2), (2, 1), (1, 1)]))
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total_cents"], 3 * 1250 + 300);
    assert_eq!(
        order["items"],
        json!([
            {"product_id": 1, "quantity": 3, "price_cents": 1250},
            {"product_id": 2, "quantity": 1, "price_cents": 300},
        ])
    );
    let order_id = id_of(&order);
    assert_eq!(shop.products.stock(1), 7);
    assert_eq!(
        shop.products.reservation(&order_id).unwrap().items,
        vec![(1, 3), (2, 1)]
    );
    // The charge waits in the outbox, written with the order.
    assert_eq!(
        shop.orders.count(&format!(
            "SELECT count(*) FROM outbox WHERE order_id = '{order_id}' AND kind = 'charge' AND amount_cents = 4050"
        )),
        1
    );

    let (status, fetched) = shop.orders.get(7, &format!("/orders/{order_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, order);
    let (status, list) = shop.orders.get(7, "/orders").await;
    assert_eq!(status, 200);
    assert_eq!(list["orders"], json!([order]));
}

#[tokio::test]
async fn orders_list_newest_first_and_only_the_callers_own() {
    let shop = shop(false).await;
    let (_, first) = shop.orders.place(1, "a", items(&[(2, 1)])).await;
    let (_, second) = shop.orders.place(1, "b", items(&[(2, 2)])).await;
    let (_, others) = shop.orders.place(2, "a", items(&[(2, 3)])).await;

    let (_, list) = shop.orders.get(1, "/orders").await;
    let ids: Vec<&str> = list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id_of(&second), id_of(&first)]);

    // Another user's order does not exist for this user.
    let response = shop
        .orders
        .get(1, &format!("/orders/{}", id_of(&others)))
        .await;
    assert_json_error("another user's order", &response, 404);
    let (_, list) = shop.orders.get(3, "/orders").await;
    assert_eq!(list, json!({"orders": []}));
}

#[tokio::test]
async fn unknown_order_ids_are_404() {
    let shop = shop(false).await;
    for path in [
        "/orders/nope",
        "/orders/0",
        &format!("/orders/{}", "x".repeat(500)),
    ] {
        let response = shop.orders.get(1, path).await;
        assert_json_error(path, &response, 404);
    }
}

#[tokio::test]
async fn a_retried_request_returns_the_same_order_with_200() {
    let shop = shop(false).await;
    let (status, first) = shop.orders.place(5, "retry-me", items(&[(1, 1)])).await;
    assert_eq!(status, 201);
    let (status, again) = shop.orders.place(5, "retry-me", items(&[(1, 1)])).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, first);
    assert_eq!(shop.products.reserve_calls(), 1);
    assert_eq!(shop.products.stock(1), 9);
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 1);
    assert_eq!(shop.orders.count("SELECT count(*) FROM outbox"), 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_order() {
    let shop = shop(false).await;
    // A slow reservation keeps the first request in flight while the others arrive.
    shop.products.set_reserve_delay(Duration::from_millis(200));
    let requests = (0..8).map(|_| shop.orders.place(9, "double-click", items(&[(2, 4)])));
    let answers = futures_util::future::join_all(requests).await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let repeated = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, repeated), (1, 7), "{answers:?}");
    let first = &answers[0].1;
    assert!(answers.iter().all(|(_, body)| body == first), "{answers:?}");
    assert_eq!(shop.products.reserve_calls(), 1);
    assert_eq!(shop.products.stock(2), 96);
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 1);
}

#[tokio::test]
async fn concurrent_requests_on_two_replicas_make_one_order() {
    let shop = shop(false).await;
    let replica = shop.orders.replica(false).await;
    shop.products.set_reserve_delay(Duration::from_millis(100));
    let body = items(&[(1, 1)]);
    let (a, b) = tokio::join!(
        shop.orders.place(4, "k", body.clone()),
        replica.place(4, "k", body.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "{a:?} {b:?}");
    assert_eq!(a.1, b.1);
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 1);
}

#[tokio::test]
async fn one_key_for_other_items_is_a_conflict_and_keys_are_per_user() {
    let shop = shop(false).await;
    let (status, _) = shop.orders.place(1, "k", items(&[(1, 1)])).await;
    assert_eq!(status, 201);
    let response = shop.orders.place(1, "k", items(&[(1, 2)])).await;
    assert_json_error("same key, other items", &response, 409);
    // The same key of another user is another order.
    let (status, _) = shop.orders.place(2, "k", items(&[(1, 2)])).await;
    assert_eq!(status, 201);
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 2);
}

#[tokio::test]
async fn short_stock_is_409_and_leaves_no_order() {
    let shop = shop(false).await;
    let response = shop.orders.place(1, "big", items(&[(1, 11)])).await;
    assert_json_error("more than the stock", &response, 409);
    assert!(
        response.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only 10"),
        "{}",
        response.1
    );
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 0);
    assert_eq!(shop.products.stock(1), 10);
    // The key was given back: the same key with what is in stock works.
    let (status, _) = shop.orders.place(1, "big", items(&[(1, 10)])).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn unknown_products_are_404() {
    let shop = shop(false).await;
    let response = shop.orders.place(1, "k", items(&[(1, 1), (99, 1)])).await;
    assert_json_error("unknown product", &response, 404);
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 0);
    assert_eq!(shop.products.reserve_calls(), 0);
}

#[tokio::test]
async fn products_unreachable_is_503_and_no_order_is_kept() {
    let payments = FakePayments::default();
    let payments_addr = payments.start().await;
    let port = closed_port().await;
    let orders = Orders::start(
        &format!("http://127.0.0.1:{port}"),
        &format!("http://{payments_addr}"),
        true,
    )
    .await;
    let response = orders.place(1, "k", items(&[(1, 1)])).await;
    assert_json_error("products down", &response, 503);
    assert_eq!(orders.count("SELECT count(*) FROM orders"), 0);
    assert_eq!(orders.count("SELECT count(*) FROM outbox"), 0);
    let (_, list) = orders.get(1, "/orders").await;
    assert_eq!(list, json!({"orders": []}));
}

#[tokio::test]
async fn bad_input_is_a_4xx_json_error() {
    let shop = shop(false).await;
    let orders = &shop.orders;
    let token = orders.token(1);
    let post = |body: &'static str| {
        orders
            .http
            .post(orders.url("/orders"))
            .bearer_auth(&token)
            .header("idempotency-key", "k")
            .header("content-type", "application/json")
            .body(body)
    };
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("malformed JSON", post("{\"items\": [")),
        ("not an object", post("[1, 2]")),
        ("missing items", post("{}")),
        ("items not a list", post(r#"{"items": 3}"#)),
        (
            "missing quantity",
            post(r#"{"items": [{"product_id": 1}]}"#),
        ),
        (
            "missing product_id",
            post(r#"{"items": [{"quantity": 1}]}"#),
        ),
        (
            "quantity as a string",
            post(r#"{"items": [{"product_id": 1, "quantity": "2"}]}"#),
        ),
        (
            "fractional quantity",
            post(r#"{"items": [{"product_id": 1, "quantity": 1.5}]}"#),
        ),
        (
            "negative quantity",
            post(r#"{"items": [{"product_id": 1, "quantity": -1}]}"#),
        ),
        (
            "zero quantity",
            post(r#"{"items": [{"product_id": 1, "quantity": 0}]}"#),
        ),
        (
            "huge quantity",
            post(r#"{"items": [{"product_id": 1, "quantity": 99999999999999999999}]}"#),
        ),
        (
            "negative product id",
            post(r#"{"items": [{"product_id": -4, "quantity": 1}]}"#),
        ),
        ("no items", post(r#"{"items": []}"#)),
        (
            "no content type",
            orders
                .http
                .post(orders.url("/orders"))
                .bearer_auth(&token)
                .header("idempotency-key", "k")
                .body(r#"{"items": [{"product_id": 1, "quantity": 1}]}"#),
        ),
        (
            "no idempotency key",
            orders
                .http
                .post(orders.url("/orders"))
                .bearer_auth(&token)
                .json(&items(&[(1, 1)])),
        ),
        (
            "empty idempotency key",
            orders
                .http
                .post(orders.url("/orders"))
                .bearer_auth(&token)
                .header("idempotency-key", "")
                .json(&items(&[(1, 1)])),
        ),
        (
            "oversized body",
            orders
                .http
                .post(orders.url("/orders"))
                .bearer_auth(&token)
                .header("idempotency-key", "k")
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"items\": [], \"pad\": \"{}\"}}",
                    "x".repeat(100 * 1024)
                )),
        ),
    ];
    for (what, request) in cases {
        let response = send(request).await;
        assert!(
            (400..500).contains(&response.0),
            "{what}: {} {}",
            response.0,
            response.1
        );
        assert_json_error(what, &response, response.0);
    }
    assert_eq!(orders.count("SELECT count(*) FROM orders"), 0);
    assert_eq!(shop.products.reserve_calls(), 0);
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let shop = shop(false).await;
    let orders = &shop.orders;
    let other_key = shop_common::TokenKey::from_bytes(b"another-key-0123456789").unwrap();
    let forged = other_key.issue(1, "x@example.com", "customer", Duration::from_secs(60));
    // User 2's token changed to say user 1, its signature kept.
    let tampered = shop_common::testing::tampered(
        &orders.token(2),
        &shop_common::Claims {
            sub: 1,
            email: "user1@example.com".into(),
            role: "customer".into(),
            exp: u64::MAX / 2,
        },
    );
    let tokens = [
        ("no token", None),
        ("garbage", Some("not-a-token".to_string())),
        ("signed with another key", Some(forged)),
        ("expired", Some(orders.expired_token(1))),
        ("tampered", Some(tampered)),
    ];
    for (what, token) in tokens {
        for (method, path) in [
            ("POST", "/orders"),
            ("GET", "/orders"),
            ("GET", "/orders/abc"),
        ] {
            let mut request = orders
                .http
                .request(method.parse().unwrap(), orders.url(path))
                .header("idempotency-key", "k")
                .json(&items(&[(1, 1)]));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let response = send(request).await;
            assert_json_error(&format!("{what}: {method} {path}"), &response, 401);
        }
    }
    assert_eq!(orders.count("SELECT count(*) FROM orders"), 0);
}

#[tokio::test]
async fn a_successful_payment_makes_the_order_paid_and_commits_its_stock() {
    let mut shop = shop(false).await;
    let (_, order) = shop.orders.place(3, "k", items(&[(1, 2)])).await;
    let order_id = id_of(&order);
    let (status, answer) = shop.orders.notify(&order_id, "succeeded").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"order_id": order_id, "status": "paid"}));
    assert_eq!(status_of(&shop.orders, 3, &order_id).await, "paid");
    // Payments sends its notice again: nothing changes.
    let (status, _) = shop.orders.notify(&order_id, "succeeded").await;
    assert_eq!(status, 200);
    // The commit goes through the outbox.
    shop.orders.start_worker();
    eventually("the reservation committed", WAIT, || async {
        (shop.products.reservation(&order_id)?.status == "committed").then_some(())
    })
    .await;
    assert_eq!(shop.products.stock(1), 8);
    // The notice proved the charge arrived: it is not sent any more.
    assert_eq!(shop.payments.total_charges(), 0);
    // The other outcome now contradicts the recorded one.
    let response = shop.orders.notify(&order_id, "declined").await;
    assert_json_error("declined after paid", &response, 409);
}

#[tokio::test]
async fn a_declined_payment_fails_the_order_and_releases_its_stock() {
    let shop = shop(true).await;
    let (_, order) = shop.orders.place(3, "k", items(&[(1, 4), (2, 10)])).await;
    let order_id = id_of(&order);
    assert_eq!(shop.products.stock(1), 6);
    let (status, answer) = shop.orders.notify(&order_id, "declined").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "failed");
    assert_eq!(status_of(&shop.orders, 3, &order_id).await, "failed");
    eventually("the stock released", WAIT, || async {
        (shop.products.stock(1) == 10 && shop.products.stock(2) == 100).then_some(())
    })
    .await;
    assert_eq!(
        shop.products.reservation(&order_id).unwrap().status,
        "released"
    );
    let (status, _) = shop.orders.notify(&order_id, "declined").await;
    assert_eq!(status, 200);
    let response = shop.orders.notify(&order_id, "succeeded").await;
    assert_json_error("succeeded after failed", &response, 409);
}

#[tokio::test]
async fn payment_notices_for_unknown_orders_or_with_bad_bodies_are_4xx() {
    let shop = shop(false).await;
    let orders = &shop.orders;
    let response = orders.notify("no-such-order", "succeeded").await;
    assert_json_error("unknown order", &response, 404);
    let bodies = [
        json!({"order_id": "x", "status": "refunded"}),
        json!({"order_id": "x"}),
        json!({"status": "succeeded"}),
        json!({"order_id": 5, "status": "succeeded"}),
        json!("succeeded"),
    ];
    for body in bodies {
        let request = orders
            .http
            .post(orders.url("/internal/payments"))
            .json(&body);
        let response = send(payments_identity().authenticate(request)).await;
        assert!((400..500).contains(&response.0), "{body}: {response:?}");
        assert_json_error(&body.to_string(), &response, response.0);
    }
}

/// Only payments tells an order's outcome: without its credential, with a wrong one,
/// with a user's token or another service's credential the order stays pending.
#[tokio::test]
async fn only_payments_tells_an_orders_outcome() {
    let shop = shop(false).await;
    let orders = &shop.orders;
    let (_, order) = orders.place(1, "k", items(&[(1, 1)])).await;
    let order_id = id_of(&order);
    let cases = [
        ("no credential", None, 401),
        (
            "payments' name with another token",
            Some(identity("payments", ORDERS_TOKEN)),
            401,
        ),
        (
            "products' credential",
            Some(identity("products", PAYMENTS_TOKEN)),
            401,
        ),
        ("orders' own credential", Some(orders_identity()), 403),
    ];
    for (what, identity, expected) in cases {
        let response = orders
            .notify_as(identity.as_ref(), &order_id, "succeeded")
            .await;
        assert_json_error(what, &response, expected);
    }
    // A customer's token is no service credential.
    let request = orders
        .http
        .post(orders.url("/internal/payments"))
        .bearer_auth(orders.token(1))
        .json(&json!({"order_id": order_id, "status": "succeeded"}));
    assert_json_error("a user's token", &send(request).await, 401);
    assert_eq!(status_of(orders, 1, &order_id).await, "pending");

    let (status, answer) = orders.notify(&order_id, "succeeded").await;
    assert_eq!((status, &answer["status"]), (200, &json!("paid")));
}

#[tokio::test]
async fn the_outbox_charges_each_order_once() {
    let shop = shop(true).await;
    let (_, order) = shop.orders.place(1, "k", items(&[(1, 1), (2, 2)])).await;
    let order_id = id_of(&order);
    eventually("the charge", WAIT, || async {
        (!shop.payments.charges(&order_id).is_empty()).then_some(())
    })
    .await;
    assert_eq!(shop.payments.charges(&order_id), vec![1850]);
    // Delivered: it is not sent again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(shop.payments.charges(&order_id), vec![1850]);
    assert_eq!(
        shop.orders
            .count("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"),
        0
    );
}

#[tokio::test]
async fn an_order_placed_while_payments_is_down_is_charged_when_it_returns() {
    let products = catalogue();
    let products_addr = products.start().await;
    let port = closed_port().await;
    let orders = Orders::start(
        &format!("http://{products_addr}"),
        &format!("http://127.0.0.1:{port}"),
        true,
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let (status, order) = orders.place(1, &format!("k{n}"), items(&[(2, 1)])).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "pending");
        ids.push(id_of(&order));
    }
    // The worker keeps trying while payments is away.
    eventually("failed attempts", WAIT, || async {
        (orders.count("SELECT min(attempts) FROM outbox WHERE kind = 'charge'") >= 2).then_some(())
    })
    .await;
    assert_eq!(
        orders.count("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"),
        5
    );

    // Payments comes back on its address.
    let payments = FakePayments::default();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    serve_on(listener, payments.router());
    eventually("every order charged", WAIT, || async {
        (payments.charged_orders() == 5).then_some(())
    })
    .await;
    for id in &ids {
        assert_eq!(payments.charges(id), vec![300], "{id}");
        let (status, _) = orders.notify(id, "succeeded").await;
        assert_eq!(status, 200);
        assert_eq!(status_of(&orders, 1, id).await, "paid");
    }
}

#[tokio::test]
async fn a_payments_503_is_retried_with_backoff() {
    let shop = shop(true).await;
    shop.payments.set_mode(PaymentsMode::Unavailable);
    let (_, order) = shop.orders.place(1, "k", items(&[(2, 1)])).await;
    let order_id = id_of(&order);
    eventually("refused charges", WAIT, || async {
        (shop.payments.refused() >= 3).then_some(())
    })
    .await;
    let last_error: String = {
        let conn = shop_common::rusqlite::Connection::open(&shop.orders.db_path).unwrap();
        conn.query_row("SELECT last_error FROM outbox", [], |r| r.get(0))
            .unwrap()
    };
    assert!(last_error.contains("503"), "{last_error}");
    shop.payments.set_mode(PaymentsMode::Accept);
    eventually("the charge accepted", WAIT, || async {
        (shop.payments.charges(&order_id).len() == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_outcome_in_the_charge_answer_is_recorded_at_once() {
    let shop = shop(true).await;
    shop.payments.set_mode(PaymentsMode::Decide("declined"));
    let (_, order) = shop.orders.place(1, "k", items(&[(1, 1)])).await;
    let order_id = id_of(&order);
    eventually("the order failed", WAIT, || async {
        (status_of(&shop.orders, 1, &order_id).await == "failed").then_some(())
    })
    .await;
    eventually("the stock released", WAIT, || async {
        (shop.products.stock(1) == 10).then_some(())
    })
    .await;
    // The callback that follows changes nothing.
    let (status, answer) = shop.orders.notify(&order_id, "declined").await;
    assert_eq!((status, &answer["status"]), (200, &json!("failed")));
}

#[tokio::test]
async fn two_replicas_workers_send_each_charge_once() {
    let shop = shop(true).await;
    let replica = shop.orders.replica(true).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let orders = if n % 2 == 0 { &shop.orders } else { &replica };
        let (status, order) = orders.place(1, &format!("k{n}"), items(&[(2, 1)])).await;
        assert_eq!(status, 201);
        ids.push(id_of(&order));
    }
    eventually("every order charged", WAIT, || async {
        (shop.payments.charged_orders() == 20).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(shop.payments.total_charges(), 20);
    for id in ids {
        assert_eq!(shop.payments.charges(&id).len(), 1, "{id}");
    }
}

#[tokio::test]
async fn a_free_order_is_paid_at_once_and_never_charged() {
    let shop = shop(true).await;
    let (status, order) = shop.orders.place(1, "k", items(&[(3, 2)])).await;
    assert_eq!(status, 201);
    assert_eq!(order["status"], "paid");
    assert_eq!(order["total_cents"], 0);
    let order_id = id_of(&order);
    eventually("the reservation committed", WAIT, || async {
        (shop.products.reservation(&order_id)?.status == "committed").then_some(())
    })
    .await;
    assert_eq!(shop.payments.total_charges(), 0);
}

#[tokio::test]
async fn the_claim_of_a_request_that_died_is_swept_and_its_stock_released() {
    let mut shop = shop(false).await;
    // A replica reserved stock for a claimed order, then died before storing it.
    let lines =
        shop_orders::domain::OrderLines::parse(&serde_json::from_value(items(&[(1, 3)])).unwrap())
            .unwrap();
    let claim = shop
        .orders
        .state
        .db
        .call(move |conn| {
            shop_orders::store::claim(conn, 1, "lost", &lines, shop_orders::now_ms(), -1)
        })
        .await
        .unwrap();
    let shop_orders::store::Claim::New { order_id } = claim else {
        panic!("{claim:?}");
    };
    shop.orders
        .state
        .products
        .reserve(
            &order_id,
            &[shop_orders::domain::OrderLine {
                product_id: 1,
                quantity: 3,
            }],
        )
        .await
        .unwrap();
    assert_eq!(shop.products.stock(1), 7);
    shop.orders.start_worker();
    eventually("the stock released", WAIT, || async {
        (shop.products.stock(1) == 10).then_some(())
    })
    .await;
    assert_eq!(shop.orders.count("SELECT count(*) FROM orders"), 0);
    // The key is free again.
    let (status, _) = shop.orders.place(1, "lost", items(&[(1, 3)])).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let shop = shop(true).await;
    let orders = &shop.orders;
    let (status, body) = send(orders.http.get(orders.url("/healthz"))).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = send(orders.http.get(orders.url("/readyz"))).await;
    assert_eq!((status, body), (200, json!({"status": "ready"})));
    orders.place(1, "k", items(&[(2, 1)])).await;
    let metrics = orders
        .http
        .get(orders.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"http_requests_total{method="POST",route="/orders",status="201"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("orders_created_total 1"), "{metrics}");
    let response = send(orders.http.get(orders.url("/nowhere"))).await;
    assert_json_error("unknown path", &response, 404);
    let response = send(orders.http.delete(orders.url("/orders"))).await;
    assert_json_error("wrong method", &response, 405);
}
