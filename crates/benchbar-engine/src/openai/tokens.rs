//! Token bookkeeping of a stream: synthetic prompts of an exact token count and the
//! chunk-arrival timestamps of each generated token (see the module docs of `openai`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Text of exactly `n` tokens: seeded random lowercase words that are single tokens with a
/// leading space (the pre-tokenizer splits at each), checked by encoding.
pub(super) fn synthetic_text(
    t: &tokenizers::Tokenizer,
    n: u32,
    seed: u64,
) -> std::result::Result<String, String> {
    let mut words: Vec<String> = t
        .get_vocab(false)
        .into_keys()
        .filter(|k| {
            // byte-level BPE writes a leading space as 'Ġ'
            k.strip_prefix('Ġ').is_some_and(|w| {
                w.len() >= 3 && w.len() <= 8 && w.bytes().all(|b| b.is_ascii_lowercase())
            })
        })
        .map(|k| format!(" {}", &k['Ġ'.len_utf8()..]))
        .collect();
    words.sort();
    if words.is_empty() {
        return Err("the tokenizer has no plain word tokens to build a synthetic prompt".into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let count = |s: &str| {
        t.encode(s, false)
            .map(|e| e.get_ids().len() as u32)
            .unwrap_or(0)
    };
    let mut text = String::new();
    for _ in 0..n {
        text.push_str(&words[rng.gen_range(0..words.len())]);
    }
    for _ in 0..64 {
        let c = count(&text);
        if c == n {
            return Ok(text);
        }
        if c > n {
            // drop the last word and try again with a fresh one
            let cut = text.rfind(' ').unwrap_or(0);
            text.truncate(cut);
        }
        if count(&text) < n {
            text.push_str(&words[rng.gen_range(0..words.len())]);
        }
    }
    Err(format!("could not build a prompt of exactly {n} tokens"))
}

/// How a stream's tokens were given timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAssignment {
    /// One offset per generated token (ns from sending the request).
    pub offsets_ns: Vec<u64>,
    /// Tokens whose chunk was not known exactly (given the last text chunk's time, or dropped).
    pub unattributed: u32,
}

/// Gives every token the arrival time of its chunk (see the module docs). `per_chunk` is the
/// token count of each text chunk; `total` the authoritative count (usage), if any.
pub fn assign_token_offsets(
    chunks_ns: &[u64],
    per_chunk: &[u32],
    total: Option<u32>,
    end_ns: u64,
) -> TokenAssignment {
    let mut offsets: Vec<u64> = chunks_ns
        .iter()
        .zip(per_chunk)
        .flat_map(|(&t, &k)| (0..k).map(move |_| t))
        .collect();
    let Some(total) = total else {
        return TokenAssignment {
            offsets_ns: offsets,
            unattributed: 0,
        };
    };
    let have = offsets.len() as u32;
    let unattributed = have.abs_diff(total);
    if have > total {
        offsets.truncate(total as usize);
    } else {
        let last = chunks_ns.last().copied().unwrap_or(end_ns);
        offsets.resize(total as usize, last);
    }
    TokenAssignment {
        offsets_ns: offsets,
        unattributed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_token_per_chunk_is_exact() {
        let a = assign_token_offsets(&[10, 20, 30], &[1, 1, 1], Some(3), 35);
        assert_eq!(a.offsets_ns, vec![10, 20, 30]);
        assert_eq!(a.unattributed, 0);
    }

    #[test]
    fn multi_token_chunks_with_tokenizer_counts() {
        let a = assign_token_offsets(&[10, 20], &[2, 3], Some(5), 25);
        assert_eq!(a.offsets_ns, vec![10, 10, 20, 20, 20]);
        assert_eq!(a.unattributed, 0);
    }

    #[test]
    fn deficit_takes_the_last_chunk_time_and_excess_is_dropped() {
        let a = assign_token_offsets(&[10, 20], &[1, 1], Some(4), 25);
        assert_eq!(a.offsets_ns, vec![10, 20, 20, 20]);
        assert_eq!(a.unattributed, 2);
        let b = assign_token_offsets(&[10, 20], &[2, 2], Some(3), 25);
        assert_eq!(b.offsets_ns, vec![10, 10, 20]);
        assert_eq!(b.unattributed, 1);
        let c = assign_token_offsets(&[], &[], Some(2), 25);
        assert_eq!(c.offsets_ns, vec![25, 25]);
    }
}
