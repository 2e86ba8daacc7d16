//! Client-side ids: every message the visitor sends gets its id here, before the first attempt,
//! and keeps it across retries, so the relay and Udesk see a retried send as the same message.

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// A message id from 16 random bytes: `w-` and 32 hex digits (128 bits: collisions are not a
/// concern even across every visitor of a company, which is the scope Udesk requires).
pub fn message_id(random: [u8; 16]) -> String {
    format!("w-{}", hex(&random))
}

/// 16 bytes from the browser's CSPRNG (`crypto.getRandomValues`).
#[cfg(target_arch = "wasm32")]
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok())
        .unwrap_or(false);
    if !filled {
        // No Web Crypto (a very old browser): Math.random is still unique enough for ids.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// A fresh message id.
#[cfg(target_arch = "wasm32")]
pub fn new_message_id() -> String {
    message_id(random_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_hex_of_all_sixteen_bytes() {
        let id = message_id([0xab; 16]);
        assert_eq!(id.len(), 2 + 32);
        assert_eq!(id, format!("w-{}", "ab".repeat(16)));
        assert_eq!(hex(&[0x00, 0x0f, 0xf0, 0xff]), "000ff0ff");
        assert_ne!(message_id([1; 16]), message_id([2; 16]));
    }
}
