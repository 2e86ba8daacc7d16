//! Visitor identity: customer tokens and the signed bearer tokens bound to them.
//!
//! - An anonymous visitor gets a random customer_token (`v_` + 30 letters and digits).
//! - A host site that knows its user signs the user's id: `hex(HMAC-SHA256(identity secret,
//!   user_id))`. The relay checks it and derives a stable customer_token from the id
//!   (`u_` + 40 hex digits), so the same user is the same Udesk customer on every device, and
//!   nobody can claim a user without the host's signature.
//! - A bearer token is `<customer_token>.<issued_at>.<expires_at>.<hex HMAC-SHA256(token key,
//!   …)>`: stateless, checked in constant time, bound to one customer, expiring, and renewable
//!   only until `issued_at` (the first issue; renewals keep it) plus the maximum lifetime.
//!   Customer tokens hold only letters, digits and `_`, so the dots are unambiguous. Exactly
//!   one spelling is accepted: decimal numbers without sign or leading zeros, and 64 lowercase
//!   hex digits.
//!
//! # Keys, and why no user id can reach them
//!
//! The host site signs ids its users may choose (names, e-mail addresses), so anything of the
//! form `HMAC(identity secret, X)` is a value a user can obtain for any `X` they can register.
//! No key or secret value is therefore ever derived that way. The keys come from HKDF-SHA256
//! (RFC 5869), whose extract step keys the HMAC with a fixed salt rather than the secret:
//!
//! - token key = HKDF(salt [`KEY_SALT`], ikm = `--token-secret`, or the identity secret when
//!   none is given, info [`TOKEN_KEY_INFO`]). Deriving it from the identity secret by default
//!   keeps tokens valid across restarts (the identity secret is kept in `secrets.json`) and
//!   across relays that share a store (they must share the identity secret anyway);
//!   `--token-secret` makes it independent, so it can be rotated to revoke every token.
//! - customer key = HKDF(salt [`KEY_SALT`], ikm = identity secret, info
//!   [`CUSTOMER_KEY_INFO`]); a user's customer_token is `u_` + hex(HMAC(customer key,
//!   user_id))[..40].
//!
//! Before this scheme the token key was `HMAC(identity secret, "udesk-chat token key")` — the
//! host signature of that user id, so a user could forge tokens — and a user's customer_token
//! was `HMAC(identity secret, "udesk-chat customer_token\0" + user_id)`. Tokens of the old key
//! are refused (anonymous visitors holding one start a new conversation once; signed users
//! sign in again and keep theirs). The old customer_token of a user is still used when the store
//! already knows that customer ([`Identity::legacy_customer_token_for_user`]), so existing users
//! stay the same Udesk customer with their history; it is an identifier, not a credential (Udesk
//! and its agents see it too), so the host-signature leak of old ids grants nothing.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::Sha256;
use udesk_protocol::sign::hex;

type HmacSha256 = Hmac<Sha256>;

/// HKDF's salt for every key the relay derives from a secret.
pub const KEY_SALT: &[u8] = b"udesk-chat relay key derivation v2";
/// HKDF's info (label) of the token key.
pub const TOKEN_KEY_INFO: &[u8] = b"udesk-chat bearer token key v2";
/// HKDF's info (label) of the key of users' customer_tokens.
pub const CUSTOMER_KEY_INFO: &[u8] = b"udesk-chat user customer_token key v2";

/// The longest lifetime one token may carry (`--token-ttl` is capped to it): 30 days.
pub const MAX_TOKEN_TTL_SECS: u64 = 30 * 24 * 3600;
/// How far ahead of this relay's clock another relay's clock may be: a token issued "in the
/// future" by up to this much is still accepted.
pub const CLOCK_SKEW_SECS: u64 = 300;

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
    /// Renewal refused: the token's first issue is longer ago than the maximum lifetime.
    LifetimeOver,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Malformed => "the token is malformed",
            TokenError::BadSignature => "the token was not issued by this relay",
            TokenError::Expired => "the token has expired; get a new one from POST /v1/visitor",
            TokenError::LifetimeOver => {
                "the token reached its maximum lifetime and cannot be renewed; get a new one from POST /v1/visitor without it"
            }
        }
    }
}

