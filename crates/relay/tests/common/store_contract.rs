//! The behaviour every store backend must have. `tests/store.rs` runs it against memory,
//! SQLite (file and `:memory:`) and a real Redis: the same assertions for all.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use udesk_protocol::session::AssignType;
use udesk_relay::store::{
    Bounds, CustomerProfile, NewMessage, Push, Retention, Store, StoredEvent,
};

/// Makes an empty store with this retention.
pub type Make<'a> = &'a dyn Fn(Retention) -> Arc<dyn Store>;

const BIG: Retention = Retention {
    max_age_ms: 1_000_000,
    max_count: 0,
    dedupe_ms: 10_000_000,
};

pub fn push(customer: &str, ids: &[&str], at: u64) -> Push {
    Push {
        customer_token: customer.into(),
        assign_type: AssignType::Agent,
        received_at: at,
        messages: ids
            .iter()
            .map(|id| NewMessage {
                message_id: (*id).into(),
                json: format!(
                    r#"{{"message_id":"{id}","type":"message","data":{{"content":"{id}"}}}}"#
                ),
            })
            .collect(),
        sessions: vec![],
    }
}

fn ids(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.id).collect()
}

/// Every check, each on a fresh store.
pub fn run_all(make: Make) {
    ids_are_consecutive_and_duplicates_skipped(make);
    age_retention_keeps_ids_and_dedupe_keys(make);
    count_retention_keeps_the_newest(make);
    old_keys_are_forgotten_but_ids_never_reused(make);
    sessions_customers_and_sends(make);
    concurrent_pushes_are_stored_once_in_order(make);
}

pub fn ids_are_consecutive_and_duplicates_skipped(make: Make) {
    let s = make(BIG);
    let a = s.append(&push("c1", &["m1", "m2", "m1"], 10)).unwrap();
    assert_eq!(ids(&a), [1, 2], "a duplicate within one push is skipped");
    assert_eq!(a[0].customer_token, "c1");
    assert_eq!(a[1].received_at, 10);
    assert!(s.append(&push("c1", &["m2"], 11)).unwrap().is_empty());
    let b = s.append(&push("c2", &["m1"], 12)).unwrap();
    assert_eq!(
        b[0].id, 1,
        "another customer has its own ids and dedupe keys"
    );
    let c = s.append(&push("c1", &["m3"], 13)).unwrap();
    assert_eq!(c[0].id, 3);
    let all = s.read_after("c1", 0, 10).unwrap();
    assert_eq!(ids(&all), [1, 2, 3]);
    assert_eq!(all[..2], a[..], "what append answered is what is stored");
    assert_eq!(s.read_after("c1", 1, 1).unwrap()[0].id, 2);
    assert!(s.read_after("c1", 3, 10).unwrap().is_empty());
    assert_eq!(
        s.bounds("c1").unwrap(),
        Bounds {
            earliest: Some(1),
            last: 3
        }
    );
    assert_eq!(s.bounds("nobody").unwrap(), Bounds::default());
    let msg = all[0].to_stream_message().unwrap();
    assert_eq!(msg.id, 1);
    assert_eq!(msg.message.message_id, "m1");
    assert!(s.knows_message("c1", "m3").unwrap());
    assert!(!s.knows_message("c2", "m3").unwrap());

    // JSON with newlines, spaces and non-ASCII text comes back byte for byte.
    let mut odd = push("c3", &["x"], 14);
    odd.messages[0].json =
        r#"{"message_id":"x","type":"message","data":{"content":"a b\nc 您好 \"q\""}}"#.into();
    odd.assign_type = AssignType::Robot;
    let stored = s.append(&odd).unwrap();
    assert_eq!(stored[0].message_json, odd.messages[0].json);
    assert_eq!(s.read_after("c3", 0, 1).unwrap(), stored);
    assert_eq!(stored[0].assign_type, AssignType::Robot);
}

pub fn age_retention_keeps_ids_and_dedupe_keys(make: Make) {
    let s = make(BIG);
    s.append(&push("c1", &["m1", "m2"], 10)).unwrap();
    s.append(&push("c2", &["m1"], 12)).unwrap();
    s.append(&push("c1", &["m3"], 13)).unwrap();
    assert_eq!(
        s.prune(10 + 1_000_001).unwrap(),
        2,
        "only events older than the age limit"
    );
    assert_eq!(
        s.bounds("c1").unwrap(),
        Bounds {
            earliest: Some(3),
            last: 3
        }
    );
    assert_eq!(ids(&s.read_after("c2", 0, 10).unwrap()), [1]);
    assert!(
        s.append(&push("c1", &["m1"], 20)).unwrap().is_empty(),
        "still a duplicate"
    );
    assert_eq!(s.append(&push("c1", &["m4"], 21)).unwrap()[0].id, 4);
}

pub fn count_retention_keeps_the_newest(make: Make) {
    let s = make(Retention {
        max_count: 2,
        ..BIG
    });
    s.append(&push("c", &["a", "b", "c"], 1)).unwrap();
    s.append(&push("c", &["d"], 2)).unwrap();
    assert_eq!(ids(&s.read_after("c", 0, 10).unwrap()), [3, 4]);
    assert_eq!(
        s.bounds("c").unwrap(),
        Bounds {
            earliest: Some(3),
            last: 4
        }
    );
    assert!(s.append(&push("c", &["a"], 3)).unwrap().is_empty());
}

