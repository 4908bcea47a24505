//! The pre-scan: which items of the inventory a later item of the same resource supersedes.
//!
//! It runs only when the pipeline found several items of one resource, or could not show it
//! any later than by reading (see the `pipeline` module). It reads the inventory for stamps
//! only (identity and version: a fraction of decoding whole items), through the same reader
//! and in the same batches as the evaluation, keeps 48 bytes per item, sorts them by resource,
//! and lists per batch the places of the items that do not stand: every item of a resource but
//! its latest. The evaluation then leaves those out, and checks on the way that it reads the
//! items the pre-scan read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Mutex;

use mamori_model::{Batch, InventoryError, InventoryFiles, ItemStamp, ResourceKey, Version};

use crate::pipeline::Stop;

/// The items to leave out, by batch and place in the batch, and how many items each batch
/// held.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    /// Per batch, sorted by place: the superseded items and the resource each one records.
    superseded: Vec<Vec<(u32, ResourceKey)>>,
    items: Vec<u32>,
}

impl Resolution {
    /// The superseded items of batch `sequence`, by place.
    pub(crate) fn superseded_in(&self, sequence: u64) -> &[(u32, ResourceKey)] {
        usize::try_from(sequence).ok().and_then(|index| self.superseded.get(index)).map_or(&[], Vec::as_slice)
    }

    /// How many items batch `sequence` held when the pre-scan read it.
    pub(crate) fn items_in(&self, sequence: u64) -> Option<u32> {
        usize::try_from(sequence).ok().and_then(|index| self.items.get(index)).copied()
    }
}

/// One item as the pre-scan keeps it. Sorting by (key, version, sequence, place) puts the
/// items of each resource together, the one that stands last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: ResourceKey,
    version: Version,
    sequence: u64,
    place: u32,
}

/// What one pre-scan worker gathered.
#[derive(Default)]
struct Gathered {
    entries: Vec<Entry>,
    items: Vec<(u64, u32)>,
    error: Option<(u64, InventoryError)>,
}

/// Read the stamps of `files` on `threads` workers and work out which items are superseded.
pub(crate) fn prescan(files: &InventoryFiles, threads: usize) -> Result<Resolution, InventoryError> {
    let threads = threads.max(1);
    let failed = AtomicBool::new(false);
    let (batch_tx, batch_rx) = mpsc::sync_channel::<(u64, Batch<ItemStamp>)>(threads * 2);
    let batch_rx = Mutex::new(batch_rx);
    let (read, gathered) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut sequence = 0;
            let result = files.read_stamps(|batch| {
                if failed.load(Ordering::Relaxed) {
                    return Err(Stop::Cancelled);
                }
                batch_tx.send((sequence, batch)).map_err(|_| Stop::Cancelled)?;
                sequence += 1;
                Ok(())
            });
            drop(batch_tx);
            match result {
                Ok(_) | Err(Stop::Cancelled) => None,
                Err(Stop::Failed(err)) => {
                    failed.store(true, Ordering::Relaxed);
                    Some((sequence, err))
                }
            }
        });
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(|| gather(&batch_rx, &failed))).collect();
        let read = reader.join().expect("pre-scan reader panicked");
        (read, workers.into_iter().map(|worker| worker.join().expect("pre-scan worker panicked")).collect::<Vec<_>>())
    });

    let mut first_error = read;
    let mut entries = Vec::with_capacity(gathered.iter().map(|g| g.entries.len()).sum());
    let mut items = Vec::new();
    for worker in gathered {
        if let Some((sequence, err)) = worker.error {
            if first_error.as_ref().is_none_or(|(seen, _)| sequence < *seen) {
                first_error = Some((sequence, err));
            }
        }
        entries.extend(worker.entries);
        items.extend(worker.items);
    }
    if let Some((_, err)) = first_error {
        return Err(err);
    }

    let mut resolution = Resolution::default();
    resolution.items = vec![0; items.iter().map(|(sequence, _)| *sequence as usize + 1).max().unwrap_or(0)];
    resolution.superseded = vec![Vec::new(); resolution.items.len()];
    for (sequence, count) in items {
        resolution.items[sequence as usize] = count;
    }
    entries.sort_unstable();
    for group in entries.chunk_by(|a, b| a.key == b.key) {
        // The last of a resource's items stands; every earlier one is superseded.
        for entry in &group[..group.len() - 1] {
            resolution.superseded[entry.sequence as usize].push((entry.place, entry.key));
        }
    }
    for places in &mut resolution.superseded {
        places.sort_unstable_by_key(|(place, _)| *place);
    }
    Ok(resolution)
}

fn gather(batch_rx: &Mutex<Receiver<(u64, Batch<ItemStamp>)>>, failed: &AtomicBool) -> Gathered {
    let mut gathered = Gathered::default();
    loop {
        let next = batch_rx.lock().expect("pre-scan queue poisoned").recv();
        let Ok((sequence, batch)) = next else { break };
        if failed.load(Ordering::Relaxed) {
            continue;
        }
        let mut place: u32 = 0;
        let entries = &mut gathered.entries;
        let result = batch.stamp_each(|stamp| {
            entries.push(Entry { key: stamp.key, version: stamp.version, sequence, place });
            place += 1;
        });
        match result {
            Ok(()) => gathered.items.push((sequence, place)),
            Err(err) => {
                failed.store(true, Ordering::Relaxed);
                if gathered.error.as_ref().is_none_or(|(seen, _)| sequence < *seen) {
                    gathered.error = Some((sequence, err));
                }
            }
        }
    }
    gathered
}
