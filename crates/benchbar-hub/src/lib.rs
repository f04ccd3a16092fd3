//! Model management (issue #10): the catalogue of the seed's Qwen3 variants, pulls into the
//! Hugging Face cache with progress, resume and verification, and removal.
