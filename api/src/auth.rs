//! Identity: JWT validation (RFC 8725: pinned algorithm, required `exp`, checked `iss`/`aud`/`typ`), the `Viewer`
//! every resolver acts for, and development token minting with the same key the server verifies with.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{Config, JwtAlgorithm};
use crate::domain::enums::Role;
use crate::error::{AppError, AppResult};

/// The name of the generated development key file inside the data directory.
pub const KEY_FILE: &str = "mutual-aid.key";

/// The claims this API reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Stable identifier of the person or service.
    pub sub: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry, seconds since the epoch (required).
    pub exp: i64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The jurisdiction the person represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<Uuid>,
    /// Role names (see [`Role`]).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Compacts a coordinator, committee member, observer or integration is scoped to.
    #[serde(default)]
    pub compacts: Vec<Uuid>,
    /// The integration system a service account speaks for (`ut-webeoc`): it sets that system's external
    /// references, and acts for `jurisdiction` where the directory authorizes the system for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
}

/// Who is calling, and what they may do. Built once per request from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// `sub` of the token; empty for anonymous callers.
    pub subject: String,
    /// Display name.
    pub name: Option<String>,
    /// The jurisdiction the person represents.
    pub jurisdiction_id: Option<Uuid>,
    /// Granted roles.
    pub roles: BTreeSet<Role>,
    /// Compacts the compact-scoped roles apply to.
    pub compact_ids: BTreeSet<Uuid>,
    /// When the credentials expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// The integration system of a service account.
    pub system: Option<String>,
}

impl Viewer {
    /// A caller without a token.
    pub fn anonymous() -> Self {
        Viewer {
            subject: String::new(),
            name: None,
            jurisdiction_id: None,
            roles: BTreeSet::new(),
            compact_ids: BTreeSet::new(),
            expires_at: None,
            system: None,
        }
    }

    /// The server itself, for the `seed` command and scheduled work.
    pub fn system() -> Self {
        Viewer {
            subject: "system".to_owned(),
            name: Some("Mutual aid system".to_owned()),
            jurisdiction_id: None,
            roles: BTreeSet::from([Role::Admin]),
            compact_ids: BTreeSet::new(),
            expires_at: None,
            system: None,
        }
    }

    /// Whether a token was presented and accepted.
    pub fn is_authenticated(&self) -> bool {
        !self.subject.is_empty()
    }

    /// Whether the viewer holds a role.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the viewer administers the directory.
    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// Whether the viewer holds `role` for `compact_id`.
    pub fn has_compact_role(&self, role: Role, compact_id: Uuid) -> bool {
        self.has_role(role) && self.compact_ids.contains(&compact_id)
    }

    /// Whether the viewer may act for `jurisdiction_id` (sign, request, offer) as its authorized representative.
    pub fn represents(&self, jurisdiction_id: Uuid) -> bool {
        self.has_role(Role::AuthorizedRepresentative) && self.jurisdiction_id == Some(jurisdiction_id)
    }

    /// Compacts in which the viewer has any compact-scoped role (coordinator, committee, observer, integration).
    pub fn scoped_compacts(&self) -> Vec<Uuid> {
        let scoped = [Role::Coordinator, Role::CommitteeMember, Role::Observer, Role::Integration];
        if scoped.iter().any(|role| self.has_role(*role)) { self.compact_ids.iter().copied().collect() } else { vec![] }
    }

    /// `UNAUTHENTICATED` unless a token was accepted.
    pub fn require_authenticated(&self) -> AppResult<()> {
        if self.is_authenticated() {
            Ok(())
        } else {
            Err(AppError::Unauthenticated("authentication required: send a bearer token".to_owned()))
        }
    }

    fn from_claims(claims: Claims) -> AppResult<Self> {
        if claims.sub.trim().is_empty() {
            return Err(AppError::Unauthenticated("token has an empty subject".to_owned()));
        }
        if let Some(system) = &claims.system {
            crate::domain::external::check_system("system", system)
                .map_err(|e| AppError::Unauthenticated(format!("token has an invalid system: {}", e.message())))?;
            if !claims.roles.iter().any(|r| r == Role::Integration.as_str()) {
                return Err(AppError::Unauthenticated("only an INTEGRATION token may name a system".into()));
            }
            if claims.roles.iter().any(|r| r == Role::AuthorizedRepresentative.as_str()) {
                return Err(AppError::Unauthenticated(
                    "a service account's authority comes from the directory's grants, not an \
                     AUTHORIZED_REPRESENTATIVE role"
                        .into(),
                ));
            }
        }
        let mut roles = BTreeSet::new();
        for name in &claims.roles {
            let role = Role::parse(name)
                .ok_or_else(|| AppError::Unauthenticated(format!("token has an unknown role {name:?}")))?;
            roles.insert(role);
        }
        Ok(Viewer {
            subject: claims.sub,
            name: claims.name,
            jurisdiction_id: claims.jurisdiction,
            roles,
            compact_ids: claims.compacts.into_iter().collect(),
            expires_at: DateTime::from_timestamp(claims.exp, 0),
            system: claims.system,
        })
    }
}

