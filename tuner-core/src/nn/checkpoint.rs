//! Checkpoints: one safetensors file holding the weights and the optimizer's state (its
//! moments as `optimizer.<slot>.<parameter>` tensors, its step count in the header), with the
//! `NetSpec`, seed, epochs trained and optional caller metadata (e.g. trial params) in its
//! header, so weights and spec can never drift apart. Written to a temporary file then renamed: never half-written.
//! Loading checks every name, shape and dtype before touching the model, then loads into a
//! copy and swaps it in: a bad file leaves the target exactly as it was.

use super::error::NnError;
use super::network::{Model, Network};
use super::optim_state::PREFIX as OPT_PREFIX;
use super::spec::NetSpec;
use dfdx::nn::tensor_collection::{
    RecursiveWalker, ScalarOptions, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut,
    ViewTensorName, ViewTensorRef,
};
use dfdx::prelude::{Cpu, HasShape, Shape, Tensor};
use num_traits::NumCast;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const FORMAT_KEY: &str = "tuner.format";
const FORMAT: &str = "tuner-checkpoint-1";
const SPEC_KEY: &str = "tuner.netspec";
const SEED_KEY: &str = "tuner.seed";
const EPOCHS_KEY: &str = "tuner.epochs_completed";
const USER_KEY: &str = "tuner.metadata";
const OPT_STEPS_KEY: &str = "tuner.optimizer_steps";
const LR_KEY: &str = "tuner.learning_rate";
const CALLBACKS_KEY: &str = "tuner.callback_state";

/// One tensor's name (`"0.weight"`), shape and values.
pub(crate) struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

#[derive(Default)]
struct Collector {
    tensors: Vec<NamedTensor>,
    scalars: Vec<(String, f64)>,
}

impl TensorVisitor<f32, Cpu> for Collector {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = std::convert::Infallible;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        _: TensorOptions<S, f32, Cpu>,
        (t, name): (&Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, Self::Err> {
        let shape = t.shape().concrete().into();
        self.tensors.push(NamedTensor {
            name,
            shape,
            values: t.as_vec(),
        });
        Ok(None)
    }

    fn visit_scalar<N: NumCast>(
        &mut self,
        _: ScalarOptions<N>,
        (n, name): (&N, String),
    ) -> Result<Option<N>, Self::Err> {
        self.scalars.push((name, n.to_f64().unwrap_or(f64::NAN)));
        Ok(None)
    }
}

fn collect_all(model: &Model) -> Collector {
    let mut c = Collector::default();
    let Ok(_) = Model::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut c,
    });
    c
}

/// Every tensor of `model` in visiting order.
pub(crate) fn collect(model: &Model) -> Vec<NamedTensor> {
    collect_all(model).tensors
}

/// Copies checked tensors from a parsed file into a model.
struct Loader<'a> {
    file: &'a SafeTensors<'a>,
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl TensorVisitor<f32, Cpu> for Loader<'_> {
    type Viewer = (ViewTensorMut, ViewTensorName);
    type Err = String;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        _: TensorOptions<S, f32, Cpu>,
        (t, name): (&mut Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, Self::Err> {
        let view = self
            .file
            .tensor(&name)
            .map_err(|e| format!("tensor {name:?}: {e:?}"))?;
        let values = f32s(view.data());
        if values.len() != t.shape().num_elements() {
            return Err(format!(
                "tensor {name:?} has {} values, the model needs {}",
                values.len(),
                t.shape().num_elements()
            ));
        }
        t.copy_from(&values);
        Ok(None)
    }

    fn visit_scalar<N: NumCast>(
        &mut self,
        _: ScalarOptions<N>,
        (n, name): (&mut N, String),
    ) -> Result<Option<N>, Self::Err> {
        if let Ok(view) = self.file.tensor(&name) {
            let bytes: [u8; 8] = view
                .data()
                .try_into()
                .map_err(|_| format!("scalar {name:?} is not one f64"))?;
            *n = N::from(f64::from_le_bytes(bytes))
                .ok_or_else(|| format!("scalar {name:?} is out of range"))?;
        }
        Ok(None)
    }
}

/// What a checkpoint's header says, read without loading any weights.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointInfo {
    /// The spec the weights belong to.
    pub spec: NetSpec,
    /// The seed of the network that was saved.
    pub seed: u64,
    /// Epochs it had trained.
    pub epochs_completed: usize,
    /// Whatever the caller passed to `save_with_metadata`.
    pub metadata: Option<serde_json::Value>,
}

