//! Streaming readers: files on disk to configuration items, never the whole inventory at once.
//!
//! Two layouts exist. JSON Lines (one record a line: an item, a change notification, or an
//! API result) is cut into batches of raw lines that worker threads decode in parallel, so
//! that reading stays I/O-bound. A single JSON document (an AWS Config snapshot or history
//! file, a saved API result, a JSON array, a pretty-printed item) is decoded here with a
//! streaming visitor that hands items on as the array is read. Either may be gzip-compressed;
//! compression is recognised by its magic bytes, not by the file name.
//!
//! The same files can be read a second time for their [`ItemStamp`]s only (which resource, which
//! state): the engine's pre-scan for inventories that hold several items of one resource, file
//! by file on several threads. Both reads cut every file into the same batches, numbered within
//! the file, and expand every record into the same items in the same order, so an item is known
//! in either by its file, its batch and its place in the batch.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::item::{ConfigItem, ItemError, RawItem};
use crate::stamp::{ItemStamp, RawStamp};

/// Raw JSON Lines text handed to a worker at a time.
const BATCH_BYTES: usize = 1 << 20;
/// Items decoded from a document handed on at a time.
const BATCH_ITEMS: usize = 2_000;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why the inventory could not be read. Every variant names the file, and the line or item
/// where that is known.
///
/// A message carries its cause in its own text and does not also return it as
/// [`source`](std::error::Error::source): the command line prints the whole chain
/// (`error: {err:#}`), which would otherwise say every cause twice.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot open `{path}`: {cause}")]
    Open { path: PathBuf, cause: io::Error },
    #[error("cannot read `{path}` near line {line}: {cause}")]
    Read { path: PathBuf, line: u64, cause: io::Error },
    #[error("`{path}` line {line}: invalid JSON: {message}")]
    Json { path: PathBuf, line: u64, message: String },
    #[error("`{path}` line {line}: {cause}")]
    Item { path: PathBuf, line: u64, cause: ItemError },
    #[error("`{path}`: {message}")]
    Document { path: PathBuf, message: String },
    #[error("`{path}` is neither a file nor a directory")]
    NotFound { path: PathBuf },
    #[error(
        "the inventory holds several items of one resource, and `{path}` is a stream that cannot be read a \
         second time to leave the older ones out: save it to a file and evaluate the file"
    )]
    Stream { path: PathBuf },
    #[error("`{path}` changed while it was read: its second reading did not give the items of the first")]
    Changed { path: PathBuf },
}

/// A unit of work produced by [`InventoryFiles::read`] (items) or
/// [`InventoryFiles::read_stamps_of`] (stamps).
pub struct Batch<T = ConfigItem> {
    pub path: Arc<Path>,
    /// The file's place in the [`InventoryFiles`] list.
    pub file: usize,
    /// The batch's place in its file, from 0.
    pub index: u64,
    pub content: BatchContent<T>,
}

pub enum BatchContent<T = ConfigItem> {
    /// Whole JSON Lines; `first_line` is the 1-based number of the first one.
    Lines { first_line: u64, text: Vec<u8> },
    /// Items (or stamps) already decoded from a JSON document.
    Items(Vec<T>),
}

/// A record as a line or an array element holds it, and what a read makes of it.
pub(crate) trait Record: DeserializeOwned {
    type Out;
    /// Append what the record stands for (itself, or the items of its envelope) to `out`.
    fn expand(self, out: &mut Vec<Self::Out>) -> Result<(), ItemError>;
}

impl Record for RawItem {
    type Out = ConfigItem;
    fn expand(self, out: &mut Vec<ConfigItem>) -> Result<(), ItemError> {
        out.extend(self.into_items()?);
        Ok(())
    }
}

impl Record for RawStamp {
    type Out = ItemStamp;
    fn expand(self, out: &mut Vec<ItemStamp>) -> Result<(), ItemError> {
        self.into_stamps(out)
    }
}

