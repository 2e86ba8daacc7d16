//! Creating a customer through Udesk's Open API: `POST /open_api_v1/customers`.
//!
//! ```json
//! {"customer": {"email": "v@example.com", "nick_name": "Visitor 42", "open_api_token": "c_42",
//!               "level": "normal", "cellphones": [[null, "13651190000"]]},
//!  "tags": "web,trial"}
//! ```
//! The IM `customer_token` equals the customer's `open_api_token`.

use crate::code::Code;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The request body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateCustomerRequest {
    pub customer: CustomerFields,
    /// Comma-separated tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
}

/// A customer's fields. Only `nick_name` is needed in practice; the rest is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `normal` or `vip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The IM customer_token of this customer: letters, digits and underscores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_api_token: Option<String>,
    /// `[[id or null, number], …]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cellphones: Vec<(Option<Value>, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_emails: Vec<(Option<Value>, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_group_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub custom_fields: Map<String, Value>,
}

/// The answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateCustomerResponse {
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerRecord>,
}

/// A customer as Udesk stores it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_api_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// Whether `token` is a valid customer token: 1–64 letters, digits and underscores (Udesk's SDK
/// rule).
pub fn is_valid_customer_token(token: &str) -> bool {
    (1..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
