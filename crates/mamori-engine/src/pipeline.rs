//! The read → decode → evaluate pipeline, in parallel and in input order.
//!
//! One thread reads files and cuts them into batches; worker threads decode and evaluate
//! batches, each with its own [`Evaluator`] and its own part of the summary (findings are
//! counted where they are made, so the organization view costs no traffic between threads).
//! When a report needs the findings themselves, the calling thread receives each batch's
//! findings and hands them to the sink in batch order, so output is the same whatever the
//! number of threads. At the end the workers' notes and summaries are merged and the scoped
//! rules conclude. Memory holds a bounded number of batches in flight, the findings of batches
//! waiting for an earlier one, and the scoped rules' notes: never the inventory.
//!
//! The first error (unreadable file, malformed line) stops the run; the caller then discards
//! whatever the sink received, so a partial result is never presented as complete.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use mamori_model::{read_inventory, Batch, ConfigItem, Finding, InventoryError, ACCOUNT_TYPE, GLOBAL_REGION};
use mamori_rules::{Evaluator, ItemKind, RuleSet};

use crate::summary::SummaryBuilder;

/// What was read, besides findings.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InventoryStats {
    pub files: u64,
    pub files_ignored: u64,
    pub items: u64,
    /// Items of deleted or unrecorded resources, not evaluated.
    pub items_skipped: u64,
    pub items_by_type: BTreeMap<String, u64>,
    /// Resource types no selected rule reads, with their item counts.
    pub not_covered: BTreeMap<String, u64>,
    pub collection_errors: u64,
    pub accounts: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    /// Account names from `AWS::::Account` records.
    pub account_names: BTreeMap<String, String>,
    /// Names, tags and what the accounts source said, from `AWS::::Account` records.
    pub account_details: BTreeMap<String, crate::owners::AccountDetails>,
}

impl InventoryStats {
    fn absorb(&mut self, other: InventoryStats) {
        self.items += other.items;
        self.items_skipped += other.items_skipped;
        self.collection_errors += other.collection_errors;
        for (kind, count) in other.items_by_type {
            *self.items_by_type.entry(kind).or_default() += count;
        }
        for (kind, count) in other.not_covered {
            *self.not_covered.entry(kind).or_default() += count;
        }
        self.accounts.extend(other.accounts);
        self.regions.extend(other.regions);
        self.account_names.extend(other.account_names);
        for (id, details) in other.account_details {
            match self.account_details.get_mut(&id) {
                Some(known) => known.absorb(details),
                None => {
                    self.account_details.insert(id, details);
                }
            }
        }
    }

    fn count(&mut self, item: &ConfigItem, kind: ItemKind, by_type: &mut HashMap<String, u64>) {
        self.items += 1;
        match by_type.get_mut(item.resource_type.as_str()) {
            Some(count) => *count += 1,
            None => {
                by_type.insert(item.resource_type.clone(), 1);
            }
        }
        if !self.accounts.contains(&item.account_id) {
            self.accounts.insert(item.account_id.clone());
        }
        if item.aws_region != GLOBAL_REGION && !self.regions.contains(&item.aws_region) {
            self.regions.insert(item.aws_region.clone());
        }
        match kind {
            ItemKind::NotCovered => match self.not_covered.get_mut(&item.resource_type) {
                Some(count) => *count += 1,
                None => {
                    self.not_covered.insert(item.resource_type.clone(), 1);
                }
            },
            ItemKind::CollectionError => self.collection_errors += 1,
            ItemKind::Covered => {}
        }
        if item.resource_type == ACCOUNT_TYPE {
            if let Some(name) = &item.resource_name {
                self.account_names.entry(item.account_id.clone()).or_insert_with(|| name.clone());
            }
            let details = crate::owners::AccountDetails::from_item(item);
            match self.account_details.get_mut(&item.account_id) {
                Some(known) => known.absorb(details),
                None => {
                    self.account_details.insert(item.account_id.clone(), details);
                }
            }
        }
    }
}

type BatchResult = (u64, Result<Vec<Finding>, InventoryError>);

/// Evaluate `inputs` with `rules`: every finding is counted in the returned summary and, when
/// `sink` is given, handed to it in input order.
pub fn evaluate(
    inputs: &[PathBuf],
    rules: &RuleSet,
    threads: usize,
    mut sink: Option<&mut dyn FnMut(Finding)>,
) -> Result<(InventoryStats, SummaryBuilder), InventoryError> {
    let forward = sink.is_some();
    let threads = threads.max(1);
    let cancelled = AtomicBool::new(false);
    let (batch_tx, batch_rx) = mpsc::sync_channel::<(u64, Batch)>(threads * 2);
    let batch_rx = Arc::new(Mutex::new(batch_rx));
    let (result_tx, result_rx) = mpsc::sync_channel::<BatchResult>(threads * 4);

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_batches(inputs, batch_tx, &cancelled));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let batch_rx = Arc::clone(&batch_rx);
                let result_tx = result_tx.clone();
                let cancelled = &cancelled;
                scope.spawn(move || work(rules, &batch_rx, result_tx, cancelled, forward))
            })
            .collect();
        drop(result_tx);

        let first_error = deliver_in_order(result_rx, &mut sink, &cancelled);
        let read = reader.join().expect("reader thread panicked");
        let mut stats = InventoryStats::default();
        let mut summary = SummaryBuilder::for_rules(rules);
        let mut merged: Option<Evaluator> = None;
        for worker in workers {
            let (evaluator, worker_stats, worker_summary) = worker.join().expect("worker thread panicked");
            stats.absorb(worker_stats);
            summary.merge(worker_summary);
            match &mut merged {
                Some(all) => all.absorb(evaluator),
                None => merged = Some(evaluator),
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        let read = read?;
        stats.files = read.files;
        stats.files_ignored = read.files_ignored;
        if let Some(evaluator) = merged {
            let mut position = u64::MAX << 32;
            evaluator.finish_on(threads, &mut |finding| {
                summary.add(&finding, position);
                position += 1;
                if let Some(sink) = sink.as_mut() {
                    sink(finding);
                }
            });
        }
        Ok((stats, summary))
    })
}

