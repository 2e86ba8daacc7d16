//! A local stand-in for Udesk's IM service.
