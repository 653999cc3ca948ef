//! Fashion-MNIST from a local directory: never downloads.
//!
//! Lookup order: an explicit directory, then Debian's `dataset-fashion-mnist` package
//! ([`SYSTEM_DIR`]), then the 10k/2k subset shipped in the repository ([`SHIPPED_DIR`]).

use super::{idx::load_idx, DataError, Dataset};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where Debian's `dataset-fashion-mnist` package installs the full set.
pub const SYSTEM_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The real subset shipped in the repository (first 10,000 train and 2,000 test samples).
pub const SHIPPED_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/data/fashion-mnist"
);

/// The ten class names, by label.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Which copy of Fashion-MNIST was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The directory the caller passed.
    Explicit(PathBuf),
    /// Debian's package ([`SYSTEM_DIR`]), the full 60k/10k set.
    System(PathBuf),
    /// The subset shipped in the repository ([`SHIPPED_DIR`]).
    Shipped(PathBuf),
}

impl Source {
    /// The directory the files were read from.
    pub fn dir(&self) -> &Path {
        match self {
            Source::Explicit(p) | Source::System(p) | Source::Shipped(p) => p,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Source::Explicit(_) => "given directory",
            Source::System(_) => "Debian dataset-fashion-mnist package",
            Source::Shipped(_) => "subset shipped in the repository",
        };
        write!(f, "{} ({kind})", self.dir().display())
    }
}

/// Fashion-MNIST's train and test sets and where they came from.
#[derive(Clone, Debug)]
pub struct FashionMnist {
    /// Training samples, features `[28, 28]` in [0, 1], 10 classes.
    pub train: Dataset,
    /// Test samples.
    pub test: Dataset,
    /// Which copy was read.
    pub source: Source,
}

const STEMS: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The file for `stem` in `dir`, gzipped or plain.
fn file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

fn complete(dir: &Path) -> bool {
    STEMS.iter().all(|s| file(dir, s).is_some())
}

/// Picks the directory to read: `dir` if given (no fallback), else the system copy, else the subset.
pub fn locate(dir: Option<&Path>) -> Result<Source, DataError> {
    if let Some(d) = dir {
        return if complete(d) {
            Ok(Source::Explicit(d.to_path_buf()))
        } else {
            Err(DataError::NotFound {
                tried: d.display().to_string(),
            })
        };
    }
    let system = Path::new(SYSTEM_DIR);
    if complete(system) {
        return Ok(Source::System(system.to_path_buf()));
    }
    let shipped = Path::new(SHIPPED_DIR);
    if complete(shipped) {
        return Ok(Source::Shipped(shipped.to_path_buf()));
    }
    Err(DataError::NotFound {
        tried: format!("{SYSTEM_DIR}, {SHIPPED_DIR}"),
    })
}

/// Reads train and test sets from `dir` (which must hold all four IDX files).
pub fn load_dir(dir: &Path) -> Result<(Dataset, Dataset), DataError> {
    let path = |stem: &str| {
        file(dir, stem).ok_or_else(|| DataError::NotFound {
            tried: dir.display().to_string(),
        })
    };
    let train = load_idx(&path(STEMS[0])?, &path(STEMS[1])?, Some(10))?;
    let test = load_idx(&path(STEMS[2])?, &path(STEMS[3])?, Some(10))?;
    Ok((train, test))
}

/// Loads Fashion-MNIST and says which copy was used (see the module docs for the order).
pub fn load_with_source(dir: Option<&Path>) -> Result<FashionMnist, DataError> {
    let source = locate(dir)?;
    let (train, test) = load_dir(source.dir())?;
    Ok(FashionMnist {
        train,
        test,
        source,
    })
}

/// Loads Fashion-MNIST's `(train, test)` sets (see the module docs for the lookup order).
pub fn load(dir: Option<&Path>) -> Result<(Dataset, Dataset), DataError> {
    load_with_source(dir).map(|f| (f.train, f.test))
}

/// The shipped subset only, whatever else is installed (for tests that must not depend on it).
pub fn load_shipped() -> Result<(Dataset, Dataset), DataError> {
    load_dir(Path::new(SHIPPED_DIR))
}