fn read_file(path: &Path) -> Result<Vec<u8>, NnError> {
    std::fs::read(path).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<(SafeTensors<'a>, HashMap<String, String>), NnError> {
    let bad = |e: safetensors::SafeTensorError| {
        NnError::checkpoint(
            path,
            format!("not a readable safetensors file ({e:?}); it may be truncated or corrupt"),
        )
    };
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(bad)?;
    let tensors = SafeTensors::deserialize(bytes).map_err(bad)?;
    Ok((tensors, meta.metadata().clone().unwrap_or_default()))
}

fn info_from(path: &Path, meta: &HashMap<String, String>) -> Result<CheckpointInfo, NnError> {
    let spec_json = meta.get(SPEC_KEY).ok_or_else(|| {
        NnError::checkpoint(
            path,
            "no network spec in its header: it was not written by Network::save",
        )
    })?;
    let spec: NetSpec = serde_json::from_str(spec_json).map_err(|e| {
        NnError::checkpoint(
            path,
            format!("the network spec in its header is unreadable: {e}"),
        )
    })?;
    let number = |key: &str| -> Result<u64, NnError> {
        meta.get(key).map_or(Ok(0), |v| {
            v.parse().map_err(|_| {
                NnError::checkpoint(path, format!("header field {key} = {v:?} is not a number"))
            })
        })
    };
    let metadata = match meta.get(USER_KEY) {
        Some(s) => Some(serde_json::from_str(s).map_err(|e| {
            NnError::checkpoint(
                path,
                format!("the metadata in its header is unreadable: {e}"),
            )
        })?),
        None => None,
    };
    Ok(CheckpointInfo {
        spec,
        seed: number(SEED_KEY)?,
        epochs_completed: number(EPOCHS_KEY)? as usize,
        metadata,
    })
}

/// Reads a checkpoint's header (spec, seed, epochs, metadata) without loading weights.
pub fn read_checkpoint_info(path: impl AsRef<Path>) -> Result<CheckpointInfo, NnError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let (_, meta) = parse(path, &bytes)?;
    info_from(path, &meta)
}

