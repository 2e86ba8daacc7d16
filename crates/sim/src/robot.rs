//! The robot: turns a customer's question into a robot answer (`Content::RobotAnswer`).
//!
//! In order: a request for a person ("人工", "转人工", "human", "agent") gets the transfer offer;
//! a knowledge-base match gets its entry (question_id, title, answer, gus_list, relate_list,
//! third_url; small talk has question_id 0); anything else gets the unknow_message with a few
//! questions the robot does know, in the customer's language.
//!
//! When a customer who has been talking to the robot gets an agent session (they asked for one,
//! e.g. after the transfer offer), the robot says so first with a `robot_transfer` event.

use crate::kb::{asks_for_human, KnowledgeBase, Lang};
use udesk_protocol::content::{EventData, EventKind};
use udesk_protocol::robot::{RobotAnswer, Suggestion, ThirdUrl};
use udesk_protocol::Content;

/// How many known questions the unknown-question answer suggests.
const SUGGESTIONS: usize = 3;

/// The robot's answer to `question`.
pub fn answer(kb: &KnowledgeBase, question: &str) -> RobotAnswer {
    let lang = Lang::of(question);
    if asks_for_human(question) {
        return RobotAnswer {
            question_id: 0,
            question_title: Some(question.trim().to_owned()),
            answer: Some(kb.robot.transfer_message.get(lang).to_owned()),
            ..RobotAnswer::default()
        };
    }
    match kb.best_match(question) {
        Some((entry, _score)) => RobotAnswer {
            question_id: entry.id,
            question_title: Some(entry.question.clone()),
            answer: Some(entry.answer.clone()),
            gus_list: suggestions(&entry.gus_list),
            relate_list: suggestions(&entry.relate_list),
            third_url: entry.third_url.clone().map(|url| ThirdUrl { url }),
        },
        None => RobotAnswer {
            question_id: 0,
            question_title: None,
            answer: Some(kb.robot.unknow_message.get(lang).to_owned()),
            gus_list: kb
                .popular(lang, SUGGESTIONS)
                .into_iter()
                .map(|e| Suggestion::new(e.question.clone()))
                .collect(),
            relate_list: Vec::new(),
            third_url: None,
        },
    }
}

/// The robot's canned reply to a picture, voice note, video or file (`kind` is the message
/// type): it cannot look at them, so it asks for words or offers a person. Bilingual, since the
/// robot cannot tell the customer's language from a picture.
pub fn media_reply(kind: &str) -> String {
    let (zh, en) = match kind {
        "image" => ("图片", "picture"),
        "audio" => ("语音", "voice message"),
        "video" => ("视频", "video"),
        _ => ("文件", "file"),
    };
    format!(
        "收到您的{zh}。机器人还看不懂{zh}：请用文字描述您的问题，或输入“转人工”联系人工客服。\n\
         Thanks for the {en}. I can't look at it: please describe the problem in words, or type \
         \"agent\" to reach a person."
    )
}

/// The robot's `robot_transfer` event: it hands the customer over to agent session
/// `session_id` (pushed with `assign_type: robot`, before the agent's `info_appoint`).
pub fn transfer_event(session_id: u64) -> Content {
    Content::Event(
        EventKind::RobotTransfer,
        EventData {
            im_sub_session_id: Some(session_id),
            auto: Some(true),
            ..EventData::with_content("正在为您转接人工客服… (Transferring you to an agent…)")
        },
    )
}

fn suggestions(titles: &[String]) -> Vec<Suggestion> {
    titles.iter().map(Suggestion::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_gets_a_canned_reply_in_both_languages() {
        let reply = media_reply("image");
        assert!(
            reply.contains("图片") && reply.contains("picture"),
            "{reply}"
        );
        assert!(media_reply("application").contains("file"));
    }

    fn ask(question: &str) -> RobotAnswer {
        answer(&KnowledgeBase::bundled(), question)
    }

    #[test]
    fn wordings_of_the_same_question_meet_the_same_entry() {
        let zh = [
            "如何申请退货？",
            "怎么退货",
            "我想退货可以吗",
            "退货流程",
            "买的东西怎么退回去？",
            "ＦＡＱ：退换货怎么操作？",
        ];
        for q in zh {
            assert_eq!(ask(q).question_id, 101, "{q}");
        }
        let en = [
            "How do I return an item?",
            "how can i RETURN my order",
            "I'd like to send back a product please",
            "What's your return policy?",
            "returning an item",
        ];
        for q in en {
            assert_eq!(ask(q).question_id, 201, "{q}");
        }
    }

    #[test]
    fn topics_are_told_apart() {
        let cases = [
            ("发票怎么开", 107),
            ("我需要开增值税发票", 107),
            ("忘记密码了怎么办", 109),
            ("快递到哪里了", 105),
            ("多少钱一个月", 112),
            ("Where is my parcel?", 205),
            ("Can I get a VAT invoice?", 207),
            ("I can't log in to my account", 209),
            ("how much does the pro plan cost", 212),
            ("When will I get my refund?", 202),
            ("Do you accept PayPal?", 214),
            ("运费多少钱", 106),
            ("能开专票吗", 107),
            ("how long does shipping take", 204),
            ("any coupons?", 213),
            ("wrong address", 216),
        ];
        for (q, id) in cases {
            let a = ask(q);
            assert_eq!(a.question_id, id, "{q} → {:?}", a.question_title);
        }
    }

    #[test]
    fn a_matched_answer_carries_suggestions_and_link() {
        let a = ask("怎么退货");
        assert_eq!(a.question_title.as_deref(), Some("如何申请退货？"));
        assert!(a.answer.unwrap().contains("<p>"));
        assert!(!a.gus_list.is_empty() && !a.relate_list.is_empty());
        assert!(a.third_url.is_some());
    }

    #[test]
    fn small_talk_is_question_zero() {
        for q in [
            "你好",
            "您好！",
            "hello",
            "Hi there",
            "thanks a lot",
            "谢谢",
        ] {
            let a = ask(q);
            assert_eq!(a.question_id, 0, "{q}");
            assert!(a.question_title.is_some(), "{q} matched small talk");
            assert!(!a.is_ratable());
        }
    }

    #[test]
    fn unknown_questions_get_the_unknow_message_in_their_language() {
        let kb = KnowledgeBase::bundled();
        let zh = ask("量子计算机的原理");
        assert_eq!(zh.question_id, 0);
        assert_eq!(
            zh.answer.as_deref(),
            Some(kb.robot.unknow_message.zh.as_str())
        );
        assert!(zh.question_title.is_none());
        assert_eq!(zh.gus_list.len(), SUGGESTIONS);
        assert_eq!(
            ask("what's the weather").question_title,
            None,
            "no match on filler words"
        );
        let en = ask("explain quantum chromodynamics");
        assert_eq!(
            en.answer.as_deref(),
            Some(kb.robot.unknow_message.en.as_str())
        );
    }

    #[test]
    fn asking_for_a_person_offers_transfer() {
        let kb = KnowledgeBase::bundled();
        assert_eq!(
            ask("转人工").answer.as_deref(),
            Some(kb.robot.transfer_message.zh.as_str())
        );
        assert_eq!(
            ask("I want a human").answer.as_deref(),
            Some(kb.robot.transfer_message.en.as_str())
        );
    }
}
