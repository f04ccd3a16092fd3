//! Corpora: generated in code from fixed seeds (nothing downloaded, nothing large checked in),
//! or read from a JSON file of the same shape.

mod code;
mod docs;
mod extract;
mod kb;
mod words;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::schema::Schema;
use crate::{Error, Result, ScenarioKind};

pub use docs::LABELS;
pub use extract::DOC_TYPES;

/// Items of each generated set (the seed's set sizes).
pub const CLASSIFICATION_DOCS: usize = 1000;
/// Long documents to summarise.
pub const SUMMARIZATION_DOCS: usize = 100;
/// Semi-structured documents to extract from.
pub const EXTRACTION_DOCS: usize = 500;
/// Function specifications.
pub const CODEGEN_FUNCTIONS: usize = 50;
/// Knowledge-base chunks (4 per invented institution).
pub const RAG_CHUNKS: usize = 1000;
/// RAG questions (half simple, half complex).
pub const RAG_QUESTIONS: usize = 40;

/// One unit of work: a document, a function specification or a question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id.
    pub id: String,
    /// The text given to the model (inside the scenario's prompt).
    pub text: String,
    /// The reference answer when known: the label, the correct extraction (JSON), the function
    /// name, or the gold chunk ids (comma-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// A sub-kind: the topic, document type, language, or `simple`/`complex` for questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A knowledge-base chunk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Stable id.
    pub id: String,
    /// The chunk's text.
    pub text: String,
}

/// The data a scenario runs on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Corpus {
    /// The scenario it is for.
    pub scenario: ScenarioKind,
    /// Documents, specifications or questions.
    pub items: Vec<Item>,
    /// Classification: the label set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Extraction: the JSON schema answers must validate against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// RAG: the knowledge base.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<Chunk>,
}

impl Corpus {
    /// The bundled, deterministic corpus of `kind` (same bytes on every machine).
    pub fn generated(kind: ScenarioKind) -> Corpus {
        let mut c = Corpus {
            scenario: kind,
            items: Vec::new(),
            labels: Vec::new(),
            schema: None,
            chunks: Vec::new(),
        };
        match kind {
            ScenarioKind::Classification => {
                c.items = docs::classification(CLASSIFICATION_DOCS);
                c.labels = LABELS.iter().map(|l| l.to_string()).collect();
            }
            ScenarioKind::Summarization => c.items = docs::summarization(SUMMARIZATION_DOCS),
            ScenarioKind::Extraction => {
                c.items = extract::extraction(EXTRACTION_DOCS);
                c.schema = Some(extract::schema());
            }
            ScenarioKind::Codegen => c.items = code::codegen(CODEGEN_FUNCTIONS),
            ScenarioKind::Rag => (c.chunks, c.items) = kb::rag(RAG_CHUNKS / 4, RAG_QUESTIONS),
        }
        c
    }

    /// Reads a corpus for `kind` from a JSON file (the shape of [`Corpus`]) and validates it.
    pub fn load(path: &Path, kind: ScenarioKind) -> Result<Corpus> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::CorpusIo {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |reason: String| Error::CorpusInvalid {
            path: path.to_path_buf(),
            reason,
        };
        let corpus: Corpus =
            serde_json::from_str(&text).map_err(|e| invalid(format!("not a corpus: {e}")))?;
        if corpus.scenario != kind {
            return Err(invalid(format!(
                "it is a {} corpus, not {kind}",
                corpus.scenario
            )));
        }
        corpus.validate()?;
        Ok(corpus)
    }

    /// Checks that the corpus can be run: items present, labels for classification, a schema
    /// that parses for extraction, chunks for RAG.
    pub fn validate(&self) -> Result<()> {
        let kind = self.scenario;
        let empty = |what: &str| Err(Error::EmptyCorpus(kind.to_string(), what.to_string()));
        if self.items.is_empty() {
            return empty("it has no items");
        }
        if self.items.iter().all(|i| i.text.trim().is_empty()) {
            return empty("every item's text is blank");
        }
        match kind {
            ScenarioKind::Classification if self.labels.is_empty() => empty("no labels"),
            ScenarioKind::Extraction => match &self.schema {
                None => Err(Error::Schema("the extraction corpus has no schema".into())),
                Some(s) => Schema::parse(s).map(|_| ()),
            },
            ScenarioKind::Rag if self.chunks.is_empty() => {
                empty("the knowledge base has no chunks")
            }
            _ => Ok(()),
        }
    }

