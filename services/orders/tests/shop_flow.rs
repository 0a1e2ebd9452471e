//! orders against the real products and payments services (in process, each on its own
//! database): the contract between the three, from placing an order to paid or failed.

#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use shop_common::{reqwest, Db, TokenKey};
use shop_payments::domain::{FailureRate, ProcessorSettings};
use shop_payments::{CallbackSettings, Settings};
use support::*;
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(15);

struct RealShop {
    orders: Orders,
    products_url: String,
    payments_url: String,
    _dir: tempfile::TempDir,
}

/// products, payments (declining every charge when `decline`) and orders, all running
/// with their workers, calling each other over loopback.
async fn real_shop(decline: bool) -> RealShop {
    let dir = tempfile::tempdir().unwrap();
    let key = TokenKey::from_bytes(KEY).unwrap();

    let products = shop_products::AppState::open(
        &dir.path().join("products.db"),
        key,
        verifying("orders", ORDERS_TOKEN),
    )
    .unwrap();
    let (products_addr, _) = spawn_server(shop_products::app(products)).await;

    let orders_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let orders_url = format!("http://{}", orders_listener.local_addr().unwrap());
    let mut callbacks = CallbackSettings::new(orders_url);
    callbacks.initial_backoff = Duration::from_millis(50);
    callbacks.max_backoff = Duration::from_millis(200);
    callbacks.poll_interval = Duration::from_millis(50);
    let settings = Settings {
        processor: ProcessorSettings {
            latency: Duration::from_millis(10),
            failure_rate: if decline {
                FailureRate::ALWAYS
            } else {
                FailureRate::NEVER
            },
        },
        callbacks,
    };
    let payments_db = Db::open(
        &dir.path().join("payments.db"),
        shop_payments::store::MIGRATIONS,
    )
    .unwrap();
    let payments = shop_payments::AppState::new(
        payments_db,
        settings,
        payments_identity(),
        verifying("orders", ORDERS_TOKEN),
    );
    shop_payments::spawn_callback_worker(payments.clone());
    let (payments_addr, _) = spawn_server(shop_payments::app(payments)).await;

    let products_url = format!("http://{products_addr}");
    let payments_url = format!("http://{payments_addr}");
    let orders =
        Orders::start_on_listener(orders_listener, &products_url, &payments_url, true).await;
    RealShop {
        orders,
        products_url,
        payments_url,
        _dir: dir,
    }
}

async fn get_json(url: &str) -> (u16, Value) {
    send(reqwest::Client::new().get(url)).await
}

/// `GET url` with orders' credential: reservations and charges are orders' to read.
async fn get_as_orders(url: &str) -> (u16, Value) {
    send(orders_identity().authenticate(reqwest::Client::new().get(url))).await
}

async fn stock(shop: &RealShop, product_id: i64) -> i64 {
    let (status, product) = get_json(&format!("{}/products/{product_id}", shop.products_url)).await;
    assert_eq!(status, 200, "{product}");
    product["stock"].as_i64().unwrap()
}

async fn wait_for_status(shop: &RealShop, order_id: &str, wanted: &str) {
    eventually(&format!("order {order_id} {wanted}"), WAIT, || async {
        let (_, order) = shop.orders.get(1, &format!("/orders/{order_id}")).await;
        (order["status"] == wanted).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_order_is_reserved_charged_paid_and_its_stock_committed() {
    let shop = real_shop(false).await;
    let before = stock(&shop, 1).await;
    let (_, product) = get_json(&format!("{}/products/1", shop.products_url)).await;
    let price = product["price_cents"].as_i64().unwrap();

    let body = json!({"items": [{"product_id": 1, "quantity": 2}]});
    let (status, order) = shop.orders.place(1, "flow-1", body.clone()).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["total_cents"], 2 * price);
    let order_id = order["id"].as_str().unwrap().to_string();
    assert_eq!(stock(&shop, 1).await, before - 2);

    wait_for_status(&shop, &order_id, "paid").await;
    let (status, charge) =
        get_as_orders(&format!("{}/charges/{order_id}", shop.payments_url)).await;
    assert_eq!(status, 200, "{charge}");
    assert_eq!(
        (&charge["amount_cents"], &charge["status"]),
        (&json!(2 * price), &json!("succeeded"))
    );
    eventually("the reservation committed", WAIT, || async {
        let (_, reservation) =
            get_as_orders(&format!("{}/reservations/{order_id}", shop.products_url)).await;
        (reservation["status"] == "committed").then_some(())
    })
    .await;
    assert_eq!(stock(&shop, 1).await, before - 2);

    // A retry of the request changes nothing anywhere.
    let (status, again) = shop.orders.place(1, "flow-1", body).await;
    assert_eq!((status, &again["id"]), (200, &json!(order_id)));
    assert_eq!(stock(&shop, 1).await, before - 2);
}

#[tokio::test]
async fn a_declined_charge_fails_the_order_and_gives_the_stock_back() {
    let shop = real_shop(true).await;
    let before = stock(&shop, 2).await;
    let (status, order) = shop
        .orders
        .place(
            1,
            "flow-2",
            json!({"items": [{"product_id": 2, "quantity": 3}]}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let order_id = order["id"].as_str().unwrap().to_string();
    wait_for_status(&shop, &order_id, "failed").await;
    eventually("the stock given back", WAIT, || async {
        (stock(&shop, 2).await == before).then_some(())
    })
    .await;
    let (_, reservation) =
        get_as_orders(&format!("{}/reservations/{order_id}", shop.products_url)).await;
    assert_eq!(reservation["status"], "released");
}

#[tokio::test]
async fn more_than_the_stock_is_a_409_from_products_passed_on() {
    let shop = real_shop(false).await;
    let available = stock(&shop, 4).await;
    let response = shop
        .orders
        .place(
            1,
            "flow-3",
            json!({"items": [{"product_id": 4, "quantity": available + 1}]}),
        )
        .await;
    assert_json_error("over the stock", &response, 409);
    assert_eq!(stock(&shop, 4).await, available);
    let (_, list) = shop.orders.get(1, "/orders").await;
    assert_eq!(list, json!({"orders": []}));
    let response = shop
        .orders
        .place(
            1,
            "flow-4",
            json!({"items": [{"product_id": 999, "quantity": 1}]}),
        )
        .await;
    assert_json_error("unknown product", &response, 404);
}
