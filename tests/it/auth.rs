//! Identity: accepted tokens, and every way a token is refused (never treated as anonymous).

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, SECRET, TestApp, codes, seed};

const VIEWER: &str = "{ viewer { authenticated subject name roles jurisdiction { name } } }";

fn claims(extra: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut base = json!({ "sub": "dana", "exp": now + 600, "iat": now, "roles": ["OBSERVER"] });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    base
}

fn hs(alg: Algorithm, claims: &Value, typ: Option<&str>) -> String {
    let mut header = Header::new(alg);
    header.typ = typ.map(str::to_owned);
    encode(&header, claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
}

async fn refused(app: &TestApp, token: &str) -> Value {
    let response =
        app.client.post(app.url("/graphql")).bearer_auth(token).json(&json!({ "query": VIEWER })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("www-authenticate").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(codes(&body), vec!["UNAUTHENTICATED"], "{body}");
    assert!(body.get("data").is_none(), "a refused token must not run the operation: {body}");
    body
}

#[tokio::test]
async fn anonymous_callers_see_only_the_viewer() {
    let app = TestApp::seeded().await;
    let data = app.gql(None, VIEWER, json!({})).await.1;
    assert_eq!(data["data"]["viewer"]["authenticated"], false);
    assert_eq!(data["data"]["viewer"]["subject"], Value::Null);
    for query in [
        "{ jurisdictions { totalCount } }",
        "{ compacts { totalCount } }",
        "{ incidents { totalCount } }",
        "{ resourceTypes { totalCount } }",
    ] {
        let body = app.fails(None, query, json!({}), "UNAUTHENTICATED").await;
        assert_eq!(body["data"], Value::Null, "{body}");
    }
}

#[tokio::test]
async fn a_valid_token_names_the_viewer_and_their_jurisdiction() {
    let app = TestApp::seeded().await;
    let token =
        app.token("slco-em", Some(seed("jurisdiction", "salt-lake-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let data = app.ok(&token, VIEWER, json!({})).await;
    assert_eq!(data["viewer"]["authenticated"], true);
    assert_eq!(data["viewer"]["subject"], "slco-em");
    assert_eq!(data["viewer"]["roles"], json!(["AUTHORIZED_REPRESENTATIVE"]));
    assert_eq!(data["viewer"]["jurisdiction"]["name"], "Salt Lake County");
}

#[tokio::test]
async fn expired_tampered_and_wrong_algorithm_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let good = hs(Algorithm::HS256, &claims(json!({})), Some("JWT"));
    app.ok(&good, VIEWER, json!({})).await;

    let expired = hs(Algorithm::HS256, &claims(json!({ "exp": Utc::now().timestamp() - 3600 })), Some("JWT"));
    let body = refused(&app, &expired).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("expired"));

    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    let forged = String::from_utf8(payload).unwrap().replace("OBSERVER", "ADMIN\",\"x\":\"");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
    refused(&app, &parts.join(".")).await;

    let mut signature = good.clone();
    let last = signature.pop().unwrap();
    signature.push(if last == 'A' { 'B' } else { 'A' });
    refused(&app, &signature).await;

    refused(&app, &hs(Algorithm::HS384, &claims(json!({})), Some("JWT"))).await;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims(json!({ "roles": ["ADMIN"] })).to_string());
    refused(&app, &format!("{header}.{payload}.")).await;

    refused(&app, &hs(Algorithm::HS256, &claims(json!({})), None)).await;
    refused(&app, &hs(Algorithm::HS256, &claims(json!({})), Some("at+jwt"))).await;
    refused(&app, &hs(Algorithm::HS256, &claims(json!({ "roles": ["SUPERUSER"] })), Some("JWT"))).await;
    let mut no_exp = claims(json!({}));
    no_exp.as_object_mut().unwrap().remove("exp");
    refused(&app, &hs(Algorithm::HS256, &no_exp, Some("JWT"))).await;
    refused(&app, "not-a-jwt").await;

    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic ZGFuYTpodW50ZXIy")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.jwt_issuer = Some("https://idp.example.gov".into());
            config.jwt_audience = Some("mutual-aid".into());
        }),
        ..Options::default()
    })
    .await;
    let right = json!({ "iss": "https://idp.example.gov", "aud": "mutual-aid" });
    app.ok(&hs(Algorithm::HS256, &claims(right), Some("JWT")), VIEWER, json!({})).await;
    let minted = app.token("dana", None, &["OBSERVER"], &[]);
    app.ok(&minted, VIEWER, json!({})).await;

    let wrong_audience = json!({ "iss": "https://idp.example.gov", "aud": "another-api" });
    let body = refused(&app, &hs(Algorithm::HS256, &claims(wrong_audience), Some("JWT"))).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("audience"));
    refused(&app, &hs(Algorithm::HS256, &claims(json!({ "iss": "https://idp.example.gov" })), Some("JWT"))).await;
    let wrong_issuer = json!({ "iss": "https://evil.example.com", "aud": "mutual-aid" });
    refused(&app, &hs(Algorithm::HS256, &claims(wrong_issuer), Some("JWT"))).await;
}

