//! Visitor identity: customer tokens and the signed bearer tokens bound to them.
//!
//! - An anonymous visitor gets a random customer_token (`v_` + 30 letters and digits).
//! - A host site that knows its user signs the user's id: `hex(HMAC-SHA256(identity secret,
//!   user_id))`. The relay checks it and derives a stable customer_token from the id
//!   (`u_` + 40 hex digits of another HMAC), so the same user is the same Udesk customer on
//!   every device, and nobody can claim a user without the host's signature.
//! - A bearer token is `<customer_token>.<expires_at>.<hex HMAC-SHA256(token secret, …)>`:
//!   stateless, checked in constant time, bound to one customer and expiring. Customer tokens
//!   hold only letters, digits and `_`, so the dots are unambiguous.

use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::Sha256;
use udesk_protocol::sign::hex;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Malformed => "the token is malformed",
            TokenError::BadSignature => "the token was not issued by this relay",
            TokenError::Expired => "the token has expired; get a new one from POST /v1/visitor",
        }
    }
}

/// Issues and checks visitor tokens.
#[derive(Clone)]
pub struct Identity {
    identity_key: Vec<u8>,
    token_key: Vec<u8>,
    ttl_secs: u64,
    renew_grace_secs: u64,
}

impl Identity {
    /// `token_secret` `None` derives the token key from the identity secret, so that tokens
    /// survive a restart whenever the identity secret is configured.
    pub fn new(
        identity_secret: &str,
        token_secret: Option<&str>,
        ttl_secs: u64,
        renew_grace_secs: u64,
    ) -> Identity {
        let token_key = match token_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => hmac(identity_secret.as_bytes(), b"udesk-chat token key").to_vec(),
        };
        Identity {
            identity_key: identity_secret.as_bytes().to_vec(),
            token_key,
            ttl_secs: ttl_secs.max(1),
            renew_grace_secs,
        }
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

    /// The stable customer_token of a host site's user.
    pub fn customer_token_for_user(&self, user_id: &str) -> String {
        let mut message = b"udesk-chat customer_token\0".to_vec();
        message.extend_from_slice(user_id.as_bytes());
        let digest = hmac(&self.identity_key, &message);
        format!("u_{}", &hex(&digest)[..40])
    }

    /// A token for `customer_token`, valid for the configured lifetime from `now` (Unix seconds).
    /// Returns the token and its expiry.
    pub fn issue(&self, customer_token: &str, now: u64) -> (String, u64) {
        // Saturating: `--token-ttl` is any u64 (a huge one means "does not expire").
        let expires_at = now.saturating_add(self.ttl_secs);
        let sig = hex(&hmac(
            &self.token_key,
            token_payload(customer_token, expires_at).as_bytes(),
        ));
        (format!("{customer_token}.{expires_at}.{sig}"), expires_at)
    }

    /// The customer_token of a valid, unexpired token.
    pub fn verify(&self, token: &str, now: u64) -> Result<String, TokenError> {
        self.verify_until(token, now)
            .map(|(customer_token, _)| customer_token)
    }

    /// The customer_token of a valid, unexpired token, and when it expires (Unix seconds): what
    /// the token grants must end then (an open event stream, too).
    pub fn verify_until(&self, token: &str, now: u64) -> Result<(String, u64), TokenError> {
        let (customer_token, expires_at) = self.verify_signature(token)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok((customer_token, expires_at))
    }

    /// Like [`Identity::verify`], but accepts a token that expired less than the renewal grace
    /// period ago: a returning visitor keeps its conversation.
    pub fn verify_for_renewal(&self, token: &str, now: u64) -> Result<String, TokenError> {
        let (customer_token, expires_at) = self.verify_signature(token)?;
        if now >= expires_at.saturating_add(self.renew_grace_secs) {
            return Err(TokenError::Expired);
        }
        Ok(customer_token)
    }

