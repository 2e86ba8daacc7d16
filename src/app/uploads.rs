//! Files the visitor sends (picked, pasted, dropped or recorded): checked against the relay's
//! limits before a byte is sent ([`crate::upload::check`]), uploaded to `POST /v1/uploads` with
//! progress, then sent as a message of the kind the relay recognised (through the ordinary send
//! path: message id, retry, new session when Udesk forgot the old one).
//!
//! While it uploads, a file is a pending row at the end of the transcript (name, size, progress,
//! cancel). A failed upload keeps its file (in memory, not in `localStorage`) for a retry; a
//! cancelled one is dropped. The live region says when an upload starts, fails or is cancelled.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::reader;

use super::{decode, Chat};
use crate::api::{ApiError, Call, Uploading};
use crate::upload::{self, Limits, Refusal};

/// One file on its way, as the transcript shows it.
#[derive(Clone)]
pub struct PendingUpload {
    pub id: u32,
    pub name: String,
    pub size: u64,
    /// Percent sent.
    pub progress: RwSignal<u32>,
    /// Why it failed (then it waits for retry or cancel).
    pub error: RwSignal<Option<String>>,
}

/// The file behind a pending row, and its request while it runs.
struct Held {
    id: u32,
    file: web_sys::Blob,
    name: String,
    request: Option<Uploading>,
}

/// The uploads' state: part of the [`Chat`] handle.
#[derive(Clone, Copy)]
pub struct Uploads {
    pub rows: RwSignal<Vec<PendingUpload>>,
    /// The relay's limits, once `GET /v1/config` answered (the attach button shows then).
    pub limits: RwSignal<Option<Limits>>,
    held: StoredValue<Vec<Held>, LocalStorage>,
    next_id: StoredValue<u32>,
}

impl Uploads {
    pub fn new() -> Uploads {
        Uploads {
            rows: RwSignal::new(Vec::new()),
            limits: RwSignal::new(None),
            held: StoredValue::new_local(Vec::new()),
            next_id: StoredValue::new(0),
        }
    }
}

impl Chat {
    /// Asks the relay for its upload limits, unless known (again on every panel opening until
    /// it answered).
    pub fn load_upload_limits(self) {
        if self.uploads.limits.get_untracked().is_some() {
            return;
        }
        spawn_local(async move {
            let answer = self.api().fetch(&Call::Config, None).await;
            match answer.and_then(|text| decode(&text, Limits::read)) {
                Ok(limits) => self.uploads.limits.set(limits),
                Err(e) => crate::browser::warn(&["upload limits: ", &e.to_string()].concat()),
            }
        });
    }

    /// Sends the files the visitor picked, pasted or dropped, each as its own message; a file the
    /// relay would refuse is explained instead, before anything is sent.
    pub fn attach(self, files: Vec<web_sys::File>) {
        for file in files {
            let name = file.name();
            self.send_file(file.into(), name);
        }
    }

    /// Uploads `file` as `name` and sends it.
    pub fn send_file(self, file: web_sys::Blob, name: String) {
        let t = self.texts_untracked();
        let size = file.size() as u64;
        let limits = self.uploads.limits.get_untracked().unwrap_or_default();
        if let Err(refusal) = upload::check(&file.type_(), size, limits) {
            let reason = match refusal {
                Refusal::Empty => t.file_empty.to_owned(),
                Refusal::TooLarge { max } => t.too_large(&crate::format::human_bytes(max)),
                Refusal::UnsupportedPicture => t.picture_unsupported.to_owned(),
            };
            let text = t.about_file(&name, &reason);
            self.announcement.set(text.clone());
            self.error.set(Some(text));
            return;
        }
        let id = self.uploads.next_id.get_value();
        self.uploads.next_id.set_value(id + 1);
        self.uploads.held.update_value(|held| {
            held.push(Held {
                id,
                file,
                name: name.clone(),
                request: None,
            })
        });
        self.uploads.rows.update(|rows| {
            rows.push(PendingUpload {
                id,
                name,
                size,
                progress: RwSignal::new(0),
                error: RwSignal::new(None),
            })
        });
        self.start_upload(id);
    }