enum VerifyingKeys {
    Single(DecodingKey),
    ByKid(HashMap<String, DecodingKey>),
}

/// Validates bearer tokens and mints development ones.
pub struct Authenticator {
    algorithm: Algorithm,
    keys: VerifyingKeys,
    signing: Option<EncodingKey>,
    validation: Validation,
    typ: String,
    max_lifetime: i64,
    leeway: i64,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

fn config_error(message: impl Into<String>) -> AppError {
    AppError::Internal(message.into())
}

fn read(path: &Path) -> AppResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| config_error(format!("cannot read {}: {e}", path.display())))
}

/// Reads the development HS256 secret from the data directory, generating it on first use. The file is created
/// exclusively, so two processes starting together agree on one key.
pub fn load_or_create_secret(data_dir: &Path) -> AppResult<String> {
    use base64::Engine;
    use rand::RngCore;
    use std::io::Write;

    let path = data_dir.join(KEY_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| config_error(format!("cannot create data directory {}: {e}", data_dir.display())))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .map_err(|e| config_error(format!("cannot write {}: {e}", path.display())))?;
            tracing::info!(path = %path.display(), "generated a new development signing key");
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(&path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| config_error(format!("cannot read {}: {e}", path.display()))),
        Err(e) => Err(config_error(format!("cannot create {}: {e}", path.display()))),
    }
}

impl Authenticator {
    /// Builds the authenticator from configuration, reading key files and generating the development key if needed.
    pub fn from_config(config: &Config) -> AppResult<Self> {
        let algorithm = match config.jwt_algorithm {
            JwtAlgorithm::HS256 => Algorithm::HS256,
            JwtAlgorithm::RS256 => Algorithm::RS256,
            JwtAlgorithm::ES256 => Algorithm::ES256,
            JwtAlgorithm::EdDSA => Algorithm::EdDSA,
        };
        let (keys, signing) = if algorithm == Algorithm::HS256 {
            let secret = match &config.jwt_secret {
                Some(secret) => secret.clone(),
                None if config.production() => {
                    return Err(config_error(
                        "the production profile needs a configured signing key: set MUTUAL_AID_JWT_SECRET, or a public key or JWKS with an asymmetric algorithm",
                    ));
                }
                None => load_or_create_secret(&config.data_dir)?,
            };
            if secret.len() < 32 {
                return Err(config_error("the HS256 secret must be at least 32 bytes long"));
            }
            (
                VerifyingKeys::Single(DecodingKey::from_secret(secret.as_bytes())),
                Some(EncodingKey::from_secret(secret.as_bytes())),
            )
        } else {
            let keys = match (&config.jwt_public_key, &config.jwt_jwks) {
                (Some(path), None) => VerifyingKeys::Single(decoding_key_from_pem(algorithm, &read(path)?)?),
                (None, Some(path)) => {
                    let set: JwkSet = serde_json::from_slice(&read(path)?)
                        .map_err(|e| config_error(format!("invalid JWKS in {}: {e}", path.display())))?;
                    let mut by_kid = HashMap::new();
                    for jwk in &set.keys {
                        let Some(kid) = jwk.common.key_id.clone() else { continue };
                        let key = DecodingKey::from_jwk(jwk)
                            .map_err(|e| config_error(format!("invalid key {kid} in JWKS: {e}")))?;
                        by_kid.insert(kid, key);
                    }
                    if by_kid.is_empty() {
                        return Err(config_error("the JWKS has no key with a `kid`"));
                    }
                    VerifyingKeys::ByKid(by_kid)
                }
                _ => {
                    return Err(config_error(
                        "an asymmetric JWT algorithm needs exactly one of --jwt-public-key or --jwt-jwks",
                    ));
                }
            };
            let signing = match &config.jwt_private_key {
                Some(path) => Some(encoding_key_from_pem(algorithm, &read(path)?)?),
                None => None,
            };
            (keys, signing)
        };

        let mut validation = Validation::new(algorithm);
        validation.leeway = config.jwt_leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub", "iat"];
        match &config.jwt_issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &config.jwt_audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);

