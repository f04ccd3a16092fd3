//! Word lists and seeded helpers shared by the corpus generators.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Syllables for invented proper names (no real entities, nothing to look up).
const SYLLABLES: [&str; 24] = [
    "al", "ber", "cor", "dan", "el", "fen", "gar", "hal", "ith", "jor", "kel", "lum", "mar", "nor",
    "ost", "pra", "quin", "ros", "sel", "tor", "ul", "vek", "wyn", "zor",
];

/// Neutral connective sentences that carry no topic.
pub const FILLER: [&str; 10] = [
    "The details were shared with the wider group later that week.",
    "Several people asked for more information after the announcement.",
    "A follow-up meeting is planned for the coming month.",
    "Observers noted that the timeline remains uncertain.",
    "The organisers thanked everyone who took part.",
    "Further updates are expected once the review is complete.",
    "Local residents reacted with a mix of curiosity and caution.",
    "The figures will be published in the next quarterly bulletin.",
    "Most of the discussion focused on practical next steps.",
    "A short statement was released to answer common questions.",
];

/// An invented capitalised name of 2-3 syllables.
pub fn name(rng: &mut ChaCha8Rng) -> String {
    let n = rng.gen_range(2..=3);
    let mut s: String = (0..n)
        .map(|_| *SYLLABLES.choose(rng).unwrap_or(&"al"))
        .collect();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// One element of `xs` (which must not be empty).
pub fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs.choose(rng).copied().unwrap_or_default()
}

/// A date in 2020-2026 as `YYYY-MM-DD`.
pub fn date(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.gen_range(2020..=2026),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28)
    )
}