impl<T> Batch<T> {
    /// Hand every item of the batch to `each`, in order, as soon as it is decoded.
    fn for_each<R: Record<Out = T>>(self, mut each: impl FnMut(T)) -> Result<(), InventoryError> {
        match self.content {
            BatchContent::Items(items) => items.into_iter().for_each(each),
            BatchContent::Lines { first_line, text } => {
                let mut expanded = Vec::new();
                for (offset, line) in text.split(|&byte| byte == b'\n').enumerate() {
                    let number = first_line + offset as u64;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let raw: R = serde_json::from_slice(line).map_err(|err| InventoryError::Json {
                        path: self.path.to_path_buf(),
                        line: number,
                        message: err.to_string(),
                    })?;
                    raw.expand(&mut expanded).map_err(|cause| InventoryError::Item {
                        path: self.path.to_path_buf(),
                        line: number,
                        cause,
                    })?;
                    expanded.drain(..).for_each(&mut each);
                }
            }
        }
        Ok(())
    }
}

impl Batch<ConfigItem> {
    /// Decode the batch, appending its items to `out`. Items of deleted or unrecorded
    /// resources are counted in `skipped` and not returned.
    pub fn decode(self, out: &mut Vec<ConfigItem>, skipped: &mut u64) -> Result<(), InventoryError> {
        self.decode_each(|item| {
            if item.is_deleted_or_unrecorded() {
                *skipped += 1;
            } else {
                out.push(item);
            }
        })
    }

    /// Decode the batch item by item, handing each item to `each` as soon as it is decoded,
    /// deleted and unrecorded ones included, in the order of [`InventoryFiles::read_stamps_of`].
    /// A batch decodes to several megabytes of items, more than a core's cache holds: a
    /// consumer that is done with an item before the next one is decoded finds it still in
    /// cache, and its memory is reused at once by the next item. On an error, the items before
    /// the failing line have been handed on already.
    pub fn decode_each(self, each: impl FnMut(ConfigItem)) -> Result<(), InventoryError> {
        self.for_each::<RawItem>(each)
    }
}

impl Batch<ItemStamp> {
    /// The stamps of the batch's items, in the order [`Batch::decode_each`] hands the items.
    pub fn stamp_each(self, each: impl FnMut(ItemStamp)) -> Result<(), InventoryError> {
        self.for_each::<RawStamp>(each)
    }
}

/// What reading found besides items.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadStats {
    pub files: u64,
    /// Files in a directory that are not inventory files by their name (README, .DS_Store), and
    /// entries that are not regular files (FIFOs, sockets, devices).
    pub files_ignored: u64,
}

/// Walk `inputs` (files or directories, recursively, in name order) and hand every batch to
/// `emit`. Stops at the first error; an `emit` error stops reading and is returned as is.
pub fn read_inventory<E>(inputs: &[PathBuf], emit: impl FnMut(Batch) -> Result<(), E>) -> Result<ReadStats, E>
where
    E: From<InventoryError>,
{
    InventoryFiles::list(inputs)?.read(emit)
}

/// The files an inventory is read from, found once so that every reading of the inventory
/// reads the same files in the same order.
///
/// A file is listed once however often it is reached (named twice, or through a symbolic link
/// to a directory already walked): reading it again would count every resource in it twice.
#[derive(Debug, Clone)]
pub struct InventoryFiles {
    files: Vec<(PathBuf, bool)>,
    ignored: u64,
}

impl InventoryFiles {
    /// Walk `inputs`: files or directories, recursively, in name order.
    pub fn list(inputs: &[PathBuf]) -> Result<InventoryFiles, InventoryError> {
        let mut listed = InventoryFiles { files: Vec::new(), ignored: 0 };
        let mut seen = HashSet::new();
        for input in inputs {
            collect_files(input, true, &mut listed, &mut seen)?;
        }
        Ok(listed)
    }

    /// The first input that is a stream (a FIFO or a device named on the command line): it can
    /// be read only once.
    pub fn stream(&self) -> Option<&Path> {
        self.files.iter().find(|(_, stream)| *stream).map(|(path, _)| path.as_path())
    }

    /// How many files there are.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Hand every batch of items to `emit`, file after file. Stops at the first error; an
    /// `emit` error stops reading and is returned as is.
    pub fn read<E>(&self, mut emit: impl FnMut(Batch) -> Result<(), E>) -> Result<ReadStats, E>
    where
        E: From<InventoryError>,
    {
        for (file, (path, _)) in self.files.iter().enumerate() {
            read_file::<RawItem, E>(path, file, &mut emit)?;
        }
        Ok(ReadStats { files: self.files.len() as u64, files_ignored: self.ignored })
    }

