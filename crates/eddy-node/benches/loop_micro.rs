//! Micro-benchmarks of the loop (placeholder until the timer and immediate
//! benches land).
fn main() {}
