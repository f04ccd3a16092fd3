//! Output checks that make the numbers honest: every rate is computed from the model's real
//! outputs (with random-weight test models the rates are ~0, and reported so).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Strips a `<think>…</think>` block and surrounding whitespace.
fn strip_thinking(output: &str) -> &str {
    match output.find("</think>") {
        Some(end) => output[end + "</think>".len()..].trim(),
        None => output.trim(),
    }
}

/// The label an answer names: the whole answer is a label (case, quotes, punctuation and a
/// `label:` prefix ignored), or exactly one label occurs in it as a word. None otherwise.
pub fn parse_label(output: &str, labels: &[String]) -> Option<String> {
    let text = strip_thinking(output).to_lowercase();
    let text = text.strip_prefix("label:").unwrap_or(&text);
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let found: Vec<&String> = labels
        .iter()
        .filter(|l| words.contains(&l.to_lowercase().as_str()))
        .collect();
    match found.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// Distinct words of at least 4 letters a summary must share with its document.
pub const SUMMARY_SHARED_WORDS: usize = 3;

/// A summary passes when it is non-empty, shorter than half the document (in words), and
/// shares at least [`SUMMARY_SHARED_WORDS`] distinct words of 4+ letters with the document (so
/// that a random model's token soup does not count as a summary).
pub fn summary_ok(output: &str, document: &str) -> bool {
    let words = |t: &str| -> std::collections::HashSet<String> {
        t.split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_lowercase)
            .collect()
    };
    let text = strip_thinking(output);
    let n = text.split_whitespace().count();
    let shared = words(text).intersection(&words(document)).count();
    n > 0 && n * 2 < document.split_whitespace().count() && shared >= SUMMARY_SHARED_WORDS
}

/// The JSON value in an answer: the whole answer, a fenced ```json block, or the span from the
/// first `{` to the last `}`. None when nothing parses.
pub fn parse_json(output: &str) -> Option<Value> {
    let text = strip_thinking(output);
    let fenced = fenced_block(text);
    let candidates = [
        Some(text),
        fenced,
        text.find('{')
            .zip(text.rfind('}'))
            .filter(|(a, b)| a < b)
            .map(|(a, b)| &text[a..=b]),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|c| serde_json::from_str::<Value>(c).ok())
}

/// The contents of the first fenced code block (```lang … ```), if any.
fn fenced_block(text: &str) -> Option<&str> {
    let start = text.find("```")?;
    let rest = &text[start + 3..];
    let body = &rest[rest.find('\n')? + 1..];
    Some(body.find("```").map_or(body, |end| &body[..end]))
}

/// The code of an answer: its first fenced block, else the whole answer.
pub fn code_of(output: &str) -> String {
    let text = strip_thinking(output);
    fenced_block(text).unwrap_or(text).to_string()
}

/// Python's verdict on each source: `ast.parse` succeeds (true) or raises (false). An empty
/// source is not counted as valid. Errors name why Python could not be run.
pub fn python_syntax(sources: &[String]) -> Result<Vec<bool>, String> {
    const SCRIPT: &str = "import ast,json,sys\n\
        def ok(s):\n    try:\n        ast.parse(s); return bool(s.strip())\n    except Exception:\n        return False\n\
        print(json.dumps([ok(s) for s in json.load(sys.stdin)]))";
    let python = python();
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let input = serde_json::to_vec(sources).map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(&input)
            .map_err(|e| format!("{}: {e}", python.display()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let verdicts: Vec<bool> = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{}: unexpected output: {e}", python.display()))?;
    if verdicts.len() != sources.len() {
        return Err(format!("{}: wrong number of verdicts", python.display()));
    }
    Ok(verdicts)
}

/// The Python interpreter: `$BENCHBAR_PYTHON`, else a `.venv/bin/python` in the current
/// directory or one above it, else `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("BENCHBAR_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    std::env::current_dir()
        .ok()
        .and_then(|d| {
            d.ancestors()
                .map(|a| a.join(".venv/bin/python"))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| PathBuf::from("python3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["sports", "health", "science"].map(String::from).to_vec()
    }

    #[test]
    fn labels_parse_only_when_exactly_one_is_named() {
        assert_eq!(
            parse_label(" Sports.\n", &labels()).as_deref(),
            Some("sports")
        );
        assert_eq!(
            parse_label("Label: \"health\"", &labels()).as_deref(),
            Some("health")
        );
        assert_eq!(
            parse_label("<think>\n</think>\n\nscience", &labels()).as_deref(),
            Some("science")
        );
        assert_eq!(parse_label("sports or health", &labels()), None);
        assert_eq!(parse_label("", &labels()), None);
        assert_eq!(parse_label("sportsmanship", &labels()), None);
    }

    #[test]
    fn summaries_must_be_short_non_empty_and_about_the_document() {
        let doc = format!(
            "The harbour museum opened a new gallery. {}",
            "word ".repeat(100)
        );
        assert!(summary_ok(
            "The museum opened a gallery by the harbour.",
            &doc
        ));
        assert!(!summary_ok("   ", &doc));
        assert!(!summary_ok("_CTRL_CTRL_CTRL_CTRL", &doc));
        assert!(!summary_ok(&"harbour museum gallery ".repeat(20), &doc));
    }

    #[test]
    fn json_is_found_bare_fenced_or_embedded() {
        assert_eq!(parse_json("{\"a\": 1}").unwrap()["a"], 1);
        assert_eq!(
            parse_json("Here:\n```json\n{\"a\": 2}\n```").unwrap()["a"],
            2
        );
        assert_eq!(parse_json("The answer is {\"a\": 3} ok").unwrap()["a"], 3);
        assert_eq!(parse_json("no json here"), None);
        assert_eq!(parse_json("{broken"), None);
    }

    #[test]
    fn python_syntax_is_judged_by_python() {
        let sources = vec![
            code_of("```python\ndef f(x):\n    return x + 1\n```"),
            "def f(:\n".to_string(),
            String::new(),
        ];
        match python_syntax(&sources) {
            Ok(v) => assert_eq!(v, vec![true, false, false]),
            // No Python on this machine: the scenario records "not checked" with this reason.
            Err(e) => assert!(e.contains("cannot run"), "{e}"),
        }
    }
}