/// What a valid token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub customer_token: String,
    /// When the first token of this chain was issued (Unix seconds); renewals keep it.
    pub issued_at: u64,
    /// When this token expires (Unix seconds).
    pub expires_at: u64,
}

/// Issues and checks visitor tokens.
#[derive(Clone)]
pub struct Identity {
    identity_key: Vec<u8>,
    customer_key: [u8; 32],
    token_key: [u8; 32],
    ttl_secs: u64,
    renew_grace_secs: u64,
    max_lifetime_secs: u64,
}

/// HKDF-SHA256 of `secret` with the relay's salt and `info`.
fn derive_key(secret: &[u8], info: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    match Hkdf::<Sha256>::new(Some(KEY_SALT), secret).expand(info, &mut key) {
        Ok(()) => key,
        Err(_) => unreachable!("32 bytes is a valid HKDF-SHA256 output length"),
    }
}

impl Identity {
    /// `token_secret` `None` derives the token key from the identity secret, so that tokens
    /// survive a restart whenever the identity secret is kept. `ttl_secs` is capped to
    /// [`MAX_TOKEN_TTL_SECS`]; the maximum lifetime is the cap too until
    /// [`Identity::with_max_lifetime`].
    pub fn new(
        identity_secret: &str,
        token_secret: Option<&str>,
        ttl_secs: u64,
        renew_grace_secs: u64,
    ) -> Identity {
        let token_ikm = token_secret.unwrap_or(identity_secret);
        let ttl_secs = ttl_secs.clamp(1, MAX_TOKEN_TTL_SECS);
        Identity {
            identity_key: identity_secret.as_bytes().to_vec(),
            customer_key: derive_key(identity_secret.as_bytes(), CUSTOMER_KEY_INFO),
            token_key: derive_key(token_ikm.as_bytes(), TOKEN_KEY_INFO),
            ttl_secs,
            renew_grace_secs,
            max_lifetime_secs: MAX_TOKEN_TTL_SECS.max(ttl_secs),
        }
    }

    /// Bounds renewal: no token is issued or renewed past `secs` after the first issue (at
    /// least the token lifetime).
    pub fn with_max_lifetime(mut self, secs: u64) -> Identity {
        self.max_lifetime_secs = secs.max(self.ttl_secs);
        self
    }

    /// The lifetime of a fresh token, in seconds (after the cap).
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// A fresh customer_token for an anonymous visitor.
    pub fn anonymous_customer_token() -> String {
        let random: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(30)
            .map(char::from)
            .collect();
        format!("v_{random}")
    }

    /// Whether `signature` is the host site's signature of `user_id` (constant time).
    pub fn check_user_signature(&self, user_id: &str, signature: &str) -> bool {
        let Some(bytes) = unhex(signature.trim()) else {
            return false;
        };
        mac(&self.identity_key)
            .chain_update(user_id.as_bytes())
            .verify_slice(&bytes)
            .is_ok()
    }

    /// The stable customer_token of a host site's user (from the HKDF-derived customer key).
    pub fn customer_token_for_user(&self, user_id: &str) -> String {
        let digest = hmac(&self.customer_key, user_id.as_bytes());
        format!("u_{}", &hex(&digest)[..40])
    }

    /// The customer_token a user had before keys were derived with HKDF: used only when the
    /// store already knows that customer, so existing users keep their Udesk customer.
    pub fn legacy_customer_token_for_user(&self, user_id: &str) -> String {
        let mut message = b"udesk-chat customer_token\0".to_vec();
        message.extend_from_slice(user_id.as_bytes());
        let digest = hmac(&self.identity_key, &message);
        format!("u_{}", &hex(&digest)[..40])
    }

