//! Udesk Open API request signing (feature `sign`).
//!
//! Every Open API call carries `email`, `timestamp`, `nonce`, `sign` and `sign_version` in its query:
//! - v2: `sign = hex(SHA256(email & token & timestamp & nonce & "v2"))`
//! - v1: `sign = hex(SHA1(email & token & timestamp))`, no nonce.
//!
//! A server refuses a missing or wrong sign (2059), a bad timestamp (20621), a clock more than
//! 5 minutes off (20622), a nonce reused within 15 minutes (20623) and an empty nonce (20624).

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// How far a request's timestamp may be from the server's clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;
/// How long a nonce stays used.
pub const NONCE_WINDOW_SECS: i64 = 15 * 60;

/// The v2 signature.
pub fn sign_v2(email: &str, token: &str, timestamp: i64, nonce: &str) -> String {
    hex(&Sha256::digest(
        format!("{email}&{token}&{timestamp}&{nonce}&v2").as_bytes(),
    ))
}

/// The v1 signature.
pub fn sign_v1(email: &str, token: &str, timestamp: i64) -> String {
    hex(&Sha1::digest(
        format!("{email}&{token}&{timestamp}").as_bytes(),
    ))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Compares two byte strings in time that depends only on their lengths, so that an attacker
/// cannot learn a secret one byte at a time from response times.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signing parameters of an Open API query string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignedQuery {
    #[serde(default)]
    pub email: String,
    /// Unix seconds, as text on the wire.
    #[serde(default)]
    pub timestamp: String,
    #[serde(default)]
    pub sign: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_version: Option<String>,
}

/// Why a signed request was refused, with Udesk's code for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignError {
    /// 2059: missing or wrong email or sign.
    WrongSign,
    /// 20621: the timestamp is not a number.
    BadTimestamp,
    /// 20622: the timestamp is more than 5 minutes away.
    ClockSkew,
    /// 20623: the nonce was used within 15 minutes (checked by the caller, who keeps the nonces).
    NonceReused,
    /// 20624: a v2 request without a nonce.
    NonceEmpty,
}

impl SignError {
    pub fn code(self) -> crate::Code {
        use crate::Code;
        match self {
            SignError::WrongSign => Code::WRONG_SIGN,
            SignError::BadTimestamp => Code::BAD_TIMESTAMP,
            SignError::ClockSkew => Code::CLOCK_SKEW,
            SignError::NonceReused => Code::NONCE_REUSED,
            SignError::NonceEmpty => Code::NONCE_EMPTY,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SignError::WrongSign => "签名错误 (wrong email or sign)",
            SignError::BadTimestamp => "时间戳格式错误 (timestamp is not a number)",
            SignError::ClockSkew => "时间戳与服务器时间相差超过5分钟 (clock skew over 5 minutes)",
            SignError::NonceReused => "nonce 已被使用 (nonce reused within 15 minutes)",
            SignError::NonceEmpty => "nonce 不能为空 (nonce is empty)",
        }
    }
}

impl SignedQuery {
    /// A v2-signed query for a request made at `timestamp` with a fresh `nonce`.
    pub fn v2(email: &str, token: &str, timestamp: i64, nonce: &str) -> Self {
        SignedQuery {
            email: email.to_owned(),
            timestamp: timestamp.to_string(),
            sign: sign_v2(email, token, timestamp, nonce),
            nonce: Some(nonce.to_owned()),
            sign_version: Some("v2".to_owned()),
        }
    }

    /// Checks the signature against the account's `email` and `token` at server time `now`.
    /// The caller checks nonce reuse, since only it remembers nonces.
    pub fn verify(&self, email: &str, token: &str, now: i64) -> Result<(), SignError> {
        if self.email.is_empty() || self.sign.is_empty() {
            return Err(SignError::WrongSign);
        }
        let timestamp: i64 = self
            .timestamp
            .trim()
            .parse()
            .map_err(|_| SignError::BadTimestamp)?;
        // abs_diff: a timestamp near i64::MIN or MAX must not overflow.
        if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECS.unsigned_abs() {
            return Err(SignError::ClockSkew);
        }
        let expected = match self.sign_version.as_deref() {
            Some("v2") => {
                let nonce = self.nonce.as_deref().unwrap_or_default();
                if nonce.is_empty() {
                    return Err(SignError::NonceEmpty);
                }
                sign_v2(email, token, timestamp, nonce)
            }
            _ => sign_v1(email, token, timestamp),
        };
        let email_ok = constant_time_eq(self.email.as_bytes(), email.as_bytes());
        let sign_ok = constant_time_eq(
            self.sign.to_ascii_lowercase().as_bytes(),
            expected.as_bytes(),
        );
        if email_ok && sign_ok {
            Ok(())
        } else {
            Err(SignError::WrongSign)
        }
    }
}
