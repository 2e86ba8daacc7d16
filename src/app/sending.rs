//! Sending: what the visitor writes goes out with a client-side message id, is retried under the
//! same id (never twice at Udesk), and starts a new session when Udesk says the old one is gone.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::code::{Code, CodeResponse};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::reader;
use udesk_protocol::Content;

use super::host::message_event;
use super::Chat;
use crate::api::Call;
use crate::browser::now_ms;
use crate::state::Conversation;

impl Chat {
    /// Sends what the visitor typed (or a suggested question they clicked).
    pub fn send_text(self, text: String) {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let text_for_event = text.clone();
        self.send_content(Content::text(text), &text_for_event);
    }

    /// Sends `content` (a text, or an uploaded file's message) under a new message id; `text`
    /// is what the host page's `message` event says of it.
    pub(super) fn send_content(self, content: Content, text: &str) {
        let message_id = crate::ids::new_message_id();
        let kind = content.kind().to_owned();
        self.conv
            .update(|c| drop(c.send(message_id.clone(), content, now_ms())));
        self.emit(
            "message",
            message_event(
                "visitor",
                self.texts_untracked().you,
                &kind,
                text,
                &message_id,
            ),
        );
        spawn_local(self.deliver(message_id));
    }

    /// Resends a failed message with its original id.
    pub fn retry(self, message_id: String) {
        if self.conv.try_update(|c| c.retry(&message_id)) == Some(true) {
            spawn_local(self.deliver(message_id));
        }
    }

    /// Failed messages go out again once the stream is back (same ids: never twice at Udesk).
    pub(super) fn resend_failed(self) {
        for id in self.conv.with_untracked(Conversation::failed_message_ids) {
            self.retry(id);
        }
    }

    pub(super) async fn deliver(self, message_id: String) {
        // One more attempt when Udesk says the session is gone: a new one is created first.
        for _attempt in 0..2 {
            if let Err(e) = self.ensure_session().await {
                self.conv.update(|c| c.send_finished(&message_id, false));
                self.report(&e);
                return;
            }
            let Some(out) = self.conv.try_update(|c| c.delivery(&message_id)).flatten() else {
                return;
            };
            let request = SendMessageRequest {
                customer_token: String::new(),
                im_sub_session_id: out.target,
                message_id: Some(out.message_id),
                content: out.content,
            };
            let result = self.call(Call::Send(request), reader::code_response).await;
            let code = match &result {
                Ok(response) => response.code,
                Err(e) => e.udesk_code().map_or(Code(0), Code),
            };
            if code == Code::SESSION_MISSING {
                self.conv.update(|c| c.session_missing(now_ms()));
                continue;
            }
            match result {
                Ok(CodeResponse { code, .. }) if code.is_success() => {
                    self.conv.update(|c| c.send_finished(&message_id, true));
                }
                Ok(CodeResponse { code, message }) => {
                    self.conv.update(|c| c.send_finished(&message_id, false));
                    self.error.set(Some(
                        message.unwrap_or_else(|| format!("{} ({code})", code.describe())),
                    ));
                }
                Err(e) => {
                    self.conv.update(|c| c.send_finished(&message_id, false));
                    if !e.is_transient() {
                        self.report(&e);
                    }
                }
            }
            return;
        }
        self.conv.update(|c| c.send_finished(&message_id, false));
    }
}
