//! Checkpoints: one file holding a JSON header (the model config, burn's optimizer settings,
//! seed, epochs trained, the caller's metadata) and burn's own burnpack records of the module
//! and of the optimizer state, so a checkpoint rebuilds its model from its path alone.
//! Written to a temporary file then renamed: never half-written.

use super::{BurnConfig, BurnDevice, BurnError, BurnNet, BurnOptimizer, BurnSpec};
use ::burn::module::Module;
use ::burn::store::ModuleRecord;
use ::burn::tensor::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file's first bytes, and the header's `format`.
const MAGIC: &[u8; 8] = b"TUNRBRN1";
const FORMAT: &str = "tuner-burn-checkpoint-1";

/// What the header says besides the two records.
#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    config: Json,
    optimizer: BurnOptimizer,
    learning_rate: f64,
    /// The rate training continues with (a schedule's); the spec's when absent.
    #[serde(default)]
    current_learning_rate: Option<f64>,
    /// The callbacks' states after the last epoch (see `Callback::state`).
    #[serde(default)]
    callback_states: Vec<Option<Json>>,
    seed: u64,
    epochs_completed: usize,
    metadata: Option<Json>,
}

fn format_error(path: &Path, reason: impl Into<String>) -> BurnError {
    BurnError::Format {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn record_error(path: &Path, e: impl std::fmt::Display) -> BurnError {
    BurnError::Record {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BurnError + '_ {
    move |source| BurnError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl<C: BurnConfig, D: BurnDevice> BurnNet<C, D> {
    /// Writes the module, burn's optimizer state and `metadata` to `path`, whole or not at all.
    pub fn save_with_metadata(
        &self,
        path: &Path,
        metadata: Option<&Json>,
    ) -> Result<(), BurnError> {
        let header = Header {
            format: FORMAT.into(),
            config: self.spec.config_json(),
            optimizer: self.spec.optimizer.clone(),
            learning_rate: self.spec.learning_rate,
            current_learning_rate: Some(self.learning_rate),
            callback_states: self.callback_states.clone(),
            seed: self.seed,
            epochs_completed: self.epochs_completed,
            metadata: metadata.cloned(),
        };
        let header = serde_json::to_vec(&header).map_err(|e| format_error(path, e.to_string()))?;
        let module = self
            .module
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| record_error(path, e))?;
        let optim = self.optim.into_bytes().map_err(|e| record_error(path, e))?;
        let tmp = temporary(path);
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(MAGIC)?;
            for len in [header.len(), module.len(), optim.len()] {
                f.write_all(&(len as u64).to_le_bytes())?;
            }
            f.write_all(&header)?;
            f.write_all(&module)?;
            f.write_all(&optim)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(io_error(path))
    }

    /// Writes the module and burn's optimizer state to `path`.
    pub fn save(&self, path: &Path) -> Result<(), BurnError> {
        self.save_with_metadata(path, None)
    }

    /// Rebuilds a model from [`save`](Self::save)'s file on `D`'s device, ready to continue
    /// training, with the metadata saved beside it. A file of another config type, a damaged
    /// file or a record that does not fit the config is an error naming the file.
    pub fn load_with_metadata(path: &Path) -> Result<(Self, Option<Json>), BurnError> {
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        let (header, module, optim) = split(path, &bytes)?;
        let header: Header =
            serde_json::from_slice(header).map_err(|e| format_error(path, e.to_string()))?;
        if header.format != FORMAT {
            return Err(format_error(
                path,
                format!("format {:?}, expected {FORMAT:?}", header.format),
            ));
        }
        let config: C = serde_json::from_value(header.config).map_err(|e| {
            format_error(
                path,
                format!(
                    "its model config is not a {}: {e}",
                    std::any::type_name::<C>()
                ),
            )
        })?;
        let spec = BurnSpec::<C, D> {
            config,
            optimizer: header.optimizer,
            learning_rate: header.learning_rate,
            device: std::marker::PhantomData,
        };
        let device = Self::train_device();
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(module.to_vec()))
            .map_err(|e| record_error(path, e))?;
        let module = spec
            .config
            .init(&device)
            .try_load_record(record)
            .map_err(|e| record_error(path, e))?;
        let optim = spec
            .optimizer
            .init()
            .from_bytes(Bytes::from_bytes_vec(optim.to_vec()))
            .map_err(|e| record_error(path, e))?;
        let net = Self {
            learning_rate: header.current_learning_rate.unwrap_or(spec.learning_rate),
            callback_states: header.callback_states,
            spec,
            module,
            optim,
            seed: header.seed,
            epochs_completed: header.epochs_completed,
        };
        Ok((net, header.metadata))
    }

    /// [`load_with_metadata`](Self::load_with_metadata) without the metadata.
    pub fn load(path: &Path) -> Result<Self, BurnError> {
        Ok(Self::load_with_metadata(path)?.0)
    }
}

/// A checkpoint's three sections: header, module record, optimizer record.
type Sections<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// The header, module record and optimizer record of a checkpoint's bytes.
fn split<'a>(path: &Path, bytes: &'a [u8]) -> Result<Sections<'a>, BurnError> {
    let fixed = MAGIC.len() + 24;
    if bytes.len() < fixed || &bytes[..MAGIC.len()] != MAGIC {
        return Err(format_error(
            path,
            "it does not start with the tuner's burn marker",
        ));
    }
    let len = |i: usize| {
        let at = MAGIC.len() + 8 * i;
        let mut b = [0; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        usize::try_from(u64::from_le_bytes(b)).unwrap_or(usize::MAX)
    };
    let (h, m, o) = (len(0), len(1), len(2));
    let total = [fixed, h, m, o]
        .iter()
        .try_fold(0usize, |acc, &x| acc.checked_add(x));
    if total != Some(bytes.len()) {
        return Err(format_error(
            path,
            format!(
                "its sections say {h} + {m} + {o} bytes but the file is {} bytes (truncated?)",
                bytes.len()
            ),
        ));
    }
    let rest = &bytes[fixed..];
    Ok((&rest[..h], &rest[h..h + m], &rest[h + m..]))
}

/// A sibling temporary file, unique to this process and call (two threads saving one path
/// never write the same temporary file).
fn temporary(path: &Path) -> PathBuf {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}-{call}.tmp", std::process::id()));
    path.with_file_name(name)
}
