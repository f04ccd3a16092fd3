//! Classification (1000 short docs, 8 labels) and summarization (100 long docs) corpora.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::words::{name, pick, FILLER};
use super::Item;

/// The fixed label set of the classification scenario.
pub const LABELS: [&str; 8] = [
    "sports",
    "business",
    "technology",
    "health",
    "politics",
    "science",
    "entertainment",
    "travel",
];

/// Topic sentences per label: `{n}` is an invented name, `{k}` a number.
fn topic_sentences(label: &str) -> [&'static str; 4] {
    match label {
        "sports" => [
            "{n} scored twice as the home team won the league match {k} to 1.",
            "The coach of {n} praised the players after a tough season opener.",
            "Fans filled the stadium to watch {n} defend the championship title.",
            "{n} signed a contract to play striker for the next {k} seasons.",
        ],
        "business" => [
            "Shares of {n} rose {k} percent after quarterly revenue beat forecasts.",
            "{n} announced a merger that will create the region's largest retailer.",
            "Investors welcomed the new chief executive appointed by {n}.",
            "{n} cut costs and expects profit margins to widen by {k} points.",
        ],
        "technology" => [
            "{n} released a software update that patches {k} security flaws.",
            "Engineers at {n} unveiled a faster processor for laptops and phones.",
            "The {n} app now uses machine learning to sort photos offline.",
            "{n} opened a data centre with {k} thousand servers cooled by river water.",
        ],
        "health" => [
            "Doctors at {n} hospital report a drop in flu cases this winter.",
            "A clinical trial of the {n} vaccine enrolled {k} hundred patients.",
            "Nutritionists recommend the {n} diet to lower blood pressure.",
            "The clinic in {n} extended opening hours for mental health care.",
        ],
        "politics" => [
            "The parliament of {n} passed the budget bill by {k} votes.",
            "Senator {n} launched a campaign for the upcoming election.",
            "Voters in {n} will decide on the new constitution in a referendum.",
            "The minister of {n} resigned after a dispute over taxation policy.",
        ],
        "science" => [
            "Astronomers using the {n} telescope found a planet orbiting a red dwarf.",
            "Researchers at {n} sequenced the genome of a rare deep-sea fish.",
            "The {n} experiment measured particle collisions at record energy.",
            "Geologists dated the {n} rock layer to {k} million years ago.",
        ],
        "entertainment" => [
            "The film by {n} topped the box office in its opening weekend.",
            "{n} released a new album with {k} songs recorded on tour.",
            "Critics praised the actor {n} for a role in the television drama.",
            "The {n} music festival sold out all {k} thousand tickets.",
        ],
        _ => [
            "Tourists flocked to the beaches of {n} during the summer holidays.",
            "The airline added {k} direct flights to {n} this spring.",
            "Hikers can now reach the {n} valley on a restored mountain trail.",
            "Hotels in {n} offer discounts for travellers who book early.",
        ],
    }
}

fn sentence(rng: &mut ChaCha8Rng, label: &str) -> String {
    let t = topic_sentences(label)[rng.gen_range(0..4)];
    t.replace("{n}", &name(rng))
        .replace("{k}", &rng.gen_range(2..90).to_string())
}

/// 1000 short documents (2 topic sentences + 1 neutral one), labels round-robin.
pub fn classification(n: usize) -> Vec<Item> {
    let mut rng = ChaCha8Rng::seed_from_u64(0xC1A5_51F1);
    (0..n)
        .map(|i| {
            let label = LABELS[i % LABELS.len()];
            let text = format!(
                "{} {} {}",
                sentence(&mut rng, label),
                pick(&mut rng, &FILLER),
                sentence(&mut rng, label)
            );
            Item {
                id: format!("doc-{i:04}"),
                text,
                expected: Some(label.to_string()),
                kind: None,
            }
        })
        .collect()
}

/// 100 longer reports: 4-6 paragraphs of 4-6 sentences on one topic, titled.
pub fn summarization(n: usize) -> Vec<Item> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5E3A_4A11);
    (0..n)
        .map(|i| {
            let label = LABELS[i % LABELS.len()];
            let title = format!("Report on {} ({label})", name(&mut rng));
            let paragraphs: Vec<String> = (0..rng.gen_range(4..=6))
                .map(|_| {
                    (0..rng.gen_range(4..=6))
                        .map(|j| {
                            if j % 3 == 2 {
                                pick(&mut rng, &FILLER).to_string()
                            } else {
                                sentence(&mut rng, label)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            Item {
                id: format!("report-{i:03}"),
                text: format!("{title}\n\n{}", paragraphs.join("\n\n")),
                expected: None,
                kind: Some(label.to_string()),
            }
        })
        .collect()
}