    /// A token for `customer_token`, first issued `now` (Unix seconds), valid for the
    /// configured lifetime. Returns the token and its expiry.
    pub fn issue(&self, customer_token: &str, now: u64) -> (String, u64) {
        self.issue_renewal(customer_token, now, now)
    }

    /// A token for `customer_token` whose chain was first issued at `issued_at`: valid for the
    /// configured lifetime from `now`, but never past `issued_at` + the maximum lifetime.
    pub fn issue_renewal(&self, customer_token: &str, issued_at: u64, now: u64) -> (String, u64) {
        let expires_at = now
            .saturating_add(self.ttl_secs)
            .min(issued_at.saturating_add(self.max_lifetime_secs));
        let payload = token_payload(customer_token, issued_at, expires_at);
        let sig = hex(&hmac(&self.token_key, payload.as_bytes()));
        (
            format!("{customer_token}.{issued_at}.{expires_at}.{sig}"),
            expires_at,
        )
    }

    /// The customer_token of a valid, unexpired token.
    pub fn verify(&self, token: &str, now: u64) -> Result<String, TokenError> {
        self.verify_until(token, now)
            .map(|(customer_token, _)| customer_token)
    }

    /// The customer_token of a valid, unexpired token, and when it expires (Unix seconds): what
    /// the token grants must end then (an open event stream, too).
    pub fn verify_until(&self, token: &str, now: u64) -> Result<(String, u64), TokenError> {
        let claims = self.verify_signature(token, now)?;
        if now >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok((claims.customer_token, claims.expires_at))
    }

    /// Like [`Identity::verify`], but accepts a token that expired less than the renewal grace
    /// period ago (a returning visitor keeps its conversation), as long as its first issue is
    /// less than the maximum lifetime ago.
    pub fn verify_for_renewal(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let claims = self.verify_signature(token, now)?;
        if now >= claims.expires_at.saturating_add(self.renew_grace_secs) {
            return Err(TokenError::Expired);
        }
        if now >= claims.issued_at.saturating_add(self.max_lifetime_secs) {
            return Err(TokenError::LifetimeOver);
        }
        Ok(claims)
    }

    /// Checks the token's one canonical form, its signature, and that it claims no more than
    /// this relay issues (a lifetime within the caps, not issued in the future).
    fn verify_signature(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [customer_token, issued, expires, sig] = parts[..] else {
            return Err(TokenError::Malformed);
        };
        if !udesk_protocol::customer::is_valid_customer_token(customer_token) {
            return Err(TokenError::Malformed);
        }
        let issued_at = canonical_u64(issued).ok_or(TokenError::Malformed)?;
        let expires_at = canonical_u64(expires).ok_or(TokenError::Malformed)?;
        let sig = canonical_signature(sig).ok_or(TokenError::Malformed)?;
        mac(&self.token_key)
            .chain_update(token_payload(customer_token, issued_at, expires_at).as_bytes())
            .verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        // Signed by this key, yet more than this relay would issue (a key leaked or a cap
        // lowered): refused all the same.
        let latest_issue = now.saturating_add(CLOCK_SKEW_SECS);
        let too_long = expires_at > latest_issue.saturating_add(self.ttl_secs)
            || expires_at > issued_at.saturating_add(self.max_lifetime_secs)
            || issued_at > latest_issue
            || expires_at < issued_at;
        if too_long {
            return Err(TokenError::BadSignature);
        }
        Ok(Claims {
            customer_token: customer_token.to_owned(),
            issued_at,
            expires_at,
        })
    }
}

/// What a host site's server computes to identify its user: `hex(HMAC-SHA256(secret, user_id))`.
pub fn sign_user_id(identity_secret: &str, user_id: &str) -> String {
    hex(&hmac(identity_secret.as_bytes(), user_id.as_bytes()))
}