/// Checks that `file` holds exactly the tensors of `model`, with the same shapes, as f32.
fn check_tensors(path: &Path, model: &Model, file: &SafeTensors) -> Result<(), NnError> {
    let c = collect_all(model);
    let mut mismatches = Vec::new();
    let mut expected: BTreeMap<&str, Vec<usize>> = c
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.shape.clone()))
        .collect();
    for (name, _) in &c.scalars {
        expected.insert(name.as_str(), Vec::new());
    }
    for (name, shape) in &expected {
        match file.tensor(name) {
            Err(_) => mismatches.push(format!("{name} is missing")),
            Ok(view) => {
                let want_dtype = if shape.is_empty() {
                    Dtype::F64
                } else {
                    Dtype::F32
                };
                if view.dtype() != want_dtype {
                    mismatches.push(format!(
                        "{name} is {:?}, expected {want_dtype:?}",
                        view.dtype()
                    ));
                } else if view.shape() != shape.as_slice() {
                    mismatches.push(format!(
                        "{name} has shape {:?}, the model needs {shape:?}",
                        view.shape()
                    ));
                }
            }
        }
    }
    for name in file.names() {
        if !expected.contains_key(name.as_str()) && !name.starts_with(OPT_PREFIX) {
            mismatches.push(format!("{name} is not in the model"));
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        mismatches.sort();
        Err(NnError::checkpoint(
            path,
            format!("does not fit this network: {}", mismatches.join("; ")),
        ))
    }
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), NnError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| NnError::Io { path: p, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "checkpoint".into());
    let tmp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Network {
    /// Saves weights, spec, seed and epochs trained to `path` (one safetensors file).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NnError> {
        self.save_with_metadata(path, None)
    }

    /// Like [`Network::save`], also storing `metadata` (e.g. the trial's params) in the header.
    pub fn save_with_metadata(
        &self,
        path: impl AsRef<Path>,
        metadata: Option<&serde_json::Value>,
    ) -> Result<(), NnError> {
        let path = path.as_ref();
        let c = collect_all(&self.model);
        let mut header = HashMap::new();
        header.insert(FORMAT_KEY.to_string(), FORMAT.to_string());
        header.insert(
            SPEC_KEY.to_string(),
            serde_json::to_string(&self.spec).expect("a spec serialises"),
        );
        header.insert(SEED_KEY.to_string(), self.seed.to_string());
        header.insert(EPOCHS_KEY.to_string(), self.epochs_completed.to_string());
        if let Some(m) = metadata {
            header.insert(USER_KEY.to_string(), m.to_string());
        }
        header.insert(OPT_STEPS_KEY.to_string(), self.opt.steps().to_string());
        header.insert(LR_KEY.to_string(), self.opt.learning_rate().to_string());
        header.insert(
            CALLBACKS_KEY.to_string(),
            serde_json::to_string(&self.callback_states).expect("JSON values serialise"),
        );
        let mut owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = c
            .tensors
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    Dtype::F32,
                    t.shape.clone(),
                    t.values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                )
            })
            .collect();
        owned.extend(self.opt.export(&self.model).into_iter().map(|(n, s, v)| {
            let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            (n, Dtype::F32, s, bytes)
        }));
        owned.extend(
            c.scalars
                .iter()
                .map(|(n, v)| (n.clone(), Dtype::F64, Vec::new(), v.to_le_bytes().to_vec())),
        );
        let views = owned
            .iter()
            .map(|(n, d, s, b)| {
                TensorView::new(*d, s.clone(), b)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| {
                        NnError::checkpoint(path, format!("cannot describe tensor {n}: {e:?}"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bytes = safetensors::tensor::serialize(views, &Some(header))
            .map_err(|e| NnError::checkpoint(path, format!("cannot serialise: {e:?}")))?;
        write_atomic(path, &bytes)
    }

    /// Rebuilds a network from a checkpoint: reads the spec from the header, builds a fresh
    /// network with the saved seed, and loads the weights and the optimizer's state into it.
    /// A checkpoint written before optimizer state was saved loads with a fresh optimizer.
    pub fn load(path: impl AsRef<Path>) -> Result<Network, NnError> {
        let path = path.as_ref();
        let bytes = read_file(path)?;
        let (file, meta) = parse(path, &bytes)?;
        let info = info_from(path, &meta)?;
        let mut net = Network::new(&info.spec, info.seed).map_err(|e| {
            NnError::checkpoint(path, format!("its network spec cannot be built: {e}"))
        })?;
        net.load_parsed(path, &file, Some(&info.spec))?;
        net.epochs_completed = info.epochs_completed;
        if let Some(steps) = meta.get(OPT_STEPS_KEY) {
            let steps: i32 = steps.parse().map_err(|_| {
                NnError::checkpoint(
                    path,
                    format!("header field {OPT_STEPS_KEY} = {steps:?} is not a step count"),
                )
            })?;
            let tensors = file
                .tensors()
                .into_iter()
                .filter(|(name, _)| name.starts_with(OPT_PREFIX))
                .map(|(name, view)| (name, f32s(view.data())))
                .collect();
            net.opt
                .import(&net.model, steps, &tensors)
                .map_err(|reason| NnError::checkpoint(path, reason))?;
        }
        if let Some(lr) = meta.get(LR_KEY) {
            let lr: f64 = lr.parse().map_err(|_| {
                NnError::checkpoint(
                    path,
                    format!("header field {LR_KEY} = {lr:?} is not a rate"),
                )
            })?;
            net.opt.set_learning_rate(lr);
        }
        if let Some(states) = meta.get(CALLBACKS_KEY) {
            net.callback_states = serde_json::from_str(states).map_err(|e| {
                NnError::checkpoint(path, format!("header field {CALLBACKS_KEY}: {e}"))
            })?;
        }
        Ok(net)
    }

    /// Loads weights from `path` into this network, all or nothing: if the file's spec,
    /// tensor names, shapes or dtypes do not fit, this network is left exactly as it was.
    /// Optimizer state is kept and the file's is ignored (as Keras' `load_weights`).
    pub fn load_weights_into(&mut self, path: impl AsRef<Path>) -> Result<(), NnError> {
        let path = path.as_ref();
        let bytes = read_file(path)?;
        let (file, meta) = parse(path, &bytes)?;
        let spec = match meta.get(SPEC_KEY) {
            Some(_) => Some(info_from(path, &meta)?.spec),
            None => None,
        };
        self.load_parsed(path, &file, spec.as_ref())
    }

    fn load_parsed(
        &mut self,
        path: &Path,
        file: &SafeTensors,
        spec: Option<&NetSpec>,
    ) -> Result<(), NnError> {
        if let Some(spec) = spec {
            if spec.input_shape != self.spec.input_shape || spec.layers != self.spec.layers {
                return Err(NnError::checkpoint(
                    path,
                    format!(
                        "it holds a different architecture (input {:?}, {} layers, {} params) than this network (input {:?}, {} layers, {} params)",
                        spec.input_shape,
                        spec.layers.len(),
                        spec.num_params(),
                        self.spec.input_shape,
                        self.spec.layers.len(),
                        self.spec.num_params()
                    ),
                ));
            }
        }
        check_tensors(path, &self.model, file)?;
        // Clones share storage copy-on-write and keep tensor ids, so the original is
        // untouched until the swap and the optimizer's moments still match afterwards.
        let mut candidate = self.model.clone();
        Model::iter_tensors(&mut RecursiveWalker {
            m: (&mut candidate, String::new()),
            f: &mut Loader { file },
        })
        .map_err(|reason| NnError::checkpoint(path, reason))?;
        self.model = candidate;
        Ok(())
    }
}
