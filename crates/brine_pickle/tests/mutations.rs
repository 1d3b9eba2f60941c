//! A deterministic stand-in for the cargo-fuzz target (fuzz/fuzz_targets/pickle_scan.rs): a few
//! thousand xorshift-driven mutations of every fixture, plus random bytes behind each magic the
//! scanner recognises, all fed to `scan_bytes` with small limits. The scanner must never panic,
//! and must stay quick.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use brine_pickle::{scan_bytes, ScanLimits, ScanOutcome};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes worth planting: opcodes with arguments, MARK, STACK_GLOBAL, FRAME, lengths' extremes.
const INTERESTING: &[u8] = &[
    0x00, 0xff, 0x7f, 0x80, 0x95, 0x93, 0x94, 0x8e, 0x96, 0x8d, 0x8b, b'(', b'.', b'c', b'i', b'S',
    b'V', b'X', b'T', b'q', b'r', b'h', b'j', b'b', b'R', b'\n', 0x05,
];

fn mutate(rng: &mut XorShift, base: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = base.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                for _ in 0..n {
                    data.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
                }
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = (1 + rng.below(16)).min(len - i);
                data.drain(i..i + n);
            }
            4 if len > 0 => {
                data.truncate(rng.below(len));
            }
            5 if len > 0 => {
                let i = rng.below(len);
                let n = (1 + rng.below(64)).min(len - i);
                let chunk = data[i..i + n].to_vec();
                let at = rng.below(data.len() + 1);
                data.splice(at..at, chunk);
            }
            6 if !other.is_empty() => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            _ if len >= 4 => {
                // Overwrite four bytes with an extreme little-endian length or offset.
                let i = rng.below(len - 3);
                let v: u32 = match rng.below(4) {
                    0 => u32::MAX,
                    1 => 0x8000_0000,
                    2 => rng.next() as u32,
                    _ => 0,
                };
                data[i..i + 4].copy_from_slice(&v.to_le_bytes());
            }
            _ => {}
        }
    }
    data
}

fn small_limits() -> ScanLimits {
    ScanLimits {
        max_input_bytes: 4 * 1024 * 1024,
        max_decompressed_bytes: 1024 * 1024,
        max_opcodes: 200_000,
        max_stack: 10_000,
        max_memo: 10_000,
        max_nesting: 3,
        max_zip_entries: 1_000,
        max_imports: 1_000,
    }
}

fn check(data: &[u8], what: &str, limits: &ScanLimits) {
    let start = Instant::now();
    let out = catch_unwind(AssertUnwindSafe(|| scan_bytes(data, "fuzz.pkl", limits)))
        .unwrap_or_else(|_| panic!("scan panicked on {what}: {data:?}"));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{what} took {:?}",
        start.elapsed()
    );
    if let ScanOutcome::Scanned(r) = out {
        assert!(r.problems.len() <= 65, "{what}");
        let _ = r.severity_hint();
    }
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|e| e != "py" && e != "tsv"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn mutated_fixtures_never_panic() {
    let limits = small_limits();
    let all = fixtures();
    assert!(all.len() >= 20);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    for (name, base) in &all {
        // Large fixtures get fewer mutations: each run reads up to a megabyte.
        let n = if base.len() > 100_000 { 20 } else { 200 };
        for i in 0..n {
            let other = &all[rng.below(all.len())].1;
            let data = mutate(&mut rng, base, other);
            check(&data, &format!("{name} mutation {i}"), &limits);
            runs += 1;
        }
    }
    assert!(runs >= 3_000, "{runs}");
}

#[test]
fn random_bytes_behind_every_magic_never_panic() {
    let limits = small_limits();
    let magics: &[&[u8]] = &[
        b"",
        b"\x80\x02",
        b"\x80\x04\x95",
        b"\x80\x05",
        b"PK\x03\x04",
        b"\x1f\x8b\x08\x00",
        b"BZh91AY&SY",
        b"\xfd7zXZ\x00",
        b"\x78\x9c",
        b"\x5d\x00\x00\x80\x00",
        b"\x93NUMPY\x01\x00",
        b"\x93NUMPY\x02\x00",
        b"(",
        b"c",
    ];
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    for magic in magics {
        for i in 0..100 {
            let len = rng.below(512);
            let mut data = magic.to_vec();
            data.extend((0..len).map(|_| {
                if rng.below(4) == 0 {
                    INTERESTING[rng.below(INTERESTING.len())]
                } else {
                    rng.next() as u8
                }
            }));
            check(&data, &format!("{magic:?} random {i}"), &limits);
        }
    }
}
