//! The udesk-chat widget (skeleton: the widget issue fills it in).
fn main() {}
