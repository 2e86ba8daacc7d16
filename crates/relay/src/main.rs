//! `udesk-relay` (skeleton: the relay issue fills it in).
fn main() {}
