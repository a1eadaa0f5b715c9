//! A small, fast, seeded hasher for the in-memory index.
//!
//! The index is probed on every silent call, so hashing a ~100-byte cache key must take a few
//! nanoseconds, which SipHash does not. This is the multiply-add scheme of `rustc-hash`, fed eight
//! bytes at a time. The seed is random per process so that keys chosen to collide in one process
//! do not collide in another; every index hit is re-checked against the entry's fields anyway, so
//! a collision can only cost time, never return a wrong token.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hasher},
    sync::OnceLock,
};

/// rustc-hash's multiplier: odd, with well-spread bits.
const MULTIPLIER: u64 = 0xf135_7aea_2e62_a9c5;

/// A fast, non-cryptographic hasher.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = self.hash.wrapping_add(word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
        // The length separates "ab" + "c" from "a" + "bc" when several writes are chained.
        self.add(bytes.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // hashbrown takes its control byte from the top bits; rotating brings the well-mixed
        // high bits of the product down as well.
        self.hash.rotate_left(26)
    }
}

/// Builds [`FastHasher`]s starting from the per-process seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastBuildHasher {
    seed: u64,
}

impl Default for FastBuildHasher {
    fn default() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed =
            *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u64));
        Self { seed }
    }
}

impl BuildHasher for FastBuildHasher {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher { hash: self.seed }
    }
}

/// A `HashMap` using [`FastBuildHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, FastBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_map_works() {
        let mut m: FastMap<u64, u8> = FastMap::default();
        m.insert(1, 1);
        assert_eq!(m.get(&1), Some(&1));
    }
}
