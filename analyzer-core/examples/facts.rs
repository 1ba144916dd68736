//! Developer tool: print the artifacts and facts the core extracts from a
//! file (`cargo run -p analyzer-core --example facts -- FILE`).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: facts FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("facts: {path}: {e}");
            std::process::exit(2);
        }
    };
    let mut seg = analyzer_core::segment::Segmenter::new();
    for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
        seg.line(i as u64 + 1, line);
    }
    seg.finish();
    for a in &seg.artifacts {
        println!("artifact {:?} {}..{}", a.kind, a.first_line, a.last_line);
    }
    println!("{:#?}", seg.facts.listeners);
    println!("{:#?}", seg.facts.paths);
    println!("{:#?}", seg.facts.pools);
    println!("{:#?}", seg.facts.services);
    println!("{:#?}", seg.facts.pm2);
    for g in &seg.facts.groups {
        println!("group {:?} x{}", g.key, g.count);
    }
}
