//! Creating a trial without holding any lock while deciding: read the study, fail the trials
//! whose workers stopped beating (each under its own row lock, never the study's), decide on
//! what was read, then store the decision under the study row lock only if no trial was
//! created meanwhile. The study lock is held for a few statements, not for an oracle's
//! decision, so a paused worker cannot hold the others up for long (and on PostgreSQL the
//! server ends a session idle in a transaction). A worker that lost that race decides its
//! next attempt under the lock, so contended workers take turns instead of losing again.

use super::read::Which;
use super::stale::SLOW;
use super::{err, Backend, Mode, Rdb, Tx};
use crate::storage::{awaiting_retry, is_asked, mark_stale, Decide, StorageError};
use crate::trial::{Trial, TrialPlan};
use std::time::{Duration, Instant};

/// The trial attribute holding the token of the call that created it: a create retried after
/// its commit's answer was lost finds its own trial instead of creating a second one.
const CREATE_TOKEN_KEY: &str = "tuner/create";

/// The longest decision taken again under the study lock after a lost connection.
const SLOW_DECISION: Duration = Duration::from_secs(1);

/// What deciding under the study lock came to.
enum Locked {
    /// The trial stored, or `None` when the oracle declined.
    Done(Option<Trial>),
    /// The oracle is too slow to decide under the lock: decide outside it.
    TooSlow,
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
        let mut lock_to_decide = false;
        loop {
            let (trials, seen_row) = self.snapshot(study, stale_after)?;
            if lock_to_decide {
                match self.decide_locked(study, stale_after, decide, &token)? {
                    Locked::Done(trial) => return Ok(trial),
                    Locked::TooSlow => lock_to_decide = false,
                }
                continue;
            }
            let awaiting = stale_after.and(awaiting_retry(&trials));
            let Some(plan) = decide(&trials, awaiting) else {
                return Ok(None);
            };
            if let Some(trial) = self.store_unless_changed(study, seen_row, &plan, &token)? {
                return Ok(Some(trial));
            }
            // Another worker created a trial since the read: under contention, deciding again
            // outside the lock would lose again, so the next decision is taken under it
            // (taking turns), unless the oracle proves too slow for that.
            lock_to_decide = true;
        }
    }

    /// Decides and stores under the study row lock, as one transaction. A decision slower
    /// than [`SLOW_DECISION`] is not retried there (a paused session is ended by the server),
    /// but handed back to deciding outside the lock.
    fn decide_locked(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        decide: &mut Decide<'_>,
        token: &str,
    ) -> Result<Locked, StorageError> {
        let mut attempts = 0;
        let mut slowest = Duration::ZERO;
        self.with_cache(Mode::Write, &mut |tx, caches| {
            attempts += 1;
            if attempts > 1 && slowest > SLOW_DECISION {
                return Ok(Locked::TooSlow);
            }
            let cache = self.current(tx, caches, study, true)?;
            let id = cache.identity.id;
            let mine = if attempts > 1 {
                self.created_with(tx, id, 0, token)?
            } else {
                None
            };
            self.refresh(tx, cache)?;
            if let Some(number) = mine {
                return Ok(Locked::Done(
                    cache.trials.iter().find(|t| t.number == number).cloned(),
                ));
            }
            let awaiting = stale_after.and(awaiting_retry(&cache.trials));
            let started = Instant::now();
            let plan = decide(&cache.trials, awaiting);
            slowest = slowest.max(started.elapsed());
            let Some(plan) = plan else {
                return Ok(Locked::Done(None));
            };
            let number = cache.trials.last().map_or(0, |t| t.number + 1);
            let trial = Trial::new(number, plan);
            let row = self.insert_trial(tx, id, &cache.config, &trial)?;
            self.set_attr(tx, row, CREATE_TOKEN_KEY, token)?;
            cache.remember(number, row);
            Ok(Locked::Done(Some(trial)))
        })
    }

    /// The study's trials as they stand and the last row read, after failing (with
    /// `stale_after`) the running trials whose workers stopped beating.
    fn snapshot(
        &self,
        study: &str,
        stale_after: Option<Duration>,
    ) -> Result<(Vec<Trial>, i64), StorageError> {
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
                let cache = self.current(tx, caches, study, false)?;
                self.refresh(tx, cache)?;
                let mut suspects = Vec::new();
                if let Some(grace) = stale_after {
                    let mut beats = Vec::new();
                    for row in cache.open_rows() {
                        let i = cache.index_of_row(row).expect("open rows are read");
                        if is_asked(&cache.trials[i]) {
                            continue;
                        }
                        if let Some((beat, age)) = self.beat_of(tx, row)? {
                            beats.push((row, beat, age));
                        }
                    }
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

    /// Stores `plan` as the next trial under the study row lock, unless a trial was created
    /// after row `seen_row` (then `None`: decide again). A retried attempt first looks for the
    /// trial an earlier attempt may have committed.
    fn store_unless_changed(
        &self,
        study: &str,
        seen_row: i64,
        plan: &TrialPlan,
        token: &str,
    ) -> Result<Option<Trial>, StorageError> {
        let mut attempts = 0;
        self.with_cache(Mode::Write, &mut |tx, caches| {
            attempts += 1;
            // Workers store one at a time: the study row is the lock.
            let cache = self.current(tx, caches, study, true)?;
            let id = cache.identity.id;
            let mine = if attempts > 1 {
                self.created_with(tx, id, seen_row, token)?
            } else {
                None
            };
            self.refresh_new(tx, cache)?;
            if let Some(number) = mine {
                return Ok(cache.trials.iter().find(|t| t.number == number).cloned());
            }
            if cache.last_row() > seen_row {
                return Ok(None);
            }
            let number = cache.trials.last().map_or(0, |t| t.number + 1);
            let trial = Trial::new(number, plan.clone());
            let row = self.insert_trial(tx, id, &cache.config, &trial)?;
            self.set_attr(tx, row, CREATE_TOKEN_KEY, token)?;
            cache.remember(number, row);
            Ok(Some(trial))
        })
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
