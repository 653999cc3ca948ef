//! Tabular data: CSV column selection, categorical encoding and missing values (errors naming
//! the line and column), the shipped scikit-learn tables, and `Dataset` shuffle, splits, map
//! and concat.

use std::path::Path;
use tuner::data::{
    load_csv, load_csv_named, parse_csv, parse_csv_named, CsvOptions, Dataset, Encoding, Missing,
};

const P: &str = "people.csv";

const PEOPLE: &str = "\
id,age,city,income,label
1,30,paris,10,yes
2,40,lyon,,no
3,,paris,30,yes
4,50,nice,40,no
";

fn opts() -> CsvOptions {
    CsvOptions::default()
        .target_name("label")
        .categorical(["city", "label"])
        .drop(["id"])
}

#[test]
fn missing_values_are_rejected_with_line_and_column() {
    let err = parse_csv(PEOPLE, Path::new(P), &opts())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("people.csv") && err.contains("line 3") && err.contains("\"income\""),
        "{err}"
    );
    assert!(err.contains("missing") && err.contains("DropRow"), "{err}");
}

#[test]
fn drop_row_and_fill_mean_handle_missing_values() {
    let (d, names) =
        parse_csv_named(PEOPLE, Path::new(P), &opts().missing(Missing::DropRow)).unwrap();
    // Rows 2 and 3 have gaps; the cities left are paris and nice, one-hot in sorted order.
    assert_eq!(names, ["age", "city=nice", "city=paris", "income"]);
    assert_eq!(d.len(), 2);
    assert_eq!(d.row(0), [30.0, 0.0, 1.0, 10.0]);
    assert_eq!(d.row(1), [50.0, 1.0, 0.0, 40.0]);
    // Class names are numbered in sorted order: no = 0, yes = 1.
    assert_eq!(d.labels().unwrap(), [1, 0]);

    let (d, names) =
        parse_csv_named(PEOPLE, Path::new(P), &opts().missing(Missing::FillMean)).unwrap();
    assert_eq!(
        names,
        ["age", "city=lyon", "city=nice", "city=paris", "income"]
    );
    assert_eq!(d.len(), 4);
    assert_eq!(
        d.row(1)[4],
        (10.0 + 30.0 + 40.0) / 3.0,
        "income filled with its mean"
    );
    assert_eq!(d.row(2)[0], 40.0, "age filled with its mean");
    assert_eq!(d.labels().unwrap(), [1, 0, 1, 0]);
}

#[test]
fn select_and_index_encoding_pick_columns_in_order() {
    let o = opts()
        .select(["income", "city"])
        .encoding(Encoding::Index)
        .missing(Missing::FillMean);
    let (d, names) = parse_csv_named(PEOPLE, Path::new(P), &o).unwrap();
    assert_eq!(names, ["income", "city"]);
    // lyon = 0, nice = 1, paris = 2.
    assert_eq!(d.row(0), [10.0, 2.0]);
    assert_eq!(d.row(3), [40.0, 1.0]);
    // A gap in a column that is neither selected nor the target does not matter.
    let o = opts().select(["city"]);
    assert_eq!(
        parse_csv(PEOPLE, Path::new(P), &o).unwrap().feature_width(),
        3
    );
}

#[test]
fn bad_columns_and_text_in_numeric_columns_are_named() {
    let err = parse_csv(PEOPLE, Path::new(P), &opts().select(["height"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no column named \"height\""), "{err}");
    let err = parse_csv(PEOPLE, Path::new(P), &opts().drop(["weight"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"weight\""), "{err}");
    // `city` is text: without `categorical` it is an error on its first line and column.
    let plain = CsvOptions::default()
        .target_name("label")
        .categorical(["label"])
        .missing(Missing::FillMean);
    let err = parse_csv(PEOPLE, Path::new(P), &plain)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2") && err.contains("\"city\"") && err.contains("categorical"),
        "{err}"
    );
    // A missing target is never filled.
    let text = "a,y\n1,0\n2,\n";
    let err = parse_csv(
        text,
        Path::new(P),
        &CsvOptions::default().missing(Missing::FillMean),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("line 3") && err.contains("target is missing"),
        "{err}"
    );
    let d = parse_csv(
        text,
        Path::new(P),
        &CsvOptions::default().missing(Missing::DropRow),
    );
    assert_eq!(d.unwrap().len(), 1);
    // A regression target with a name.
    let d = parse_csv(
        "x,y\n1,2.5\n2,3.5\n",
        Path::new(P),
        &CsvOptions::default().target_name("y").regression(),
    )
    .unwrap();
    assert!(d.labels().is_none());
}

fn shipped(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(path)
}

