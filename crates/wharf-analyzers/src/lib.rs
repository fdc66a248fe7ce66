//! Package analyzers: pure parsers that turn the files of an image into
//! [`Package`](wharf_types::Package)s, one module per ecosystem.
//!
//! Every parser takes the file's path inside the image (recorded in the
//! packages' `locations`) and its content, and returns the packages or a
//! [`ParseError`] naming the file. Parsers never panic on malformed input and
//! never read outside what they are given; the layer engine decides which
//! files reach which parser.

mod content;
mod error;

mod builtin;
pub mod engine;

pub mod apk;
pub mod bottlerocket;
pub mod dotnet;
pub mod dpkg;
pub mod golang;
pub mod java;
pub mod julia;
pub mod npm;
pub mod os_release;
pub mod php;
pub mod python;
pub mod rpm;
pub mod ruby;
pub mod rust;

pub use builtin::builtin;
pub use engine::{
    Analyzer, AnalyzerSet, CacheChild, CacheUse, ConfigText, ContentScanner, File, FileRecord,
    LAYER_REPORT_VERSION, LayerFacts, LayerReport, ModeEntry, Output, cache_dir,
};
pub use error::ParseError;
