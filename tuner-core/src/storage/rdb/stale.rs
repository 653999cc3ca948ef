//! Judging which running trials' workers have stopped beating, so that no live worker is ever
//! failed because someone else held a lock or the server was away.
//!
//! A trial is stale when this handle has seen its heartbeat *value* unchanged for the grace
//! period, measured on this process's monotonic clock: no database clock, no transaction start
//! time and no clock skew between machines enters the verdict. Any transaction of this handle
//! that was slow (it waited on a lock, or the server was restarting) restarts every window,
//! since the owners could not write either; and the failing write itself, taken under the
//! trial's row lock, gives up when it had to wait, or when the heartbeat moved meanwhile.
//! A heartbeat seen for the first time counts as seen since it was written (by the database's
//! clock, its age), but never since before this handle existed or its last slow transaction.
//!
//! A suspect is then probed: the judge takes, at once, the locks the owner's heartbeat needs
//! (its trial row, and a no-op write of its heartbeat row); only if that works quickly is the
//! trial failed. After contention (this handle had a slow transaction within two grace
//! periods), the heartbeat must also still be unchanged on a second such probe half a grace
//! period later: by then the owner has had the database within its reach for that long.

use super::read::{id_list, ROWS_PER_STATEMENT};
use super::{err, Backend, Rdb, Tx};
use crate::storage::StorageError;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A transaction slower than this is evidence that owners may not have been able to beat.
pub(super) const SLOW: Duration = Duration::from_millis(250);

/// Heartbeats are read at most this often per grace period (a verdict comes at most
/// `1 / CHECKS_PER_GRACE` of a grace period late), not on every ask: with many workers asking
/// many times a second, reading every running trial's beat each time would cost more than
/// the asks themselves.
const CHECKS_PER_GRACE: u32 = 8;

/// The heartbeat values this handle has seen of one study's running trials, and since when.
#[derive(Debug, Default)]
pub(super) struct Watch {
    seen: HashMap<i64, Seen>,
    /// When the heartbeats were last read.
    checked: Option<Instant>,
}

/// One running trial's heartbeat as seen.
#[derive(Debug)]
struct Seen {
    value: String,
    /// Since when it has been seen unchanged.
    since: Instant,
    /// When a probe first found its owner's locks free while it was unchanged.
    probed: Option<Instant>,
}

impl Watch {
    /// Whether the heartbeats are due to be read again (then counted as read now).
    pub fn due(&mut self, grace: Duration) -> bool {
        let due = self
            .checked
            .is_none_or(|at| at.elapsed() >= grace / CHECKS_PER_GRACE);
        if due {
            self.checked = Some(Instant::now());
        }
        due
    }

    /// Takes in the heartbeats of the running trials just read (row, value); returns those
    /// seen unchanged for `grace` since `calm_since` (the end of this handle's last slow
    /// transaction), oldest row first.
    /// A beat is (row, value, age in seconds by the database's clock); `born` is when this
    /// handle was opened.
    pub fn observe(
        &mut self,
        beats: Vec<(i64, String, f64)>,
        grace: Duration,
        calm_since: Option<Instant>,
        born: Instant,
    ) -> Vec<(i64, String)> {
        let now = Instant::now();
        let live: std::collections::HashSet<i64> = beats.iter().map(|(r, _, _)| *r).collect();
        self.seen.retain(|row, _| live.contains(row));
        let mut stale = Vec::new();
        for (row, value, age) in beats {
            let since = match self.seen.get(&row) {
                Some(seen) if seen.value == value => seen.since,
                _ => {
                    let age = Duration::from_secs_f64(age.max(0.0)).min(now - born);
                    let since = now.checked_sub(age).unwrap_or(born);
                    let probed = None;
                    let value = value.clone();
                    self.seen.insert(
                        row,
                        Seen {
                            value,
                            since,
                            probed,
                        },
                    );
                    since
                }
            };
            let from = calm_since.map_or(since, |c| c.max(since));
            if now.saturating_duration_since(from) >= grace {
                stale.push((row, value));
            }
        }
        stale.sort_by_key(|(row, _)| *row);
        stale
    }

    /// When a probe first found row `row`'s owner's locks free (not before `calm_since`),
    /// recording now as that moment when none is.
    pub fn probe(&mut self, row: i64, calm_since: Option<Instant>) -> Option<Instant> {
        let seen = self.seen.get_mut(&row)?;
        let earlier = seen.probed.filter(|p| calm_since.is_none_or(|c| *p >= c));
        seen.probed = Some(earlier.unwrap_or_else(Instant::now));
        earlier
    }
}

