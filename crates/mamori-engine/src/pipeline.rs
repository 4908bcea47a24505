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
//!
//! # Several items of one resource
//!
//! A resource (account, region, type, id) has one state: that of its latest item, by capture
//! time, then `configurationStateId`, then place in the input (so that an exact repeat counts
//! once); a deletion or "not recorded" item that comes last leaves the resource out. AWS Config
//! history files and `GetResourceConfigHistory` results hold a resource's earlier states too,
//! two snapshots overlap, and a copied folder repeats everything. Which item stands is known
//! only once the whole inventory was read, yet items are evaluated as they stream past, and an
//! inventory of a million items cannot be held back. Reading the inventory twice would cost
//! every run (the gunzip and the scan alone are a third of parse-only time), while almost every
//! inventory (one collector run, one snapshot per account and region) has one item per
//! resource. So the evaluation is optimistic:
//!
//! - **Watching** (the first pass): every item is evaluated, and its resource's 64-bit
//!   fingerprint (FxHash of the four ids) is appended to its worker's list: a few nanoseconds
//!   and 8 bytes an item. Each batch's fingerprints are sorted and compared when the batch is
//!   done, so a history file, whose items of one resource sit together, stops the pass early;
//!   at the end the workers' sorted lists are merged and compared. Without a repeat, the pass
//!   is the result: an inventory without repeats pays for fingerprints and one sort, nothing
//!   more.
//! - **Resolving** (only after a repeat): the sink is told to [`restart`](Sink::restart) (the
//!   report's spill file is emptied), the pre-scan of `crate::resolve` reads stamps only
//!   (resource and version, not whole items), file by file on all threads, cutting the batches
//!   the evaluation cuts, and works out exactly, with SHA-256 resource keys that no resource
//!   name can make collide, which items are superseded: by file, batch and place in the batch. The second pass leaves those out,
//!   counting them in [`InventoryStats::items_superseded`], and checks that every batch holds
//!   the items the pre-scan saw, so that a file changed in between fails the run instead of
//!   skipping the wrong items. A fingerprint collision without a real repeat only costs the
//!   pre-scan.
//!
//! A sink that cannot forget what it received (the findings history records findings as they
//! come) makes the pipeline resolve first: the pre-scan, then one pass. A stream (a FIFO named
//! on the command line) cannot be read twice: its inventory is evaluated in one pass, and a
//! repeat in it is an error.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hasher;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use mamori_model::{
    Batch, ConfigItem, Finding, InventoryError, InventoryFiles, ResourceKey, ACCOUNT_TYPE, GLOBAL_REGION,
};
use mamori_rules::support::hash::FastHasher;
use mamori_rules::{Evaluator, ItemKind, RuleSet};

use crate::resolve::{self, Resolution};
use crate::summary::SummaryBuilder;

/// Where the pipeline hands findings, in input order.
pub trait Sink {
    fn finding(&mut self, finding: Finding);

    /// Whether [`restart`](Self::restart) makes the sink forget every finding it received.
    /// The pipeline then evaluates optimistically and starts over in the rare inventory that
    /// holds several items of one resource; otherwise it pre-scans every inventory first.
    fn restartable(&self) -> bool {
        false
    }

    /// Forget every finding received: the evaluation starts over. Called only on a sink that
    /// says it is [`restartable`](Self::restartable).
    fn restart(&mut self) {}
}

impl<F: FnMut(Finding)> Sink for F {
    fn finding(&mut self, finding: Finding) {
        self(finding)
    }
}

/// What was read, besides findings.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InventoryStats {
    pub files: u64,
    pub files_ignored: u64,
    pub items: u64,
    /// Items of deleted or unrecorded resources, not evaluated.
    pub items_skipped: u64,
    /// Items not evaluated because a later item of the same resource (a newer state, an exact
    /// repeat, or its deletion) stands instead.
    pub items_superseded: u64,
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
    /// The counts as `mamori inventory --json` prints them and a recorded run keeps them.
    pub fn counts_json(&self) -> serde_json::Value {
        serde_json::json!({
            "files": self.files,
            "filesIgnored": self.files_ignored,
            "items": self.items,
            "itemsSkipped": self.items_skipped,
            "itemsSuperseded": self.items_superseded,
            "collectionErrors": self.collection_errors,
            "accounts": self.accounts.len(),
            "regions": self.regions,
            "itemsByType": self.items_by_type,
        })
    }

    fn absorb(&mut self, other: InventoryStats) {
        self.items += other.items;
        self.items_skipped += other.items_skipped;
        self.items_superseded += other.items_superseded;
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

/// What a worker hands back: its evaluator (notes), statistics, summary, and in a watching
/// pass the sorted fingerprints of every item it read.
type WorkerResult<'s> = (Evaluator<'s>, InventoryStats, SummaryBuilder, Vec<u64>);

