//! The visitor's files: the attach button (a hidden file input behind it), the voice note
//! button (tap to record, tap to send), the pending-upload
//! rows at the end of the transcript (name, size, progress bar, cancel, retry after a failure),
//! and the helpers the composer (paste) and the panel (drag and drop) use to hand files over.
//! The flow itself is `app::uploads`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::app::uploads::PendingUpload;
use crate::app::Chat;
use crate::dom::el;
use crate::i18n::Texts;

/// The files of a file list (an input's, a paste's or a drop's).
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Whether a drag carries files (not text or a link).
pub fn drags_files(event: &web_sys::DragEvent) -> bool {
    event
        .data_transfer()
        .is_some_and(|d| d.types().includes(&"Files".into(), 0))
}

/// The attach button: opens the browser's file picker. Shown once the relay said it takes
/// uploads (its limits).
#[component]
pub fn AttachButton(chat: Chat, t: &'static Texts) -> impl IntoView {
    chat.load_upload_limits();
    let input = NodeRef::<leptos::html::Input>::new();
    view! {
        <input
            type="file"
            multiple
            hidden
            tabindex="-1"
            aria-hidden="true"
            data-testid="attach-input"
            node_ref=input
            on:change=move |_| {
                if let Some(input) = input.get_untracked() {
                    chat.attach(files_of(input.files()));
                    // The same file may be picked again later.
                    input.set_value("");
                }
            }
        />
        <button
            type="button"
            class="tool"
            data-testid="attach"
            aria-label=t.attach
            title=t.attach
            hidden=move || chat.uploads.limits.with(Option::is_none)
            on:click=move |_| {
                if let Some(input) = input.get_untracked() {
                    input.click();
                }
            }
        >
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                <path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/>
            </svg>
        </button>
    }
}

/// The uploads in progress (or failed), after the transcript's messages.
#[component]
pub fn PendingUploads(chat: Chat, t: &'static Texts) -> impl IntoView {
    view! {
        <For each=move || chat.uploads.rows.get() key=|row| row.id let:row>
            <UploadRow chat t row/>
        </For>
    }
}

/// One pending upload. Plain DOM from [`crate::dom`] (see `components::messages` for why), kept
/// up to date by two effects (progress, failure); its buttons are handled by one listener.
#[component]
fn UploadRow(chat: Chat, t: &'static Texts, row: PendingUpload) -> impl IntoView {
    let PendingUpload {
        id,
        name,
        size,
        progress,
        error,
    } = row;
    let bar = el("progress")
        .attr("max", "100")
        .attr("value", "0")
        .attr("aria-label", &[t.uploading, " ", &name].concat())
        .testid("upload-progress")
        .into_element();
    let reason = el("span")
        .class("failed")
        .attr("role", "alert")
        .testid("upload-error")
        .into_element();
    let retry = el("button")
        .attr("type", "button")
        .attr("data-action", "retry")
        .testid("upload-retry")
        .text(t.retry)
        .into_element();
    let element = el("div")
        .class("row visitor")
        .testid("upload")
        .child(
            el("div")
                .class("stack")
                .child(
                    el("div")
                        .class("bubble upload")
                        .child(el("span").class("fname").testid("upload-name").text(&name))
                        .child(
                            el("span")
                                .class("fsize")
                                .text(&crate::format::human_bytes(size)),
                        )
                        .child_element(&bar),
                )
                .child(
                    el("div")
                        .class("meta")
                        .child_element(&reason)
                        .child_element(&retry)
                        .child(
                            el("button")
                                .attr("type", "button")
                                .attr("data-action", "cancel")
                                .attr("aria-label", &[t.cancel, " ", &name].concat())
                                .testid("upload-cancel")
                                .text(t.cancel),
                        ),
                ),
        )
        .into_element();
    let row_element = element.clone();
    let bar_value = bar.clone();
    Effect::new(move |_| {
        let _ = bar_value.set_attribute("value", &progress.get().to_string());
    });
    Effect::new(move |_| {
        let failure = error.get();
        let failed = failure.is_some();
        let _ =
            row_element.set_attribute("data-state", if failed { "failed" } else { "uploading" });
        reason.set_text_content(failure.as_deref());
        for (element, shown) in [(&bar, !failed), (&reason, failed), (&retry, failed)] {
            let _ = if shown {
                element.remove_attribute("hidden")
            } else {
                element.set_attribute("hidden", "")
            };
        }
    });
    let on_click = move |event: leptos::ev::MouseEvent| {
        let action = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|target| target.closest("[data-action]").ok().flatten())
            .and_then(|button| button.get_attribute("data-action"));
        match action.as_deref() {
            Some("retry") => chat.retry_upload(id),
            Some("cancel") => chat.cancel_upload(id),
            _ => {}
        }
    };
    view! { <div class="holder" use:append=element on:click=on_click></div> }
}

