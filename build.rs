//! Rebuilds when anything in static/ changes, so rust-embed compiles in new and changed files.

fn main() {
    println!("cargo:rerun-if-changed=static");
    println!("cargo:rerun-if-changed=schema.sql");
    println!("cargo:rerun-if-changed=migrations");
}