/// Evaluate `inputs` with `rules`: every finding is counted in the returned summary and, when
/// `sink` is given, handed to it in input order. Of several items of one resource only the one
/// that stands is evaluated (see the module documentation).
pub fn evaluate(
    inputs: &[PathBuf],
    rules: &RuleSet,
    threads: usize,
    mut sink: Option<&mut dyn Sink>,
) -> Result<(InventoryStats, SummaryBuilder), InventoryError> {
    let files = InventoryFiles::list(inputs)?;
    let threads = threads.max(1);
    let optimistic = sink.as_deref().is_none_or(|sink| sink.restartable()) || files.stream().is_some();
    let resolution = if optimistic { None } else { Some(resolve::prescan(&files, threads)?) };
    if let Some(done) = run(&files, rules, threads, &mut sink, resolution.as_ref())? {
        return Ok(done);
    }
    if let Some(stream) = files.stream() {
        return Err(InventoryError::Stream { path: stream.to_owned() });
    }
    if let Some(sink) = sink.as_deref_mut() {
        sink.restart();
    }
    let resolution = resolve::prescan(&files, threads)?;
    Ok(run(&files, rules, threads, &mut sink, Some(&resolution))?.expect("a resolved pass does not watch for repeats"))
}

/// One pass over the inventory. Without a `resolution` the pass watches for several items of
/// one resource and returns `None` when it saw some (its results are then wrong and dropped);
/// with one, it leaves out the superseded items.
fn run(
    files: &InventoryFiles,
    rules: &RuleSet,
    threads: usize,
    sink: &mut Option<&mut dyn Sink>,
    resolution: Option<&Resolution>,
) -> Result<Option<(InventoryStats, SummaryBuilder)>, InventoryError> {
    let forward = sink.is_some();
    let cancelled = AtomicBool::new(false);
    let repeated = AtomicBool::new(false);
    let (batch_tx, batch_rx) = mpsc::sync_channel::<(u64, Batch)>(threads * 2);
    let batch_rx = Arc::new(Mutex::new(batch_rx));
    let (result_tx, result_rx) = mpsc::sync_channel::<BatchResult>(threads * 4);

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_batches(files, batch_tx, &cancelled));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let batch_rx = Arc::clone(&batch_rx);
                let result_tx = result_tx.clone();
                let pass = Pass { cancelled: &cancelled, repeated: &repeated, forward, resolution };
                scope.spawn(move || work(rules, &batch_rx, result_tx, pass))
            })
            .collect();
        drop(result_tx);

        let first_error = deliver_in_order(result_rx, sink, &cancelled);
        let read = reader.join().expect("reader thread panicked");
        let mut stats = InventoryStats::default();
        let mut summary = SummaryBuilder::for_rules(rules);
        let mut merged: Option<Evaluator> = None;
        let mut fingerprints = Vec::new();
        for worker in workers {
            let (evaluator, worker_stats, worker_summary, seen) = worker.join().expect("worker thread panicked");
            stats.absorb(worker_stats);
            summary.merge(worker_summary);
            fingerprints.push(seen);
            match &mut merged {
                Some(all) => all.absorb(evaluator),
                None => merged = Some(evaluator),
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        let read = read?;
        if resolution.is_none() && (repeated.load(Ordering::Relaxed) || repeats_across(fingerprints)) {
            return Ok(None);
        }
        stats.files = read.files;
        stats.files_ignored = read.files_ignored;
        if let Some(evaluator) = merged {
            let mut position = u64::MAX << 32;
            evaluator.finish_on(threads, &mut |finding| {
                summary.add(&finding, position);
                position += 1;
                if let Some(sink) = sink.as_deref_mut() {
                    sink.finding(finding);
                }
            });
        }
        Ok(Some((stats, summary)))
    })
}

/// A resource's fingerprint for watching: cheap, and not resistant to chosen collisions,
/// which cost only a needless pre-scan; the pre-scan's keys decide.
fn fingerprint(item: &ConfigItem) -> u64 {
    let mut hasher = FastHasher::default();
    for part in [&item.account_id, &item.aws_region, &item.resource_type, &item.resource_id] {
        hasher.write_usize(part.len());
        hasher.write(part.as_bytes());
    }
    hasher.finish()
}

/// Whether a fingerprint occurs twice among the workers' sorted lists.
fn repeats_across(lists: Vec<Vec<u64>>) -> bool {
    let mut all = lists.concat();
    // The lists are sorted runs, which the stable sort merges in linear time.
    all.sort();
    all.windows(2).any(|pair| pair[0] == pair[1])
}

