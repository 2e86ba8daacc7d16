//! The robot's knowledge base: FAQ entries (zh-CN and English) and a matcher that tolerates
//! wording differences.
//!
//! The bundled base is `kb/default.json` in this crate; `--kb FILE` loads another of the same
//! shape:
//! ```json
//! {"robot": {"name": "小U", "welcome_message": "…", "unknow_message": {"zh": "…", "en": "…"},
//!            "transfer_message": {"zh": "…", "en": "…"}},
//!  "entries": [{"id": 101, "lang": "zh", "question": "如何申请退货？",
//!               "similar": ["怎么退货"], "keywords": ["退货", "退换"],
//!               "answer": "<p>…</p>", "gus_list": ["退款多久到账？"], "relate_list": [],
//!               "third_url": "https://…"}]}
//! ```
//! `id` 0 marks small talk (寒暄): answered, but not ratable.
//!
//! # Matching
//! Text is normalised (full-width to half-width, lower case, punctuation to spaces), then cut into
//! features: English words (stop words dropped, light suffix stemming) and Chinese character
//! bigrams. A question scores against each phrasing of an entry (its `question` and `similar`) by
//! a Dice coefficient weighted by how rare each feature is in the base, plus a bonus for each of
//! the entry's `keywords` it contains. The best entry above [`MATCH_THRESHOLD`] answers.

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The score an entry needs to answer; below it the robot says its unknow_message.
pub const MATCH_THRESHOLD: f64 = 0.34;
/// Added for each keyword of an entry found in the question.
const KEYWORD_BONUS: f64 = 0.3;

const BUNDLED: &str = include_str!("../kb/default.json");

/// A knowledge base ready to answer.
#[derive(Clone, Debug)]
pub struct KnowledgeBase {
    pub robot: RobotProfile,
    pub entries: Vec<Entry>,
    phrasings: Vec<Phrasing>,
    /// How informative each feature is: rare features weigh more.
    weights: HashMap<String, f64>,
    /// Weight of a feature the base has never seen.
    unseen_weight: f64,
}

/// The robot's own words.
#[derive(Clone, Debug, Deserialize)]
pub struct RobotProfile {
    pub name: String,
    pub welcome_message: String,
    pub unknow_message: Localized,
    pub transfer_message: Localized,
}

/// A text in Chinese and English.
#[derive(Clone, Debug, Deserialize)]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The language a question is written in: Chinese if it has any Han character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn of(text: &str) -> Lang {
        if text.chars().any(is_han) {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

/// One FAQ entry.
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    /// The question_id; 0 for small talk.
    pub id: i64,
    /// `zh` or `en` (guessed from the question when absent).
    #[serde(default)]
    pub lang: Option<String>,
    pub question: String,
    #[serde(default)]
    pub similar: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// May contain safe HTML.
    pub answer: String,
    #[serde(default)]
    pub gus_list: Vec<String>,
    #[serde(default)]
    pub relate_list: Vec<String>,
    #[serde(default)]
    pub third_url: Option<String>,
}

impl Entry {
    /// The entry's language: its `lang` (`zh…` or `en…`), else guessed from the question.
    pub fn lang(&self) -> Lang {
        match self.lang.as_deref() {
            Some(l) if l.starts_with("zh") => Lang::Zh,
            Some(l) if l.starts_with("en") => Lang::En,
            _ => Lang::of(&self.question),
        }
    }
}

#[derive(Deserialize)]
struct KbFile {
    robot: RobotProfile,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
struct Phrasing {
    entry: usize,
    features: HashSet<String>,
}

/// Why a knowledge base file was refused.
#[derive(Debug)]
pub struct KbError(pub String);

impl std::fmt::Display for KbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KbError {}

impl KnowledgeBase {
    /// The base bundled with the simulator.
    pub fn bundled() -> Self {
        KnowledgeBase::from_json(BUNDLED).expect("the bundled knowledge base is valid")
    }

