//! Creating a trial without holding any lock while deciding: read what changed in the study
//! (trials created since, running ones that ended, and on a slower cadence the heartbeats,
//! failing the trials whose workers stopped beating, each under its own row lock, never the
//! study's), decide on what was read, then store the decision only if no trial was created
//! since.
//!
//! Where one statement may insert into several tables (PostgreSQL), the store first takes no
//! lock across round trips: one statement swaps the study's counter of trial numbers from the
//! number the decision expected to the next and inserts the trial (`write::NEXT_NUMBER_KEY`),
//! so the counter's row is locked only while the server runs that statement. A create that
//! lost [`UNLOCKED_TURNS`] such turns (or finds no counter) stores under the lock instead:
//! the counter's row (or, for a study without one, the study's), where a fast oracle decides
//! again on the few new rows (in the same transaction, so contended workers take turns
//! instead of losing again); a slow one decides again outside it. That lock is held for a few
//! statements and a commit that does not wait for the disk (see [`Mode::Lazy`]), so neither a
//! slow oracle nor a slow disk nor a paused worker holds the others up for long (and on
//! PostgreSQL the server ends a session idle in a transaction).

use super::read::Which;
use super::stale::SLOW;
use super::write::Swapped;
use super::{err, Backend, Mode, Rdb, Tx};
use crate::storage::{awaiting_retry, is_asked, mark_stale, Decide, StorageError};
use crate::trial::{Trial, TrialPlan};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The trial attribute holding the token of the call that created it: a create retried after
/// its commit's answer was lost finds its own trial instead of creating a second one.
const CREATE_TOKEN_KEY: &str = "tuner/create";

/// A decision at most this slow is taken again under the study lock when trials were created
/// meanwhile; a slower one is taken again outside it.
const LOCKED_DECISION: Duration = Duration::from_millis(20);

/// After this many turns lost to other workers, even a slow oracle decides under the lock,
/// so that fast workers cannot starve it.
const MAX_LOST_TURNS: u32 = 3;

/// The longest decision taken again under the study lock after a lost connection.
const SLOW_DECISION: Duration = Duration::from_secs(1);

/// What storing a decision came to.
// One value per ask, moved out at once: boxing the trial would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Stored {
    /// The trial stored, or `None` when the oracle, deciding again, declined.
    Done(Option<Trial>),
    /// Trials were created since the decision was read, and it is to be taken again outside
    /// the lock.
    Changed,
}

/// Turns an unlocked create may lose to other workers before it takes the lock.
const UNLOCKED_TURNS: u32 = 2;

/// What an unlocked create came to.
// One value per ask, moved out at once: boxing the trial would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Unlocked {
    /// The trial stored (`None` if an earlier attempt stored it and it is gone already).
    Done(Option<Trial>),
    /// Trials were created since the decision was read: to be decided again.
    Lost,
    /// The study has no counter yet: the lock is needed.
    NoCounter,
}

/// What the failing of one suspected trial found.
enum Verdict {
    /// Failed: it awaits its retry.
    Failed,
    /// Its worker beat meanwhile, or it ended: nothing changed.
    Alive,
    /// Its owner's locks are free: failed on a later probe if it stays unchanged.
    Probed,
    /// The row lock took long to get: owners may have been held up as well, so every window
    /// restarts.
    Contended,
}

