//! Which bytes of an upload have arrived: inclusive ranges, kept sorted and merged. Pure.

/// Sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeSet(Vec<(u64, u64)>);

impl RangeSet {
    /// Adds `start..=end`, merging with anything it touches or overlaps.
    pub fn insert(&mut self, start: u64, end: u64) {
        let mut merged = (start, end);
        self.0.retain(|&(s, e)| {
            let touches = s <= merged.1.saturating_add(1) && merged.0 <= e.saturating_add(1);
            if touches {
                merged = (merged.0.min(s), merged.1.max(e));
            }
            !touches
        });
        let at = self.0.partition_point(|&(s, _)| s < merged.0);
        self.0.insert(at, merged);
    }

    /// Whether every byte of `0..total` is present.
    pub fn covers(&self, total: u64) -> bool {
        total > 0 && self.0.first() == Some(&(0, total - 1))
    }

    /// Bytes present.
    pub fn len(&self) -> u64 {
        self.0.iter().map(|&(s, e)| e - s + 1).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// `bytes=0-99,200-299`, the form of a `Range` header; `None` when empty.
    pub fn header_value(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let list: Vec<String> = self.0.iter().map(|(s, e)| format!("{s}-{e}")).collect();
        Some(format!("bytes={}", list.join(",")))
    }
}

impl FromIterator<(u64, u64)> for RangeSet {
    fn from_iter<I: IntoIterator<Item = (u64, u64)>>(iter: I) -> Self {
        let mut set = RangeSet::default();
        for (start, end) in iter {
            set.insert(start, end);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_they_overlap_or_touch() {
        let set: RangeSet = [(200, 299), (0, 99), (100, 149), (120, 130), (400, 400)]
            .into_iter()
            .collect();
        assert_eq!(set.ranges(), [(0, 149), (200, 299), (400, 400)]);
        assert_eq!(set.len(), 150 + 100 + 1);
        assert_eq!(
            set.header_value().as_deref(),
            Some("bytes=0-149,200-299,400-400")
        );
        assert!(!set.covers(401));
    }

    #[test]
    fn coverage_needs_every_byte_from_zero() {
        let set: RangeSet = [(1, 9)].into_iter().collect();
        assert!(!set.covers(10));
        let set: RangeSet = [(5, 9), (0, 4)].into_iter().collect();
        assert!(set.covers(10));
        assert!(!set.covers(11));
        assert!(!RangeSet::default().covers(0));
        assert_eq!(RangeSet::default().header_value(), None);
    }
}
