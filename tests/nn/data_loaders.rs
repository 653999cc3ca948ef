//! IDX, NPY and CSV loaders on real and hand-made files, including truncated and corrupt ones,
//! and the Fashion-MNIST lookup order.

use std::path::{Path, PathBuf};
use tuner::data::fashion_mnist::{self, Source, SHIPPED_DIR, SYSTEM_DIR};
use tuner::data::{
    load_csv, load_idx, load_npy_classification, load_npy_regression, parse_csv, parse_idx,
    parse_npy, read_idx, read_maybe_gz, read_npy, CsvOptions, CsvTask, DataError, Dataset, IdxData,
    NpyData, TargetColumn,
};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tuner-data-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shipped(name: &str) -> PathBuf {
    Path::new(SHIPPED_DIR).join(name)
}

fn gunzip(path: &Path) -> Vec<u8> {
    read_maybe_gz(path).unwrap()
}

#[test]
fn shipped_subset_reads_with_the_readme_class_counts() {
    let images = read_idx(&shipped("train-images-idx3-ubyte.gz")).unwrap();
    assert_eq!(images.dims, [10_000, 28, 28]);
    assert!(matches!(images.data, IdxData::U8(ref v) if v.len() == 7_840_000));
    let train = load_idx(
        &shipped("train-images-idx3-ubyte.gz"),
        &shipped("train-labels-idx1-ubyte.gz"),
        Some(10),
    )
    .unwrap();
    assert_eq!(train.len(), 10_000);
    assert_eq!(train.feature_shape(), [28, 28]);
    assert!(train.features().iter().all(|&x| (0.0..=1.0).contains(&x)));
    assert!(train.features().contains(&1.0), "u8 255 maps to 1.0");
    assert_eq!(
        train.class_counts().unwrap(),
        [942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000]
    );
    let (_, test) = fashion_mnist::load_shipped().unwrap();
    assert_eq!(
        test.class_counts().unwrap(),
        [200, 203, 214, 190, 219, 195, 197, 200, 194, 188]
    );
}

#[test]
fn plain_and_gzipped_idx_read_the_same() {
    let tmp = TempDir::new("plain");
    let gz = shipped("t10k-labels-idx1-ubyte.gz");
    let plain = tmp.write("labels", &gunzip(&gz));
    assert_eq!(read_idx(&plain).unwrap(), read_idx(&gz).unwrap());
}

#[test]
fn truncated_and_corrupt_idx_files_are_clear_errors() {
    let tmp = TempDir::new("idx");
    let bytes = gunzip(&shipped("t10k-images-idx3-ubyte.gz"));

    let cut = tmp.write("cut-images", &bytes[..bytes.len() - 784]);
    let err = read_idx(&cut).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 1_568_000,
                found: 1_567_216,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("cut-images") && msg.contains("truncated"),
        "{msg}"
    );

    let header_only = tmp.write("header", &bytes[..10]);
    assert!(matches!(
        read_idx(&header_only),
        Err(DataError::Truncated {
            expected: 16,
            found: 10,
            ..
        })
    ));

    let gz = std::fs::read(shipped("t10k-images-idx3-ubyte.gz")).unwrap();
    let cut_gz = tmp.write("cut.gz", &gz[..gz.len() / 2]);
    let msg = read_idx(&cut_gz).unwrap_err().to_string();
    assert!(msg.contains("cut.gz") && msg.contains("truncated"), "{msg}");

    let mut bad = bytes.clone();
    bad[0] = 7;
    let msg = read_idx(&tmp.write("magic", &bad)).unwrap_err().to_string();
    assert!(msg.contains("magic"), "{msg}");
    let mut bad = bytes.clone();
    bad[2] = 0x07;
    let msg = read_idx(&tmp.write("type", &bad)).unwrap_err().to_string();
    assert!(msg.contains("type byte 0x07"), "{msg}");
    let mut long = bytes.clone();
    long.extend([1, 2, 3]);
    let msg = read_idx(&tmp.write("long", &long)).unwrap_err().to_string();
    assert!(msg.contains("3 bytes follow"), "{msg}");

    let err = read_idx(&tmp.0.join("nope")).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }) && err.to_string().contains("nope"));

    let train_labels = shipped("train-labels-idx1-ubyte.gz");
    let err = load_idx(&shipped("t10k-images-idx3-ubyte.gz"), &train_labels, None).unwrap_err();
    assert!(
        err.to_string().contains("2000 images") && err.to_string().contains("10000 labels"),
        "{err}"
    );
}

