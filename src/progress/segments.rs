//! Watched segments of a video, as the xAPI Video Profile writes them: `start[.]end` pairs in
//! seconds joined by `[,]`. Progress keeps their union, so watching a part twice counts once
//! and a seek (which reports no played segment) counts nothing.

/// A sorted union of disjoint `[start, end]` ranges in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segments(Vec<(f64, f64)>);

impl Segments {
    /// Parses the profile's notation; malformed or negative pairs are skipped (a client's bad
    /// report should not erase what was watched before). Each pair is read in either order.
    pub fn parse(s: &str) -> Self {
        let mut out = Self::default();
        for pair in s.split("[,]") {
            let mut parts = pair.split("[.]");
            let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let (Ok(a), Ok(b)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
                continue;
            };
            if a.is_finite() && b.is_finite() && a >= 0.0 && b >= 0.0 {
                out.add(a.min(b), a.max(b));
            }
        }
        out
    }

    /// Adds a range, merging it with every range it overlaps or touches.
    pub fn add(&mut self, start: f64, end: f64) {
        let (mut start, mut end) = (start, end);
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for &(s, e) in &self.0 {
            if e < start || s > end {
                kept.push((s, e));
            } else {
                start = start.min(s);
                end = end.max(e);
            }
        }
        kept.push((start, end));
        kept.sort_by(|x, y| x.0.total_cmp(&y.0));
        self.0 = kept;
    }

    pub fn union(&mut self, other: &Segments) {
        for &(s, e) in &other.0 {
            self.add(s, e);
        }
    }

    /// Seconds covered within `[0, limit]`.
    pub fn covered(&self, limit: f64) -> f64 {
        self.0
            .iter()
            .map(|&(s, e)| (e.min(limit) - s.max(0.0)).max(0.0))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Back to the profile's notation (milliseconds precision).
    pub fn to_profile_string(&self) -> String {
        self.0
            .iter()
            .map(|&(s, e)| format!("{}[.]{}", round(s), round(e)))
            .collect::<Vec<_>>()
            .join("[,]")
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::Segments;

    #[test]
    fn merges_overlapping_and_touching_segments() {
        let s = Segments::parse("0[.]5.5[,]4[.]7[,]7[.]12[,]20[.]25");
        assert_eq!(s.to_profile_string(), "0[.]12[,]20[.]25");
        assert_eq!(s.covered(100.0), 17.0);
        assert_eq!(s.covered(22.0), 14.0);
    }

    #[test]
    fn union_is_idempotent_and_skips_garbage() {
        let mut s = Segments::parse("10[.]20[,]junk[,]-1[.]3[,]5[.]2");
        assert_eq!(s.to_profile_string(), "2[.]5[,]10[.]20");
        let again = s.clone();
        s.union(&again);
        assert_eq!(s, again);
        assert!(Segments::parse("").is_empty());
    }
}