/// A random secret: 32 bytes as hex (safe in URLs and headers).
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::thread_rng().gen();
    hex(&bytes)
}

fn token_payload(customer_token: &str, issued_at: u64, expires_at: u64) -> String {
    format!("udesk-chat/v2|{customer_token}|{issued_at}|{expires_at}")
}

/// A decimal number in its one spelling: digits only, no sign, no leading zero.
fn canonical_u64(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    if !digits || leading_zero {
        return None;
    }
    text.parse().ok()
}

/// A token signature in its one spelling: 64 lowercase hex digits.
fn canonical_signature(text: &str) -> Option<Vec<u8>> {
    let lower_hex = text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if text.len() != 64 || !lower_hex {
        return None;
    }
    unhex(text)
}

fn mac(key: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    mac(key)
        .chain_update(message)
        .finalize()
        .into_bytes()
        .into()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "identity-secret";

    fn identity() -> Identity {
        Identity::new(SECRET, None, 3600, 600)
    }

    /// A token for `customer_token` signed with `key` in the current format.
    fn signed_with(key: &[u8], customer_token: &str, issued_at: u64, expires_at: u64) -> String {
        let payload = token_payload(customer_token, issued_at, expires_at);
        let sig = hex(&hmac(key, payload.as_bytes()));
        format!("{customer_token}.{issued_at}.{expires_at}.{sig}")
    }

    #[test]
    fn a_token_names_its_customer_until_it_expires() {
        let id = identity();
        let (token, expires_at) = id.issue("v_abc", 1_000);
        assert_eq!(expires_at, 4_600);
        assert_eq!(id.verify(&token, 1_001), Ok("v_abc".into()));
        assert_eq!(id.verify(&token, 4_600), Err(TokenError::Expired));
        // Renewal still works inside the grace period, not after.
        let claims = id.verify_for_renewal(&token, 5_000).unwrap();
        assert_eq!(
            (claims.customer_token.as_str(), claims.issued_at),
            ("v_abc", 1_000)
        );
        assert_eq!(
            id.verify_for_renewal(&token, 5_200),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_huge_lifetime_is_capped_not_an_overflow() {
        let id = Identity::new(SECRET, None, u64::MAX, u64::MAX);
        let (token, expires_at) = id.issue("v_abc", 1_000);
        assert_eq!(expires_at, 1_000 + MAX_TOKEN_TTL_SECS);
        assert_eq!(id.verify(&token, 1_001), Ok("v_abc".into()));
        assert_eq!(id.verify(&token, expires_at), Err(TokenError::Expired));
    }

    #[test]
    fn forged_and_foreign_tokens_fail() {
        let id = identity();
        let (token, _) = id.issue("v_abc", 1_000);
        // Swap the customer: the signature no longer matches.
        let forged = token.replacen("v_abc", "v_abd", 1);
        assert_eq!(id.verify(&forged, 1_001), Err(TokenError::BadSignature));
        // Extend the expiry: same.
        let forged = token.replacen("4600", "4601", 1);
        assert_eq!(id.verify(&forged, 1_001), Err(TokenError::BadSignature));
        // Another relay's token.
        let other = Identity::new("other-secret", None, 3600, 0);
        let (foreign, _) = other.issue("v_abc", 1_000);
        assert_eq!(id.verify(&foreign, 1_001), Err(TokenError::BadSignature));
        for junk in [
            "",
            "abc",
            "a.b.c",
            "a.b.c.d",
            "v_abc.x.4600.00",
            "v-abc.1000.4600.00",
            "v_abc.1000.4600.zz",
        ] {
            assert_eq!(id.verify(junk, 1_001), Err(TokenError::Malformed), "{junk}");
        }
    }

    /// The red-team finding: the old token key was the host's signature of the user id
    /// `udesk-chat token key`, so a user who could choose that id could sign any token.
    #[test]
    fn no_host_signature_of_any_user_id_verifies_as_a_token() {
        let id = identity();
        let victim = id.customer_token_for_user("user-42");
        let now = 1_000;
        let payload = token_payload(&victim, now, now + 3600);
        let mut info_with_counter = TOKEN_KEY_INFO.to_vec();
        info_with_counter.push(1);
        let user_ids = [
            "udesk-chat token key".to_owned(),
            String::from_utf8(TOKEN_KEY_INFO.to_vec()).unwrap(),
            String::from_utf8(info_with_counter).unwrap(),
            String::from_utf8(CUSTOMER_KEY_INFO.to_vec()).unwrap(),
            String::from_utf8(KEY_SALT.to_vec()).unwrap(),
            payload.clone(),
            format!("udesk-chat/v1|{victim}|{}", u64::MAX),
            "udesk-chat customer_token\0user-42".to_owned(),
            "user-42".to_owned(),
            String::new(),
        ];
        for user_id in &user_ids {
            let host_signature = sign_user_id(SECRET, user_id);
            let as_key = unhex(&host_signature).unwrap();
            // The signature as a token key, with any expiry (u64::MAX is what the red team used).
            for expires_at in [now + 3600, u64::MAX] {
                let forged = signed_with(&as_key, &victim, now, expires_at);
                assert_eq!(
                    id.verify(&forged, now + 1),
                    Err(TokenError::BadSignature),
                    "a user signed as {user_id:?} forged a token"
                );
                assert!(id.verify_for_renewal(&forged, now + 1).is_err());
            }
            // The signature itself as a token's signature.
            let forged = format!("{victim}.{now}.{}.{host_signature}", now + 3600);
            assert_eq!(id.verify(&forged, now + 1), Err(TokenError::BadSignature));
            // Nor does any signature reveal a new user's customer_token.
            assert!(
                !host_signature.contains(&victim[2..]),
                "the signature of {user_id:?} reveals user-42's customer_token"
            );
        }
    }

    #[test]
    fn tokens_of_the_old_derived_key_are_refused() {
        let id = identity();
        let old_key = hmac(SECRET.as_bytes(), b"udesk-chat token key");
        let now = 1_000;
        // The old format, as the old relay issued it.
        let payload = format!("udesk-chat/v1|v_abc|{}", now + 3600);
        let old = format!(
            "v_abc.{}.{}",
            now + 3600,
            hex(&hmac(&old_key, payload.as_bytes()))
        );
        assert_eq!(id.verify(&old, now), Err(TokenError::Malformed));
        assert!(id.verify_for_renewal(&old, now).is_err());
        // The old key in the new format.
        let old_key_new_form = signed_with(&old_key, "v_abc", now, now + 3600);
        assert_eq!(
            id.verify(&old_key_new_form, now),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn a_token_secret_makes_tokens_independent_of_the_identity_secret() {
        let derived = identity();
        let own = Identity::new(SECRET, Some("token-secret"), 3600, 600);
        let rotated = Identity::new(SECRET, Some("token-secret-2"), 3600, 600);
        let (token, _) = own.issue("v_abc", 1_000);
        assert_eq!(own.verify(&token, 1_001), Ok("v_abc".into()));
        assert_eq!(derived.verify(&token, 1_001), Err(TokenError::BadSignature));
        assert_eq!(rotated.verify(&token, 1_001), Err(TokenError::BadSignature));
        // Users keep their customer whatever the token secret.
        assert_eq!(
            own.customer_token_for_user("user-42"),
            derived.customer_token_for_user("user-42")
        );
        // Even a token secret equal to the identity secret is not reachable by a signature.
        let careless = Identity::new(SECRET, Some(SECRET), 3600, 600);
        let payload = token_payload("v_abc", 1_000, 4_600);
        let forged = format!("v_abc.1000.4600.{}", sign_user_id(SECRET, &payload));
        assert_eq!(
            careless.verify(&forged, 1_001),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn only_the_canonical_spelling_is_accepted() {
        let id = identity();
        let (token, _) = id.issue("v_abc", 1_000);
        assert_eq!(id.verify(&token, 1_001), Ok("v_abc".into()));
        let (head, sig) = token.rsplit_once('.').unwrap();
        let variants = [
            format!("{head}.{}", sig.to_uppercase()),
            token.replacen(".4600.", ".+4600.", 1),
            token.replacen(".4600.", ".04600.", 1),
            token.replacen(".1000.", ".01000.", 1),
            format!(" {token}"),
            format!("{token} "),
            format!("{token}\n"),
            format!("{token}00"),
            token.replacen(".4600.", ". 4600.", 1),
        ];
        for variant in variants {
            assert_eq!(
                id.verify(&variant, 1_001),
                Err(TokenError::Malformed),
                "{variant:?}"
            );
        }
    }

    #[test]
    fn renewal_is_bounded_by_the_lifetime_from_the_first_issue() {
        let day = 24 * 3600;
        let id = Identity::new(SECRET, None, day, 30 * day).with_max_lifetime(10 * day);
        let first = 1_000_000;
        let (mut token, _) = id.issue("v_abc", first);
        // A visitor (or a thief) renewing every day keeps the first issue time.
        let mut now = first;
        loop {
            now += day - 60;
            match id.verify_for_renewal(&token, now) {
                Ok(claims) => {
                    assert_eq!(claims.issued_at, first);
                    let (next, expires_at) = id.issue_renewal("v_abc", claims.issued_at, now);
                    assert!(expires_at <= first + 10 * day);
                    token = next;
                }
                Err(err) => {
                    assert_eq!(err, TokenError::LifetimeOver);
                    break;
                }
            }
            assert!(now < first + 11 * day, "renewed past the maximum lifetime");
        }
        assert!(now >= first + 10 * day);
        assert_eq!(id.verify(&token, now), Err(TokenError::Expired));
    }

    #[test]
    fn a_validly_signed_token_claiming_more_than_the_caps_is_refused() {
        let long = Identity::new(SECRET, None, 20 * 24 * 3600, 0);
        let short = Identity::new(SECRET, None, 3600, 0);
        let (token, _) = long.issue("v_abc", 1_000);
        assert_eq!(long.verify(&token, 1_001), Ok("v_abc".into()));
        // The operator lowered --token-ttl: longer tokens stop working at once.
        assert_eq!(short.verify(&token, 1_001), Err(TokenError::BadSignature));
        // Issued in the future (beyond clock skew).
        let (future, _) = short.issue("v_abc", 10_000);
        assert_eq!(short.verify(&future, 1_000), Err(TokenError::BadSignature));
        assert_eq!(short.verify(&future, 10_000 - 60), Ok("v_abc".into()));
    }

    #[test]
    fn users_map_to_stable_customers_only_with_a_signature() {
        let id = identity();
        let sig = sign_user_id(SECRET, "user-42");
        assert!(id.check_user_signature("user-42", &sig));
        assert!(id.check_user_signature("user-42", &sig.to_uppercase()));
        assert!(!id.check_user_signature("user-43", &sig));
        assert!(!id.check_user_signature("user-42", "nothex"));
        let a = id.customer_token_for_user("user-42");
        assert_eq!(a, id.customer_token_for_user("user-42"));
        assert_ne!(a, id.customer_token_for_user("user-43"));
        assert!(udesk_protocol::customer::is_valid_customer_token(&a));
        // The legacy mapping is the old one, unchanged (existing users keep their customer).
        let legacy = id.legacy_customer_token_for_user("user-42");
        let old_sig = sign_user_id(SECRET, "udesk-chat customer_token\0user-42");
        assert_eq!(legacy, format!("u_{}", &old_sig[..40]));
        assert_ne!(legacy, a);
        let anon = Identity::anonymous_customer_token();
        assert!(udesk_protocol::customer::is_valid_customer_token(&anon));
        assert_ne!(anon, Identity::anonymous_customer_token());
    }
}