    /// Hand the batches of stamps of file `file` to `emit`: the batches [`read`](Self::read)
    /// cuts from that file, with only what identifies and orders each item. Files can be read
    /// so on several threads at once.
    pub fn read_stamps_of<E>(
        &self,
        file: usize,
        mut emit: impl FnMut(Batch<ItemStamp>) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<InventoryError>,
    {
        match self.files.get(file) {
            Some((path, _)) => read_file::<RawStamp, E>(path, file, &mut emit),
            None => Ok(()),
        }
    }
}

/// What makes two paths the same file or directory: device and inode, which symbolic links,
/// `..` and hard links do not change.
#[cfg(unix)]
type Identity = (u64, u64);

#[cfg(unix)]
fn identity(_path: &Path, metadata: &std::fs::Metadata) -> Identity {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

#[cfg(not(unix))]
type Identity = PathBuf;

#[cfg(not(unix))]
fn identity(path: &Path, _metadata: &std::fs::Metadata) -> Identity {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

fn collect_files(
    path: &Path,
    named_explicitly: bool,
    listed: &mut InventoryFiles,
    seen: &mut HashSet<Identity>,
) -> Result<(), InventoryError> {
    let metadata = std::fs::metadata(path).map_err(|cause| match cause.kind() {
        io::ErrorKind::NotFound => InventoryError::NotFound { path: path.to_owned() },
        _ => InventoryError::Open { path: path.to_owned(), cause },
    })?;
    if metadata.is_dir() {
        // A directory seen before (through a link, or as an ancestor: a loop) holds nothing new.
        if !seen.insert(identity(path, &metadata)) {
            return Ok(());
        }
        let mut entries = std::fs::read_dir(path)
            .and_then(|entries| entries.map(|entry| entry.map(|e| e.path())).collect::<Result<Vec<_>, _>>())
            .map_err(|cause| InventoryError::Open { path: path.to_owned(), cause })?;
        entries.sort();
        for entry in entries {
            collect_files(&entry, false, listed, seen)?;
        }
    } else if named_explicitly || (metadata.is_file() && is_inventory_file_name(path)) {
        // A FIFO or device found in a directory could block reading forever; one the user
        // named is a stream they asked for.
        if seen.insert(identity(path, &metadata)) {
            listed.files.push((path.to_owned(), !metadata.is_file()));
        }
    } else {
        listed.ignored += 1;
    }
    Ok(())
}

fn is_inventory_file_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') {
        return false;
    }
    let name = name.strip_suffix(".gz").unwrap_or(name);
    [".json", ".jsonl", ".ndjson"].iter().any(|ext| name.ends_with(ext))
}

/// Open a file, transparently gunzipping it.
pub fn open_maybe_gzip(path: &Path) -> Result<Box<dyn BufRead + Send>, InventoryError> {
    let open_error = |cause| InventoryError::Open { path: path.to_owned(), cause };
    let mut file = BufReader::with_capacity(1 << 16, File::open(path).map_err(open_error)?);
    let head = file.fill_buf().map_err(open_error)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(file);
        Ok(Box::new(BufReader::with_capacity(1 << 16, decoder)))
    } else {
        Ok(Box::new(file))
    }
}

/// Numbers the batches of one file.
struct Cutter {
    path: Arc<Path>,
    file: usize,
    next: u64,
}

impl Cutter {
    fn batch<T>(&mut self, content: BatchContent<T>) -> Batch<T> {
        let index = self.next;
        self.next += 1;
        Batch { path: self.path.clone(), file: self.file, index, content }
    }
}

