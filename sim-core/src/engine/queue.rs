//! The event queue: ordered by (time, insertion counter), so events at equal times run in
//! the order they were scheduled and every run is reproducible.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed: the heap's maximum is the earliest event.
    fn cmp(&self, o: &Self) -> Ordering {
        o.at.cmp(&self.at).then(o.seq.cmp(&self.seq))
    }
}

/// Two heaps with one order: events due within `NEAR` of the last pop go to a small heap,
/// later ones (long timers: TIME_WAIT, request timeouts) to a second heap, so the common
/// operations work on a small heap. Popping takes the smaller head of the two, so the order
/// is exactly (time, insertion counter).
pub struct EventQueue<E> {
    near: BinaryHeap<Entry<E>>,
    far: BinaryHeap<Entry<E>>,
    seq: u64,
    now: SimTime,
}

/// Events due within this span of the current time go to the near heap.
const NEAR: u64 = 50_000_000; // 50 ms

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            near: BinaryHeap::new(),
            far: BinaryHeap::new(),
            seq: 0,
            now: SimTime::ZERO,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, at: SimTime, event: E) {
        self.seq += 1;
        let e = Entry {
            at,
            seq: self.seq,
            event,
        };
        if at.0 <= self.now.0.saturating_add(NEAR) {
            self.near.push(e);
        } else {
            self.far.push(e);
        }
    }
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let take_far = match (self.near.peek(), self.far.peek()) {
            (Some(n), Some(f)) => f > n, // reversed order: greater = earlier
            (None, Some(_)) => true,
            _ => false,
        };
        let e = if take_far {
            self.far.pop()
        } else {
            self.near.pop()
        }?;
        self.now = e.at;
        Some((e.at, e.event))
    }
    pub fn peek_time(&self) -> Option<SimTime> {
        match (self.near.peek(), self.far.peek()) {
            (Some(n), Some(f)) => Some(n.at.min(f.at)),
            (Some(n), None) => Some(n.at),
            (None, Some(f)) => Some(f.at),
            (None, None) => None,
        }
    }
    pub fn len(&self) -> usize {
        self.near.len() + self.far.len()
    }
    pub fn is_empty(&self) -> bool {
        self.near.is_empty() && self.far.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn equal_times_are_fifo() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), "b1");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "b2");
        q.push(SimTime(5), "b3");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|x| x.1)).collect();
        assert_eq!(order, ["a", "b1", "b2", "b3"]);
    }

    #[test]
    fn near_and_far_events_keep_one_order() {
        let mut q = EventQueue::default();
        let mut rng = crate::rng::SimRng::from_seed(3);
        let mut want = Vec::new();
        for i in 0..2000u64 {
            let at = SimTime(rng.below(5_000_000_000));
            q.push(at, i);
            want.push((at, i));
            if i % 7 == 0 {
                // interleave pops, as the engine does
                let (t, e) = q.pop().unwrap();
                want.sort();
                assert_eq!((t, e), want.remove(0));
            }
        }
        want.sort();
        let got: Vec<(SimTime, u64)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(got, want);
    }
}
