//! The visitor's token: kept, renewed before it expires, re-created when the relay forgot it, and
//! named by the host page (`identify()`); every relay call goes through [`Chat::call`] with it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::reader::{self, value::Read};
use udesk_protocol::relay::VisitorRequest;

use super::{decode, Chat};
use crate::api::{ApiError, Call, TextFuture};
use crate::browser::now_ms;
use crate::state::Phase;

impl Chat {
    /// A valid token: the stored one, renewed when it is about to expire, or a new visitor.
    pub(super) fn ensure_visitor(self) -> TextFuture {
        Box::pin(async move {
            let current = self.conv.with_untracked(|c| c.visitor.clone());
            match current {
                Some(v) if v.expires_at as i64 > now_ms() / 1000 + 60 => Ok(v.token),
                Some(v) => self.fetch_visitor(Some(v.token)).await,
                None => self.fetch_visitor(None).await,
            }
        })
    }

    /// `POST /v1/visitor`: a renewal with `bearer`, falling back to a new visitor when the relay
    /// no longer accepts the old token. Resolves to the new token.
    pub(super) fn fetch_visitor(self, bearer: Option<String>) -> TextFuture {
        Box::pin(async move {
            let api = self.api();
            let call = Call::Visitor(self.inner.with_value(|i| i.identity.clone()));
            let text = match api.fetch(&call, bearer.as_deref()).await {
                Err(e) if bearer.is_some() && e.is_unauthorized() => api.fetch(&call, None).await?,
                other => other?,
            };
            let response = decode(&text, reader::visitor_response)?;
            let token = response.token.clone();
            self.conv.update(|c| c.set_visitor(response, now_ms()));
            Ok(token)
        })
    }

    /// Tells the relay who the visitor is (the host page's signed user id).
    pub fn identify(self, identity: VisitorRequest) {
        self.inner.update_value(|i| i.identity = identity);
        spawn_local(async move {
            match self.fetch_visitor(None).await {
                Ok(_) => {
                    self.connect_stream();
                    let idle = self.conv.with_untracked(|c| c.session.phase == Phase::Idle);
                    if idle && self.open.get_untracked() {
                        self.start();
                    }
                }
                Err(e) => self.report(&e),
            }
        });
    }

    /// Makes `call` with a valid token (on 401 gets a new token once and tries again), and
    /// reads the answer with `read`.
    pub(super) async fn call<T>(self, call: Call, read: Read<T>) -> Result<T, ApiError> {
        let text = self.call_text(call).await?;
        decode(&text, read)
    }

    pub(super) fn call_text(self, call: Call) -> TextFuture {
        Box::pin(async move {
            let token = self.ensure_visitor().await?;
            match self.api().fetch(&call, Some(&token)).await {
                Err(e) if e.is_unauthorized() => {
                    let token = self.fetch_visitor(Some(token)).await?;
                    self.connect_stream();
                    self.api().fetch(&call, Some(&token)).await
                }
                other => other,
            }
        })
    }
}
