//! Open API signing, checked against values computed independently (Python's hashlib) from the
//! worked example in Udesk's documentation.
#![cfg(feature = "sign")]

use udesk_protocol::sign::{constant_time_eq, sign_v1, sign_v2, SignError, SignedQuery};

const EMAIL: &str = "udeskdemo@udesk.cn";
const TOKEN: &str = "6208398e-4838-425a-b6c3-45c0aa3a4d4d";
const TS: i64 = 1488337316;
const NONCE: &str = "2d931510-d99f-494a-8c67-87feb05e1594";

#[test]
fn signatures_match_the_documented_formula() {
    assert_eq!(
        sign_v1(EMAIL, TOKEN, TS),
        "fc4d78cf8428957f9a1fbcd8b89f49c993d68cc2"
    );
    assert_eq!(
        sign_v2(EMAIL, TOKEN, TS, NONCE),
        "010b0f747f3048b0ccdc60d8f973ac5667deb6329307a65c77fc7be5e665feda"
    );
}

#[test]
fn verify_accepts_good_and_refuses_bad_requests_with_udesks_reasons() {
    let good = SignedQuery::v2(EMAIL, TOKEN, TS, NONCE);
    assert_eq!(good.verify(EMAIL, TOKEN, TS + 10), Ok(()));
    assert_eq!(
        good.verify(EMAIL, "other-token", TS),
        Err(SignError::WrongSign)
    );
    assert_eq!(
        good.verify("admin@else.com", TOKEN, TS),
        Err(SignError::WrongSign)
    );
    assert_eq!(
        good.verify(EMAIL, TOKEN, TS + 301),
        Err(SignError::ClockSkew)
    );
    let mut no_nonce = good.clone();
    no_nonce.nonce = None;
    assert_eq!(
        no_nonce.verify(EMAIL, TOKEN, TS),
        Err(SignError::NonceEmpty)
    );
    let mut bad_ts = good.clone();
    bad_ts.timestamp = "yesterday".into();
    assert_eq!(
        bad_ts.verify(EMAIL, TOKEN, TS),
        Err(SignError::BadTimestamp)
    );
    let v1 = SignedQuery {
        email: EMAIL.into(),
        timestamp: TS.to_string(),
        sign: sign_v1(EMAIL, TOKEN, TS),
        nonce: None,
        sign_version: None,
    };
    assert_eq!(v1.verify(EMAIL, TOKEN, TS), Ok(()));
    assert_eq!(SignError::WrongSign.code().0, 2059);
    assert_eq!(SignError::NonceReused.code().0, 20623);
}

#[test]
fn constant_time_eq_compares_content_and_length() {
    assert!(constant_time_eq(b"secret", b"secret"));
    assert!(!constant_time_eq(b"secret", b"secreT"));
    assert!(!constant_time_eq(b"secret", b"secret!"));
    assert!(constant_time_eq(b"", b""));
}

#[test]
fn extreme_timestamps_are_clock_skew_not_a_panic() {
    let at = |timestamp: i64| SignedQuery {
        email: EMAIL.into(),
        timestamp: timestamp.to_string(),
        sign: "00".into(),
        nonce: Some(NONCE.into()),
        sign_version: Some("v2".into()),
    };
    for (timestamp, now) in [
        (i64::MIN, TS),
        (i64::MAX, TS),
        (i64::MAX, i64::MIN),
        (i64::MIN, i64::MAX),
    ] {
        assert_eq!(
            at(timestamp).verify(EMAIL, TOKEN, now),
            Err(SignError::ClockSkew),
            "{timestamp} at {now}"
        );
    }
}