fn read_file<R: Record, E: From<InventoryError>>(
    path: &Path,
    file: usize,
    emit: &mut impl FnMut(Batch<R::Out>) -> Result<(), E>,
) -> Result<(), E> {
    let mut cutter = Cutter { path: Arc::from(path), file, next: 0 };
    let mut reader = open_maybe_gzip(path)?;
    let read_error = |line, cause| InventoryError::Read { path: path.to_owned(), line, cause };
    // Peek at the first line to tell JSON Lines from one document: a JSON Lines file's first
    // line is a complete value; a pretty-printed document's is not, and a snapshot file that
    // AWS wrote on one line announces itself by its envelope keys.
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first).map_err(|e| read_error(1, e))?;
    // Editors on Windows start UTF-8 files with a byte order mark, which JSON does not allow;
    // it says nothing about the content, so it is skipped (as `mamori.toml` does).
    if first.starts_with(UTF8_BOM) {
        first.drain(..UTF8_BOM.len());
    }
    if is_document(&first) {
        let chained = io::Cursor::new(first).chain(reader);
        return read_document::<R, E>(cutter, chained, emit);
    }
    let mut line_number: u64 = 1;
    let mut batch_first_line = 1;
    let mut text = first;
    loop {
        if text.len() >= BATCH_BYTES {
            let full = std::mem::take(&mut text);
            emit(cutter.batch(BatchContent::Lines { first_line: batch_first_line, text: full }))?;
            batch_first_line = line_number + 1;
        }
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        let read = reader.read_until(b'\n', &mut text).map_err(|e| read_error(line_number + 1, e))?;
        if read == 0 {
            break;
        }
        line_number += 1;
    }
    if text.ends_with(b"\n") {
        text.pop();
    }
    if !text.is_empty() {
        emit(cutter.batch(BatchContent::Lines { first_line: batch_first_line, text }))?;
    }
    Ok(())
}

fn is_document(first_line: &[u8]) -> bool {
    let text = first_line.trim_ascii();
    if text.is_empty() || text.starts_with(b"[") {
        return !text.is_empty();
    }
    let head = &text[..text.len().min(4096)];
    let announces_envelope =
        [&b"\"fileVersion\""[..], b"\"configurationItems\"", b"\"baseConfigurationItems\"", b"\"Results\""]
            .iter()
            .any(|key| head.windows(key.len()).any(|window| window == *key));
    announces_envelope || serde_json::from_slice::<IgnoredAny>(text).is_err()
}

/// Decode one JSON document, streaming the item arrays it holds.
fn read_document<R: Record, E: From<InventoryError>>(
    cutter: Cutter,
    reader: impl Read,
    emit: &mut impl FnMut(Batch<R::Out>) -> Result<(), E>,
) -> Result<(), E> {
    let path = cutter.path.clone();
    let mut sink =
        ItemSink { cutter, pending: Vec::new(), emit, failure: None, index: 0, record: PhantomData::<fn() -> R> };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = Document { sink: &mut sink }.deserialize(&mut deserializer);
    let result = result.and_then(|()| deserializer.end());
    if let Some(failure) = sink.failure.take() {
        return Err(failure);
    }
    if let Err(err) = result {
        let line = err.line() as u64;
        let message = err.to_string();
        return Err(if err.is_io() {
            InventoryError::Read {
                path: path.to_path_buf(),
                line,
                cause: io::Error::new(io::ErrorKind::InvalidData, message),
            }
        } else {
            InventoryError::Json { path: path.to_path_buf(), line, message }
        }
        .into());
    }
    sink.flush().map_err(|()| sink.failure.take().expect("flush failure is recorded"))
}

struct ItemSink<'a, F, E, R: Record> {
    cutter: Cutter,
    pending: Vec<R::Out>,
    emit: &'a mut F,
    /// An error from `emit` (the consumer stopped), kept so that it is returned unchanged.
    failure: Option<E>,
    index: u64,
    record: PhantomData<fn() -> R>,
}

impl<F, E, R: Record> ItemSink<'_, F, E, R>
where
    F: FnMut(Batch<R::Out>) -> Result<(), E>,
{
    fn push(&mut self, raw: R) -> Result<(), String> {
        self.index += 1;
        raw.expand(&mut self.pending).map_err(|err| format!("item {}: {err}", self.index))?;
        if self.pending.len() >= BATCH_ITEMS {
            self.flush().map_err(|()| "stopped".to_owned())?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.pending);
        (self.emit)(self.cutter.batch(BatchContent::Items(items))).map_err(|err| {
            self.failure = Some(err);
        })
    }
}

