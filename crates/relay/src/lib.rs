//! The udesk-chat relay.
