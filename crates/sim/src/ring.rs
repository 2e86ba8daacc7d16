//! [`Ring`]: the bounded buffer every record of the simulator lives in (webhook tries, surveys,
//! ratings, transcripts, closed sessions), so that a simulator left running, or load-tested, keeps
//! the newest records of each kind instead of growing without end. The limits are
//! [`crate::Retention`].

use serde::{Serialize, Serializer};
use std::collections::VecDeque;

/// At most `capacity` items, oldest first; pushing onto a full ring forgets the oldest.
#[derive(Clone, Debug)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// How many items were forgotten to make room, over the ring's life.
    forgotten: u64,
}

impl<T> Ring<T> {
    /// A ring of at least one item (a capacity of 0 is taken as 1).
    pub fn new(capacity: usize) -> Self {
        Ring {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            forgotten: 0,
        }
    }

    /// Appends `item`, and returns the oldest item if it had to go to make room.
    pub fn push(&mut self, item: T) -> Option<T> {
        let evicted = if self.items.len() >= self.capacity {
            self.forgotten += 1;
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(item);
        evicted
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }
}

impl<T: Clone> Ring<T> {
    pub fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }
}

/// A ring is written as the JSON array of its items.
impl<T: Serialize> Serialize for Ring<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.items)
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn a_full_ring_forgets_its_oldest_item() {
        let mut ring = Ring::new(3);
        assert_eq!(ring.push(1), None);
        assert_eq!(ring.push(2), None);
        assert_eq!(ring.push(3), None);
        assert_eq!(ring.push(4), Some(1));
        assert_eq!(ring.to_vec(), [2, 3, 4]);
        assert_eq!(ring.forgotten(), 1);
        ring.retain(|n| *n != 3);
        assert_eq!(ring.push(5), None, "room again after retain");
        assert_eq!(serde_json::to_string(&ring).unwrap(), "[2,4,5]");
        let mut tiny = Ring::new(0);
        tiny.push('a');
        tiny.push('b');
        assert_eq!(tiny.to_vec(), ['b']);
    }
}
