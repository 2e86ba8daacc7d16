//! When to try again: queue polling and stream reconnection delays.
//!
//! Pure arithmetic, so the schedules are tested here and the browser side only sleeps.

/// Polling `/v1/queue_status` while the visitor waits for a person: every 3 s while the position
/// moves, slowing down to 15 s while it does not, and backing off to 30 s while calls fail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueuePoll {
    /// Polls in a row that returned the same position.
    unchanged: u32,
    /// Failed polls in a row.
    failures: u32,
    last_count: Option<u32>,
}

impl QueuePoll {
    pub const BASE_MS: u32 = 3_000;
    pub const STEADY_MAX_MS: u32 = 15_000;
    pub const FAILING_MAX_MS: u32 = 30_000;

    /// Records an answer; `count` is the queue position it gave.
    pub fn answered(&mut self, count: Option<u32>) {
        self.failures = 0;
        if count == self.last_count {
            self.unchanged = self.unchanged.saturating_add(1);
        } else {
            self.unchanged = 0;
            self.last_count = count;
        }
    }

    /// Records a failed poll (network, relay or Udesk error).
    pub fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
    }

    /// How long to wait before the next poll.
    pub fn next_delay_ms(&self) -> u32 {
        if self.failures > 0 {
            let shift = self.failures.min(4);
            return (Self::BASE_MS << shift).min(Self::FAILING_MAX_MS);
        }
        // Grow by half the base every three unchanged answers.
        let steps = self.unchanged / 3;
        Self::BASE_MS
            .saturating_add(steps.saturating_mul(Self::BASE_MS / 2))
            .min(Self::STEADY_MAX_MS)
    }
}

/// Exponential backoff with jitter for reopening the event stream after the browser gave up on it
/// (a non-200 answer, an expired token): 1 s, 2 s, 4 s … up to 30 s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconnect {
    attempts: u32,
}

impl Reconnect {
    pub const BASE_MS: u32 = 1_000;
    pub const MAX_MS: u32 = 30_000;

    /// The delay before the next attempt; `jitter` in `[0, 1)` spreads reconnecting browsers out
    /// (up to +50 %) so that a relay restart is not met by all of them at once.
    pub fn next_delay_ms(&mut self, jitter: f64) -> u32 {
        let shift = self.attempts.min(5);
        self.attempts = self.attempts.saturating_add(1);
        let base = (Self::BASE_MS << shift).min(Self::MAX_MS);
        let jitter = jitter.clamp(0.0, 1.0) * 0.5 * f64::from(base);
        base.saturating_add(jitter as u32)
    }

    /// The stream is open again: the next trouble starts from the shortest delay.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_polls_every_three_seconds_while_the_position_moves() {
        let mut poll = QueuePoll::default();
        for count in [5, 4, 3, 2, 1] {
            poll.answered(Some(count));
            assert_eq!(poll.next_delay_ms(), 3_000);
        }
    }

    #[test]
    fn queue_polls_slow_down_while_nothing_changes_and_speed_up_again() {
        let mut poll = QueuePoll::default();
        poll.answered(Some(4));
        let mut delays = Vec::new();
        for _ in 0..40 {
            poll.answered(Some(4));
            delays.push(poll.next_delay_ms());
        }
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
        assert_eq!(delays[0], 3_000);
        assert_eq!(*delays.last().unwrap(), QueuePoll::STEADY_MAX_MS);
        poll.answered(Some(3));
        assert_eq!(poll.next_delay_ms(), 3_000, "a move resets the pace");
    }

    #[test]
    fn queue_polls_back_off_on_failures_and_recover() {
        let mut poll = QueuePoll::default();
        let delays: Vec<u32> = (0..6)
            .map(|_| {
                poll.failed();
                poll.next_delay_ms()
            })
            .collect();
        assert_eq!(delays, [6_000, 12_000, 24_000, 30_000, 30_000, 30_000]);
        poll.answered(Some(2));
        assert_eq!(poll.next_delay_ms(), 3_000);
    }

    #[test]
    fn reconnect_doubles_up_to_a_cap_with_bounded_jitter() {
        let mut r = Reconnect::default();
        let delays: Vec<u32> = (0..7).map(|_| r.next_delay_ms(0.0)).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        let jittered = r.next_delay_ms(0.999);
        assert!((30_000..=45_000).contains(&jittered), "{jittered}");
        r.reset();
        assert_eq!(r.next_delay_ms(0.0), 1_000);
    }
}
