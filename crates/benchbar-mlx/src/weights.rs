//! Locating, validating and loading safetensors weights (single file or sharded with
//! `model.safetensors.index.json`).

use crate::ops::{self, Array, Dtype};
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// One tensor as described by a safetensors header.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    /// safetensors dtype string ("F32", "BF16", "U32", ...).
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
}

/// The weight files of a checkpoint directory, in load order.
pub fn weight_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let index = dir.join("model.safetensors.index.json");
    if index.exists() {
        let text = std::fs::read_to_string(&index).map_err(|e| Error::io(&index, e))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::file(&index, format!("malformed JSON: {e}")))?;
        let map = v
            .get("weight_map")
            .and_then(|m| m.as_object())
            .ok_or_else(|| Error::file(&index, "no \"weight_map\" object"))?;
        let mut files: Vec<String> = map
            .values()
            .filter_map(|f| f.as_str().map(str::to_string))
            .collect();
        files.sort();
        files.dedup();
        if files.is_empty() {
            return Err(Error::file(&index, "empty weight_map"));
        }
        let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
        for p in &paths {
            if !p.exists() {
                return Err(Error::file(
                    p,
                    format!("missing (listed in {})", index.display()),
                ));
            }
        }
        return Ok(paths);
    }
    let single = dir.join("model.safetensors");
    if single.exists() {
        return Ok(vec![single]);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(Error::file(dir, "no *.safetensors weight files"));
    }
    Ok(found)
}

/// Parse and validate a safetensors header without reading the data: the header must be valid
/// JSON and every tensor's byte range must lie inside the file (catches truncated downloads).
pub fn read_header(path: &Path) -> Result<BTreeMap<String, TensorInfo>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut n = [0u8; 8];
    f.read_exact(&mut n)
        .map_err(|_| Error::file(path, "truncated safetensors file (no header)"))?;
    let n = u64::from_le_bytes(n);
    if n > 100_000_000 || 8 + n > file_len {
        return Err(Error::file(path, format!("corrupt or truncated safetensors header (header length {n}, file {file_len} bytes)")));
    }
    let mut buf = vec![0u8; n as usize];
    f.read_exact(&mut buf)
        .map_err(|_| Error::file(path, "truncated safetensors header"))?;
    let v: serde_json::Value = serde_json::from_slice(&buf)
        .map_err(|e| Error::file(path, format!("malformed safetensors header: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| Error::file(path, "safetensors header is not an object"))?;
    let data_len = file_len - 8 - n;
    let mut out = BTreeMap::new();
    for (name, t) in obj {
        if name == "__metadata__" {
            continue;
        }
        let dtype = t
            .get("dtype")
            .and_then(|d| d.as_str())
            .unwrap_or("")
            .to_string();
        let shape: Vec<usize> = t
            .get("shape")
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_u64().map(|x| x as usize))
                    .collect()
            })
            .ok_or_else(|| Error::file(path, format!("tensor {name}: no shape")))?;
        let offs: Vec<u64> = t
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
            .unwrap_or_default();
        if offs.len() != 2 || offs[0] > offs[1] {
            return Err(Error::file(
                path,
                format!("tensor {name}: bad data_offsets"),
            ));
        }
        if offs[1] > data_len {
            return Err(Error::file(
                path,
                format!(
                    "truncated: tensor {name} ends at byte {} but the data section has {data_len}",
                    offs[1]
                ),
            ));
        }
        let elem = match dtype.as_str() {
            "F32" | "U32" | "I32" => 4,
            "BF16" | "F16" => 2,
            "U8" | "I8" | "BOOL" => 1,
            "F64" | "I64" | "U64" => 8,
            other => {
                return Err(Error::unsupported(
                    path,
                    format!("tensor {name}: dtype {other}"),
                ))
            }
        };
        // Checked: a hostile header's shape can overflow the byte count (then no data matches).
        let want = shape
            .iter()
            .try_fold(elem as u64, |acc: u64, &d| acc.checked_mul(d as u64));
        if want != Some(offs[1] - offs[0]) {
            return Err(Error::file(
                path,
                format!(
                    "tensor {name}: {} bytes for shape {shape:?} {dtype}",
                    offs[1] - offs[0]
                ),
            ));
        }
        out.insert(name.clone(), TensorInfo { dtype, shape });
    }
    Ok(out)
}

/// Normalise a checkpoint tensor name: drop the `model.` prefix HF and mlx-community use, and
/// the text model's prefix of the vision-language `qwen3_5` checkpoints
/// (`language_model.model.`, HF's `model.language_model.`, `language_model.` before `lm_head`).
pub fn canonical_name(name: &str) -> &str {
    [
        "language_model.model.",
        "model.language_model.",
        "language_model.",
        "model.",
    ]
    .iter()
    .find_map(|p| name.strip_prefix(p))
    .unwrap_or(name)
}

/// Tensors the text model does not use, never loaded (as mlx_lm's `sanitize` drops them): a
/// vision tower and the multi-token-prediction head.
pub fn is_unused(name: &str) -> bool {
    ["vision_tower", "model.visual", "visual.", "mtp."]
        .iter()
        .any(|p| name.starts_with(p))
        || name.contains(".mtp.")
}