    /// Loads a base from a JSON file.
    pub fn from_path(path: &Path) -> Result<Self, KbError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KbError(format!("cannot read {}: {e}", path.display())))?;
        KnowledgeBase::from_json(&text).map_err(|e| KbError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parses a base from JSON text.
    pub fn from_json(text: &str) -> Result<Self, KbError> {
        let file: KbFile = udesk_protocol::from_str(text).map_err(|e| KbError(e.to_string()))?;
        let mut seen = HashSet::new();
        for entry in &file.entries {
            if entry.id != 0 && !seen.insert(entry.id) {
                return Err(KbError(format!("entry id {} appears twice", entry.id)));
            }
        }
        Ok(KnowledgeBase::build(file.robot, file.entries))
    }

    fn build(robot: RobotProfile, entries: Vec<Entry>) -> Self {
        let phrasings: Vec<Phrasing> = entries
            .iter()
            .enumerate()
            .flat_map(|(i, e)| {
                std::iter::once(&e.question)
                    .chain(&e.similar)
                    .map(move |text| Phrasing {
                        entry: i,
                        features: features(text),
                    })
            })
            .filter(|p| !p.features.is_empty())
            .collect();
        let mut doc_freq: HashMap<&str, usize> = HashMap::new();
        for p in &phrasings {
            for f in &p.features {
                *doc_freq.entry(f).or_default() += 1;
            }
        }
        let n = phrasings.len().max(1) as f64;
        let weights = doc_freq
            .into_iter()
            .map(|(f, df)| (f.to_owned(), (1.0 + n / df as f64).ln()))
            .collect();
        KnowledgeBase {
            robot,
            entries,
            phrasings,
            weights,
            unseen_weight: (1.0 + n).ln(),
        }
    }

    /// The best entry for `question`, with its score, if any scores above the threshold.
    pub fn best_match(&self, question: &str) -> Option<(&Entry, f64)> {
        let query = features(question);
        let normalized = normalize(question);
        let words: Vec<String> = words(&normalized);
        let mut best: Option<(usize, f64)> = None;
        let mut by_entry: HashMap<usize, f64> = HashMap::new();
        for p in &self.phrasings {
            let score = self.dice(&query, &p.features);
            let slot = by_entry.entry(p.entry).or_default();
            *slot = slot.max(score);
        }
        for (i, entry) in self.entries.iter().enumerate() {
            let bonus = entry
                .keywords
                .iter()
                .filter(|k| contains_keyword(&normalized, &words, k))
                .count() as f64
                * KEYWORD_BONUS;
            let score = by_entry.get(&i).copied().unwrap_or_default() + bonus.min(0.6);
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((i, score));
            }
        }
        best.filter(|(_, s)| *s >= MATCH_THRESHOLD)
            .map(|(i, s)| (&self.entries[i], s))
    }

    /// A few questions worth suggesting in `lang` (for the unknown-question answer).
    pub fn popular(&self, lang: Lang, count: usize) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.id != 0 && e.lang() == lang)
            .take(count)
            .collect()
    }

    fn weight(&self, feature: &str) -> f64 {
        self.weights
            .get(feature)
            .copied()
            .unwrap_or(self.unseen_weight)
    }

    /// Weighted Dice coefficient: 2·w(A∩B) / (w(A) + w(B)).
    fn dice(&self, a: &HashSet<String>, b: &HashSet<String>) -> f64 {
        let total: f64 = a.iter().chain(b).map(|f| self.weight(f)).sum();
        if total == 0.0 {
            return 0.0;
        }
        let shared: f64 = a.intersection(b).map(|f| self.weight(f)).sum();
        2.0 * shared / total
    }
}

/// Whether the customer asks for a person ("人工", "转人工", "human", "agent", …).
pub fn asks_for_human(text: &str) -> bool {
    let normalized = normalize(text);
    if normalized.contains("人工") || normalized.contains("真人") {
        return true;
    }
    const ASKS: [&str; 5] = ["human", "agent", "person", "representative", "operator"];
    words(&normalized)
        .iter()
        .any(|w| ASKS.contains(&w.as_str()))
}

/// Lower case, full-width folded to half-width, punctuation and symbols to single spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        if matches!(c, '\'' | '’') {
            // "what's" and "whats" are the same word.
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    out.trim_end().to_owned()
}

/// English (and other non-Han) words of normalised text, stemmed, stop words removed.
fn words(normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in split_runs(normalized) {
        if let Run::Word(w) = run {
            if !is_stop_word(&w) {
                out.push(stem(&w));
            }
        }
    }
    out
}

enum Run {
    Word(String),
    Han(Vec<char>),
}

/// Splits normalised text into runs of Han characters and words of other letters and digits.
fn split_runs(normalized: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    for token in normalized.split(' ').filter(|t| !t.is_empty()) {
        let mut han = Vec::new();
        let mut word = String::new();
        for c in token.chars() {
            if is_han(c) {
                if !word.is_empty() {
                    runs.push(Run::Word(std::mem::take(&mut word)));
                }
                han.push(c);
            } else {
                if !han.is_empty() {
                    runs.push(Run::Han(std::mem::take(&mut han)));
                }
                word.push(c);
            }
        }
        if !word.is_empty() {
            runs.push(Run::Word(word));
        }
        if !han.is_empty() {
            runs.push(Run::Han(han));
        }
    }
    runs
}

/// The features of a text: `w:stem` for words, `b:XY` for Han bigrams (`c:X` for a lone Han
/// character).
pub fn features(text: &str) -> HashSet<String> {
    let normalized = normalize(text);
    let mut out = HashSet::new();
    for run in split_runs(&normalized) {
        match run {
            Run::Word(w) if !is_stop_word(&w) => {
                out.insert(format!("w:{}", stem(&w)));
            }
            Run::Word(_) => {}
            Run::Han(chars) => {
                let chars: Vec<char> = chars.into_iter().filter(|c| !is_han_filler(*c)).collect();
                match chars.len() {
                    0 => {}
                    1 => {
                        out.insert(format!("c:{}", chars[0]));
                    }
                    _ => {
                        for pair in chars.windows(2) {
                            out.insert(format!("b:{}{}", pair[0], pair[1]));
                        }
                    }
                }
            }
        }
    }
    out
}