    /// The parsed extraction schema.
    pub fn parsed_schema(&self) -> Result<Schema> {
        match &self.schema {
            Some(s) => Schema::parse(s),
            None => Err(Error::Schema("the corpus has no schema".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_corpora_have_the_seed_sizes_and_are_deterministic() {
        let sizes = [
            (ScenarioKind::Classification, CLASSIFICATION_DOCS),
            (ScenarioKind::Summarization, SUMMARIZATION_DOCS),
            (ScenarioKind::Extraction, EXTRACTION_DOCS),
            (ScenarioKind::Codegen, CODEGEN_FUNCTIONS),
            (ScenarioKind::Rag, RAG_QUESTIONS),
        ];
        for (kind, n) in sizes {
            let c = Corpus::generated(kind);
            assert_eq!(c.items.len(), n, "{kind}");
            assert_eq!(c, Corpus::generated(kind), "{kind} is not deterministic");
            c.validate().unwrap();
            let ids: std::collections::HashSet<&str> =
                c.items.iter().map(|i| i.id.as_str()).collect();
            assert_eq!(ids.len(), n, "{kind}: item ids are not unique");
        }
        let rag = Corpus::generated(ScenarioKind::Rag);
        assert_eq!(rag.chunks.len(), RAG_CHUNKS);
        let chunk_ids: std::collections::HashSet<&str> =
            rag.chunks.iter().map(|c| c.id.as_str()).collect();
        for q in &rag.items {
            for gold in q.expected.as_deref().unwrap().split(',') {
                assert!(
                    chunk_ids.contains(gold),
                    "{} names unknown chunk {gold}",
                    q.id
                );
            }
        }
    }

    #[test]
    fn every_generated_extraction_truth_validates_against_the_schema() {
        let c = Corpus::generated(ScenarioKind::Extraction);
        let schema = c.parsed_schema().unwrap();
        for item in &c.items {
            let truth: serde_json::Value =
                serde_json::from_str(item.expected.as_deref().unwrap()).unwrap();
            assert_eq!(schema.validate(&truth), Vec::<String>::new(), "{}", item.id);
        }
    }

    #[test]
    fn bad_corpora_are_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.json");
        let e = Corpus::load(&missing, ScenarioKind::Codegen).unwrap_err();
        assert!(e.to_string().contains("none.json"), "{e}");

        let mut empty = Corpus::generated(ScenarioKind::Codegen);
        empty.items.clear();
        let p = dir.path().join("empty.json");
        std::fs::write(&p, serde_json::to_string(&empty).unwrap()).unwrap();
        let e = Corpus::load(&p, ScenarioKind::Codegen).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the codegen corpus is empty: it has no items"
        );

        let mut bad_schema = Corpus::generated(ScenarioKind::Extraction);
        bad_schema.schema = Some(serde_json::json!({"type": "bogus"}));
        let e = bad_schema.validate().unwrap_err();
        assert!(e.to_string().starts_with("extraction schema:"), "{e}");

        std::fs::write(&p, "{not json").unwrap();
        let e = Corpus::load(&p, ScenarioKind::Codegen).unwrap_err();
        assert!(e.to_string().contains("not a corpus"), "{e}");

        std::fs::write(
            &p,
            serde_json::to_string(&Corpus::generated(ScenarioKind::Rag)).unwrap(),
        )
        .unwrap();
        let e = Corpus::load(&p, ScenarioKind::Codegen).unwrap_err();
        assert!(e.to_string().contains("rag corpus, not codegen"), "{e}");
    }
}