/// The reader's side: number the batches; stop early when a worker failed.
fn read_batches(
    files: &InventoryFiles,
    batch_tx: SyncSender<(u64, Batch)>,
    cancelled: &AtomicBool,
) -> Result<mamori_model::ReadStats, InventoryError> {
    let mut sequence = 0;
    let result = files.read(|batch| {
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
        // A worker's error (or a repeat that ends the pass) is what counts.
        Err(Stop::Cancelled) => Ok(mamori_model::ReadStats::default()),
    }
}

/// Why a reader stopped early.
pub(crate) enum Stop {
    Failed(InventoryError),
    Cancelled,
}

impl From<InventoryError> for Stop {
    fn from(err: InventoryError) -> Self {
        Stop::Failed(err)
    }
}

/// What the workers of one pass share.
#[derive(Clone, Copy)]
struct Pass<'a> {
    cancelled: &'a AtomicBool,
    /// Set by a watching worker that saw one resource twice in a batch.
    repeated: &'a AtomicBool,
    forward: bool,
    resolution: Option<&'a Resolution>,
}

fn work<'s>(
    rules: &'s RuleSet,
    batch_rx: &Mutex<Receiver<(u64, Batch)>>,
    result_tx: SyncSender<BatchResult>,
    pass: Pass<'_>,
) -> WorkerResult<'s> {
    let mut evaluator = Evaluator::new(rules);
    let mut summary = SummaryBuilder::for_rules(rules);
    let mut stats = InventoryStats::default();
    let mut by_type: HashMap<String, u64> = HashMap::new();
    let mut seen: Vec<u64> = Vec::new();
    loop {
        let next = batch_rx.lock().expect("batch queue poisoned").recv();
        let Ok((sequence, batch)) = next else { break };
        if pass.cancelled.load(Ordering::Relaxed) {
            continue;
        }
        evaluator.set_sequence(sequence);
        let mut findings = Vec::new();
        // Positions order findings by input (batch, then place in batch) for the summary's
        // examples, whichever worker made them.
        let mut position = sequence << 32;
        let (mut skipped, mut superseded) = (0, 0);
        let plan = pass.resolution.map(|resolution| resolution.batch(batch.file, batch.index));
        let superseded_here = plan.flatten().map_or(&[][..], |plan| plan.superseded.as_slice());
        let mut next_superseded = superseded_here.iter().peekable();
        let mut place: u32 = 0;
        let mut changed = false;
        let watched_from = seen.len();
        let path = batch.path.clone();
        // Each item is evaluated as soon as it is decoded, while it is still in cache, and
        // dropped before the next is decoded (parse-only runs the same loop with no rules). If
        // a later line of the batch is malformed, the run fails as a whole.
        let result = batch.decode_each(|item| {
            let here = place;
            place += 1;
            if pass.resolution.is_none() {
                seen.push(fingerprint(&item));
            } else if let Some((_, key)) = next_superseded.next_if(|(at, _)| *at == here) {
                changed |= ResourceKey::of(&item) != *key;
                superseded += 1;
                return;
            }
            if item.is_deleted_or_unrecorded() {
                skipped += 1;
                return;
            }
            let kind = evaluator.evaluate(&item, &mut |finding| {
                summary.add(&finding, position);
                position += 1;
                if pass.forward {
                    findings.push(finding);
                }
            });
            stats.count(&item, kind, &mut by_type);
        });
        let result = match result {
            Ok(()) if changed || plan.is_some_and(|plan| plan.map(|plan| plan.items) != Some(place)) => {
                Err(InventoryError::Changed { path: path.to_path_buf() })
            }
            Ok(()) => Ok(findings),
            Err(err) => Err(err),
        };
        stats.items_skipped += skipped;
        stats.items_superseded += superseded;
        if result.is_err() {
            pass.cancelled.store(true, Ordering::Relaxed);
        } else if pass.resolution.is_none() {
            // A history file lists a resource's states together: a repeat within the batch
            // ends the pass here rather than after the whole inventory.
            let batch_seen = &mut seen[watched_from..];
            batch_seen.sort_unstable();
            if batch_seen.windows(2).any(|pair| pair[0] == pair[1]) {
                pass.repeated.store(true, Ordering::Relaxed);
                pass.cancelled.store(true, Ordering::Relaxed);
            }
        }
        if result_tx.send((sequence, result)).is_err() {
            break;
        }
    }
    stats.items_by_type = by_type.into_iter().collect();
    // Sorted batch by batch: the stable sort merges those runs.
    seen.sort();
    (evaluator, stats, summary, seen)
}

