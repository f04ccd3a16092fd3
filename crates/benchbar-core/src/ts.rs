//! TypeScript declarations (ts-rs) for the one serde shape its derive cannot express. The app's
//! UI types in `ui/src/bindings/` are generated from this crate's types and others'
//! (`src-tauri/tests/ts_bindings.rs`).

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};
use ts_rs::{Config, TypeVisitor, TS};

/// An `Option<T>` written into its parent with `#[serde(flatten)]`: serde writes `T`'s fields
/// for `Some` and nothing for `None`, exactly as for a plain flattened `Option<T>` (the
/// wrapper is transparent). It exists because ts-rs cannot declare a flattened `Option`; its
/// TypeScript is `Partial<T>` (any of `T`'s fields may be absent). Derefs to the `Option`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlattenedOption<T>(pub Option<T>);

impl<T> Deref for FlattenedOption<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> DerefMut for FlattenedOption<T> {
    fn deref_mut(&mut self) -> &mut Option<T> {
        &mut self.0
    }
}

impl<T> From<Option<T>> for FlattenedOption<T> {
    fn from(o: Option<T>) -> Self {
        FlattenedOption(o)
    }
}

impl<T: TS + 'static> TS for FlattenedOption<T> {
    type WithoutGenerics = FlattenedOption<ts_rs::Dummy>;
    type OptionInnerType = Self;

    fn name(cfg: &Config) -> String {
        format!("Partial<{}>", T::name(cfg))
    }

    fn inline(cfg: &Config) -> String {
        Self::name(cfg)
    }

    fn inline_flattened(cfg: &Config) -> String {
        Self::name(cfg)
    }

    fn visit_dependencies(v: &mut impl TypeVisitor)
    where
        Self: 'static,
    {
        v.visit::<T>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Inner {
        a: u32,
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Outer {
        x: u32,
        #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
        inner: FlattenedOption<Inner>,
    }

    #[test]
    fn serializes_like_a_flattened_option() {
        let some = Outer {
            x: 1,
            inner: Some(Inner { a: 2 }).into(),
        };
        let none = Outer {
            x: 1,
            inner: None.into(),
        };
        assert_eq!(serde_json::to_string(&some).unwrap(), r#"{"x":1,"a":2}"#);
        assert_eq!(serde_json::to_string(&none).unwrap(), r#"{"x":1}"#);
        assert_eq!(
            serde_json::from_str::<Outer>(r#"{"x":1,"a":2}"#).unwrap(),
            some
        );
        assert_eq!(serde_json::from_str::<Outer>(r#"{"x":1}"#).unwrap(), none);
    }
}
