//! Result codes: every Udesk answer carries an integer `code`; `1000` means success.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Udesk result code. Unknown codes are kept as they are.
///
/// ```
/// # use udesk_protocol::Code;
/// let ok: Code = serde_json::from_str("1000").unwrap();
/// assert!(ok.is_success());
/// assert_eq!(serde_json::to_string(&Code::QUEUED).unwrap(), "2001");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Code(pub i64);

impl Code {
    /// The call succeeded.
    pub const SUCCESS: Code = Code(1000);
    /// Create session: the customer is queued or being assigned (`assign_info.count` = position).
    pub const QUEUED: Code = Code(2001);
    /// Create session: no agent is online.
    pub const NO_AGENT: Code = Code(2002);
    /// A parameter has a bad value or type.
    pub const BAD_PARAMS: Code = Code(2005);
    /// Open API: the signature is wrong.
    pub const WRONG_SIGN: Code = Code(2059);
    /// A required parameter is missing.
    pub const MISSING_PARAM: Code = Code(2062);
    /// Open API: the timestamp is not a valid number.
    pub const BAD_TIMESTAMP: Code = Code(20621);
    /// Open API: the timestamp is more than 5 minutes from the server's clock.
    pub const CLOCK_SKEW: Code = Code(20622);
    /// Open API: the nonce was already used within 15 minutes.
    pub const NONCE_REUSED: Code = Code(20623);
    /// Open API: the nonce is empty.
    pub const NONCE_EMPTY: Code = Code(20624);
    /// The session does not exist or is closed.
    pub const SESSION_MISSING: Code = Code(9200);

    /// Whether this code means success.
    pub fn is_success(self) -> bool {
        self == Code::SUCCESS
    }

    /// A short English description of a known code.
    pub fn describe(self) -> &'static str {
        match self {
            Code::SUCCESS => "success",
            Code::QUEUED => "queued for an agent",
            Code::NO_AGENT => "no agent online",
            Code::BAD_PARAMS => "bad parameters",
            Code::WRONG_SIGN => "wrong signature",
            Code::MISSING_PARAM => "missing parameter",
            Code::BAD_TIMESTAMP => "bad timestamp",
            Code::CLOCK_SKEW => "timestamp too far from the server clock",
            Code::NONCE_REUSED => "nonce already used",
            Code::NONCE_EMPTY => "nonce missing",
            Code::SESSION_MISSING => "session missing or closed",
            _ => "unknown result code",
        }
    }
}

impl Default for Code {
    fn default() -> Self {
        Code::SUCCESS
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The answer of calls that return nothing but a code (send message, survey, rating).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeResponse {
    pub code: Code,
    /// Present on failure: what went wrong, in Udesk's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl CodeResponse {
    pub fn success() -> Self {
        CodeResponse::default()
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        CodeResponse {
            code,
            message: Some(message.into()),
        }
    }
}
