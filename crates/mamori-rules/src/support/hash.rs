//! A fast hasher for the evaluator's own look-ups (interned names, memo slots, summary
//! counters): keys there are short and come from the inventory or the catalog, not from an
//! adversary choosing collisions, and SipHash showed up in profiles of million-item runs.
//!
//! The mixing step is FxHash's (rustc's): a rotate, an xor and a multiply per 8 bytes.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A `HashSet` with [`FastHasher`].
pub type FastSet<T> = HashSet<T, BuildHasherDefault<FastHasher>>;

/// FxHash: not DoS-resistant, which is fine for keys mamori itself produces or reads.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("chunks of 8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_keys_that_differ_in_the_tail() {
        let mut map: FastMap<String, u32> = FastMap::default();
        map.insert("us-east-1".to_owned(), 1);
        map.insert("us-east-2".to_owned(), 2);
        map.insert("us-east-1x".to_owned(), 3);
        assert_eq!(map["us-east-1"], 1);
        assert_eq!(map["us-east-2"], 2);
        assert_eq!(map["us-east-1x"], 3);
        let hash = |text: &str| {
            let mut hasher = FastHasher::default();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        assert_ne!(hash("us-east-1"), hash("us-east-2"));
    }
}
