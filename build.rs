//! The trees src/bundle.rs embeds: rebuild when a file under them is changed, added or removed
//! (include_dir tracks only the contents of the files it saw).
fn main() {
    println!("cargo:rerun-if-changed=suites");
    println!("cargo:rerun-if-changed=fixtures");
}