/// The top-level document: an envelope object, a single item, or an array of items.
struct Document<'s, 'a, F, E, R: Record> {
    sink: &'s mut ItemSink<'a, F, E, R>,
}

impl<'de, F, E, R: Record> DeserializeSeed<'de> for Document<'_, '_, F, E, R>
where
    F: FnMut(Batch<R::Out>) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F, E, R: Record> Visitor<'de> for Document<'_, '_, F, E, R>
where
    F: FnMut(Batch<R::Out>) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a configuration item, an array of them, or an AWS Config file or API result")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        ItemArray { sink: self.sink, encoded: false }.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut envelope = false;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "configurationItems" | "baseConfigurationItems" => {
                    envelope = true;
                    map.next_value_seed(ItemArray { sink: self.sink, encoded: false })?;
                }
                "Results" => {
                    envelope = true;
                    map.next_value_seed(ItemArray { sink: self.sink, encoded: true })?;
                }
                "configurationItem" => {
                    envelope = true;
                    let raw: R = map.next_value()?;
                    self.sink.push(raw).map_err(de::Error::custom)?;
                }
                _ => {
                    let value: Value = map.next_value()?;
                    rest.insert(key, value);
                }
            }
        }
        if envelope {
            return Ok(());
        }
        let raw: R = serde_json::from_value(Value::Object(rest)).map_err(de::Error::custom)?;
        self.sink.push(raw).map_err(de::Error::custom)
    }
}

/// An array of items, streamed one at a time; `encoded` when each is a JSON string.
struct ItemArray<'s, 'a, F, E, R: Record> {
    sink: &'s mut ItemSink<'a, F, E, R>,
    encoded: bool,
}

impl<'de, F, E, R: Record> DeserializeSeed<'de> for ItemArray<'_, '_, F, E, R>
where
    F: FnMut(Batch<R::Out>) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F, E, R: Record> Visitor<'de> for ItemArray<'_, '_, F, E, R>
