//! RAG corpus: a 1000-chunk knowledge base about 250 invented institutions (4 facts each) and
//! questions whose answers are in known chunks: simple (one fact, one chunk) and complex
//! (comparing two institutions, two chunks). `expected` holds the gold chunk ids.

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::words::{name, pick, FILLER};
use super::{Chunk, Item};

const KINDS: [&str; 6] = [
    "observatory",
    "library",
    "shipyard",
    "music conservatory",
    "botanical garden",
    "railway company",
];

/// The facts of one institution, one chunk each.
struct Entity {
    name: String,
    kind: &'static str,
    founded: u32,
    founder: String,
    city: String,
    staff: u32,
}

fn entity(rng: &mut ChaCha8Rng, title: String) -> Entity {
    Entity {
        kind: pick(rng, &KINDS),
        founded: rng.gen_range(1820..2015),
        founder: name(rng),
        city: name(rng),
        staff: rng.gen_range(12..4000),
        name: title,
    }
}

fn chunks_of(rng: &mut ChaCha8Rng, e: &Entity) -> [String; 4] {
    let n = &e.name;
    [
        format!(
            "The {n} {} was founded in {} by {}. {}",
            e.kind,
            e.founded,
            e.founder,
            pick(rng, &FILLER)
        ),
        format!(
            "The {n} {} is located in the city of {}, near the old harbour district. {}",
            e.kind,
            e.city,
            pick(rng, &FILLER)
        ),
        format!(
            "Today the {n} {} employs {} people and welcomes visitors on weekdays. {}",
            e.kind,
            e.staff,
            pick(rng, &FILLER)
        ),
        format!(
            "In {} the {n} {} celebrated an anniversary with a public open day organised by {}.",
            e.founded + rng.gen_range(10..100),
            e.kind,
            e.founder
        ),
    ]
}

/// The knowledge base (`entities` x 4 chunks) and `questions` questions, half simple, half
/// complex (alternating).
pub fn rag(entities: usize, questions: usize) -> (Vec<Chunk>, Vec<Item>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0x04A6_C0DE);
    let mut seen = HashSet::new();
    let mut ents = Vec::with_capacity(entities);
    while ents.len() < entities {
        let n = name(&mut rng);
        if seen.insert(n.clone()) {
            ents.push(entity(&mut rng, n));
        }
    }
    let mut chunks = Vec::with_capacity(entities * 4);
    for (i, e) in ents.iter().enumerate() {
        for (j, text) in chunks_of(&mut rng, e).into_iter().enumerate() {
            chunks.push(Chunk {
                id: format!("kb-{i:03}-{j}"),
                text,
            });
        }
    }
    let items = (0..questions)
        .map(|q| {
            let i = rng.gen_range(0..ents.len());
            let e = &ents[i];
            if q % 2 == 0 {
                let (fact, text) = match rng.gen_range(0..3) {
                    0 => (0, format!("In which year was the {} {} founded?", e.name, e.kind)),
                    1 => (1, format!("In which city is the {} {} located?", e.name, e.kind)),
                    _ => (2, format!("How many people does the {} {} employ?", e.name, e.kind)),
                };
                Item {
                    id: format!("q-{q:02}"),
                    text,
                    expected: Some(format!("kb-{i:03}-{fact}")),
                    kind: Some("simple".into()),
                }
            } else {
                let j = (i + 1 + rng.gen_range(0..ents.len() - 1)) % ents.len();
                let f = &ents[j];
                Item {
                    id: format!("q-{q:02}"),
                    text: format!(
                        "Which is older, the {} {} or the {} {}, who founded each of them, and how many years apart were they founded?",
                        e.name, e.kind, f.name, f.kind
                    ),
                    expected: Some(format!("kb-{i:03}-0,kb-{j:03}-0")),
                    kind: Some("complex".into()),
                }
            }
        })
        .collect();
    (chunks, items)
}