/// Hand results to the sink in sequence order; return the earliest error. Once the pass is
/// cancelled (an error, or a repeat that ends it) nothing more is handed on: the caller
/// discards the pass.
fn deliver_in_order(
    result_rx: Receiver<BatchResult>,
    sink: &mut Option<&mut dyn Sink>,
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
            if first_error.is_none() && !cancelled.load(Ordering::Relaxed) {
                if let (Ok(findings), Some(sink)) = (result, sink.as_deref_mut()) {
                    findings.into_iter().for_each(|finding| sink.finding(finding));
                }
            }
            next += 1;
        }
    }
    first_error.map(|(_, err)| err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(id: &str, captured: &str) -> String {
        format!(
            r#"{{"resourceType":"AWS::S3::Bucket","resourceId":"{id}","accountId":"111122223333","awsRegion":"us-east-1","configurationItemCaptureTime":"{captured}"}}"#
        )
    }

    /// The second reading must find the items the pre-scan found where it found them: a file
    /// rewritten in between fails the run rather than leaving out the wrong items.
    #[test]
    fn a_file_changed_after_the_prescan_fails_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let rules = RuleSet::new(Vec::new());
        let original = [
            bucket("a", "2024-03-01T00:00:00Z"),
            bucket("a", "2024-03-02T00:00:00Z"),
            bucket("b", "2024-03-01T00:00:00Z"),
        ];
        for rewritten in [
            // Another resource where the superseded item was.
            vec![
                bucket("c", "2024-03-01T00:00:00Z"),
                bucket("a", "2024-03-02T00:00:00Z"),
                bucket("b", "2024-03-01T00:00:00Z"),
            ],
            // One item fewer.
            vec![bucket("a", "2024-03-01T00:00:00Z"), bucket("a", "2024-03-02T00:00:00Z")],
        ] {
            std::fs::write(&path, original.join("\n")).unwrap();
            let files = InventoryFiles::list(std::slice::from_ref(&path)).unwrap();
            let resolution = resolve::prescan(&files, 2).unwrap();
            assert_eq!(resolution.batch(0, 0).unwrap().superseded.len(), 1);
            let (stats, _) = run(&files, &rules, 2, &mut None, Some(&resolution)).unwrap().unwrap();
            assert_eq!((stats.items, stats.items_superseded), (2, 1));

            std::fs::write(&path, rewritten.join("\n")).unwrap();
            let err = run(&files, &rules, 2, &mut None, Some(&resolution)).err().expect("a changed file is refused");
            assert!(matches!(err, InventoryError::Changed { .. }), "{err}");
        }
    }

    /// Files are pre-scanned in parallel, yet the error reported is the one a reading in order
    /// meets first, as in the evaluation.
    #[test]
    fn the_prescan_reports_the_first_error_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for (name, content) in [
            ("a.jsonl", format!("{}\n{}", bucket("a", "2024-03-01T00:00:00Z"), bucket("a", "2024-03-02T00:00:00Z"))),
            ("b.jsonl", format!("{}\n{{\"resourceType\": ", bucket("b", "2024-03-01T00:00:00Z"))),
            ("c.jsonl", r#"{"resourceType":"AWS::S3::Bucket","resourceId":"c","awsRegion":"us-east-1"}"#.to_owned()),
        ] {
            std::fs::write(dir.path().join(name), content).unwrap();
            inputs.push(dir.path().join(name));
        }
        let files = InventoryFiles::list(&inputs).unwrap();
        for threads in [1, 2, 3] {
            let err = resolve::prescan(&files, threads).unwrap_err().to_string();
            assert!(err.contains("b.jsonl` line 2: invalid JSON"), "{threads} threads: {err}");
        }
    }

    #[test]
    fn a_watching_pass_gives_up_on_a_repeat_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let rules = RuleSet::new(Vec::new());
        let one = dir.path().join("one.jsonl");
        let two = dir.path().join("two.jsonl");
        std::fs::write(&one, [bucket("a", "2024-03-01T00:00:00Z"), bucket("b", "2024-03-01T00:00:00Z")].join("\n"))
            .unwrap();
        std::fs::write(&two, bucket("c", "2024-03-01T00:00:00Z")).unwrap();
        let files = InventoryFiles::list(&[one.clone(), two.clone()]).unwrap();
        assert!(run(&files, &rules, 2, &mut None, None).unwrap().is_some());
        // A repeat across files, found when the workers' fingerprints are merged.
        std::fs::write(&two, bucket("a", "2024-03-02T00:00:00Z")).unwrap();
        assert!(run(&files, &rules, 2, &mut None, None).unwrap().is_none());
    }
}