fn contains_keyword(normalized: &str, words: &[String], keyword: &str) -> bool {
    let keyword = normalize(keyword);
    if keyword.is_empty() {
        return false;
    }
    if keyword.chars().any(is_han) {
        return normalized.contains(&keyword);
    }
    let wanted: Vec<String> = keyword.split(' ').map(stem).collect();
    let raw: Vec<String> = normalized
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(stem)
        .collect();
    let found_in = |haystack: &[String]| {
        haystack.len() >= wanted.len() && haystack.windows(wanted.len()).any(|w| w == wanted)
    };
    found_in(words) || found_in(&raw)
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

/// Particles that carry no meaning for matching (吗, 呢, 的, …).
fn is_han_filler(c: char) -> bool {
    matches!(
        c,
        '吗' | '呢' | '吧' | '啊' | '呀' | '的' | '了' | '么' | '哦' | '嘛'
    )
}

fn is_stop_word(word: &str) -> bool {
    const STOP: [&str; 60] = [
        "a", "an", "the", "i", "me", "my", "you", "your", "we", "our", "us", "to", "of", "for",
        "in", "on", "at", "by", "is", "are", "was", "be", "do", "does", "did", "can", "could",
        "how", "what", "when", "where", "which", "it", "its", "this", "that", "will", "would",
        "please", "and", "or", "with", "there", "have", "has", "get", "about", "from", "so", "if",
        "whats", "hows", "wheres", "whens", "im", "ive", "id", "youre", "theres", "ok",
    ];
    STOP.contains(&word)
}

/// A light English stemmer: enough that "returns", "returning" and "returned" meet.
fn stem(word: &str) -> String {
    let w = word.trim_end_matches('\'');
    let n = w.chars().count();
    if !w.is_ascii() || n <= 3 {
        return w.to_owned();
    }
    if let Some(base) = w.strip_suffix("ies").filter(|_| n > 4) {
        return format!("{base}y");
    }
    for suffix in ["ing", "ed"] {
        if let Some(base) = w.strip_suffix(suffix).filter(|b| b.len() >= 3) {
            return undouble(base).to_owned();
        }
    }
    if let Some(base) = w
        .strip_suffix("es")
        .filter(|b| b.ends_with('s') || b.ends_with('x') || b.ends_with("ch") || b.ends_with("sh"))
    {
        return base.to_owned();
    }
    match w.strip_suffix('s') {
        Some(base) if !base.ends_with('s') && !base.ends_with('u') => base.to_owned(),
        _ => w.to_owned(),
    }
}

/// "shipp" → "ship", "stopp" → "stop" (but "fill", "pass", "buzz" stay).
fn undouble(base: &str) -> &str {
    match base.as_bytes() {
        [.., a, b] if a == b && !b"aeiouylsz".contains(b) => &base[..base.len() - 1],
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_width_case_and_punctuation() {
        assert_eq!(normalize("ＨＯＷ　do I   Return？！"), "how do i return");
        assert_eq!(normalize("怎么退货？？"), "怎么退货");
        assert_eq!(normalize("What's up"), "whats up");
    }

    #[test]
    fn stems_meet() {
        assert_eq!(stem("returns"), "return");
        assert_eq!(stem("returning"), "return");
        assert_eq!(stem("returned"), "return");
        assert_eq!(stem("invoices"), stem("invoice"));
        assert_eq!(stem("deliveries"), "delivery");
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("shipping"), "ship");
        assert_eq!(stem("shipped"), "ship");
        assert_eq!(stem("billing"), "bill");
    }

    #[test]
    fn han_text_becomes_bigrams() {
        let f = features("如何退货？");
        assert!(f.contains("b:退货"));
        assert!(f.contains("b:如何"));
        assert!(
            !features("退货吗").contains("b:货吗"),
            "particles are dropped"
        );
    }

    #[test]
    fn asking_for_a_person_is_recognised() {
        for text in [
            "人工",
            "转人工",
            "我要人工客服",
            "human please",
            "Talk to an AGENT!",
        ] {
            assert!(asks_for_human(text), "{text}");
        }
        for text in ["如何退货", "how do I return an item"] {
            assert!(!asks_for_human(text), "{text}");
        }
    }

    #[test]
    fn the_bundled_base_loads_and_has_both_languages() {
        let kb = KnowledgeBase::bundled();
        assert!(kb.entries.iter().any(|e| e.id == 0), "small talk present");
        assert!(!kb.popular(Lang::Zh, 3).is_empty());
        assert!(!kb.popular(Lang::En, 3).is_empty());
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let json = r#"{"robot": {"name": "r", "welcome_message": "w",
            "unknow_message": {"zh": "?", "en": "?"}, "transfer_message": {"zh": "t", "en": "t"}},
            "entries": [{"id": 1, "question": "a", "answer": "x"}, {"id": 1, "question": "b", "answer": "y"}]}"#;
        assert!(KnowledgeBase::from_json(json).is_err());
    }
}
