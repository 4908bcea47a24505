//! The pre-scan: which items of the inventory a later item of the same resource supersedes.
//!
//! It runs only when the pipeline found several items of one resource, or could not wait to
//! find out (see the `pipeline` module). It reads the inventory for stamps only (identity and
//! version: no item is built), file by file on every worker thread, so that decompression,
//! which one reader thread does for the evaluation, is spread too. It cuts each file into the
//! batches the evaluation cuts, keeps 48 bytes per item, sorts them by resource, and lists per
//! batch the places of the items that do not stand: every item of a resource but its latest.
//! The evaluation then leaves those out, and checks on the way that it reads the items the
//! pre-scan read.

use std::sync::atomic::{AtomicUsize, Ordering};

use mamori_model::{InventoryError, InventoryFiles, ResourceKey, Version};

use crate::pipeline::Stop;

/// What the pre-scan found in one batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct BatchPlan {
    /// How many items the batch held.
    pub(crate) items: u32,
    /// The superseded items, by place, and the resource each one records.
    pub(crate) superseded: Vec<(u32, ResourceKey)>,
}

/// Per file, per batch of the file: what to leave out.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    files: Vec<Vec<BatchPlan>>,
}

impl Resolution {
    /// The plan of batch `index` of file `file`; `None` for a batch the pre-scan did not see.
    pub(crate) fn batch(&self, file: usize, index: u64) -> Option<&BatchPlan> {
        self.files.get(file)?.get(usize::try_from(index).ok()?)
    }
}

/// One item as the pre-scan keeps it. Sorting by (key, version, file, batch, place) puts the
/// items of each resource together, in the order that decides: the one that stands last.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: ResourceKey,
    version: Version,
    file: u32,
    place: u32,
    batch: u64,
}

impl Entry {
    fn order(&self) -> (ResourceKey, Version, u32, u64, u32) {
        (self.key, self.version, self.file, self.batch, self.place)
    }
}

/// What one pre-scan worker gathered: entries, item counts per (file, batch), and its earliest
/// error by (file, batch).
#[derive(Default)]
struct Gathered {
    entries: Vec<Entry>,
    batches: Vec<(usize, u64, u32)>,
    error: Option<((usize, u64), InventoryError)>,
}

/// Read the stamps of `files` on `threads` workers and work out which items are superseded.
/// On errors, the one of the earliest file is returned, as a reading in order would.
pub(crate) fn prescan(files: &InventoryFiles, threads: usize) -> Result<Resolution, InventoryError> {
    let next_file = AtomicUsize::new(0);
    // The earliest file that failed: later files are not worth reading any more.
    let failed_from = AtomicUsize::new(usize::MAX);
    let gathered: Vec<Gathered> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.clamp(1, files.len().max(1)))
            .map(|_| scope.spawn(|| gather(files, &next_file, &failed_from)))
            .collect();
        workers.into_iter().map(|worker| worker.join().expect("pre-scan worker panicked")).collect()
    });

    let mut first_error: Option<((usize, u64), InventoryError)> = None;
    let mut resolution = Resolution { files: vec![Vec::new(); files.len()] };
    let mut entries = Vec::with_capacity(gathered.iter().map(|g| g.entries.len()).sum());
    for worker in gathered {
        if let Some((at, err)) = worker.error {
            if first_error.as_ref().is_none_or(|(seen, _)| at < *seen) {
                first_error = Some((at, err));
            }
        }
        for (file, batch, items) in worker.batches {
            let plans = &mut resolution.files[file];
            let batch = batch as usize;
            if plans.len() <= batch {
                plans.resize(batch + 1, BatchPlan::default());
            }
            plans[batch].items = items;
        }
        entries.extend(worker.entries);
    }
    if let Some((_, err)) = first_error {
        return Err(err);
    }
    entries.sort_unstable_by_key(Entry::order);
    for group in entries.chunk_by(|a, b| a.key == b.key) {
        // The last of a resource's items stands; every earlier one is superseded.
        for entry in &group[..group.len() - 1] {
            resolution.files[entry.file as usize][entry.batch as usize].superseded.push((entry.place, entry.key));
        }
    }
    for plan in resolution.files.iter_mut().flatten() {
        plan.superseded.sort_unstable_by_key(|(place, _)| *place);
    }
    Ok(resolution)
}

fn gather(files: &InventoryFiles, next_file: &AtomicUsize, failed_from: &AtomicUsize) -> Gathered {
    let mut gathered = Gathered::default();
    loop {
        let file = next_file.fetch_add(1, Ordering::Relaxed);
        if file >= files.len() || file > failed_from.load(Ordering::Relaxed) {
            break;
        }
        let Gathered { entries, batches, error } = &mut gathered;
        let mut complete: u64 = 0;
        let result = files.read_stamps_of(file, |batch| {
            if file > failed_from.load(Ordering::Relaxed) {
                return Err(Stop::Cancelled);
            }
            let index = batch.index;
            let mut place: u32 = 0;
            let stamped = batch.stamp_each(|stamp| {
                entries.push(Entry { key: stamp.key, version: stamp.version, file: file as u32, batch: index, place });
                place += 1;
            });
            match stamped {
                Ok(()) => {
                    batches.push((file, index, place));
                    complete = index + 1;
                    Ok(())
                }
                Err(err) => Err(Stop::Failed(err)),
            }
        });
        if let Err(Stop::Failed(err)) = result {
            // A malformed line, or a file that cannot be read past its last complete batch.
            *error = Some(((file, complete), err));
            failed_from.fetch_min(file, Ordering::Relaxed);
            break;
        }
    }
    gathered
}