fn ed25519_keys(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let mut seed_bytes = [0u8; 32];
    rand::fill(&mut seed_bytes);
    let signing = SigningKey::from_bytes(&seed_bytes);
    std::fs::create_dir_all(dir).unwrap();
    let private = dir.join("private.pem");
    let public = dir.join("public.pem");
    std::fs::write(&private, signing.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    std::fs::write(&public, signing.verifying_key().to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
    (private, public, x)
}

#[tokio::test]
async fn eddsa_with_a_pem_public_key_accepts_only_its_own_signatures() {
    let dir = std::env::temp_dir().join(format!("ma-keys-{}", uuid::Uuid::new_v4().simple()));
    let (private, public, _) = ed25519_keys(&dir);
    let (other_private, _, _) = ed25519_keys(&dir.join("other"));
    let app = TestApp::spawn_with(Options {
        configure: Box::new(move |config| {
            config.jwt_algorithm = api::config::JwtAlgorithm::EdDSA;
            config.jwt_secret = None;
            config.jwt_public_key = Some(public);
            config.jwt_private_key = Some(private);
        }),
        ..Options::default()
    })
    .await;
    let minted = app.token("dana", None, &["OBSERVER"], &[]);
    app.ok(&minted, VIEWER, json!({})).await;

    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("JWT".into());
    let other = EncodingKey::from_ed_pem(&std::fs::read(&other_private).unwrap()).unwrap();
    refused(&app, &encode(&header, &claims(json!({})), &other).unwrap()).await;
    refused(&app, &hs(Algorithm::HS256, &claims(json!({})), Some("JWT"))).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_jwks_selects_the_key_by_kid() {
    let dir = std::env::temp_dir().join(format!("ma-jwks-{}", uuid::Uuid::new_v4().simple()));
    let (private, _, x) = ed25519_keys(&dir);
    let jwks = dir.join("jwks.json");
    let set =
        json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": "2026-11", "alg": "EdDSA", "use": "sig" }] });
    std::fs::write(&jwks, set.to_string()).unwrap();
    let app = TestApp::spawn_with(Options {
        configure: Box::new(move |config| {
            config.jwt_algorithm = api::config::JwtAlgorithm::EdDSA;
            config.jwt_secret = None;
            config.jwt_jwks = Some(jwks);
        }),
        ..Options::default()
    })
    .await;
    let key = EncodingKey::from_ed_pem(&std::fs::read(&private).unwrap()).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("JWT".into());
    header.kid = Some("2026-11".into());
    app.ok(&encode(&header, &claims(json!({})), &key).unwrap(), VIEWER, json!({})).await;
    header.kid = Some("retired".into());
    refused(&app, &encode(&header, &claims(json!({})), &key).unwrap()).await;
    header.kid = None;
    refused(&app, &encode(&header, &claims(json!({})), &key).unwrap()).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn without_a_configured_secret_a_key_is_generated_once_and_reused() {
    let data_dir = std::env::temp_dir().join(format!("ma-data-{}", uuid::Uuid::new_v4().simple()));
    let mut config = api::config::Config::defaults();
    config.jwt_secret = None;
    config.data_dir = data_dir.clone();
    let first = api::auth::Authenticator::from_config(&config).unwrap();
    let key = std::fs::read_to_string(data_dir.join(api::auth::KEY_FILE)).unwrap();
    assert!(key.len() >= 43, "a 256-bit key");
    let second = api::auth::Authenticator::from_config(&config).unwrap();
    let now = Utc::now().timestamp();
    let token = first
        .mint(api::auth::Claims {
            sub: "dana".into(),
            name: None,
            exp: now + 60,
            iat: Some(now),
            iss: None,
            aud: None,
            jurisdiction: None,
            roles: vec![],
            compacts: vec![],
            system: None,
        })
        .unwrap();
    assert_eq!(second.authenticate(&token).unwrap().subject, "dana");
    let other_dir = std::env::temp_dir().join(format!("ma-data-{}", uuid::Uuid::new_v4().simple()));
    config.data_dir = other_dir.clone();
    let third = api::auth::Authenticator::from_config(&config).unwrap();
    assert!(third.authenticate(&token).is_err(), "another data directory has another key");
    let _ = std::fs::remove_dir_all(data_dir);
    let _ = std::fs::remove_dir_all(other_dir);
}

#[tokio::test]
async fn es256_with_a_pem_public_key_is_accepted_and_nothing_else() {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let dir = std::env::temp_dir().join(format!("ma-es256-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    bytes[0] = 1;
    let secret = p256::SecretKey::from_slice(&bytes).unwrap();
    let private = dir.join("es256.pem");
    let public = dir.join("es256.pub.pem");
    std::fs::write(&private, secret.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    std::fs::write(&public, secret.public_key().to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    let (private_path, public_path) = (private.clone(), public.clone());
    let app = TestApp::spawn_with(Options {
        configure: Box::new(move |config| {
            config.jwt_algorithm = api::config::JwtAlgorithm::ES256;
            config.jwt_secret = None;
            config.jwt_public_key = Some(public_path);
            config.jwt_private_key = Some(private_path);
        }),
        ..Options::default()
    })
    .await;
    let minted = app.token("dana", None, &["OBSERVER"], &[]);
    app.ok(&minted, VIEWER, json!({})).await;
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("JWT".into());
    let key = EncodingKey::from_ec_pem(&std::fs::read(&private).unwrap()).unwrap();
    app.ok(&encode(&header, &claims(json!({})), &key).unwrap(), VIEWER, json!({})).await;
    refused(&app, &hs(Algorithm::HS256, &claims(json!({})), Some("JWT"))).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn tokens_carry_iat_and_live_no_longer_than_the_configured_maximum() {
    let app = TestApp::spawn().await;
    let now = Utc::now().timestamp();
    let year_2200: i64 = 7_258_118_400;
    for (why, claims) in [
        ("expires in 2200", claims(json!({ "exp": year_2200 }))),
        ("no iat", {
            let mut c = claims(json!({}));
            c.as_object_mut().unwrap().remove("iat");
            c
        }),
        ("issued in the future", claims(json!({ "iat": now + 3600, "exp": now + 7200 }))),
        ("12 h and a second", claims(json!({ "iat": now, "exp": now + 43_201 }))),
        ("iat far in the past, exp now", claims(json!({ "iat": now - 86_400 * 365, "exp": now + 60 }))),
    ] {
        let body = refused(&app, &hs(Algorithm::HS256, &claims, Some("JWT"))).await;
        println!("{why}: {}", body["errors"][0]["message"]);
    }
    let ok = hs(Algorithm::HS256, &claims(json!({ "iat": now, "exp": now + 43_200 })), Some("JWT"));
    assert_eq!(app.ok(&ok, VIEWER, json!({})).await["viewer"]["authenticated"], true, "exactly 12 h is accepted");

    let short = TestApp::spawn_with(Options {
        configure: Box::new(|config| config.jwt_max_lifetime_seconds = 300),
        ..Options::default()
    })
    .await;
    refused(&short, &hs(Algorithm::HS256, &claims(json!({ "exp": now + 600 })), Some("JWT"))).await;
}

#[tokio::test]
async fn authority_comes_from_the_directory_and_ends_with_deactivation() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let app = TestApp::seeded().await;
    let slco = seed("jurisdiction", "salt-lake-county");
    let rep = |sub: &str, jurisdiction| app.token(sub, Some(jurisdiction), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    // Subjects in no directory entry, or listed for another jurisdiction, do not act.
    refused(&app, &rep("mallory", slco)).await;
    refused(&app, &rep("utco-em", slco)).await;
    let no_jurisdiction = app.token("slco-em", None, &["AUTHORIZED_REPRESENTATIVE"], &[]);
    refused(&app, &no_jurisdiction).await;
    let token = rep("slco-em", slco);
    assert_eq!(app.ok(&token, VIEWER, json!({})).await["viewer"]["subject"], "slco-em");

    // An open subscription of the representative.
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": { "query": "subscription { statusChanges { sequence } }" } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();

    let admin = app.admin();
    // The demo data's first Salt Lake County representative is `slco-em`.
    let id = seed("representative", "salt-lake-county:0");
    app.ok(
        &admin,
        "mutation ($input: RemoveByIdInput!) { deactivateAuthorizedRepresentative(input: $input) { representative { active } } }",
        json!({ "input": { "id": id } }),
    )
    .await;
    // The next request is refused, and the connection is closed.
    refused(&app, &token).await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("the connection is closed after the deactivation");
    assert_eq!(closed, Some(4403));
    // A new connection is refused at once.
    let mut socket = app.ws().await;
    socket.send(Message::text(init.to_string())).await.unwrap();
    let mut code = None;
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Close(frame) = message {
            code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(4403));
}

#[tokio::test]
async fn every_websocket_operation_of_a_representative_reads_the_directory() {
    use futures_util::{SinkExt, StreamExt};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    use tokio_tungstenite::tungstenite::Message;

    let app = TestApp::seeded().await;
    let token = app.token("utco-em", Some(seed("jurisdiction", "utah-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    // Deactivated behind the server's back: no commit through this instance wakes the connection.
    let id = seed("representative", "utah-county:0");
    let mut row: entities::authorized_representative::ActiveModel =
        entities::authorized_representative::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap().into();
    row.active = Set(false);
    row.update(&app.state.db).await.unwrap();
    let query = json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ viewer { subject } }" } });
    socket.send(Message::text(query.to_string())).await.unwrap();
    let mut outcome = None;
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Close(frame) => {
                outcome = frame.map(|f| u16::from(f.code));
                break;
            }
            Message::Text(text) if text.contains("\"next\"") => panic!("the operation ran: {text}"),
            _ => {}
        }
    }
    assert_eq!(outcome, Some(4403));
}

#[tokio::test]
async fn the_token_command_says_which_key_it_signs_with_and_never_invents_one() {
    let dir = std::env::temp_dir().join(format!("ma-token-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = |data_dir: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mutual-aid"))
            .args(["token", "--subject", "slco-em", "--role", "OBSERVER", "--data-dir"])
            .arg(data_dir)
            .env_remove("MUTUAL_AID_JWT_SECRET")
            .env_remove("MUTUAL_AID_DATA_DIR")
            .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("cli.db").display()))
            .output()
            .unwrap()
    };
    // Run from anywhere without the server's key: refused, saying where it looked; no key file appears.
    let elsewhere = dir.join("elsewhere");
    let refused = token(&elsewhere);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains(&elsewhere.join(api::auth::KEY_FILE).display().to_string()), "{said}");
    assert!(said.contains("--data-dir"), "{said}");
    assert!(!elsewhere.join(api::auth::KEY_FILE).exists(), "the token command generated a key");

    // Pointed at the server's data directory: signs with its key, says so, and the server accepts the token.
    let server_dir = dir.join("server");
    let app = TestApp::spawn_with(Options {
        configure: Box::new({
            let server_dir = server_dir.clone();
            move |config| {
                config.jwt_secret = None;
                config.data_dir = server_dir;
            }
        }),
        ..Options::default()
    })
    .await;
    let signed = token(&server_dir);
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let said = String::from_utf8_lossy(&signed.stderr);
    assert!(said.contains("signed with the development key"), "{said}");
    assert!(said.contains(&server_dir.join(api::auth::KEY_FILE).display().to_string()), "{said}");
    let minted = String::from_utf8_lossy(&signed.stdout).trim().to_owned();
    let data = app.ok(&minted, "{ viewer { authenticated subject } }", json!({})).await;
    assert_eq!(data["viewer"], json!({ "authenticated": true, "subject": "slco-em" }));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_first_start_creates_a_missing_database() {
    let mut config = api::config::Config::defaults();
    let name = format!("ma_fresh_{}", uuid::Uuid::new_v4().simple());
    let dir = std::env::temp_dir().join(&name);
    let postgres = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
    config.database_url = match &postgres {
        Some(url) => crate::support::replace_database(url, &name),
        None => {
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("new.db").display())
        }
    };
    let db = api::db::connect(&config).await.expect("connect creates the database");
    api::db::migrate_up(&db).await.unwrap();
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entities::jurisdiction::Entity::find().count(&db).await.unwrap(), 0);
    db.close().await.unwrap();
    // A second start finds it.
    let again = api::db::connect(&config).await.expect("connect to the created database");
    again.close().await.unwrap();
    match postgres {
        Some(url) => {
            let admin = sea_orm::Database::connect(&url).await.unwrap();
            use sea_orm::ConnectionTrait;
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.unwrap();
        }
        None => {
            assert!(dir.join("new.db").exists());
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
