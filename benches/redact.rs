//! Throughput of the redaction engine with the full default rule set (secrets and
//! identifiers) on generated mixed logs, against a read-and-split-lines baseline.
//!
//! Kept short (8 MiB, 10 samples, a few seconds per function): `cargo bench --bench redact`.
//! The 100 MB+ and 1 GiB numbers come from `scripts/bench-redact.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Options, Redactor};

/// Generated logs and secrets, shared with the benches and the log generator.
#[allow(dead_code, unreachable_pub)]
#[path = "../tests/support/testdata.rs"]
mod testdata;

fn bench(c: &mut Criterion) {
    let mut data = Vec::new();
    testdata::write_logs(42, 8 << 20, &mut data).expect("in-memory write");
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options::default().with_pseudonym_key(dir.path().join("key"));
    let r = Redactor::new(&opts).expect("default rules compile");
    let mut g = c.benchmark_group("redact");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("split-lines-baseline", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(data.len());
            for line in data.split(|&b| b == b'\n') {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
            black_box(out.len())
        })
    });
    g.bench_function("default-rules", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(data.len());
            let mut counts = Counts::default();
            r.redact_stream(&data[..], &mut out, Format::Text, &mut counts)
                .expect("in-memory stream");
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
