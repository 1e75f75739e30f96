// A fixture app: the standard library only.
use std::collections::BTreeMap;

fn main() {
    let mut counts = BTreeMap::new();
    for word in "build run build ship run build".split_whitespace() {
        *counts.entry(word).or_insert(0) += 1;
    }
    println!("hello from rust");
    for (word, n) in &counts {
        println!("{word}: {n}");
    }
}
