//! Code generation corpus: 50 Python function specifications (10 task families, 5 variants
//! each with their own constants and names).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Item;

/// A task family: (function name stem, signature, description); `{a}`/`{b}` are constants.
const FAMILIES: [(&str, &str, &str); 10] = [
    ("sum_multiples", "(limit: int) -> int", "returns the sum of all positive integers below `limit` that are multiples of {a} or {b}"),
    ("chunk_list", "(items: list) -> list", "splits `items` into consecutive sublists of length {a} (the last may be shorter)"),
    ("count_vowels", "(text: str) -> dict", "returns a dict mapping each vowel to how often it occurs in `text`, ignoring case, counting only words longer than {a} letters"),
    ("rotate_left", "(values: list) -> list", "returns `values` rotated left by {a} positions (wrapping around; an empty list stays empty)"),
    ("is_balanced", "(s: str) -> bool", "returns True when every bracket in `s` ((), [], {}) is closed in order, ignoring other characters; at most {a} levels of nesting are allowed"),
    ("moving_average", "(xs: list) -> list", "returns the moving averages of `xs` over windows of {a} elements, rounded to {b} decimals"),
    ("parse_kv", "(line: str) -> dict", "parses `line` of the form 'k1=v1;k2=v2' into a dict, converting values that are integers, and skipping pairs whose key is longer than {a} characters"),
    ("top_k_words", "(text: str) -> list", "returns the {a} most frequent lowercase words of `text` as (word, count) tuples, ties broken alphabetically"),
    ("fizz_map", "(n: int) -> list", "returns the list for 1..n where multiples of {a} become 'Fizz', of {b} 'Buzz', of both 'FizzBuzz', others the number as a string"),
    ("clamp_all", "(xs: list) -> list", "returns `xs` with every value clamped to the range [-{a}, {b}]"),
];

/// `n` specifications (10 families x variants).
pub fn codegen(n: usize) -> Vec<Item> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x0C0D_E6E4);
    (0..n)
        .map(|i| {
            let (stem, sig, desc) = FAMILIES[i % FAMILIES.len()];
            let variant = i / FAMILIES.len();
            let (a, b) = (rng.gen_range(2..9), rng.gen_range(2..9));
            let fname = if variant == 0 {
                stem.to_string()
            } else {
                format!("{stem}_v{variant}")
            };
            let desc = desc
                .replace("{a}", &a.to_string())
                .replace("{b}", &b.to_string());
            Item {
                id: format!("fn-{i:02}"),
                text: format!("def {fname}{sig}: {desc}."),
                expected: Some(fname),
                kind: Some("python".into()),
            }
        })
        .collect()
}
