//! Tokenizer (HF `tokenizer.json` via the `tokenizers` crate) and the Qwen3 chat template.

use crate::{Error, Result};
use std::path::Path;

/// Qwen3 `<|endoftext|>`.
pub const ENDOFTEXT: u32 = 151643;
/// Qwen3 `<|im_end|>`.
pub const IM_END: u32 = 151645;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    /// "system", "user" or "assistant".
    pub role: String,
    /// Text.
    pub content: String,
}

/// Render messages with Qwen3's chat template (no tools), ending with the assistant generation
/// prompt. With `enable_thinking == false` the empty `<think>\n\n</think>\n\n` block is appended,
/// exactly as Qwen3's template does.
pub fn apply_chat_template(messages: &[ChatMessage], enable_thinking: bool) -> String {
    let mut s = String::new();
    for m in messages {
        let content = if m.role == "assistant" {
            match m.content.rsplit_once("</think>") {
                Some((_, after)) => after.trim_start_matches('\n'),
                None => m.content.as_str(),
            }
        } else {
            m.content.as_str()
        };
        s.push_str("<|im_start|>");
        s.push_str(&m.role);
        s.push('\n');
        s.push_str(content);
        s.push_str("<|im_end|>\n");
    }
    s.push_str("<|im_start|>assistant\n");
    if !enable_thinking {
        s.push_str("<think>\n\n</think>\n\n");
    }
    s
}

/// A loaded tokenizer.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
}

impl Tokenizer {
    /// Load `dir/tokenizer.json`, checking it fits a model with `vocab_size` outputs.
    pub fn from_dir(dir: &Path, vocab_size: usize) -> Result<Tokenizer> {
        let path = dir.join("tokenizer.json");
        if !path.exists() {
            return Err(Error::file(&path, "missing"));
        }
        let inner = tokenizers::Tokenizer::from_file(&path)
            .map_err(|e| Error::file(&path, format!("cannot load: {e}")))?;
        let n = inner.get_vocab_size(true);
        let max_id = inner.get_vocab(true).values().copied().max().unwrap_or(0) as usize;
        if n > vocab_size || max_id >= vocab_size {
            return Err(Error::file(
                &path,
                format!("tokenizer has {n} tokens (max id {max_id}) but the model's vocab_size is {vocab_size}"),
            ));
        }
        Ok(Tokenizer { inner })
    }

    /// Token ids of `text` (no special tokens added; added tokens in the text are recognised).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Text of `ids` (special tokens kept).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Id of a token string, if any.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qwen3_template() {
        let m = |r: &str, c: &str| ChatMessage {
            role: r.into(),
            content: c.into(),
        };
        assert_eq!(
            apply_chat_template(&[m("user", "Hi")], false),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
        );
        assert_eq!(
            apply_chat_template(&[m("system", "S"), m("user", "Q"), m("assistant", "<think>x</think>\n\nA"), m("user", "R")], true),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n\
             <|im_start|>user\nR<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}