impl<B: Backend> Rdb<B> {
    /// The heartbeats of trial rows `rows` that have one, as (row, value, age): read as
    /// [`beat_of`](Self::beat_of) reads one, [`ROWS_PER_STATEMENT`] per statement.
    pub(super) fn beats_of(
        &self,
        tx: &mut dyn Tx,
        rows: &[i64],
    ) -> Result<Vec<(i64, String, f64)>, StorageError> {
        let mut beats = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let (list, bind) = id_list(chunk, 1);
            let found = tx
                .query(
                    &format!(
                        "SELECT trial_id, CAST(heartbeat AS TEXT), {{age:heartbeat}} \
                         FROM trial_heartbeats WHERE trial_id IN ({list})"
                    ),
                    &bind,
                )
                .map_err(err(self.location()))?;
            beats.extend(found.iter().filter_map(|r| {
                Some((
                    r[0].int()?,
                    r[1].text()?.to_owned(),
                    r[2].real().unwrap_or(0.0),
                ))
            }));
        }
        Ok(beats)
    }

    /// The heartbeat of trial row `row`, if it has one: its value (as text, compared for
    /// change only) and its age in seconds by the database's clock.
    pub(super) fn beat_of(
        &self,
        tx: &mut dyn Tx,
        row: i64,
    ) -> Result<Option<(String, f64)>, StorageError> {
        let rows = tx
            .query(
                "SELECT CAST(heartbeat AS TEXT), {age:heartbeat} FROM trial_heartbeats \
                 WHERE trial_id = ?1",
                &[row.into()],
            )
            .map_err(err(self.location()))?;
        Ok(rows
            .first()
            .and_then(|r| Some((r[0].text()?.to_owned(), r[1].real().unwrap_or(0.0)))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beats(list: &[(i64, &str)]) -> Vec<(i64, String, f64)> {
        list.iter().map(|(r, v)| (*r, v.to_string(), 0.0)).collect()
    }

    #[test]
    fn only_a_value_unchanged_for_the_grace_period_is_stale() {
        let born = Instant::now();
        let mut w = Watch::default();
        let grace = Duration::from_millis(30);
        assert!(w.observe(beats(&[(1, "a")]), grace, None, born).is_empty());
        std::thread::sleep(Duration::from_millis(40));
        // Row 1 beat meanwhile: a new window; row 2 is seen for the first time.
        assert!(w
            .observe(beats(&[(1, "b"), (2, "x")]), grace, None, born)
            .is_empty());
        std::thread::sleep(Duration::from_millis(40));
        let stale = w.observe(beats(&[(1, "b"), (2, "x")]), grace, None, born);
        assert_eq!(stale, [(1, "b".to_owned()), (2, "x".to_owned())]);
    }

    #[test]
    fn a_first_sight_counts_from_the_beat_but_not_before_the_handle_or_a_slow_transaction() {
        let born = Instant::now();
        std::thread::sleep(Duration::from_millis(40));
        let grace = Duration::from_millis(30);
        let old = vec![(1, "a".to_owned(), 3600.0)];
        assert_eq!(
            Watch::default()
                .observe(old.clone(), grace, None, born)
                .len(),
            1
        );
        let fresh_handle = Instant::now();
        assert!(Watch::default()
            .observe(old.clone(), grace, None, fresh_handle)
            .is_empty());
        let calm = Some(Instant::now());
        let mut w = Watch::default();
        assert!(w.observe(old.clone(), grace, calm, born).is_empty());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(w.observe(old, grace, calm, born).len(), 1);
    }

    #[test]
    fn heartbeats_are_due_once_per_eighth_of_a_grace_period() {
        let mut w = Watch::default();
        let grace = Duration::from_millis(400);
        assert!(w.due(grace), "never read: due");
        assert!(!w.due(grace), "just read");
        std::thread::sleep(grace / CHECKS_PER_GRACE + Duration::from_millis(5));
        assert!(w.due(grace));
        assert!(!w.due(grace));
    }

    #[test]
    fn a_probe_counts_only_after_the_last_slow_transaction() {
        let born = Instant::now();
        let mut w = Watch::default();
        w.observe(beats(&[(1, "a")]), Duration::ZERO, None, born);
        assert_eq!(
            w.probe(1, None),
            None,
            "the first probe only starts the count"
        );
        let first = w.probe(1, None).expect("recorded");
        let calm = Some(Instant::now());
        assert_eq!(w.probe(1, calm), None, "a slow transaction since voids it");
        assert!(w.probe(1, calm).is_some_and(|p| p > first));
        assert_eq!(w.probe(2, None), None, "an unseen row has no probe");
    }
}