#[test]
fn shipped_tables_read_with_their_readme_counts() {
    let o = CsvOptions::default()
        .target_name("diagnosis")
        .categorical(["diagnosis"]);
    let (cancer, names) =
        load_csv_named(&shipped("breast-cancer/breast_cancer.csv.gz"), &o).unwrap();
    assert_eq!((cancer.len(), cancer.feature_width()), (569, 30));
    assert_eq!(names[0], "mean_radius");
    // benign = 0 (357), malignant = 1 (212).
    assert_eq!(cancer.class_counts().unwrap(), [357, 212]);
    let o = CsvOptions::default()
        .target_name("progression")
        .regression()
        .categorical(["sex"]);
    let (diabetes, names) = load_csv_named(&shipped("diabetes/diabetes.csv.gz"), &o).unwrap();
    assert_eq!(diabetes.len(), 442);
    assert_eq!(names[..3], ["age", "sex=1", "sex=2"]);
    assert_eq!(diabetes.feature_width(), 11);
    let plain = CsvOptions::default()
        .target_name("progression")
        .regression();
    let raw = load_csv(&shipped("diabetes/diabetes.csv.gz"), &plain).unwrap();
    assert_eq!(raw.feature_width(), 10, "sex as one number");
    assert_eq!(raw.row(0)[1], 2.0);
}

fn classes(labels: &[usize], k: usize) -> Dataset {
    let features = (0..labels.len()).map(|i| i as f32).collect();
    Dataset::classification(features, vec![1], labels.to_vec(), k).unwrap()
}

#[test]
fn shuffle_and_split_are_seeded_permutations() {
    let d = classes(&[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 2);
    let a = d.shuffle(3);
    assert_eq!(a, d.shuffle(3));
    assert_ne!(a, d.shuffle(4));
    let mut seen: Vec<f32> = a.features().to_vec();
    seen.sort_by(f32::total_cmp);
    assert_eq!(seen, d.features(), "a permutation");
    // Shuffling keeps each row with its label.
    for i in 0..a.len() {
        assert_eq!(a.labels().unwrap()[i], a.row(i)[0] as usize % 2);
    }
    let (head, tail) = d.split(0.3).unwrap();
    assert_eq!((head.len(), tail.len()), (7, 3));
    assert_eq!(
        tail.row(0),
        [7.0],
        "Keras' validation_split holds out the tail"
    );
    let (kept, held) = d.shuffled_split(0.3, 9).unwrap();
    assert_eq!((kept.len(), held.len()), (7, 3));
    assert_eq!(kept.concat(&held).unwrap().len(), 10);
    assert!(d.split(0.0).is_err() && d.split(1.0).is_err());
    assert!(
        classes(&[0], 1).split(0.5).is_err(),
        "one sample cannot be split"
    );
}

#[test]
fn stratified_split_keeps_class_proportions() {
    // 80 of class 0, 20 of class 1.
    let labels: Vec<usize> = (0..100).map(|i| usize::from(i % 5 == 0)).collect();
    let d = classes(&labels, 2);
    let (kept, held) = d.stratified_split(0.25, 1).unwrap();
    assert_eq!(held.class_counts().unwrap(), [20, 5]);
    assert_eq!(kept.class_counts().unwrap(), [60, 15]);
    assert_eq!(
        d.stratified_split(0.25, 1).unwrap().1,
        held,
        "same seed, same split"
    );
    assert_ne!(d.stratified_split(0.25, 2).unwrap().1, held);
    // No sample is in both parts.
    let mut all: Vec<f32> = kept
        .features()
        .iter()
        .chain(held.features())
        .copied()
        .collect();
    all.sort_by(f32::total_cmp);
    all.dedup();
    assert_eq!(all.len(), 100);
    let regression = Dataset::regression(vec![0.0; 4], vec![1], vec![1.0; 4], 1).unwrap();
    let err = regression.stratified_split(0.5, 0).unwrap_err().to_string();
    assert!(err.contains("class labels"), "{err}");
}

#[test]
fn map_and_concat_check_their_shapes() {
    let d = classes(&[0, 1, 1], 2);
    let squared = d.map(|r| vec![r[0], r[0] * r[0]]).unwrap();
    assert_eq!(squared.feature_shape(), [2]);
    assert_eq!(squared.row(2), [2.0, 4.0]);
    assert_eq!(squared.labels(), d.labels());
    let mut n = 0;
    let err = d
        .map(|r| {
            n += 1;
            vec![r[0]; n]
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("sample 1"), "{err}");
    let both = d.concat(&classes(&[2], 3)).unwrap();
    assert_eq!((both.len(), both.num_classes()), (4, Some(3)));
    assert!(d
        .concat(&squared)
        .unwrap_err()
        .to_string()
        .contains("shape"));
    let values = Dataset::regression(vec![0.0], vec![1], vec![1.0], 1).unwrap();
    assert!(d.concat(&values).is_err());
}
