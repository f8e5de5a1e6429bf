//! Tells the test suite which real programs its tests drive (and which test
//! data beside the project) are missing, so that those tests are reported as
//! ignored, with the reason, instead of passing without running. Under
//! `CI=true` nothing is ignored: a missing one fails its tests, so CI cannot
//! go green without them.

use std::path::Path;

/// The programs, and the cfg set when one is missing.
const PROGRAMS: &[(&str, &str)] = &[
    ("/usr/bin/chromium", "missing_chromium"),
    ("/usr/bin/chromedriver", "missing_chromium"),
    ("/usr/bin/redis-server", "missing_redis"),
    ("../shared/linode/marketplace-udfs.json", "missing_marketplace_udfs"),
    ("../shared/linode/openapi-subset.json", "missing_openapi_subset"),
];

fn main() {
    println!("cargo::rerun-if-env-changed=CI");
    println!(
        "cargo::rustc-check-cfg=cfg(missing_chromium, missing_redis, missing_marketplace_udfs, missing_openapi_subset)"
    );
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    for (program, cfg) in PROGRAMS {
        println!("cargo::rerun-if-changed={program}");
        if !ci && !Path::new(program).exists() {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
