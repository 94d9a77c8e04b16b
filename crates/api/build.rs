//! Rebuilds the crate when anything under `web/` changes, including files added or removed
//! (the embedded UI only tracks the files that existed at the last build by itself).

fn main() {
    println!("cargo::rerun-if-changed=web");
}