    /// Stops an upload (or forgets a failed one) and removes its row.
    pub fn cancel_upload(self, id: u32) {
        let Some(held) = self.take_upload(id) else {
            return;
        };
        if let Some(request) = &held.request {
            request.abort();
        }
        let t = self.texts_untracked();
        self.announcement
            .set(t.about_file(&held.name, t.upload_cancelled));
    }

    /// Uploads a failed file again.
    pub fn retry_upload(self, id: u32) {
        if let Some(row) = self.upload_row(id) {
            row.error.set(None);
            row.progress.set(0);
            self.start_upload(id);
        }
    }

    fn upload_row(self, id: u32) -> Option<PendingUpload> {
        self.uploads
            .rows
            .with_untracked(|rows| rows.iter().find(|r| r.id == id).cloned())
    }

    /// Removes an upload's row and file.
    fn take_upload(self, id: u32) -> Option<Held> {
        self.uploads.rows.update(|rows| rows.retain(|r| r.id != id));
        self.uploads.held.try_update_value(|held| {
            let index = held.iter().position(|h| h.id == id)?;
            Some(held.remove(index))
        })?
    }

    fn start_upload(self, id: u32) {
        let Some(row) = self.upload_row(id) else {
            return;
        };
        let t = self.texts_untracked();
        self.announcement.set(t.about_file(&row.name, t.uploading));
        spawn_local(async move {
            let result = self.upload(id, row.progress).await;
            // Cancelled meanwhile: the row is gone, nothing to say.
            if self.upload_row(id).is_none() {
                return;
            }
            match result {
                Ok(response) => {
                    self.take_upload(id);
                    self.announcement
                        .set(t.about_file(&response.filename, t.upload_sent));
                    let url = response.url.clone();
                    self.send_content(upload::message_content(response), &url);
                }
                Err(e) => {
                    crate::browser::warn(&["upload failed: ", &e.to_string()].concat());
                    let reason = match &e {
                        ApiError::Relay { body, .. } if !body.message.is_empty() => {
                            [t.upload_failed, ": ", &body.message].concat()
                        }
                        _ => t.upload_failed.to_owned(),
                    };
                    self.announcement.set(t.about_file(&row.name, &reason));
                    self.held_request_clear(id);
                    row.error.set(Some(reason));
                }
            }
        });
    }

    /// Forgets the finished request of upload `id` (its file stays for a retry).
    fn held_request_clear(self, id: u32) -> Option<Uploading> {
        self.uploads
            .held
            .try_update_value(|held| {
                held.iter_mut()
                    .find(|h| h.id == id)
                    .and_then(|h| h.request.take())
            })
            .flatten()
    }

    /// One upload of file `id` with a valid token (a new one once if the relay refused the
    /// token); the relay's answer.
    async fn upload(
        self,
        id: u32,
        progress: RwSignal<u32>,
    ) -> Result<udesk_protocol::relay::UploadResponse, ApiError> {
        let mut token = self.ensure_visitor().await?;
        for attempt in 0..2 {
            let Some((file, name)) = self.uploads.held.with_value(|held| {
                held.iter()
                    .find(|h| h.id == id)
                    .map(|h| (h.file.clone(), h.name.clone()))
            }) else {
                return Err(ApiError::Network("cancelled".to_owned()));
            };
            let (request, done) = self.api().upload(&file, &name, &token, move |percent| {
                progress.try_set(percent);
            })?;
            self.uploads.held.update_value(|held| {
                if let Some(h) = held.iter_mut().find(|h| h.id == id) {
                    h.request = Some(request);
                }
            });
            match done.await {
                Err(e) if attempt == 0 && e.is_unauthorized() => {
                    token = self.fetch_visitor(Some(token)).await?;
                    self.connect_stream();
                }
                other => return decode(&other?, reader::upload_response),
            }
        }
        Err(ApiError::Network("unauthorized".to_owned()))
    }
}