/// Largest group of tensors [`Weights::materialize`] reads between two looks at the cancel
/// flag (a quarter of a second or so from an SSD).
pub const MATERIALIZE_GROUP_BYTES: usize = 512 << 20;

/// All tensors of a checkpoint, keyed by canonical name, plus which file each came from.
#[derive(Clone)]
pub struct Weights {
    tensors: HashMap<String, (Array, PathBuf)>,
}

impl Weights {
    /// Validate every file's header, then load the tensors (lazily read by MLX).
    pub fn load(dir: &Path) -> Result<Weights> {
        let files = weight_files(dir)?;
        let mut tensors = HashMap::new();
        for f in &files {
            let header = read_header(f)?;
            for (name, info) in &header {
                // U8: the scales of the MX / NVIDIA float quantization modes
                if !matches!(info.dtype.as_str(), "F32" | "BF16" | "F16" | "U32" | "U8") {
                    return Err(Error::unsupported(
                        f,
                        format!("tensor {name}: dtype {}", info.dtype),
                    ));
                }
            }
            let loaded =
                crate::device::load_safetensors(f).map_err(|e| Error::file(f, e.to_string()))?;
            for (name, arr) in loaded.into_iter().filter(|(n, _)| !is_unused(n)) {
                tensors.insert(canonical_name(&name).to_string(), (arr, f.clone()));
            }
        }
        Ok(Weights { tensors })
    }

    /// Reads every tensor's data now (MLX loads lazily), in groups of at most
    /// [`MATERIALIZE_GROUP_BYTES`], and gives up with [`Error::Cancelled`] once `cancel` is set
    /// (read between groups): a large checkpoint's load can be cancelled within a group's read.
    pub fn materialize(&self, cancel: &AtomicBool) -> Result<()> {
        let mut names: Vec<&String> = self.tensors.keys().collect();
        names.sort();
        let mut group: Vec<&Array> = Vec::new();
        let mut group_bytes = 0usize;
        let flush = |group: &mut Vec<&Array>, bytes: &mut usize| -> Result<()> {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            if !group.is_empty() {
                ops::eval(&group[..])?;
            }
            group.clear();
            *bytes = 0;
            Ok(())
        };
        for name in names {
            let (arr, _) = &self.tensors[name];
            group.push(arr);
            group_bytes += arr.nbytes();
            if group_bytes >= MATERIALIZE_GROUP_BYTES {
                flush(&mut group, &mut group_bytes)?;
            }
        }
        flush(&mut group, &mut group_bytes)
    }

    /// Build from already-loaded arrays (tests, programmatic models); names are canonicalised.
    pub fn from_arrays(
        arrays: impl IntoIterator<Item = (String, Array)>,
        origin: &Path,
    ) -> Weights {
        Weights {
            tensors: arrays
                .into_iter()
                .map(|(n, a)| (canonical_name(&n).to_string(), (a, origin.to_path_buf())))
                .collect(),
        }
    }

    /// The tensor names (canonical), in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    /// Replace tensor `name` by `f` of it (the checkpoint-layout conversions of
    /// [`crate::models`]); absent: nothing happens.
    pub(crate) fn update(
        &mut self,
        name: &str,
        f: impl FnOnce(&Array) -> Result<Array>,
    ) -> Result<()> {
        if let Some((a, _)) = self.tensors.get_mut(name) {
            *a = f(a)?;
        }
        Ok(())
    }

    /// Remove tensor `name`, with the file it came from.
    pub(crate) fn remove(&mut self, name: &str) -> Option<(Array, PathBuf)> {
        self.tensors.remove(name)
    }

    /// Add tensor `name` (read from `file`).
    pub(crate) fn insert(&mut self, name: String, a: Array, file: PathBuf) {
        self.tensors.insert(name, (a, file));
    }

    /// Whether a tensor exists.
    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// A required tensor with an optional expected shape.
    pub fn get(&self, name: &str, shape: Option<&[i32]>) -> Result<Array> {
        let (a, file) = self.tensors.get(name).ok_or_else(|| {
            Error::file(
                self.any_file(),
                format!("missing tensor \"{name}\" (also tried \"model.{name}\")"),
            )
        })?;
        if let Some(want) = shape {
            let got = a.shape();
            if got != want {
                return Err(Error::file(
                    file,
                    format!("tensor {name}: shape {got:?}, expected {want:?}"),
                ));
            }
        }
        Ok(a.clone())
    }

    /// The file a tensor came from (for error messages).
    pub fn file_of(&self, name: &str) -> PathBuf {
        self.tensors
            .get(name)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| self.any_file())
    }

    fn any_file(&self) -> PathBuf {
        self.tensors
            .values()
            .next()
            .map(|(_, f)| f.clone())
            .unwrap_or_default()
    }

    /// Dtype of the first floating-point non-quantized tensor (the checkpoint's compute dtype).
    pub fn float_dtype(&self) -> Option<Dtype> {
        let mut names: Vec<&String> = self.tensors.keys().collect();
        names.sort();
        names.into_iter().find_map(|n| {
            let d = self.tensors[n].0.dtype()?;
            (d.is_float() && !n.ends_with(".scales") && !n.ends_with(".biases")).then_some(d)
        })
    }
}