pub fn old_keys_are_forgotten_but_ids_never_reused(make: Make) {
    let s = make(BIG);
    let mut p = push("c", &["m1"], 100);
    p.sessions = vec![5];
    s.append(&p).unwrap();
    s.record_sent("c", "s1", r#"{"code":1000}"#, 100).unwrap();
    // Past the dedupe window everything of that time goes; the id counter stays.
    let later = 100 + 10_000_000 + 1;
    assert_eq!(s.prune(later).unwrap(), 1);
    assert!(!s.knows_message("c", "m1").unwrap());
    assert!(!s.owns_session("c", 5).unwrap());
    assert_eq!(s.sent_answer("c", "s1", 0).unwrap(), None);
    assert_eq!(
        s.bounds("c").unwrap(),
        Bounds {
            earliest: None,
            last: 1
        }
    );
    let again = s.append(&push("c", &["m1"], later)).unwrap();
    assert_eq!(ids(&again), [2], "ids are never reused");
    assert_eq!(
        s.prune(later).unwrap(),
        0,
        "pruning twice removes nothing more"
    );
}

pub fn sessions_customers_and_sends(make: Make) {
    let s = make(BIG);
    let mut p = push("c", &["e"], 3);
    p.sessions = vec![77];
    s.append(&p).unwrap();
    assert!(s.owns_session("c", 77).unwrap());
    assert!(!s.owns_session("other", 77).unwrap());
    s.record_sessions("other", &[78, 79], 3).unwrap();
    assert!(s.owns_session("other", 78).unwrap());
    assert!(s.owns_session("other", 79).unwrap());

    assert_eq!(s.customer("c").unwrap(), None);
    let mut profile = CustomerProfile {
        customer_token: "c".into(),
        nick_name: Some("Ann".into()),
        email: None,
        created_upstream: false,
    };
    s.save_customer(&profile).unwrap();
    assert_eq!(s.customer("c").unwrap().as_ref(), Some(&profile));
    profile.created_upstream = true;
    s.save_customer(&profile).unwrap();
    profile.created_upstream = false;
    profile.nick_name = Some("Anna".into());
    profile.email = Some("anna@example.com".into());
    s.save_customer(&profile).unwrap();
    let saved = s.customer("c").unwrap().unwrap();
    assert!(
        saved.created_upstream,
        "a later save keeps created_upstream"
    );
    assert_eq!(saved.nick_name.as_deref(), Some("Anna"));
    assert_eq!(saved.email.as_deref(), Some("anna@example.com"));
    let bare = CustomerProfile {
        customer_token: "d".into(),
        ..CustomerProfile::default()
    };
    s.save_customer(&bare).unwrap();
    assert_eq!(
        s.customer("d").unwrap(),
        Some(bare),
        "a profile without fields exists"
    );

    assert_eq!(s.sent_answer("c", "s1", 0).unwrap(), None);
    s.record_sent("c", "s1", r#"{"code":1000}"#, 100).unwrap();
    assert_eq!(
        s.sent_answer("c", "s1", 50).unwrap().as_deref(),
        Some(r#"{"code":1000}"#)
    );
    assert_eq!(
        s.sent_answer("c", "s1", 101).unwrap(),
        None,
        "outside the window"
    );
    assert_eq!(s.sent_answer("d", "s1", 0).unwrap(), None);
}

/// Threads push the same message ids for the same customers at once (Udesk's retries racing
/// each other, or two relays): each message is stored once, ids are consecutive, and every
/// answered event is stored.
pub fn concurrent_pushes_are_stored_once_in_order(make: Make) {
    let s = make(Retention::days(30, 0));
    const THREADS: usize = 6;
    const PER_THREAD: usize = 40;
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                for i in 0..PER_THREAD {
                    // Threads t and t+3 push the same ids for the same customer.
                    let id = format!("m{i}");
                    answered.extend(s.append(&push(&format!("c{}", t % 3), &[&id], 1)).unwrap());
                }
                answered
            })
        })
        .collect();
    let answered: Vec<StoredEvent> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let mut per_customer: HashMap<String, Vec<&StoredEvent>> = HashMap::new();
    for event in &answered {
        per_customer
            .entry(event.customer_token.clone())
            .or_default()
            .push(event);
    }
    for c in 0..3 {
        let customer = format!("c{c}");
        let kept = s.read_after(&customer, 0, 1000).unwrap();
        assert_eq!(ids(&kept), (1..=PER_THREAD as u64).collect::<Vec<_>>());
        let message_ids: HashSet<String> = kept
            .iter()
            .map(|e| e.to_stream_message().unwrap().message.message_id)
            .collect();
        assert_eq!(message_ids.len(), PER_THREAD, "each message once");
        let mine = &per_customer[&customer];
        assert_eq!(
            mine.len(),
            PER_THREAD,
            "each message answered as new exactly once"
        );
        for event in mine {
            assert!(kept.contains(event), "answered but not stored: {event:?}");
        }
    }
}
