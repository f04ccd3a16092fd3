//! Use-case scenarios from the seed specification (issue #7): generated corpora, scenario
//! runners with output checks, and the RAG pipeline.