#[test]
fn idx_value_types_are_big_endian() {
    let mut f = vec![0, 0, 0x0D, 1, 0, 0, 0, 2];
    f.extend(1.5f32.to_be_bytes());
    f.extend((-2.0f32).to_be_bytes());
    let a = parse_idx(&f, Path::new("f32.idx")).unwrap();
    assert_eq!(a.data, IdxData::F32(vec![1.5, -2.0]));
    let mut i = vec![0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2];
    i.extend((-300i16).to_be_bytes());
    i.extend(7i16.to_be_bytes());
    let a = parse_idx(&i, Path::new("i16.idx")).unwrap();
    assert_eq!(a.dims, [1, 2]);
    assert_eq!(a.data, IdxData::I16(vec![-300, 7]));
    assert_eq!(a.to_labels(), None, "negative values are not labels");
}

/// A `.npy` file: magic, version, padded header, data.
fn npy(descr: &str, shape: &str, fortran: bool, data: &[u8], version: u8) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    let prefix = if version == 1 { 10 } else { 12 };
    while (prefix + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([version, 0]);
    if version == 1 {
        out.extend((header.len() as u16).to_le_bytes());
    } else {
        out.extend((header.len() as u32).to_le_bytes());
    }
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn npy_arrays_of_several_dtypes_and_versions() {
    let p = Path::new("x.npy");
    let a = parse_npy(
        &npy(
            "<f4",
            "(2, 3)",
            false,
            &f32_bytes(&[1., 2., 3., 4., 5., 6.]),
            1,
        ),
        p,
    )
    .unwrap();
    assert_eq!(a.shape, [2, 3]);
    assert_eq!(a.data, NpyData::F32(vec![1., 2., 3., 4., 5., 6.]));
    let be: Vec<u8> = [0.5f64, -1.0]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    let a = parse_npy(&npy(">f8", "(2,)", false, &be, 2), p).unwrap();
    assert_eq!(a.data, NpyData::F64(vec![0.5, -1.0]));
    let labels: Vec<u8> = [3i64, 0, 9].iter().flat_map(|x| x.to_le_bytes()).collect();
    let a = parse_npy(&npy("<i8", "(3,)", false, &labels, 3), p).unwrap();
    assert_eq!(a.to_labels(), Some(vec![3, 0, 9]));
    let a = parse_npy(&npy("|u1", "(4,)", false, &[0, 255, 7, 1], 1), p).unwrap();
    assert_eq!(a.data, NpyData::U8(vec![0, 255, 7, 1]));
    let a = parse_npy(&npy("<f4", "()", false, &f32_bytes(&[4.0]), 1), p).unwrap();
    assert!(a.shape.is_empty());
    assert_eq!(a.to_f32(), [4.0]);
}

#[test]
fn truncated_and_corrupt_npy_files_are_clear_errors() {
    let p = Path::new("bad.npy");
    let good = npy("<f4", "(2, 3)", false, &f32_bytes(&[0.0; 6]), 1);
    let err = parse_npy(&good[..good.len() - 4], p).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 24,
                found: 20,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        parse_npy(&good[..20], p),
        Err(DataError::Truncated { .. })
    ));
    let mut bad = good.clone();
    bad[1] = b'X';
    assert!(parse_npy(&bad, p)
        .unwrap_err()
        .to_string()
        .contains("magic"));
    let f = npy("<f4", "(2, 3)", true, &f32_bytes(&[0.0; 6]), 1);
    assert!(parse_npy(&f, p)
        .unwrap_err()
        .to_string()
        .contains("Fortran"));
    let c = npy("<c8", "(1,)", false, &[0; 8], 1);
    assert!(parse_npy(&c, p)
        .unwrap_err()
        .to_string()
        .contains("not supported"));
    let s = npy("<f4", "(two,)", false, &[], 1);
    assert!(parse_npy(&s, p).unwrap_err().to_string().contains("shape"));
}

#[test]
fn npy_files_load_as_data_sets() {
    let tmp = TempDir::new("npy");
    let x = tmp.write(
        "x.npy",
        &npy(
            "<f4",
            "(3, 2)",
            false,
            &f32_bytes(&[0., 1., 2., 3., 4., 5.]),
            1,
        ),
    );
    let y = tmp.write("y.npy", &npy("|u1", "(3,)", false, &[2, 0, 1], 1));
    let d = load_npy_classification(&x, &y, None).unwrap();
    assert_eq!(
        (d.len(), d.feature_width(), d.num_classes()),
        (3, 2, Some(3))
    );
    assert_eq!(d.row(2), [4., 5.]);
    assert_eq!(read_npy(&x).unwrap().shape, [3, 2]);
    let t = tmp.write(
        "t.npy",
        &npy("<f4", "(3,)", false, &f32_bytes(&[0.5, 1.5, 2.5]), 1),
    );
    let r = load_npy_regression(&x, &t).unwrap();
    assert_eq!(r.len(), 3);
    let short = tmp.write("short.npy", &npy("|u1", "(2,)", false, &[1, 0], 1));
    assert!(matches!(
        load_npy_classification(&x, &short, None),
        Err(DataError::Inconsistent(_))
    ));
}