impl<B: Backend> Rdb<B> {
    /// [`Storage::create_trial`](crate::storage::Storage::create_trial) over the schema.
    pub(super) fn create(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Trial>, StorageError> {
        let token = serde_json::json!(format!("{:032x}", rand::random::<u128>())).to_string();
        let mut lost = 0;
        let mut unlocked = self.backend.writable_ctes();
        loop {
            let (trials, seen_row) = self.snapshot(study, stale_after)?;
            let awaiting = stale_after.and(awaiting_retry(&trials));
            let started = Instant::now();
            let Some(plan) = decide(&trials, awaiting) else {
                return Ok(None);
            };
            let number = trials.last().map_or(0, |t| t.number + 1);
            // Let go of the shared list before it changes, so it is not copied.
            drop(trials);
            if unlocked && lost < UNLOCKED_TURNS {
                match self.store_unlocked(study, seen_row, number, &plan, &token)? {
                    Unlocked::Done(trial) => return Ok(trial),
                    Unlocked::Lost => {
                        lost += 1;
                        continue;
                    }
                    // Nothing changed: the same decision, stored under the lock.
                    Unlocked::NoCounter => unlocked = false,
                }
            }
            let locked = started.elapsed() <= LOCKED_DECISION || lost >= MAX_LOST_TURNS;
            let again = if locked { Some(&mut *decide) } else { None };
            match self.store(study, stale_after, seen_row, &plan, &token, again)? {
                Stored::Done(trial) => return Ok(trial),
                Stored::Changed => lost += 1,
            }
        }
    }

    /// The study's trials as they stand and the last row read, after failing (with
    /// `stale_after`, when the heartbeats are due) the running trials whose workers stopped
    /// beating.
    fn snapshot(
        &self,
        study: &str,
        stale_after: Option<Duration>,
    ) -> Result<(Arc<Vec<Trial>>, i64), StorageError> {
        loop {
            let started = Instant::now();
            let (trials, last, suspects) = self.with_cache(Mode::Read, &mut |tx, caches| {
                // A read that had to wait (for this handle, shared with its heartbeat thread)
                // is itself evidence that owners may have been held up.
                let calm_since = if started.elapsed() > SLOW {
                    Some(Instant::now())
                } else {
                    self.calm_since()
                };
                let cache = self.current_ended(tx, caches, study)?;
                let mut suspects = Vec::new();
                if let Some(grace) = stale_after.filter(|&g| cache.watch.due(g)) {
                    let watched: Vec<i64> = cache
                        .open_rows()
                        .into_iter()
                        .filter(|&row| {
                            let i = cache.index_of_row(row).expect("open rows are read");
                            !is_asked(&cache.trials[i])
                        })
                        .collect();
                    let beats = self.beats_of(tx, &watched)?;
                    suspects = cache.watch.observe(beats, grace, calm_since, self.born);
                }
                Ok((cache.trials.clone(), cache.last_row(), suspects))
            })?;
            let Some(grace) = stale_after.filter(|_| !suspects.is_empty()) else {
                return Ok((trials, last));
            };
            let mut failed = false;
            for (row, beat) in suspects {
                match self.fail_stale(study, row, &beat, grace)? {
                    Verdict::Failed => failed = true,
                    Verdict::Alive | Verdict::Probed => {}
                    Verdict::Contended => {
                        self.note_slow();
                        break;
                    }
                }
            }
            if !failed {
                return Ok((trials, last));
            }
        }
    }

    /// Fails trial row `row` as stale if it still runs with heartbeat `beat`, taking only its
    /// row lock; the update is conditional on its state, so a worker finishing it at the same
    /// moment and this verdict record exactly one outcome between them.
    fn fail_stale(
        &self,
        study: &str,
        row: i64,
        beat: &str,
        grace: Duration,
    ) -> Result<Verdict, StorageError> {
        let started = Instant::now();
        let quick = (grace / 4).min(SLOW);
        self.with_cache(Mode::Write, &mut |tx, caches| {
            let e = err(self.location());
            let cache = self.current(tx, caches, study, false)?;
            // The locks the owner's heartbeat takes: if they are not free at once, the owner
            // may have been kept from beating too.
            let rows = tx
                .query(
                    "SELECT state FROM trials WHERE trial_id = ?1{for_update:trials}",
                    &[row.into()],
                )
                .map_err(&e)?;
            tx.execute(
                "UPDATE trial_heartbeats SET heartbeat = heartbeat WHERE trial_id = ?1",
                &[row.into()],
            )
            .map_err(&e)?;
            if started.elapsed() > quick {
                return Ok(Verdict::Contended);
            }
            let running = rows.first().and_then(|r| r[0].text()) == Some("RUNNING");
            let now = self.beat_of(tx, row)?;
            if !running || now.as_ref().map(|(b, _)| b.as_str()) != Some(beat) {
                return Ok(Verdict::Alive);
            }
            // After contention (a slow transaction within two grace periods), one free probe
            // is not enough: owners get half a grace period of reach before the verdict.
            let calm = self.calm_since();
            let probed = cache.watch.probe(row, calm);
            let contended = calm.is_some_and(|c| c.elapsed() < grace * 2);
            if contended && probed.is_none_or(|p| p.elapsed() < grace / 2) {
                return Ok(Verdict::Probed);
            }
            let Some(mut loaded) = self
                .load_trials(tx, cache.identity.id, Which::Row(row))?
                .into_iter()
                .next()
            else {
                return Ok(Verdict::Alive);
            };
            mark_stale(&mut loaded.trial, grace);
            match self.write_trial(tx, row, &cache.config, &loaded.trial) {
                Ok(()) => {
                    tracing::warn!(
                        study = %study,
                        trial = loaded.trial.number,
                        "no heartbeat within the grace period: the trial is failed and retried"
                    );
                    Ok(Verdict::Failed)
                }
                Err(StorageError::Finished { .. }) => Ok(Verdict::Alive),
                Err(e) => Err(e),
            }
        })
    }

    /// Stores `plan` as trial `number` if no trial was created after row `seen_row`, with no
    /// lock held across round trips: one statement that swaps the study's counter and inserts
    /// (see `write::NEXT_NUMBER_KEY`). A retried attempt first looks for the trial an earlier
    /// attempt may have committed.
    fn store_unlocked(
        &self,
        study: &str,
        seen_row: i64,
        number: u64,
        plan: &TrialPlan,
        token: &str,
    ) -> Result<Unlocked, StorageError> {
        let trial = Trial::new(number, plan.clone());
        let mine = [(CREATE_TOKEN_KEY, token.to_owned())];
        let mut attempts = 0;
        let mut made = None;
        let stored = self.with_cache(Mode::Statement, &mut |tx, caches| {
            attempts += 1;
            made = None;
            let Some(cache) = caches.get_mut(study) else {
                return Ok(Unlocked::NoCounter);
            };
            let id = cache.identity.id;
            if attempts > 1 {
                if let Some(found) = self.created_with(tx, id, seen_row, token)? {
                    self.refresh_new(tx, cache)?;
                    let trial = cache.trials.iter().find(|t| t.number == found).cloned();
                    return Ok(Unlocked::Done(trial));
                }
            }
            Ok(
                match self.insert_swapping(tx, id, &cache.config, &trial, &mine, seen_row)? {
                    Swapped::Inserted(row) => {
                        made = Some(row);
                        Unlocked::Done(Some(trial.clone()))
                    }
                    Swapped::Lost => Unlocked::Lost,
                    Swapped::NoCounter => Unlocked::NoCounter,
                },
            )
        })?;
        if let Some(row) = made {
            if let Some(cache) = self.caches().get_mut(study) {
                cache.remember(number, row);
            }
        }
        Ok(stored)
    }

    /// Stores `plan` as the next trial under the study row lock, in a commit that does not
    /// wait for the disk. When a trial was created after row `seen_row`, `again` (if given)
    /// decides anew on the new rows there, else [`Stored::Changed`]. A retried attempt first
    /// looks for the trial an earlier attempt may have committed.
    fn store(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        seen_row: i64,
        plan: &TrialPlan,
        token: &str,
        mut again: Option<&mut Decide<'_>>,
    ) -> Result<Stored, StorageError> {
        let mut attempts = 0;
        let mut slowest = Duration::ZERO;
        let mut made = None;
        let stored = self.with_cache(Mode::Lazy, &mut |tx, caches| {
            attempts += 1;
            made = None;
            // Workers store one at a time: the study row is the lock (where one statement
            // inserts into several tables, the row of the study's counter, which unlocked
            // creates take as well).
            let cache = if self.backend.writable_ctes() {
                let identity = self.identity_for_create(tx, study)?;
                self.current_as(tx, caches, study, identity)?
            } else {
                self.current(tx, caches, study, true)?
            };
            let id = cache.identity.id;
            let mine = [(CREATE_TOKEN_KEY, token.to_owned())];
            if attempts == 1 && cache.last_row() == seen_row && self.backend.writable_ctes() {
                // The usual case in one round trip under the lock: the trials created since
                // the decision's read, and the trial inserted only if there are none.
                let number = cache.trials.last().map_or(0, |t| t.number + 1);
                let trial = Trial::new(number, plan.clone());
                let read =
                    self.insert_unless_newer(tx, id, &cache.config, &trial, &mine, seen_row)?;
                if let Some(row) = read.inserted {
                    made = Some((number, row));
                    return Ok(Stored::Done(Some(trial)));
                }
                cache.merge(read.trials);
            } else {
                let found = if attempts > 1 {
                    self.created_with(tx, id, seen_row, token)?
                } else {
                    None
                };
                self.refresh_new(tx, cache)?;
                if let Some(number) = found {
                    let trial = cache.trials.iter().find(|t| t.number == number).cloned();
                    return Ok(Stored::Done(trial));
                }
            }
            let plan = if cache.last_row() > seen_row {
                // A paused session is ended by the server: a decision that proved slow is not
                // taken under the lock again.
                let Some(again) = again.as_deref_mut().filter(|_| slowest <= SLOW_DECISION) else {
                    return Ok(Stored::Changed);
                };
                let awaiting = stale_after.and(awaiting_retry(&cache.trials));
                let started = Instant::now();
                let plan = again(&cache.trials, awaiting);
                slowest = slowest.max(started.elapsed());
                match plan {
                    Some(plan) => plan,
                    None => return Ok(Stored::Done(None)),
                }
            } else {
                plan.clone()
            };
            let number = cache.trials.last().map_or(0, |t| t.number + 1);
            let trial = Trial::new(number, plan);
            let row = self.insert_trial(tx, id, &cache.config, &trial, &mine)?;
            made = Some((number, row));
            Ok(Stored::Done(Some(trial)))
        })?;
        // Only a committed creation is remembered, so a hint never names a row that was
        // rolled back (see `trial_row`).
        if let Some((number, row)) = made {
            if let Some(cache) = self.caches().get_mut(study) {
                cache.remember(number, row);
            }
        }
        Ok(stored)
    }

    /// The number of the trial created after row `after` with this create token, if any.
    fn created_with(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        after: i64,
        token: &str,
    ) -> Result<Option<u64>, StorageError> {
        let rows = tx
            .query(
                "SELECT t.number FROM trials t JOIN trial_system_attributes a \
                 ON a.trial_id = t.trial_id WHERE t.study_id = ?1 AND t.trial_id > ?2 \
                 AND a.key = ?3 AND a.value_json = ?4",
                &[
                    study.into(),
                    after.into(),
                    CREATE_TOKEN_KEY.into(),
                    token.into(),
                ],
            )
            .map_err(err(self.location()))?;
        Ok(rows.first().and_then(|r| r[0].int()).map(|n| n as u64))
    }
}