where
    F: FnMut(Batch<R::Out>) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of configuration items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.encoded {
            while let Some(text) = seq.next_element::<String>()? {
                let raw: R = serde_json::from_str(&text)
                    .map_err(|err| de::Error::custom(format!("item {}: {err}", self.sink.index + 1)))?;
                self.sink.push(raw).map_err(de::Error::custom)?;
            }
        } else {
            while let Some(raw) = seq.next_element::<R>()? {
                self.sink.push(raw).map_err(de::Error::custom)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> Result<Vec<ConfigItem>, InventoryError> {
        let mut items = Vec::new();
        let mut skipped = 0;
        read_inventory(&[path.to_owned()], |batch: Batch| batch.decode(&mut items, &mut skipped))?;
        Ok(items)
    }

    const ITEM: &str = r#"{"resourceType":"AWS::S3::Bucket","resourceId":"b1","accountId":"111122223333","awsRegion":"us-east-1","configuration":{"name":"b1"}}"#;

    #[test]
    fn reads_json_lines_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        std::fs::write(&plain, format!("{ITEM}\n\n{ITEM}\n")).unwrap();
        assert_eq!(read_all(&plain).unwrap().len(), 2);

        let gz = dir.path().join("b.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        writeln!(encoder, "{ITEM}").unwrap();
        encoder.finish().unwrap();
        assert_eq!(read_all(&gz).unwrap().len(), 1);
        assert_eq!(read_all(dir.path()).unwrap().len(), 3);
    }

    #[test]
    fn reads_pretty_snapshot_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        let doc = format!("{{\n  \"fileVersion\": \"1.0\",\n  \"configSnapshotId\": \"x\",\n  \"configurationItems\": [\n{ITEM},\n{ITEM}\n]\n}}\n");
        std::fs::write(&path, doc).unwrap();
        assert_eq!(read_all(&path).unwrap().len(), 2);
    }

    #[test]
    fn malformed_line_is_named_by_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.jsonl");
        std::fs::write(&path, format!("{ITEM}\n{{\"resourceType\": \n")).unwrap();
        let err = read_all(&path).unwrap_err().to_string();
        assert!(err.contains("bad.jsonl` line 2: invalid JSON"), "{err}");
    }

    #[test]
    fn error_chains_say_each_thing_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-type.jsonl");
        std::fs::write(&path, r#"{"resourceId":"b1","accountId":"1","awsRegion":"us-east-1"}"#).unwrap();
        let err = read_all(&path).unwrap_err();
        assert_eq!(
            crate::error_chain(&err),
            format!("`{}` line 1: missing required field `resourceType`", path.display())
        );
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let lines = dir.path().join("bom.jsonl");
        std::fs::write(&lines, format!("\u{feff}{ITEM}\n{ITEM}\n")).unwrap();
        assert_eq!(read_all(&lines).unwrap().len(), 2);

        let document = dir.path().join("bom-snapshot.json");
        std::fs::write(
            &document,
            format!("\u{feff}{{\n\"fileVersion\": \"1.0\",\n\"configurationItems\": [{ITEM}]}}\n"),
        )
        .unwrap();
        assert_eq!(read_all(&document).unwrap().len(), 1);

        let gz = dir.path().join("bom.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        writeln!(encoder, "\u{feff}{ITEM}").unwrap();
        encoder.finish().unwrap();
        assert_eq!(read_all(&gz).unwrap().len(), 1);
    }

    fn read_with_stats(inputs: &[PathBuf]) -> Result<(ReadStats, usize), InventoryError> {
        let mut items = Vec::new();
        let mut skipped = 0;
        let stats = read_inventory(inputs, |batch: Batch| batch.decode(&mut items, &mut skipped))?;
        Ok((stats, items.len()))
    }

    /// A FIFO made by coreutils' `mkfifo` (unsafe code is denied workspace-wide).
    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    /// Runs `read` on another thread: a reader stuck on a FIFO fails the test instead of
    /// hanging it.
    fn within_seconds<T: Send + 'static>(read: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(read());
        });
        result.recv_timeout(std::time::Duration::from_secs(20)).expect("reading did not finish: stuck on a FIFO?")
    }

    #[test]
    fn a_fifo_inside_a_directory_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jsonl"), format!("{ITEM}\n")).unwrap();
        mkfifo(&dir.path().join("stuck.jsonl"));
        let inputs = vec![dir.path().to_owned()];
        let (stats, items) = within_seconds(move || read_with_stats(&inputs)).unwrap();
        assert_eq!((stats.files, stats.files_ignored, items), (1, 1, 1));
    }

    #[test]
    fn a_fifo_named_on_the_command_line_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("stream.jsonl");
        mkfifo(&fifo);
        let writer_path = fifo.clone();
        let writer = std::thread::spawn(move || {
            let mut out = std::fs::OpenOptions::new().write(true).open(writer_path).unwrap();
            writeln!(out, "{ITEM}\n{ITEM}").unwrap();
        });
        let inputs = vec![fifo];
        let (stats, items) = within_seconds(move || read_with_stats(&inputs)).unwrap();
        writer.join().unwrap();
        assert_eq!((stats.files, items), (1, 2));
    }

    #[test]
    fn a_file_reached_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let file = real.join("a.jsonl");
        std::fs::write(&file, format!("{ITEM}\n{ITEM}\n")).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        // A link back to an ancestor would otherwise be walked forever.
        std::os::unix::fs::symlink(dir.path(), real.join("loop")).unwrap();

        let once = read_with_stats(std::slice::from_ref(&file)).unwrap();
        assert_eq!((once.0.files, once.1), (1, 2));
        for inputs in [
            vec![file.clone(), file.clone()],
            vec![dir.path().to_owned()],
            vec![real.clone(), dir.path().join("link"), dir.path().join("link/a.jsonl")],
            vec![dir.path().join("link/../real/a.jsonl"), file.clone()],
        ] {
            let (stats, items) = within_seconds({
                let inputs = inputs.clone();
                move || read_with_stats(&inputs)
            })
            .unwrap_or_else(|err| panic!("{inputs:?}: {err}"));
            assert_eq!((stats.files, items), (1, 2), "{inputs:?}");
        }
    }

    #[test]
    fn truncated_gzip_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("t.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..200 {
            writeln!(encoder, "{ITEM}").unwrap();
        }
        let bytes = encoder.finish().unwrap();
        std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
        let err = read_all(&gz).unwrap_err();
        assert!(matches!(err, InventoryError::Read { .. }), "{err}");
    }
}