/// Attaches a built element to the element it is used on (a `use:` directive).
fn append(host: web_sys::Element, child: web_sys::Element) {
    let _ = host.append_child(&child);
}

/// A voice note being recorded, with the listeners that collect it.
struct Recording {
    recorder: web_sys::MediaRecorder,
    stream: web_sys::MediaStream,
    _on_data: Closure<dyn FnMut(web_sys::BlobEvent)>,
    _on_stop: Closure<dyn FnMut(web_sys::Event)>,
}

impl Recording {
    /// Stops without sending (the panel closed).
    fn discard(&self) {
        self.recorder.set_ondataavailable(None);
        self.recorder.set_onstop(None);
        let _ = self.recorder.stop();
        stop_tracks(&self.stream);
    }
}

/// Releases the microphone.
fn stop_tracks(stream: &web_sys::MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Tap to record a voice note, tap again to stop and send it (MediaRecorder; `audio/mp4` where
/// the browser records it, else WebM/Opus: see [`crate::upload::voice_type`]). Shown where the
/// browser can record and the relay takes uploads.
#[component]
pub fn VoiceButton(chat: Chat, t: &'static Texts) -> impl IntoView {
    let window = crate::browser::window();
    let can_record = js_sys::Reflect::has(&window, &"MediaRecorder".into()).unwrap_or(false)
        && window.navigator().media_devices().is_ok();
    let recording = RwSignal::new(false);
    let current = StoredValue::new_local(None::<Recording>);
    on_cleanup(move || {
        if let Some(Some(r)) = current.try_update_value(Option::take) {
            r.discard();
        }
    });
    let start = move || {
        spawn_local(async move {
            match record(chat).await {
                Ok(r) => {
                    current.set_value(Some(r));
                    recording.set(true);
                    chat.announcement.set(t.recording.to_owned());
                }
                Err(e) => {
                    crate::browser::warn(&["microphone: ", &js_text(&e)].concat());
                    chat.error.set(Some(t.microphone_unavailable.to_owned()));
                }
            }
        })
    };
    let toggle = move |_| {
        if recording.get_untracked() {
            recording.set(false);
            current.with_value(|r| {
                if let Some(r) = r {
                    let _ = r.recorder.stop();
                }
            });
        } else {
            start();
        }
    };
    view! {
        <button
            type="button"
            class="tool"
            data-testid="record-voice"
            aria-pressed=move || if recording.get() { "true" } else { "false" }
            aria-label=move || if recording.get() { t.stop_recording } else { t.record_voice }
            title=move || if recording.get() { t.stop_recording } else { t.record_voice }
            hidden=move || !can_record || chat.uploads.limits.with(Option::is_none)
            on:click=toggle
        >
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true">
                <rect x="9" y="3" width="6" height="11" rx="3"/>
                <path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>
            </svg>
        </button>
    }
}

/// Opens the microphone and starts recording; when the recorder stops, the note is sent.
async fn record(chat: Chat) -> Result<Recording, wasm_bindgen::JsValue> {
    use wasm_bindgen_futures::JsFuture;
    let devices = crate::browser::window().navigator().media_devices()?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_audio(&true.into());
    let stream: web_sys::MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?)
            .await?
            .unchecked_into();
    let options = web_sys::MediaRecorderOptions::new();
    if let Some(mime) = crate::upload::voice_type(web_sys::MediaRecorder::is_type_supported) {
        options.set_mime_type(mime);
    }
    let recorder = match web_sys::MediaRecorder::new_with_media_stream_and_media_recorder_options(
        &stream, &options,
    ) {
        Ok(recorder) => recorder,
        Err(e) => {
            stop_tracks(&stream);
            return Err(e);
        }
    };
    let chunks = js_sys::Array::new();
    let on_data = {
        let chunks = chunks.clone();
        Closure::<dyn FnMut(web_sys::BlobEvent)>::new(move |event: web_sys::BlobEvent| {
            if let Some(blob) = event.data() {
                chunks.push(&blob);
            }
        })
    };
    let on_stop = {
        let (recorder, stream) = (recorder.clone(), stream.clone());
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            stop_tracks(&stream);
            let mime = recorder.mime_type();
            let bag = web_sys::BlobPropertyBag::new();
            bag.set_type(&mime);
            if let Ok(note) = web_sys::Blob::new_with_blob_sequence_and_options(&chunks, &bag) {
                chat.send_file(note, crate::upload::voice_file_name(&mime).to_owned());
            }
        })
    };
    recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
    recorder.set_onstop(Some(on_stop.as_ref().unchecked_ref()));
    if let Err(e) = recorder.start() {
        stop_tracks(&stream);
        return Err(e);
    }
    Ok(Recording {
        recorder,
        stream,
        _on_data: on_data,
        _on_stop: on_stop,
    })
}

/// What a rejected browser call says (`NotAllowedError: Permission denied`).
fn js_text(error: &wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_default()
}