    fn verify_signature(&self, token: &str) -> Result<(String, u64), TokenError> {
        let mut parts = token.trim().rsplitn(3, '.');
        let (Some(sig), Some(expires), Some(customer_token)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let expires_at: u64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        if !udesk_protocol::customer::is_valid_customer_token(customer_token) {
            return Err(TokenError::Malformed);
        }
        let sig = unhex(sig).ok_or(TokenError::Malformed)?;
        mac(&self.token_key)
            .chain_update(token_payload(customer_token, expires_at).as_bytes())
            .verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        Ok((customer_token.to_owned(), expires_at))
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

fn token_payload(customer_token: &str, expires_at: u64) -> String {
    format!("udesk-chat/v1|{customer_token}|{expires_at}")
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

    fn identity() -> Identity {
        Identity::new("identity-secret", None, 3600, 600)
    }

    #[test]
    fn a_token_names_its_customer_until_it_expires() {
        let id = identity();
        let (token, expires_at) = id.issue("v_abc", 1_000);
        assert_eq!(expires_at, 4_600);
        assert_eq!(id.verify(&token, 1_001), Ok("v_abc".into()));
        assert_eq!(id.verify(&token, 4_600), Err(TokenError::Expired));
        // Renewal still works inside the grace period, not after.
        assert_eq!(id.verify_for_renewal(&token, 5_000), Ok("v_abc".into()));
        assert_eq!(
            id.verify_for_renewal(&token, 5_200),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_huge_lifetime_means_no_expiry_not_an_overflow() {
        let id = Identity::new("identity-secret", None, u64::MAX, u64::MAX);
        let (token, expires_at) = id.issue("v_abc", 1_000);
        assert_eq!(expires_at, u64::MAX);
        assert_eq!(id.verify(&token, u64::MAX - 1), Ok("v_abc".into()));
        assert_eq!(
            id.verify_for_renewal(&token, u64::MAX - 1),
            Ok("v_abc".into())
        );
    }

    #[test]
    fn forged_and_foreign_tokens_fail() {
        let id = identity();
        let (token, _) = id.issue("v_abc", 1_000);
        // Swap the customer: the signature no longer matches.
        let forged = token.replacen("v_abc", "v_abd", 1);
        assert_eq!(id.verify(&forged, 1_001), Err(TokenError::BadSignature));
        // Extend the expiry: same.
        let forged = token.replacen("4600", "9600", 1);
        assert_eq!(id.verify(&forged, 1_001), Err(TokenError::BadSignature));
        // Another relay's token.
        let other = Identity::new("other-secret", None, 3600, 0);
        let (foreign, _) = other.issue("v_abc", 1_000);
        assert_eq!(id.verify(&foreign, 1_001), Err(TokenError::BadSignature));
        for junk in [
            "",
            "abc",
            "a.b.c",
            "v_abc.x.00",
            "v-abc.4600.00",
            "v_abc.4600.zz",
        ] {
            assert_eq!(id.verify(junk, 1_001), Err(TokenError::Malformed), "{junk}");
        }
    }

    #[test]
    fn users_map_to_stable_customers_only_with_a_signature() {
        let id = identity();
        let sig = sign_user_id("identity-secret", "user-42");
        assert!(id.check_user_signature("user-42", &sig));
        assert!(id.check_user_signature("user-42", &sig.to_uppercase()));
        assert!(!id.check_user_signature("user-43", &sig));
        assert!(!id.check_user_signature("user-42", "nothex"));
        let a = id.customer_token_for_user("user-42");
        assert_eq!(a, id.customer_token_for_user("user-42"));
        assert_ne!(a, id.customer_token_for_user("user-43"));
        assert!(udesk_protocol::customer::is_valid_customer_token(&a));
        let anon = Identity::anonymous_customer_token();
        assert!(udesk_protocol::customer::is_valid_customer_token(&anon));
        assert_ne!(anon, Identity::anonymous_customer_token());
    }
}
