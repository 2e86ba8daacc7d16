//! The visitor's files: the attach button (a hidden file input behind it), the pending-upload
//! rows at the end of the transcript (name, size, progress bar, cancel, retry after a failure),
//! and the helpers the composer (paste) and the panel (drag and drop) use to hand files over.
//! The flow itself is `app::uploads`.

use leptos::prelude::*;

use crate::app::uploads::PendingUpload;
use crate::app::Chat;
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

#[component]
fn UploadRow(chat: Chat, t: &'static Texts, row: PendingUpload) -> impl IntoView {
    let PendingUpload {
        id,
        name,
        size,
        progress,
        error,
    } = row;
    let failed = move || error.with(Option::is_some);
    let progress_label = [t.uploading, " ", &name].concat();
    let cancel_label = [t.cancel, " ", &name].concat();
    view! {
        <div
            class="row visitor"
            data-testid="upload"
            data-state=move || if failed() { "failed" } else { "uploading" }
        >
            <div class="stack">
                <div class="bubble upload">
                    <span class="fname" data-testid="upload-name">{name}</span>
                    <span class="fsize">{crate::format::human_bytes(size)}</span>
                    <progress
                        max="100"
                        prop:value=move || progress.get()
                        aria-label=progress_label
                        data-testid="upload-progress"
                        hidden=failed
                    ></progress>
                </div>
                <div class="meta">
                    {move || error.get().map(|reason| view! {
                        <span class="failed" role="alert" data-testid="upload-error">{reason}</span>
                    })}
                    <button
                        type="button"
                        data-testid="upload-retry"
                        hidden=move || !failed()
                        on:click=move |_| chat.retry_upload(id)
                    >
                        {t.retry}
                    </button>
                    <button
                        type="button"
                        data-testid="upload-cancel"
                        aria-label=cancel_label
                        on:click=move |_| chat.cancel_upload(id)
                    >
                        {t.cancel}
                    </button>
                </div>
            </div>
        </div>
    }
}
