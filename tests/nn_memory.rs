//! Memory stays flat across many models built, trained and dropped in one process (no global
//! graph state in dfdx): 50 small models, resident memory grows by less than 20%.
//! Its own test binary, so no other test allocates while it measures.

use tuner::data::fashion_mnist;
use tuner::nn::{Fit, NetSpec, Network};

/// Resident set size in bytes, from /proc/self/statm (Linux).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn rss_stays_flat_over_50_models() {
    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, test) = (train.take(256), test.take(100));
    let run = |i: usize| {
        let spec = NetSpec::input(784)
            .dense(32 + (i % 4) * 32)
            .relu()
            .dropout(0.1)
            .dense(10);
        let mut net = Network::new(&spec, i as u64).unwrap();
        net.fit(
            &train,
            Some(&test),
            &Fit::default().epochs(1).batch_size(64),
            &mut [],
        )
        .unwrap();
        net.evaluate(&test, 50).unwrap()["accuracy"]
    };
    // Warm up allocator pools and lazily initialised state first.
    for i in 0..5 {
        run(i);
    }
    let base = rss_bytes();
    let mut peak = base;
    for i in 5..55 {
        assert!(run(i).is_finite());
        peak = peak.max(rss_bytes());
    }
    let end = rss_bytes();
    let growth = end as f64 / base as f64 - 1.0;
    eprintln!(
        "RSS after warm-up {} KiB, after 50 models {} KiB (peak {} KiB), growth {:.1}%",
        base / 1024,
        end / 1024,
        peak / 1024,
        growth * 100.0
    );
    assert!(
        growth < 0.20,
        "RSS grew {:.1}% over 50 models",
        growth * 100.0
    );
}
