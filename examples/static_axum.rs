//! Reference server for the lookup benchmark: a minimal axum server answering every `POST /graphql` with the same
//! static JSON body (the shape of a `jurisdiction(id:) { name }` answer) without reading the request, so the figures
//! it gives are those of HTTP and the load generator alone.
//!
//! `cargo run --release --example static_axum -- 8090` (the port; 8090 by default). Listens on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops at the first failure")]

use axum::Router;
use axum::http::header;
use axum::routing::post;

const BODY: &str = r#"{"data":{"jurisdiction":{"name":"Salt Lake County"}}}"#;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args().nth(1).map(|a| a.parse().expect("port: a number")).unwrap_or(8090);
    let app = Router::new().route("/graphql", post(|| async { ([(header::CONTENT_TYPE, "application/json")], BODY) }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    println!("static axum handler on http://127.0.0.1:{port}/graphql");
    axum::serve(listener, app).await.unwrap();
}