/// The reader's side: number the batches; stop early when a worker failed.
fn read_batches(
    inputs: &[PathBuf],
    batch_tx: SyncSender<(u64, Batch)>,
    cancelled: &AtomicBool,
) -> Result<mamori_model::ReadStats, InventoryError> {
    let mut sequence = 0;
    let result = read_inventory(inputs, |batch| {
        if cancelled.load(Ordering::Relaxed) {
            return Err(Stop::Cancelled);
        }
        batch_tx.send((sequence, batch)).map_err(|_| Stop::Cancelled)?;
        sequence += 1;
        Ok(())
    });
    match result {
        Ok(stats) => Ok(stats),
        Err(Stop::Failed(err)) => {
            cancelled.store(true, Ordering::Relaxed);
            Err(err)
        }
        // A worker's error is the one reported.
        Err(Stop::Cancelled) => Ok(mamori_model::ReadStats::default()),
    }
}

enum Stop {
    Failed(InventoryError),
    Cancelled,
}

impl From<InventoryError> for Stop {
    fn from(err: InventoryError) -> Self {
        Stop::Failed(err)
    }
}

fn work<'s>(
    rules: &'s RuleSet,
    batch_rx: &Mutex<Receiver<(u64, Batch)>>,
    result_tx: SyncSender<BatchResult>,
    cancelled: &AtomicBool,
    forward: bool,
) -> (Evaluator<'s>, InventoryStats, SummaryBuilder) {
    let mut evaluator = Evaluator::new(rules);
    let mut summary = SummaryBuilder::for_rules(rules);
    let mut stats = InventoryStats::default();
    let mut by_type: HashMap<String, u64> = HashMap::new();
    loop {
        let next = batch_rx.lock().expect("batch queue poisoned").recv();
        let Ok((sequence, batch)) = next else { break };
        if cancelled.load(Ordering::Relaxed) {
            continue;
        }
        evaluator.set_sequence(sequence);
        let mut findings = Vec::new();
        // Positions order findings by input (batch, then place in batch) for the summary's
        // examples, whichever worker made them.
        let mut position = sequence << 32;
        let mut skipped = 0;
        // Each item is evaluated as soon as it is decoded, while it is still in cache, and
        // dropped before the next is decoded (parse-only runs the same loop with no rules). If
        // a later line of the batch is malformed, the run fails as a whole.
        let result = batch
            .decode_each(&mut skipped, |item| {
                let kind = evaluator.evaluate(&item, &mut |finding| {
                    summary.add(&finding, position);
                    position += 1;
                    if forward {
                        findings.push(finding);
                    }
                });
                stats.count(&item, kind, &mut by_type);
            })
            .map(|()| findings);
        stats.items_skipped += skipped;
        if result.is_err() {
            cancelled.store(true, Ordering::Relaxed);
        }
        if result_tx.send((sequence, result)).is_err() {
            break;
        }
    }
    stats.items_by_type = by_type.into_iter().collect();
    (evaluator, stats, summary)
}

/// Hand results to the sink in sequence order; return the earliest error.
fn deliver_in_order(
    result_rx: Receiver<BatchResult>,
    sink: &mut Option<&mut dyn FnMut(Finding)>,
    cancelled: &AtomicBool,
) -> Option<InventoryError> {
    let mut waiting: BTreeMap<u64, Result<Vec<Finding>, InventoryError>> = BTreeMap::new();
    let mut next = 0;
    let mut first_error: Option<(u64, InventoryError)> = None;
    for (sequence, result) in result_rx {
        if let Err(err) = result {
            cancelled.store(true, Ordering::Relaxed);
            if first_error.as_ref().is_none_or(|(seen, _)| sequence < *seen) {
                first_error = Some((sequence, err));
            }
            continue;
        }
        waiting.insert(sequence, result);
        while let Some(result) = waiting.remove(&next) {
            if first_error.is_none() {
                if let (Ok(findings), Some(sink)) = (result, sink.as_mut()) {
                    findings.into_iter().for_each(&mut **sink);
                }
            }
            next += 1;
        }
    }
    first_error.map(|(_, err)| err)
}