#[test]
fn csv_reads_labels_targets_and_reports_bad_lines() {
    let p = Path::new("table.csv");
    let text = "a,b,label\n0.5,1,2\n\n1.5,\"2\",0\n";
    let d = parse_csv(text, p, &CsvOptions::default()).unwrap();
    assert_eq!((d.len(), d.feature_width()), (2, 2));
    assert_eq!(d.labels().unwrap(), [2, 0]);
    assert_eq!(d.row(1), [1.5, 2.0]);

    let first = CsvOptions {
        target: TargetColumn::First,
        has_header: false,
        feature_scale: 0.5,
        ..CsvOptions::default()
    };
    let d = parse_csv("1,2,4\n0,6,8\n", p, &first).unwrap();
    assert_eq!(d.labels().unwrap(), [1, 0]);
    assert_eq!(d.row(0), [1.0, 2.0]);

    let named = CsvOptions {
        target: TargetColumn::Name("price".into()),
        task: CsvTask::Regression,
        ..CsvOptions::default()
    };
    let d = parse_csv(
        "price;rooms;area\n",
        p,
        &CsvOptions {
            delimiter: ';',
            ..named.clone()
        },
    );
    assert!(d.unwrap_err().to_string().contains("no data rows"));
    let d = parse_csv("rooms,price,area\n3,250.5,80\n2,199,60\n", p, &named).unwrap();
    assert_eq!(d.row(0), [3.0, 80.0]);
    assert!(d.labels().is_none());

    let err = parse_csv("a,b,label\n1,2,0\n1,x,0\n", p, &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("table.csv") && err.contains("line 3") && err.contains("\"x\""),
        "{err}"
    );
    let err = parse_csv("a,b,label\n1,2,0\n1,2\n", p, &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3") && err.contains("2 fields"), "{err}");
    let err = parse_csv("a,label\n1,-1\n", p, &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a non-negative integer"), "{err}");
    let err = parse_csv("", p, &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty"), "{err}");
    let missing = CsvOptions {
        target: TargetColumn::Name("y".into()),
        ..CsvOptions::default()
    };
    assert!(parse_csv("a,b\n1,2\n", p, &missing)
        .unwrap_err()
        .to_string()
        .contains("no column named \"y\""));

    let tmp = TempDir::new("csv");
    let file = tmp.write("t.csv", text.as_bytes());
    assert_eq!(load_csv(&file, &CsvOptions::default()).unwrap().len(), 2);
}

#[test]
fn fashion_mnist_lookup_order_and_source() {
    let tmp = TempDir::new("fm");
    let err = fashion_mnist::locate(Some(&tmp.0)).unwrap_err();
    assert!(matches!(err, DataError::NotFound { .. }));
    assert!(
        err.to_string().contains(&*tmp.0.to_string_lossy())
            && err.to_string().contains("dataset-fashion-mnist")
    );

    let explicit = fashion_mnist::load_with_source(Some(Path::new(SHIPPED_DIR))).unwrap();
    assert!(matches!(explicit.source, Source::Explicit(_)));
    assert_eq!((explicit.train.len(), explicit.test.len()), (10_000, 2_000));
    assert!(explicit.source.to_string().contains("given directory"));

    let default = fashion_mnist::locate(None).unwrap();
    if Path::new(SYSTEM_DIR)
        .join("train-images-idx3-ubyte.gz")
        .is_file()
    {
        assert_eq!(default, Source::System(PathBuf::from(SYSTEM_DIR)));
    } else {
        assert!(matches!(default, Source::Shipped(_)));
    }
}

#[test]
fn dataset_checks_and_slices() {
    let d = Dataset::classification(vec![0.0; 12], vec![2, 2], vec![0, 1, 2], 3).unwrap();
    assert_eq!(d.feature_width(), 4);
    let (a, b) = d.split_at(2);
    assert_eq!((a.len(), b.len()), (2, 1));
    assert_eq!(d.select(&[2, 2]).labels().unwrap(), [2, 2]);
    assert!(
        Dataset::classification(vec![0.0; 12], vec![4], vec![0, 3, 1], 3)
            .unwrap_err()
            .to_string()
            .contains("label 3")
    );
    assert!(Dataset::classification(vec![0.0; 11], vec![4], vec![0, 1, 1], 3).is_err());
    assert!(Dataset::regression(vec![0.0; 8], vec![4], vec![1.0; 3], 2).is_err());
    assert_eq!(d.clone().reshaped(vec![4]).unwrap().feature_shape(), [4]);
    assert!(d.reshaped(vec![5]).is_err());
}