        Ok(Authenticator {
            algorithm,
            keys,
            signing,
            validation,
            typ: config.jwt_typ.clone(),
            max_lifetime: config.jwt_max_lifetime_seconds,
            leeway: i64::try_from(config.jwt_leeway_seconds).unwrap_or(i64::MAX),
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        })
    }

    /// Validates a bearer token and returns the viewer it names. Every failure is `UNAUTHENTICATED`.
    pub fn authenticate(&self, token: &str) -> AppResult<Viewer> {
        let unauthenticated = |why: &str| AppError::Unauthenticated(format!("invalid token: {why}"));
        let header = decode_header(token).map_err(|_| unauthenticated("malformed"))?;
        if header.alg != self.algorithm {
            return Err(unauthenticated("algorithm not accepted"));
        }
        match &header.typ {
            Some(typ) if typ.eq_ignore_ascii_case(&self.typ) => {}
            _ => return Err(unauthenticated("wrong or missing `typ` header")),
        }
        let key = match &self.keys {
            VerifyingKeys::Single(key) => key,
            VerifyingKeys::ByKid(keys) => {
                header.kid.as_deref().and_then(|kid| keys.get(kid)).ok_or_else(|| unauthenticated("unknown key id"))?
            }
        };
        let data = decode::<Claims>(token, key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => unauthenticated("expired"),
                ErrorKind::InvalidAudience => unauthenticated("wrong audience"),
                ErrorKind::InvalidIssuer => unauthenticated("wrong issuer"),
                ErrorKind::ImmatureSignature => unauthenticated("not yet valid"),
                ErrorKind::MissingRequiredClaim(claim) => unauthenticated(&format!("missing claim `{claim}`")),
                ErrorKind::InvalidSignature => unauthenticated("bad signature"),
                _ => unauthenticated("rejected"),
            }
        })?;
        let claims = data.claims;
        let Some(iat) = claims.iat else { return Err(unauthenticated("missing claim `iat`")) };
        let now = chrono::Utc::now().timestamp();
        if iat > now.saturating_add(self.leeway) {
            return Err(unauthenticated("issued in the future"));
        }
        if claims.exp.saturating_sub(iat) > self.max_lifetime {
            return Err(unauthenticated(&format!(
                "lives longer than the {} seconds a token may (exp - iat)",
                self.max_lifetime
            )));
        }
        Viewer::from_claims(claims)
    }

    /// Signs a token for `claims` (fills `iss` and `aud` from configuration when unset).
    pub fn mint(&self, mut claims: Claims) -> AppResult<String> {
        let key = self.signing.as_ref().ok_or_else(|| {
            config_error("no signing key: configure --jwt-private-key to mint tokens for an asymmetric algorithm")
        })?;
        if claims.iss.is_none() {
            claims.iss = self.issuer.clone();
        }
        if claims.aud.is_none() {
            claims.aud = self.audience.clone();
        }
        let mut header = Header::new(self.algorithm);
        header.typ = Some(self.typ.clone());
        encode(&header, &claims, key).map_err(|e| config_error(format!("cannot sign token: {e}")))
    }
}

fn decoding_key_from_pem(algorithm: Algorithm, pem: &[u8]) -> AppResult<DecodingKey> {
    let key = match algorithm {
        Algorithm::RS256 => DecodingKey::from_rsa_pem(pem),
        Algorithm::ES256 => DecodingKey::from_ec_pem(pem),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
        _ => return Err(config_error("unsupported algorithm for a PEM key")),
    };
    key.map_err(|e| config_error(format!("invalid public key PEM: {e}")))
}

fn encoding_key_from_pem(algorithm: Algorithm, pem: &[u8]) -> AppResult<EncodingKey> {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
        _ => return Err(config_error("unsupported algorithm for a PEM key")),
    };
    key.map_err(|e| config_error(format!("invalid private key PEM: {e}")))
}

/// Extracts the token from an `Authorization: Bearer ...` header value.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_requires_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }

    #[test]
    fn unknown_roles_are_refused_not_ignored() {
        let claims = Claims {
            sub: "x".into(),
            name: None,
            exp: 0,
            iat: None,
            iss: None,
            aud: None,
            jurisdiction: None,
            roles: vec!["SUPERUSER".into()],
            compacts: vec![],
            system: None,
        };
        assert!(matches!(Viewer::from_claims(claims), Err(AppError::Unauthenticated(_))));
    }
}
